"""``Runtime``: the facade of one home folder over parts that each do one job.

Parts (each can be passed in, e.g. by a test, instead of being built from the home):

- ``store`` (``BlockStore``): verified blocks; ``trust`` (``TrustStore``): every trust decision
  and the trust epoch; ``sandbox`` (``Sandbox``): module checks and compilation;
  ``fetcher`` (``Fetcher``): verified blocks from the store, then the configured sources.
- ``resolver`` (``Resolver``): trust state -> resolutions and adapters, memoized per
  ``Generation`` (see ``_resolver`` for when a generation ends).
- ``pins`` (``Pins``): pin / update / repair / unpin and the ``registry_pins`` table.
- ``hashes`` (``Hashes``): multihashes, block verification and signatures, builtin or extension.
- ``recent`` (``RecentBlocks``): the canary's sample of recently decoded blocks.

Invariants:
- Nothing runs that did not verify back to a pinned set, the user's allow-list, or a module
  file the user named explicitly (``modules=``, policy ``local-file``).
- A call takes one generation at its start and uses it to its end, so a call in flight
  finishes on the module it started with; the next call sees any trust change made here
  (at once) or by another process (within ``TRUST_POLL_S``), with no call from the user.
- Every block fetched from a source is verified against its CID, with a hasher extension when
  the hash has no builtin, before it is stored or decoded; a stored block whose hash only an
  extension can check is refused once that hasher is refused (revoked, expired).
"""

from __future__ import annotations

import collections
import os
import threading
import weakref
from dataclasses import replace
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import TYPE_CHECKING, Any, overload

from .. import builtin
from .._inputs import bytes_like, need_iterable, of_type, pair
from ..abi import Kind
from ..cid import CID, encode_varint
from ..codes import codec_code, hash_name
from ..config import DEFAULT_LIMITS, Limits
from ..errors import (
    AutocodecError,
    InvalidBlock,
    InvalidInput,
    NotTrusted,
    StoreError,
)
from ..home import Home
from ..settings import Settings
from ._generation import Generation
from ._hashes import Hashes
from ._metrics import Metrics
from ._pins import Pins
from ._resolution import Resolution, Source
from ._resolver import NO_SET_LISTS_IT, TRUST_POLL_S, Resolver
from ._selfdescribing import ENVELOPE_CODEC, unwrap

if TYPE_CHECKING:  # pragma: no cover
    from ..dag import Resolved
    from ..loader import Sandbox
    from ..sources import Fetcher
    from ..store import BlockStore
    from ..verify import TrustStore
    from ._live import Refresher, RefreshOutcome
    from ._pins import PinResult

__all__ = ["KINDS", "RECENT_BLOCKS", "TRUST_POLL_S", "Generation", "RecentBlocks", "Resolution", "Runtime"]

KINDS = tuple(k.value for k in Kind)
RECENT_BLOCKS = 16


def _checked_chunks(chunks: Iterable[bytes], what: str) -> Iterator[bytes]:
    for chunk in chunks:
        chunk = bytes_like(chunk, what)
        yield chunk


class RecentBlocks:
    """The last ``RECENT_BLOCKS`` blocks decoded by an extension, per codec (the canary's sample)."""

    def __init__(self, size: int = RECENT_BLOCKS) -> None:
        self.size = size
        self._by_code: dict[int, collections.deque[tuple[CID, bytes]]] = {}

    def add(self, code: int, cid: CID, data: bytes) -> None:
        recent = self._by_code.get(code)
        if recent is None:
            recent = self._by_code.setdefault(code, collections.deque(maxlen=self.size))
        recent.append((cid, data))

    def get(self, code: int) -> list[tuple[CID, bytes]]:
        return list(self._by_code.get(code, ()))


