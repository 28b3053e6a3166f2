"""What serves ``(kind, code)`` (``Resolution``) and one consistent view of trust (``Generation``).

Invariants: a ``Resolution`` is immutable and says why (``reason``, ``policy``); a
``Generation`` is replaced, never mutated, when the trust state changes, so a call that took
one at its start keeps a consistent view to its end.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any

from ..cid import CID


@dataclass(frozen=True)
class Resolution:
    """Who would serve ``(kind, code)`` and why (or why nothing would)."""

    kind: str
    code: int | str
    source: str  # "builtin" | "extension" | "none"
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
    manifest_doc: Any = field(default=None, repr=False, compare=False)
    """The manifest verified when this resolution was made (same generation)."""

    @property
    def found(self) -> bool:
        return self.source != "none"

    def to_value(self) -> dict[str, Any]:
        """A data-model view (DAG-JSON printable)."""
        out: dict[str, Any] = {"kind": self.kind, "code": self.code, "source": self.source, "reason": self.reason}
        for key in ("policy", "module", "manifest", "publisher", "name", "version", "set_name", "set_id", "set_version"):
            value = getattr(self, key)
            if value is not None:
                out[key] = value
        return out


@dataclass
class Generation:
    """One consistent view of what is trusted; replaced, never mutated, on a trust change."""

    number: int
    token: tuple[int, int]
    resolutions: dict[tuple[str, int | str], Resolution] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)
