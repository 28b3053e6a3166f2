"""``Runtime``: decode any block, resolving codecs and hashes the host lacks through trust.

Resolution order for ``(kind, code)``: a builtin; then the pinned extension sets (through the
trust store: fresh, not revoked, listed by a threshold-signed index); then nothing, with the
reason. Extension modules are fetched (local store first, then the configured sources),
checked against their manifest (CID, size, ABI, declared kind and codes), loaded through the
compiled-module cache and run in the sandbox.

Invariants:
- Nothing runs that did not verify back to a pinned set, the user's allow-list, or a module
  file the user named explicitly (``modules=``, policy ``local-file``).
- Resolutions are memoized in an immutable ``Generation``; a trust-store change (pin, update,
  revoke, from this or another process) starts a new generation. A call resolves once, at its
  start, so a call in flight finishes on the module it started with (live upgrades swap
  generations atomically between calls).
- Every block fetched from a source is verified against its CID, with a hasher extension when
  the hash has no builtin, before it is stored or decoded.
- Each extension decision is one structured log record: kind, code, module, publisher, set,
  set version, policy.
"""

from __future__ import annotations

import collections
import os
import threading
import time
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from .. import builtin
from ..cid import CID
from ..codes import codec_code, codec_name, hash_code, hash_name
from ..config import DEFAULT_LIMITS, Limits
from ..errors import (
    AutocodecError,
    InvalidBlock,
    InvalidInput,
    HashMismatch,
    NotTrusted,
    UnknownCodec,
    UnknownHash,
    Untrusted,
)
from ..home import Home
from ..log import get_logger
from ..settings import Settings
from ._hashing import hashlib_stream
from ._metrics import Metrics
from ._resolution import Generation, Resolution
from ._selfdescribing import ENVELOPE_CODEC, unwrap
from ._standin import BuiltinStandIn

log = get_logger("registry")

KINDS = ("codec", "hasher", "chunker", "crypto", "task")
TRUST_POLL_S = 0.05
RECENT_BLOCKS = 16


