"""What serves ``(kind, code)``: ``Resolution``, with the vocabulary of resolution sources.

Invariants: a ``Resolution`` is immutable and says why (``reason``, ``policy``); it is made by
the ``Resolver`` from one trust generation and memoized in that generation only. A refusal names
what was refused in ``refused`` (a ``Refused``), never in the fields of what serves: ``module``,
``manifest``, ``name``... are set only when something serves.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from ..abi import Kind
from ..cid import CID
from ..errors import (
    CallerRefused,
    CanaryFailed,
    DelegationError,
    ExpiredError,
    ModuleDowngrade,
    NotTrusted,
    RevokedError,
    RollbackError,
    RootChainError,
    SignatureError,
    ThresholdNotMet,
    Untrusted,
)

if TYPE_CHECKING:  # pragma: no cover
    from ..verify import Manifest


class Source(StrEnum):
    """Where a resolution comes from (equal to the plain strings older callers compare)."""

    BUILTIN = "builtin"
    EXTENSION = "extension"
    NONE = "none"


_REFUSAL_POLICIES: tuple[tuple[type[Untrusted], str], ...] = (
    (RevokedError, "revoked"),
    (ExpiredError, "expired"),
    (ModuleDowngrade, "downgrade"),
    (RollbackError, "rollback"),
    (DelegationError, "outside-delegation"),
    (ThresholdNotMet, "threshold-not-met"),
    (SignatureError, "bad-signature"),
    (RootChainError, "broken-root-chain"),
    (CanaryFailed, "canary-failed"),
    (CallerRefused, "caller-refused"),
    (NotTrusted, "not-trusted"),
)
"""A refusal's policy word, by the class of the error that refused (subclasses before their bases)."""


def refusal_policy(exc: Untrusted) -> str:
    """The ``policy`` of a resolution a trust decision refused: a lower-case word of the kind
    the accepted ones use (``pinned-set``, ``no-pinned-set-lists-it``), never a class name;
    ``untrusted`` for a refusal of no class named here."""
    return next((word for cls, word in _REFUSAL_POLICIES if isinstance(exc, cls)), "untrusted")


@dataclass(frozen=True)
class Refused:
    """The module a trust decision refused, as the pinned set that lists it describes it (shown
    to people; never loaded: its ``Resolution`` is not ``found``)."""

    manifest: CID
    module: CID
    name: str
    version: str
    publisher: str
    set_name: str
    set_id: CID
    set_version: int | None = None

    def describe(self, *, said: str = "") -> str:
        """One line: ``NAME VERSION (module M, manifest X) by DID, listed by set 'S' vN``; the
        manifest and publisher are left out when ``said`` (the text it is shown beside) already
        names them, so a line names each once."""
        at = f" v{self.set_version}" if self.set_version is not None else ""
        manifest = "" if str(self.manifest) in said else f", manifest {self.manifest}"
        by = "" if self.publisher in said else f" by {self.publisher}"
        return f"{self.name} {self.version} (module {self.module}{manifest}){by}, listed by set {self.set_name!r}{at}"

    def to_value(self) -> dict[str, Any]:
        """A data-model view (DAG-JSON printable)."""
        out: dict[str, Any] = {"manifest": self.manifest, "module": self.module, "name": self.name,
                               "version": self.version, "publisher": self.publisher, "set_name": self.set_name,
                               "set_id": self.set_id}
        if self.set_version is not None:
            out["set_version"] = self.set_version
        return out


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
    refused: Refused | None = field(default=None, compare=False)
    """What a refusal refused (module, manifest, publisher, set), when a pinned set lists it."""
    manifest_doc: "Manifest | None" = field(default=None, repr=False, compare=False)
    """The manifest verified when this resolution was made (same generation)."""

    @property
    def found(self) -> bool:
        return self.source != Source.NONE

    @property
    def why(self) -> str:
        """``reason``, what was refused and the hint, on one line (as shown to a person)."""
        what = f" [{self.refused.describe(said=self.reason)}]" if self.refused is not None else ""
        return f"{self.reason}{what} ({self.hint})" if self.hint else f"{self.reason}{what}"

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
        if self.refused is not None:
            out["refused"] = self.refused.to_value()
        return out
