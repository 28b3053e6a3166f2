"""Where the CLI's codecs and hashers come from: the builtins, then local ``--module`` files.

This is the one place the block commands resolve a format; the registry replaces it with
the pinned-set resolution (same methods, extensions found by code instead of by file).

Invariants:
- Builtins answer first; a module is consulted only for a code the builtins do not know
  (``UnknownCodec``/``UnknownHash``), so a local module cannot shadow a builtin format.
- Modules are loaded once, lazily, in one ``autocodec.loader.Sandbox`` with the configured
  sandbox limits; a file that is missing or not a valid module is a typed error naming it.
- Two modules declaring the same code of the same kind is refused (ambiguous).
- ``verify`` is the store's verifier: a hasher module's digest must equal the CID's digest
  exactly (truncated multihashes are refused for extension hashers).
"""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import suppress
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..cid import CID
from ..config import DEFAULT_LIMITS, Limits
from ..errors import ConfigError, HashMismatch, InvalidInput, UnknownCodec, UnknownHash
from ..home import Home
from ..store import BlockStore, builtin_links, links_in

if TYPE_CHECKING:  # pragma: no cover
    from ..loader import Codec, Hasher


class Formats:
    """Codecs and hashers available to one CLI command."""

    def __init__(self, module_paths: Sequence[str | Path] = (), *, home: Home | None = None,
                 limits: Limits | None = None) -> None:
        self.home = home or Home.resolve()
        self.limits = limits or DEFAULT_LIMITS
        self._paths = [Path(p) for p in module_paths]
        self._codecs: dict[int, Codec] | None = None
        self._hashers: dict[int, Hasher] | None = None

    # --- module loading -----------------------------------------------------------------

    def _load(self) -> None:
        if self._codecs is not None:
            return
        self._codecs, self._hashers = {}, {}
        if not self._paths:
            return
        from ..loader import Sandbox

        sandbox = Sandbox(self.limits.sandbox, cache_dir=self.home.compiled_cache_dir)
        for path in self._paths:
            try:
                wasm = path.read_bytes()
            except OSError as exc:
                raise InvalidInput(f"cannot read module {path}: {exc.strerror or exc}", hint="check the path") from None
            module = sandbox.load(wasm)
            info = module.info
            if info.kind == "codec":
                self._register(self._codecs, info.codes, module.codec(), "codec", path)
            elif info.kind == "hasher":
                self._register(self._hashers, info.codes, module.hasher(), "hasher", path)
            else:
                raise ConfigError(f"module {path} is a {info.kind} module; --module takes codecs and hashers here")

    @staticmethod
    def _register(table: dict[int, Any], codes: Sequence[int], adapter: Any, kind: str, path: Path) -> None:
        for code in codes:
            if code in table:
                raise ConfigError(f"two modules declare {kind} 0x{code:x} (the second is {path})")
            table[code] = adapter

    def codec_module(self, code: int) -> Codec:
        self._load()
        assert self._codecs is not None
        adapter = self._codecs.get(code)
        if adapter is None:
            raise UnknownCodec(code)
        return adapter

    def hasher_module(self, code: int) -> Hasher:
        self._load()
        assert self._hashers is not None
        adapter = self._hashers.get(code)
        if adapter is None:
            raise UnknownHash(code)
        return adapter

    # --- the operations the commands need ----------------------------------------------

    def decode(self, data: bytes, codec: int) -> Any:
        from .. import builtin

        try:
            return builtin.decode(data, codec, limits=self.limits.decode)
        except UnknownCodec:
            return self.codec_module(codec).decode(data)

    def encode(self, value: Any, codec: int) -> bytes:
        from .. import builtin

        try:
            return builtin.encode(value, codec)
        except UnknownCodec:
            return self.codec_module(codec).encode(value)

    def can_decode(self, codec: int) -> bool:
        from .. import builtin

        if builtin.has_codec(codec):
            return True
        self._load()
        assert self._codecs is not None
        return codec in self._codecs

    def multihash(self, data: bytes, hash_code: int) -> bytes:
        """The full multihash (code, length, digest) of ``data``."""
        from .. import builtin
        from ..cid import encode_varint

        try:
            return builtin.multihash_digest(data, hash_code)
        except UnknownHash:
            digest = self.hasher_module(hash_code).digest(data)
            return encode_varint(hash_code) + encode_varint(len(digest)) + digest

    def cid_for(self, data: bytes, codec: int, hash_code: int) -> CID:
        return CID.build(codec, self.multihash(data, hash_code))

    def verify(self, cid: CID, data: bytes) -> None:
        from .. import builtin

        try:
            builtin.verify_cid(cid, data)
        except UnknownHash:
            digest = self.hasher_module(cid.hash_code).digest(data)
            if digest != cid.digest:
                raise HashMismatch(f"block does not hash to {cid}") from None

    def recheck(self, cid: CID, data: bytes) -> None:
        """Re-hash a block read from the store with its CID's own function, when one is at hand.

        ``BlockStore.get`` already checked a sha2-256 CID (or the stored checksum); this also
        catches a block rewritten together with its checksum. Without a hasher it does nothing.
        """
        if cid.hash_code == 0x12:
            return
        with suppress(UnknownHash):
            self.verify(cid, data)

    def links(self, cid: CID, data: bytes) -> list[CID]:
        from .. import builtin

        if builtin.has_codec(cid.codec):
            return builtin_links(cid, data)
        try:
            adapter = self.codec_module(cid.codec)
        except UnknownCodec:
            return []  # kept in an export, not walked
        find = getattr(adapter, "links", None)
        return list(find(data)) if find is not None else links_in(adapter.decode(data))

    def open_store(self) -> BlockStore:
        return BlockStore.open(self.home, verify=self.verify, limits=self.limits)


def formats_from_args(args: Any) -> Formats:
    """The ``Formats`` for a parsed command line (``--module`` is optional on every command)."""
    return Formats(getattr(args, "module", None) or ())


def add_module_option(parser: Any) -> None:
    parser.add_argument(
        "--module",
        action="append",
        metavar="FILE",
        help="a local Wasm codec or hasher module serving its declared codes (repeatable)",
    )
