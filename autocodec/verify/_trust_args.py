"""Checks of the arguments the trust store's public methods take.

Invariant: each returns the value as the tables hold it or raises ``InvalidInput`` naming what
was expected; none reads the database.
"""

from __future__ import annotations

import time
from typing import Any, cast

from .._inputs import whole_number
from ..errors import InvalidInput
from ._documents import MODULE_KINDS
from ._fetch import Fetch


def _key_text(key: int | str) -> str:
    """A code or name as the entries hold it; ``InvalidInput`` for a value of another type (a
    list or None was looked up as its repr and found nothing, silently)."""
    if type(key) is int or type(key) is str:
        return str(key)
    raise InvalidInput(f"a module is looked up by its code (int) or name (str), not {type(key).__name__}")


def _when(now: int | None, what: str) -> int:
    """``now`` (whole seconds since the epoch) or the current time: a str or float was stored
    as the row's time as it was."""
    return int(time.time()) if now is None else whole_number(now, f"{what}'s now")


def _need_fetch(fetch: Any, what: str) -> Fetch:
    """``fetch`` when it is callable (a CID to untrusted bytes); else ``InvalidInput``: an object
    of another type was met at the first document as a ``FetchError`` blaming the source."""
    if not callable(fetch):
        raise InvalidInput(f"{what} needs a fetch function (a CID to bytes), not {type(fetch).__name__}")
    return cast(Fetch, fetch)


def _kind(kind: str) -> str:
    """``kind`` when it is one of ``MODULE_KINDS``; else ``InvalidInput`` (looked up as it
    was, any other value found nothing, silently)."""
    if kind not in MODULE_KINDS:
        raise InvalidInput(f"a module kind is one of {', '.join(MODULE_KINDS)}, not {kind!r}"[:200])
    return str(kind)