class Runtime:
    """The autocodec runtime of one home folder; safe to share between threads.

    A home created by this runtime starts with the package's default extension set pinned
    (``default_set=False`` opts out), so git-raw, eth-block, bitcoin-block and bencode blocks
    decode and keccak-256 and BLAKE3 CIDs verify out of the box, with no network.
    """

    def __init__(
        self,
        home: str | os.PathLike[str] | Home | None = None,
        *,
        limits: Limits | None = None,
        node: str | None = None,
        gateways: Sequence[str] = (),
        modules: Iterable[str | os.PathLike[str] | bytes] = (),
        settings: Settings | None = None,
        default_set: bool = True,
    ) -> None:
        from ..loader import Sandbox
        from ..store import BlockStore
        from ..verify import TrustStore

        self.home = (home if isinstance(home, Home) else Home.resolve(home)).init()
        self.limits = limits or DEFAULT_LIMITS
        self.settings = (settings or Settings.load(self.home.config_path)).with_overrides(
            node=node, gateways=tuple(gateways)
        )
        self.store = BlockStore.open(self.home, verify=self.verify_block, limits=self.limits)
        self.trust = TrustStore.open(self.home, limits=self.limits, blocks=self.store)
        self.sandbox = Sandbox(self.limits.sandbox, cache_dir=self.home.compiled_cache_dir)
        self.fetcher = self._make_fetcher()
        self._lock = threading.RLock()
        self._loaded: dict[CID, Any] = {}
        self._adapters: dict[tuple[CID, str], Any] = {}
        self._local: dict[tuple[str, int | str], Any] = {}
        self._own_writes = 0
        self._next_poll = 0.0
        self.metrics = Metrics()
        self._recent: dict[int, collections.deque[tuple[CID, bytes]]] = {}
        self._refresher: Any = None
        self._generation = Generation(0, self._trust_token())
        for module in modules:
            self.add_local_module(module)
        self._offer_default_set(default_set)

    def _offer_default_set(self, accept: bool) -> None:
        """Pin the default set the first time a runtime opens this home, unless declined.

        The choice is recorded (``registry_meta``), so a home created with ``default_set=False``
        (``autocodec init --no-default-set``), or one whose user unpinned it, stays that way.
        """
        self.store.ensure_schema("registry-meta", 1, [
            "CREATE TABLE IF NOT EXISTS registry_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)"])
        with self.store.transaction() as conn:
            row = conn.execute("SELECT value FROM registry_meta WHERE key = 'default-set'").fetchone()
        if row is not None:
            return
        if accept:
            self.pin_default_set()
        with self.store.transaction() as conn:
            conn.execute("INSERT OR REPLACE INTO registry_meta VALUES ('default-set', ?)",
                         ("pinned" if accept else "declined",))

    def pin_default_set(self) -> Any:
        """Pin the extension set shipped in the package (done once, when a home is created)."""
        from ._default import pin_default_set

        return pin_default_set(self)

    # --- lifecycle ---------------------------------------------------------------------------

    def close(self) -> None:
        if self._refresher is not None:
            self._refresher.stop()
            self._refresher = None
        self.store.close()

    def __enter__(self) -> "Runtime":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _make_fetcher(self) -> Any:
        from ..sources import Fetcher, GatewaySource, NodeSource

        sources: list[Any] = []
        for kind in self.settings.order:
            if kind == "node" and self.settings.node:
                sources.append(NodeSource(self.settings.node, limits=self.limits.fetch))
            elif kind == "gateway":
                sources.extend(GatewaySource(url, limits=self.limits.fetch) for url in self.settings.gateways)
        return Fetcher(self.store, sources, verify=self.verify_block)

    # --- generations -------------------------------------------------------------------------

    def _trust_token(self) -> tuple[int, int]:
        """Changes whenever the trust state may have changed (here or in another process)."""
        return (self.store.data_version(), self._own_writes)

    def trust_changed(self) -> None:
        """Tell the runtime this process changed the trust state (pin, update, revoke)."""
        with self._lock:
            self._own_writes += 1
            self._generation = Generation(self._generation.number + 1, self._trust_token())

    def generation(self) -> Generation:
        """The current generation, starting a new one if the trust state changed.

        Changes made through this runtime are seen at once; changes by other processes
        within ``TRUST_POLL_S`` (the database is polled at most that often).
        """
        gen = self._generation
        now = time.monotonic()
        if now < self._next_poll:
            return gen
        self._next_poll = now + TRUST_POLL_S
        token = self._trust_token()
        if token != gen.token:
            with self._lock:
                if self._generation is gen:
                    self._generation = Generation(gen.number + 1, token)
                gen = self._generation
        return gen

    # --- resolution ----------------------------------------------------------------------------

    @staticmethod
    def _normalize(kind: str, code: int | str) -> int | str:
        if kind not in KINDS:
            raise AutocodecError(f"unknown extension kind {kind!r}", hint=f"use one of {', '.join(KINDS)}")
        if kind == "codec":
            return codec_code(code)
        if kind == "hasher":
            return hash_code(code)
        if kind == "crypto":
            from ..codes import key_type_code

            return key_type_code(code)
        return str(code)  # chunkers and tasks are named

    def resolve(self, kind: str, code: int | str, *, generation: Generation | None = None) -> Resolution:
        """Who serves ``(kind, code)``: a builtin, an extension (and through which set), or none."""
        key_code = self._normalize(kind, code)
        gen = generation or self.generation()
        key = (kind, key_code)
        found = gen.resolutions.get(key)
        if found is not None:
            return found
        with gen.lock:
            found = gen.resolutions.get(key)
            if found is None:
                found = self._resolve_uncached(kind, key_code)
                gen.resolutions[key] = found
        return found

    def _resolve_uncached(self, kind: str, code: int | str) -> Resolution:
        if kind == "codec" and isinstance(code, int) and builtin.has_codec(code):
            return Resolution(kind, code, "builtin", f"{codec_name(code)} is a builtin codec")
        if kind == "hasher" and isinstance(code, int) and builtin.has_hash(code):
            return Resolution(kind, code, "builtin", f"{hash_name(code)} is a builtin multihash")
        if kind == "crypto" and code == 0xED:
            return Resolution(kind, code, "builtin", "ed25519 verification is builtin (cryptography)")
        local = self._local.get((kind, code))
        if local is not None:
            info = local.info
            return Resolution(kind, code, "extension", f"module file named by the user ({info.name} {info.version})",
                              policy="local-file", module=info.cid, name=info.name, version=info.version)
        try:
            decision = self.trust.resolve(kind, code)
        except Untrusted as exc:
            log.warning("resolve", decision="refuse", kind=kind, code=code, reason=exc.message, policy=type(exc).__name__)
            return Resolution(kind, code, "none", f"refused: {exc.one_line()}", policy=type(exc).__name__)
        if decision is None:
            shown = codec_name(code) if kind == "codec" and isinstance(code, int) else (
                hash_name(code) if kind == "hasher" and isinstance(code, int) else str(code))
            return Resolution(kind, code, "none",
                              f"no builtin {kind} for {shown} and no pinned extension set lists it",
                              policy="no-pinned-set-lists-it")
        manifest = decision.manifest
        set_version = None
        if decision.set_id is not None:
            for info in self.trust.sets():
                if info.set_id == decision.set_id:
                    set_version = info.index_version
        res = Resolution(
            kind, code, "extension",
            f"listed by pinned set {decision.set_name!r}" if decision.set_name else f"allowed by {decision.policy}",
            policy=decision.policy, module=decision.module, manifest=decision.manifest_cid,
            publisher=manifest.publisher if manifest else None, name=manifest.name if manifest else None,
            version=manifest.version if manifest else None, set_name=decision.set_name, set_id=decision.set_id,
            set_version=set_version, manifest_doc=manifest,
        )
        log.info("resolve", decision="extension", kind=kind, code=code, module=str(res.module),
                 manifest=str(res.manifest), publisher=res.publisher, set=res.set_name, set_version=set_version,
                 policy=res.policy)
        return res

    # --- modules -------------------------------------------------------------------------------

    def add_local_module(self, module: str | os.PathLike[str] | bytes) -> Any:
        """Serve a module file the user named explicitly for the codes it declares."""
        if isinstance(module, bytes):
            wasm, shown = module, "module bytes"
        else:
            shown = str(module)
            try:
                wasm = Path(module).read_bytes()
            except OSError as exc:
                raise InvalidInput(f"cannot read module file {shown}: {exc.strerror or exc}",
                                   hint="check the --module path") from None
        loaded = self.sandbox.load(wasm)
        keys: list[int | str] = list(loaded.info.codes) or [loaded.info.name]
        for code in keys:
            other = self._local.get((loaded.info.kind, code))
            if other is not None and other.info.cid != loaded.info.cid:
                raise InvalidInput(f"{shown} and module {other.info.cid} both declare {loaded.info.kind} {code}",
                                   hint="give one module per code")
        for code in keys:
            self._local[(loaded.info.kind, code)] = loaded
        self._loaded[loaded.info.cid] = loaded
        self.trust_changed()
        return loaded

    def _module(self, res: Resolution) -> Any:
        """The loaded module behind an extension resolution (fetched, checked, compiled once)."""
        assert res.module is not None
        loaded = self._loaded.get(res.module)
        if loaded is not None:
            return loaded
        from ..verify import check_module_info, fetch_module

        with self._lock:
            loaded = self._loaded.get(res.module)
            if loaded is not None:
                return loaded
            if res.manifest is None:
                raise NotTrusted(f"module {res.module} has no manifest")
            manifest = res.manifest_doc  # verified by the trust store in this generation
            if manifest is None:
                manifest = self.trust.authorize(self.store.get(res.manifest)).manifest
            assert manifest is not None
            wasm = fetch_module(manifest, self.fetcher.get, limits=self.limits.trust)
            loaded = self.sandbox.load(wasm, cid=res.module)
            check_module_info(manifest, loaded.info)
            self._loaded[res.module] = loaded
            self.metrics.inc("module_loads_total", kind=res.kind)
            log.info("module.load", module=str(res.module), name=manifest.name, version=manifest.version,
                     publisher=manifest.publisher, set=res.set_name)
            return loaded

    def _adapter(self, kind: str, code: int | str, *, generation: Generation | None = None) -> Any:
        res = self.resolve(kind, code, generation=generation)
        if res.source == "builtin":
            return None
        if res.source == "none":
            error = {"codec": UnknownCodec, "hasher": UnknownHash}.get(kind)
            if error is not None and isinstance(code, int):
                raise error(code, f"{res.reason}", hint="pin an extension set that provides it (`autocodec pin add`)")
            raise NotTrusted(res.reason)
        assert res.module is not None
        cache_key = (res.module, kind)
        adapter = self._adapters.get(cache_key)
        if adapter is None:
            loaded = self._module(res)
            adapter = getattr(loaded, kind)() if kind != "chunker" else loaded
            self._adapters[cache_key] = adapter
        return adapter

    def extension(self, kind: str, code: int | str) -> Any:
        """The kind adapter (``Codec``, ``Hasher``...) serving an extension; raises if none."""
        adapter = self._adapter(kind, code)
        if adapter is None:
            raise AutocodecError(f"{kind} {code} is builtin, not an extension")
        return adapter

    # --- blocks --------------------------------------------------------------------------------

    def verify_block(self, cid: CID, data: bytes) -> None:
        """``HashMismatch`` unless ``data`` hashes to ``cid`` (builtin or hasher extension)."""
        code = cid.hash_code
        if builtin.has_hash(code):
            builtin.verify_cid(cid, data)
            return
        hasher = self._adapter("hasher", code)
        if hasher.digest(data) != cid.digest:
            raise HashMismatch(f"block does not match {cid} ({hash_name(code)} extension, {len(data)} bytes)")

    def hash(self, data: bytes, hash: str | int = "sha2-256") -> bytes:
        """The full multihash of ``data`` with a builtin or extension hasher."""
        from ..cid import encode_varint

        code = hash_code(hash)
        if builtin.has_hash(code):
            return builtin.multihash_digest(data, code)
        digest = self._adapter("hasher", code).digest(data)
        return encode_varint(code) + encode_varint(len(digest)) + digest

    def hash_stream(self, chunks: Iterable[bytes], hash: str | int = "sha2-256") -> bytes:
        """The full multihash of a stream of chunks, in bounded memory (builtin or extension)."""
        from ..cid import encode_varint

        code = hash_code(hash)
        if builtin.has_hash(code):
            state = hashlib_stream(code)
            if state is None:  # identity and other non-streaming builtins: bounded by the block cap
                data = bytearray()
                for chunk in chunks:
                    data += chunk
                    if len(data) > self.limits.decode.max_block_bytes:
                        raise InvalidInput(f"{hash_name(code)} input over {self.limits.decode.max_block_bytes} bytes")
                return builtin.multihash_digest(bytes(data), code)
            update, final = state
            for chunk in chunks:
                update(chunk)
            digest = final()
        else:
            stream = self._adapter("hasher", code).stream()
            for chunk in chunks:
                stream.update(chunk)
            digest = stream.final()
        return encode_varint(code) + encode_varint(len(digest)) + digest

    def verify_signature(self, key_type: str | int, public_key: bytes, message: bytes, signature: bytes) -> bool:
        """Check a signature: Ed25519 with the builtin (strict RFC 8032), other key types with a
        crypto extension from the pinned sets (e.g. BIP-340 Schnorr for secp256k1-pub).

        Trust decisions never come here: the trust layer always uses the builtin Ed25519.
        """
        from ..codes import key_type_code

        code = key_type_code(key_type)
        if code == 0xED:
            from ..verify import InvalidKey, PublicKey

            try:
                return PublicKey(bytes(public_key)).verify(bytes(signature), bytes(message))
            except InvalidKey:
                return False
        crypto = self._adapter("crypto", code)
        return bool(crypto.verify(code, bytes(public_key), bytes(message), bytes(signature)))

    def cid_for(self, data: bytes, codec: str | int, hash: str | int = "sha2-256") -> CID:
        from ..cid import encode_varint

        return CID(b"\x01" + encode_varint(codec_code(codec)) + self.hash(data, hash))

    def get(self, cid: CID | str) -> bytes:
        """The verified bytes of a block (local store first, then the configured sources)."""
        return self.fetcher.get(CID.parse(cid))

    def put(self, data: bytes, codec: str | int, hash: str | int = "sha2-256") -> CID:
        cid = self.cid_for(data, codec, hash)
        self.store.put(cid, data)
        return cid

    def decode(self, cid: CID | str) -> Any:
        """Fetch, verify and decode a block by CID, resolving its codec and hash if needed."""
        cid = CID.parse(cid)
        return self.decode_block(cid, self.get(cid), verified=True)

    def decode_block(self, cid: CID | str, data: bytes, *, verified: bool = False) -> Any:
        """Verify ``data`` against ``cid`` and decode it with the codec ``cid`` names."""
        cid = CID.parse(cid)
        code = cid.codec
        if builtin.has_codec(code) and builtin.has_hash(cid.hash_code):  # fast path: nothing to resolve
            if not verified:
                builtin.verify_cid(cid, data)
            return builtin.decode(data, code, limits=self.limits.decode)
        if len(data) > self.limits.decode.max_block_bytes:
            raise InvalidBlock(f"block {cid} is {len(data)} bytes, over limits.decode.max_block_bytes "
                               f"({self.limits.decode.max_block_bytes})")
        gen = self.generation()
        if not verified:
            self.verify_block(cid, data)
        if code == ENVELOPE_CODEC:
            module, payload = unwrap(data)
            return self.module_codec(module).decode(payload)
        codec = self._adapter("codec", code, generation=gen)
        if codec is None:
            return builtin.decode(data, code, limits=self.limits.decode)
        value = codec.decode(data)
        recent = self._recent.get(code)
        if recent is None:
            recent = self._recent.setdefault(code, collections.deque(maxlen=RECENT_BLOCKS))
        recent.append((cid, data))
        return value

    def sandbox_stats(self) -> dict[str, float]:
        """Loader counters for ``/metrics`` (fuel used, compiled-cache hits), where it keeps them."""
        stats = getattr(self.sandbox, "stats", None)
        return dict(stats()) if callable(stats) else {}

    def recent_blocks(self, code: int) -> list[tuple[CID, bytes]]:
        """Blocks of codec ``code`` recently decoded by an extension (the canary's sample)."""
        return list(self._recent.get(code, ()))

    # --- live upgrades -------------------------------------------------------------------------

    def refresh(self, which: str | None = None) -> list[Any]:
        """Look for newer versions of pinned sets now; verified, canaried ones are swapped in."""
        from ._live import refresh

        return refresh(self, which)

    def start_refresh(self, interval_s: float | None = None) -> Any:
        """Refresh in a background thread every ``interval_s`` (default from settings)."""
        from ._live import Refresher

        if self._refresher is None:
            self._refresher = Refresher(self, interval_s or self.settings.refresh_interval_s).start()
        return self._refresher

    def refresh_soon(self) -> None:
        """Wake the background refresher (SIGHUP, the admin call)."""
        if self._refresher is not None:
            self._refresher.wake()

    # --- modules named by CID (self-describing blocks) -----------------------------------------

    def module_codec(self, module: CID) -> Any:
        """The codec of a module named by CID, if trusted (pinned set or allow-listed CID).

        A builtin stands in for the module when the module's own vectors show both agree
        (native substitution); a disagreement disables the substitution and is logged.
        """
        key = (module, "codec")
        adapter = self._adapters.get(key)
        if adapter is not None:
            return adapter
        decision = self.trust.decide_module(module)
        if decision is None:
            raise NotTrusted(
                f"block needs codec module {module}, which no pinned set lists and you have not allowed",
                hint=f"pin a set that lists it, or allow this module: `autocodec trust add {module}`",
            )
        loaded = self._loaded.get(module)
        if loaded is None:
            from ..verify import check_module_info, fetch_module, module_cid

            if decision.manifest is not None:
                wasm = fetch_module(decision.manifest, self.fetcher.get, limits=self.limits.trust)
            else:
                wasm = self.fetcher.get(module)
                if module_cid(wasm) != module:
                    raise HashMismatch(f"module bytes do not match {module}")
            loaded = self.sandbox.load(wasm, cid=module)
            if decision.manifest is not None:
                check_module_info(decision.manifest, loaded.info)
            self._loaded[module] = loaded
        if loaded.info.kind != "codec":
            raise NotTrusted(f"module {module} is a {loaded.info.kind}, not a codec")
        adapter = self._substitute(loaded, decision.manifest) or loaded.codec()
        log.info("module.decide", module=str(module), name=loaded.info.name, policy=decision.policy,
                 publisher=decision.manifest.publisher if decision.manifest else None, set=decision.set_name,
                 substituted=isinstance(adapter, BuiltinStandIn))
        self._adapters[key] = adapter
        return adapter

    def _substitute(self, loaded: Any, manifest: Any) -> "BuiltinStandIn | None":
        """A builtin codec for a Wasm module of the same format, only if its vectors agree."""
        from ..loader import run_vectors

        codes = list(loaded.info.codes)
        if len(codes) != 1 or not builtin.has_codec(codes[0]) or manifest is None or manifest.vectors is None:
            return None
        stand_in = BuiltinStandIn(codes[0], self.limits)
        try:
            vectors = builtin.decode(self.fetcher.get(manifest.vectors), "dag-cbor")
            agree = run_vectors(stand_in, vectors).ok and run_vectors(loaded, vectors).ok
        except AutocodecError as exc:
            agree = False
            log.warning("substitution", module=str(loaded.info.cid), decision="disabled", reason=exc.message)
        if not agree:
            log.warning("substitution", module=str(loaded.info.cid), builtin=codec_name(codes[0]),
                        decision="disabled", policy="differential-vectors")
            return None
        log.info("substitution", module=str(loaded.info.cid), builtin=codec_name(codes[0]), decision="enabled",
                 policy="differential-vectors")
        return stand_in

    def decode_many(self, cid_blocks: Sequence[tuple[CID, bytes]]) -> list[Any]:
        """Decode many verified-here blocks; results (or errors) in order, batched per codec."""
        gen = self.generation()
        out: list[Any] = [None] * len(cid_blocks)
        groups: dict[int, list[int]] = {}
        for i, (cid, data) in enumerate(cid_blocks):
            try:
                self.verify_block(cid, data)
            except AutocodecError as exc:
                out[i] = exc
                continue
            groups.setdefault(cid.codec, []).append(i)
        for code, indexes in groups.items():
            codec = self._adapter("codec", code, generation=gen)
            if codec is None:
                for i in indexes:
                    try:
                        out[i] = builtin.decode(cid_blocks[i][1], code, limits=self.limits.decode)
                    except AutocodecError as exc:
                        out[i] = exc
            else:
                for i, value in zip(indexes, codec.decode_many([cid_blocks[i][1] for i in indexes])):
                    out[i] = value
        return out

    def encode(self, value: Any, codec: str | int) -> bytes:
        code = codec_code(codec)
        adapter = self._adapter("codec", code)
        if adapter is None:
            return builtin.encode(value, code, limits=self.limits.decode)
        return adapter.encode(value)

    def links(self, cid: CID, data: bytes) -> list[CID]:
        """The links of a block (builtin walker, or the codec extension's ``links``)."""
        from ..store import builtin_links

        adapter = self._adapter("codec", cid.codec)
        if adapter is None:
            return list(builtin_links(cid, data))
        return adapter.links(data)
