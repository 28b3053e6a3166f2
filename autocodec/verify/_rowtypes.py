"""Values read back from the home's trust tables, checked for the type this code wrote.

The trust tables are as trusted as the home folder (docs/trust.md), but a row edited by hand
or damaged on disk (SQLite keeps whatever type a column is given) must end in a typed error
that says what to do, never in a ``TypeError`` from a comparison far away.

Invariant: ``row_cid`` and ``row_int`` return a ``CID``/``int`` or raise ``StoreCorrupt``
naming the table and column.
"""

from __future__ import annotations

from typing import Any

from ..cid import CID
from ..errors import AutocodecError, StoreCorrupt

_HINT = ("the home's trust tables were edited or damaged: unpin the set and pin it again, "
         "or restore the home folder from a backup")


def row_cid(value: Any, where: str) -> CID:
    """A CID stored as text in ``where`` (``table.column``)."""
    if isinstance(value, str):
        try:
            return CID.parse(value)
        except AutocodecError:
            pass
    raise StoreCorrupt(f"{where} holds {str(value)[:80]!r}, not a CID", hint=_HINT)


def row_int(value: Any, where: str) -> int:
    """An integer stored in ``where`` (``table.column``)."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    raise StoreCorrupt(f"{where} holds {str(value)[:80]!r}, not an integer", hint=_HINT)
