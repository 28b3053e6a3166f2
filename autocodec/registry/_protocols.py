"""The seams between the registry's parts, as Protocols (what each part needs, nothing more).

A test swaps a part by passing any object with these methods (as httpx injects a
transport); the real implementations are ``TrustStore``, ``Sandbox``/``LoadedModule``,
``Fetcher`` and the loader's kind adapters.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

from ..cid import CID

if TYPE_CHECKING:  # pragma: no cover
    from ..config import SandboxLimits
    from ..loader import ModuleInfo
    from ..errors import RevokedError
    from ..verify import Decision, SetInfo, VerifiedManifest

Fetch = Callable[[CID], bytes]
"""Verified bytes of a block by CID (local store first, then sources)."""


class BlockSource(Protocol):
    """Where the registry gets blocks: verified against their CID before they are returned."""

    def get(self, cid: CID) -> bytes: ...


class TrustView(Protocol):
    """The trust decisions the resolver asks for (``verify.TrustStore`` implements them)."""

    def epoch(self) -> int: ...

    @property
    def writes(self) -> int:
        """Trust changes committed through this object (no database read)."""
        ...

    def resolve(self, kind: str, key: int | str, *, now: int | None = None) -> "Decision | None": ...

    def decide_module(self, module: CID, *, now: int | None = None) -> "Decision | None": ...

    def module_revocation(self, module: CID, *, now: int | None = None) -> "RevokedError | None": ...

    def authorize(self, manifest: "VerifiedManifest | bytes", *, now: int | None = None) -> "Decision": ...

    def sets(self) -> "list[SetInfo]": ...

    def index_version(self, set_id: CID | str) -> int | None: ...

    def snapshot(self) -> AbstractContextManager[None]:
        """Every read of this thread inside sees one committed state (decisions inside join it)."""
        ...


class CodecAdapter(Protocol):
    def decode(self, data: bytes) -> Any: ...

    def encode(self, value: Any) -> bytes: ...

    def decode_many(self, blocks: list[bytes]) -> list[Any]: ...

    def links(self, data: bytes) -> list[CID]: ...


class HashStreamAdapter(Protocol):
    def update(self, data: bytes | bytearray | memoryview) -> None: ...

    def final(self) -> bytes: ...


class HasherAdapter(Protocol):
    def digest(self, data: bytes | bytearray | memoryview) -> bytes: ...

    def stream(self) -> HashStreamAdapter: ...


class CryptoAdapter(Protocol):
    def verify(self, key_type: int, public_key: bytes, message: bytes, signature: bytes) -> bool: ...


@runtime_checkable
class Loaded(Protocol):
    """A module that passed its load-time checks (``loader.LoadedModule``)."""

    @property
    def info(self) -> "ModuleInfo": ...

    def codec(self) -> Any: ...

    def hasher(self) -> Any: ...

    def crypto(self) -> Any: ...

    def task(self) -> Any: ...


class ModuleLoader(Protocol):
    """Checks and compiles module bytes (``loader.Sandbox``)."""

    def load(self, wasm: bytes, *, cid: CID | None = None, limits: "SandboxLimits | None" = None) -> Any: ...