class Runtime:
    """The autocodec runtime of one home folder; safe to share between threads.

    A home created by this runtime starts with the package's default extension set pinned
    (``default_set=False`` opts out), so git-raw, eth-block, bitcoin-block and bencode blocks
    decode and keccak-256 and BLAKE3 CIDs verify out of the box, with no network.

    ``offline=True`` (default: whether ``sources.go_offline`` was called in this process) builds
    no network source, whatever ``config.toml`` says: blocks come from the store only (a missing
    one is Kubo's ``block was not found locally (offline)``), IPNS names from kept records only;
    ``node`` or ``gateways`` with it is ``InvalidInput``.

    Threads: one runtime serves any number of threads (guest code runs without the GIL); a
    trust change made through it (``trust.revoke``, pins) holds for every call that starts
    after it returned. asyncio: there is no async API; every call blocks its thread (a fetch,
    a guest run, both bounded by ``limits``), so call from a thread, as ``serve`` does::

        value = await asyncio.to_thread(rt.decode, cid)       # or loop.run_in_executor(pool, ...)
        blocks = await asyncio.to_thread(lambda: list(rt.walk(root)))  # iterate walks there too

    ``close()`` releases the home's files (harmless twice); calls after it that need them, ``with``
    and ``start_refresh`` raise ``StoreError``. In a process forked from this one, calls that need
    the home's database raise ``StoreError`` too: make a new runtime there.
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
        store: "BlockStore | None" = None,
        trust: "TrustStore | None" = None,
        sandbox: "Sandbox | None" = None,
        fetcher: "Fetcher | None" = None,
        poll_s: float = TRUST_POLL_S,
        offline: bool | None = None,
    ) -> None:
        from ..loader import Sandbox
        from ..store import BlockStore
        from ..verify import TrustStore

        if isinstance(gateways, str):  # one URL, not its characters
            gateways = (gateways,)
        if isinstance(modules, (str, bytes, os.PathLike)):  # one module, not its characters
            modules = (modules,)
        of_type(home, (str, os.PathLike, Home), "Runtime's home")
        of_type(limits, Limits, "Runtime's limits")
        of_type(node, str, "Runtime's node")
        of_type(settings, Settings, "Runtime's settings")
        need_iterable(gateways, "Runtime's gateways", "URLs")  # None too: () is "no gateway"
        need_iterable(modules, "Runtime's modules", "module files or module bytes")
        of_type(gateways, Sequence, "Runtime's gateways (a list of URLs)")
        for url in gateways:
            of_type(url, str, "each of Runtime's gateways")
        self.home = (home if isinstance(home, Home) else Home.resolve(home)).init()
        self.settings = (settings or Settings.load(self.home.config_path)).with_overrides(
            node=node, gateways=tuple(gateways)
        )
        self.offline = _offline_wanted(offline, node, gateways, fetcher)
        if self.offline:  # no source from config.toml either: pins and IPNS look nowhere but the home
            self.settings = replace(self.settings, node=None, gateways=())
        self.limits = limits or self.settings.apply_limits(DEFAULT_LIMITS)
        self.metrics = Metrics()
        self.recent = RecentBlocks()
        self.store = store or BlockStore.open(self.home, verify=_verifier_of(self), limits=self.limits)
        self._own_trust = trust is None  # closed with the runtime; a trust store passed in is the caller's
        self.trust = trust or TrustStore.open(self.home, limits=self.limits, blocks=self.store)
        self.sandbox = sandbox or Sandbox(self.limits.sandbox, cache_dir=self.home.compiled_cache_dir)
        self.fetcher = fetcher or self._make_fetcher()
        self.resolver = Resolver(self.trust, self.sandbox, self.fetcher, self.limits, metrics=self.metrics,
                                 change_hint=self.store.data_version, poll_s=poll_s)
        self.hashes = Hashes(self.resolver, self.limits)
        self.pins = Pins(self.store, self.trust, self.fetcher, self.limits, self.settings,
                         on_change=self.resolver.invalidate)
        self._refresher: "Refresher | None" = None
        self._refresher_lock = threading.Lock()
        from ..sources import Cancel

        self.closing = Cancel("the runtime is closing")
        """Cancelled by ``close``: every fetch made inside ``cancellable(runtime.closing)`` (``refresh``;
        ``serve``'s request threads) then ends with ``FetchCancelled``."""
        for module in modules:
            self.add_local_module(module)
        self.pins.offer_default_set(default_set, self.pin_default_set)
        if default_set:  # a home upgraded from an earlier release moves to the default set shipped now
            from ._upgrade import follow_shipped_default_set

            follow_shipped_default_set(self)

    def pin_default_set(self) -> "PinResult":
        """Pin the extension set shipped in the package (done once, when a home is created)."""
        from ._default import pin_default_set

        return pin_default_set(self)

    def _make_fetcher(self) -> "Fetcher":
        from ..sources import Fetcher, GatewaySource, NodeSource

        sources: list[Any] = []
        for kind in self.settings.order:
            if kind == "node" and self.settings.node:
                sources.append(NodeSource(self.settings.node, limits=self.limits.fetch))
            elif kind == "gateway":
                sources.extend(GatewaySource(url, limits=self.limits.fetch) for url in self.settings.gateways)
        return Fetcher(self.store, sources, verify=_verifier_of(self), max_concurrent=self.limits.fetch.max_concurrent,
                       offline=self.offline)

    # --- lifecycle ---------------------------------------------------------------------------

    def close(self, *, wait_s: float | None = None) -> None:
        """Stop the refresher and close the databases (the trust store's reader too, unless
        the trust store was passed in): no descriptor of the home stays open.

        Prompt, whatever is in flight: fetches under ``closing`` (a refresh's) are cancelled, and
        the refresher is waited for at most ``wait_s`` (default ``limits.serve.shutdown_s``). A refresh still busy then
        (a guest run, a commit) closes the databases itself as it ends, so no connection is ever
        closed under its transaction; a process that exits first leaves SQLite to roll the
        unfinished transaction back at the next open, as it does after any crash."""
        wait_s = self.limits.serve.shutdown_s if wait_s is None else wait_s
        self.closing.cancel()
        with self._refresher_lock:
            refresher, self._refresher = self._refresher, None
        if refresher is None:
            self._close_stores()
        elif not refresher.stop(wait_s, then=self._close_stores):
            from ..log import get_logger

            get_logger("registry").warning("close.deferred", reason="a refresh step is still running; the home "
                                           "is closed when it ends", waited_s=wait_s)

    def _close_stores(self) -> None:
        if self._own_trust:
            self.trust.close()
        self.store.close()

    def _need_open(self) -> None:
        """``StoreError`` once ``close`` was called."""
        if self.closing.is_set():
            raise StoreError("the runtime is closed", hint="make a new Runtime")

    def __enter__(self) -> "Runtime":
        self._need_open()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- generations and resolution (the resolver's) -------------------------------------------

    def generation(self) -> Generation:
        """The current generation (a new one if the trust state changed, here or elsewhere)."""
        return self.resolver.generation()

    def trust_changed(self) -> None:
        """Start a new generation now. Changes through this runtime's trust store or pins do
        this by themselves; kept for callers that change trust by other means."""
        self.resolver.invalidate()

    @overload
    def resolve(self, kind: str, code: int | str, *, generation: Generation | None = None) -> Resolution: ...

    @overload
    def resolve(self, kind: str, code: None = None, *, generation: Generation | None = None) -> Resolved: ...

    def resolve(self, kind: str, code: int | str | None = None, *,
                generation: Generation | None = None) -> Resolution | Resolved:
        """Who serves ``(kind, code)``: a builtin, an extension (and through which set), or none.

        With one argument, a path: the last block it reaches (read and decoded) and the
        remainder inside it (``autocodec.dag.Resolved``). ``autocodec.dag.resolve_cid`` says
        only where a path lands, without reading that block, as ``dag resolve`` does.
        """
        if code is None:
            from ..dag import resolve as resolve_path

            return resolve_path(self, kind, limits=self.limits)
        return self.resolver.resolve(kind, code, generation=generation)

    def add_local_module(self, module: str | os.PathLike[str] | bytes) -> Any:
        """Serve a module file the user named explicitly for the codes it declares."""
        loaded = self.resolver.local.add(self.sandbox, module)
        self.resolver.invalidate()
        return loaded

    def extension(self, kind: str, code: int | str) -> Any:
        """The kind adapter (``Codec``, ``Hasher``...) serving an extension; raises if none."""
        adapter = self.resolver.adapter(kind, code)
        if adapter is None:
            raise InvalidInput(f"{kind} {code!r} is builtin, not an extension"[:200],
                               hint="a builtin is used through the runtime's own calls (decode, hash...)")
        return adapter

    def module_codec(self, module: CID | str) -> Any:
        """The codec of a module named by CID (or its text, parsed here), if trusted now (pinned
        set or allow-listed CID)."""
        return self.resolver.module_codec(CID.parse(module))

    # --- blocks --------------------------------------------------------------------------------

    def verify_block(self, cid: CID | str, data: bytes, *, generation: Generation | None = None) -> None:
        """``HashMismatch`` unless ``data`` hashes to ``cid`` (builtin or a trusted hasher extension)."""
        self.hashes.verify_block(CID.parse(cid), data, generation=generation)

    def hash(self, data: bytes, hash: str | int = "sha2-256", *, length: int | None = None) -> bytes:
        """The multihash of ``data`` with a builtin or extension hasher; ``length``: a digest of
        that many bytes, cut or (blake3) extended, as Kubo's ``block put --mhlen`` (see ``Hashes``)."""
        data = bytes_like(data, "hash")
        return self.hashes.hash(data, hash, length=length)

    def hash_many(self, datas: Iterable[bytes | bytearray | memoryview], hash: str | int = "sha2-256") -> list[bytes]:
        """The full multihash of each input, in order (an extension hasher batched; see ``Hashes``)."""
        need_iterable(datas, "hash_many", "bytes")
        datas = [data if type(data) is bytes else bytes_like(data, "hash_many") for data in datas]
        return self.hashes.hash_many(datas, hash)

    def hash_stream(self, chunks: Iterable[bytes], hash: str | int = "sha2-256") -> bytes:
        """The full multihash of a stream of chunks, in bounded memory (builtin or extension)."""
        need_iterable(chunks, "hash_stream", "bytes chunks")
        return self.hashes.hash_stream(_checked_chunks(chunks, "hash_stream"), hash)

    def verify_signature(self, key_type: str | int, public_key: bytes, message: bytes, signature: bytes) -> bool:
        """Ed25519 with the builtin, other key types with a crypto extension (see ``Hashes``)."""
        public_key, message, signature = (bytes_like(x, "verify_signature") for x in (public_key, message, signature))
        return self.hashes.verify_signature(key_type, public_key, message, signature)

    def cid_for(self, data: bytes, codec: str | int, hash: str | int = "sha2-256", *, length: int | None = None) -> CID:
        """The CIDv1 of a block; ``length``: its digest that many bytes long (``hash``)."""
        return CID(b"\x01" + encode_varint(codec_code(codec)) + self.hash(data, hash, length=length))

    def get(self, cid: CID | str) -> bytes:
        """The verified bytes of a block (local store first, then the configured sources).

        ``cid`` may also be a path (``CID/a/b``, ``/ipfs/CID/name``): the block it reaches across
        links of any codec (``InvalidPath`` if it ends inside a block; see ``autocodec.dag``).
        """
        if isinstance(cid, str) and ("/" in cid or ":" in cid):
            from ..dag import block_at

            return block_at(self, cid, limits=self.limits)
        return self.fetcher.get(CID.parse(cid))

    def walk(self, root: CID | str, *, bulk: bool = False) -> Iterator[tuple[CID, bytes]]:
        """Every block of the DAG under ``root`` (a CID or a path to a block), DFS pre-order,
        each CID once (a block linked as CIDv0 and CIDv1 under each, as Kubo's walk), following
        every codec's links (see ``autocodec.dag.walk``).

        ``bulk=True`` finds the links of the blocks near the top of the walk's stack many at a
        time in the bulk worker processes (``autocodec.bulk.LinksAhead``): the same blocks in the
        same order, faster on large DAGs of extension codecs. It forks the bulk pool on first
        use: a program whose other threads run guest code meanwhile calls ``autocodec.bulk.prepare``
        first (see docs/performance.md)."""
        from ..dag import resolve as resolve_path
        from ..dag import walk

        start = root if isinstance(root, CID) else resolve_path(self, root, limits=self.limits).cid
        if not bulk:
            return walk(self, start)
        return self._bulk_walk(start)

    def _bulk_walk(self, start: CID) -> Iterator[tuple[CID, bytes]]:
        from ..dag import walk
        from ..dag._ahead import LinksAhead

        with LinksAhead(self) as ahead:
            yield from walk(self, start, ahead)

    def put(self, data: bytes, codec: str | int, hash: str | int = "sha2-256") -> CID:
        cid = self.cid_for(data, codec, hash)
        self.store.put(cid, data)
        return cid

    def decode(self, cid: CID | str) -> Any:
        """Fetch, verify and decode a block by CID, resolving its codec and hash if needed.

        A path (``CID/a/b``, ``/ipfs/...``) gives the value it reaches, as ``dag get`` does.
        """
        if isinstance(cid, str) and ("/" in cid or ":" in cid):
            from ..dag import resolve as resolve_path

            return resolve_path(self, cid, limits=self.limits).value
        cid = CID.parse(cid)
        return self.decode_block(cid, self.get(cid), verified=True)

    def decode_block(self, cid: CID | str, data: bytes, *, verified: bool = False) -> Any:
        """Verify ``data`` against ``cid`` and decode it with the codec ``cid`` names.

        ``verified=True`` (bytes from the store or the fetcher) skips re-hashing, but a hash
        that only an extension can check must still resolve to a trusted hasher now.
        """
        cid = CID.parse(cid)
        data = bytes_like(data, "decode_block")
        code = cid.codec
        if builtin.has_codec(code) and builtin.has_hash(cid.hash_code):  # fast path: nothing to resolve
            if not verified:
                builtin.verify_cid(cid, data)
            return builtin.decode(data, code, limits=self.limits.decode, strict=self.limits.decode.strict_blocks)
        if len(data) > self.limits.decode.max_block_bytes:
            raise InvalidBlock(f"block {cid} is {len(data)} bytes, over limits.decode.max_block_bytes "
                               f"({self.limits.decode.max_block_bytes})")
        gen = self.generation()
        if not verified:
            self.verify_block(cid, data, generation=gen)
        elif not builtin.has_hash(cid.hash_code):
            self._hasher_not_refused(cid.hash_code, gen)
        if code == ENVELOPE_CODEC:
            module, payload = unwrap(data)
            return self.resolver.module_codec(module, generation=gen).decode(payload)
        codec = self.resolver.adapter(Kind.CODEC, code, generation=gen)
        if codec is None:
            return builtin.decode(data, code, limits=self.limits.decode, strict=self.limits.decode.strict_blocks)
        value = codec.decode(data)
        self.recent.add(code, cid, data)
        return value

    def _hasher_not_refused(self, code: int, gen: Generation) -> None:
        """A stored block whose hash only an extension checks was verified by that hasher when
        it came in; once the hasher is *refused* (revoked, expired), the block is no longer
        vouched for. With no hasher listed at all, the store's own checksum still vouches."""
        res = self.resolver.resolve(Kind.HASHER, code, generation=gen)
        if res.source == Source.NONE and res.policy != NO_SET_LISTS_IT:
            raise NotTrusted(f"block hashed with {hash_name(code)}, whose hasher is no longer trusted: {res.reason}",
                             hint=res.hint)

    def decode_many(self, cid_blocks: Iterable[tuple[CID | str, bytes]]) -> list[Any]:
        """Decode many verified-here blocks; results (or errors) in order, batched per codec.
        ``cid_blocks``: ``(CID or its text, bytes)`` pairs, else ``InvalidInput`` before any work;
        a block that fails (a CID that does not parse among them) is its error in the results."""
        need_iterable(cid_blocks, "decode_many", "(CID, bytes) pairs")
        cid_blocks = [b if type(b) is tuple and len(b) == 2 else pair(b, "decode_many") for b in cid_blocks]
        gen = self.generation()
        out: list[Any] = [None] * len(cid_blocks)
        groups: dict[int, list[int]] = {}
        for i, (cid, data) in enumerate(cid_blocks):
            try:
                cid = CID.parse(cid)
                self.verify_block(cid, data, generation=gen)
            except AutocodecError as exc:
                out[i] = exc
                continue
            groups.setdefault(cid.codec, []).append(i)
        for code, indexes in groups.items():
            codec = self.resolver.adapter(Kind.CODEC, code, generation=gen)
            if codec is None:
                for i in indexes:
                    try:
                        out[i] = builtin.decode(cid_blocks[i][1], code, limits=self.limits.decode,
                                                strict=self.limits.decode.strict_blocks)
                    except AutocodecError as exc:
                        out[i] = exc
            else:
                for i, value in zip(indexes, codec.decode_many([cid_blocks[i][1] for i in indexes])):
                    out[i] = value
        return out

    def encode(self, value: Any, codec: str | int) -> bytes:
        code = codec_code(codec)
        adapter = self.resolver.adapter(Kind.CODEC, code)
        if adapter is None:
            return builtin.encode(value, code, limits=self.limits.decode)
        data: bytes = adapter.encode(value)
        return data

    def links(self, cid: CID | str, data: bytes) -> list[CID]:
        """The links of a block (builtin walker, or the codec extension's ``links``)."""
        from ..store import builtin_links

        cid = CID.parse(cid)
        data = bytes_like(data, "links")
        adapter = self.resolver.adapter(Kind.CODEC, cid.codec)
        if adapter is None:
            return list(builtin_links(cid, data, strict=self.limits.decode.strict_blocks))
        found: list[CID] = adapter.links(data)
        return found

    def sandbox_stats(self) -> dict[str, float]:
        """Loader counters for ``/metrics`` (fuel used, compiled-cache hits), where it keeps them."""
        stats = getattr(self.sandbox, "stats", None)
        return dict(stats()) if callable(stats) else {}

    def recent_blocks(self, code: int | str) -> list[tuple[CID, bytes]]:
        """Blocks of codec ``code`` (a code or a name) recently decoded by an extension (the
        canary's sample); ``UnknownCodec`` for what names no codec (a name read as none held)."""
        return self.recent.get(codec_code(code))

    # --- live upgrades -------------------------------------------------------------------------

    def refresh(self, which: str | None = None) -> "list[RefreshOutcome]":
        """Look for newer versions of pinned sets now; verified, canaried ones are swapped in."""
        from ..sources import cancellable
        from ._live import refresh

        with cancellable(self.closing):  # close() from another thread ends its fetches
            return refresh(self, which)

    def start_refresh(self, interval_s: float | None = None) -> "Refresher":
        """Refresh in a background thread every ``interval_s`` (default from settings): a number of
        seconds above 0, checked here (the thread would die of it, or refresh without pause)."""
        from ._live import Refresher

        if interval_s is not None and not (type(interval_s) in (int, float)
                                           and 0 < interval_s <= threading.TIMEOUT_MAX):
            raise InvalidInput(f"start_refresh's interval_s is a number of seconds above 0, not {interval_s!r}")
        with self._refresher_lock:
            self._need_open()  # under the lock: close() takes the refresher under it too
            if self._refresher is None:
                self._refresher = Refresher(self, interval_s or self.settings.refresh_interval_s).start()
            return self._refresher

    @property
    def refresher(self) -> "Refresher | None":
        """The background refresher, if ``start_refresh`` started one (its ``last`` outcomes)."""
        return self._refresher

    def refresh_soon(self) -> None:
        """Wake the background refresher (SIGHUP, the admin call)."""
        if self._refresher is not None:
            self._refresher.wake()

    def stop_refresh(self) -> bool:
        """Stop the background refresher: its fetches in flight are cancelled, and it is waited
        for at most ``limits.serve.shutdown_s``; False if it is still finishing its step then."""
        with self._refresher_lock:
            refresher, self._refresher = self._refresher, None
        return refresher is None or refresher.stop(self.limits.serve.shutdown_s)


def _offline_wanted(offline: bool | None, node: str | None, gateways: Sequence[str],
                    fetcher: "Fetcher | None") -> bool:
    """Whether a runtime is offline (``offline``, else the process's ``go_offline``); an offline
    one may not be given a network source, nor a fetcher that has any."""
    from ..sources import is_offline

    of_type(offline, bool, "Runtime's offline")
    wanted = is_offline() if offline is None else offline
    if wanted and (node or gateways or (fetcher is not None and fetcher.sources)):
        raise InvalidInput("an offline Runtime takes no node, gateway or fetcher with sources: it fetches nothing",
                           hint="leave the sources out, or make the Runtime with offline=False")
    return wanted


def _verifier_of(runtime: Runtime) -> Callable[[CID, bytes], None]:
    """``runtime.verify_block`` for the store and the fetcher the runtime makes, holding the
    runtime weakly: a bound method there made a reference cycle, so a closed (or dropped)
    runtime, its compiled modules and their memory-image descriptors stayed until the cyclic
    garbage collector ran (one descriptor per runtime, measured). A store or fetcher used after
    its runtime is gone refuses with ``StoreError``."""
    ref = weakref.ref(runtime)

    def verify(cid: CID, data: bytes) -> None:
        owner = ref()
        if owner is None:
            raise StoreError("the Runtime that made this store or fetcher is gone",
                             hint="keep a reference to the Runtime while its store or fetcher is in use")
        owner.verify_block(cid, data)

    return verify

