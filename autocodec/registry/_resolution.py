"""What serves ``(kind, code)``: ``Resolution``, with the vocabulary of resolution sources.

Invariant: a ``Resolution`` is immutable and says why (``reason``, ``policy``); it is made by
the ``Resolver`` from one trust generation and memoized in that generation only.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from ..abi import Kind
from ..cid import CID

if TYPE_CHECKING:  # pragma: no cover
    from ..verify import Manifest


class Source(StrEnum):
    """Where a resolution comes from (equal to the plain strings older callers compare)."""

    BUILTIN = "builtin"
    EXTENSION = "extension"
    NONE = "none"


@dataclass(frozen=True)
class Resolution:
    """Who would serve ``(kind, code)`` and why (or why nothing would)."""

    kind: Kind
    code: int | str
    source: Source
    reason: str
    policy: str | None = None
    module: CID | None = None
    manifest: CID | None = None
    publisher: str | None = None
    name: str | None = None
    version: str | None = None
    set_name: str | None = None
    set_id: CID | None = None
    set_version: int | None = None
    hint: str = field(default="", compare=False)
    """What to do next, when ``reason`` is a refusal (the refusing error's own hint)."""
    manifest_doc: "Manifest | None" = field(default=None, repr=False, compare=False)
    """The manifest verified when this resolution was made (same generation)."""

    @property
    def found(self) -> bool:
        return self.source != Source.NONE

    @property
    def why(self) -> str:
        """``reason`` with its hint, on one line (as shown to a person)."""
        return f"{self.reason} ({self.hint})" if self.hint else self.reason

    def to_value(self) -> dict[str, Any]:
        """A data-model view (DAG-JSON printable)."""
        out: dict[str, Any] = {"kind": str(self.kind), "code": self.code, "source": str(self.source),
                               "reason": self.reason}
        for key in ("policy", "module", "manifest", "publisher", "name", "version", "set_name", "set_id", "set_version"):
            value = getattr(self, key)
            if value is not None:
                out[key] = value
        if self.hint:
            out["hint"] = self.hint
        return out
