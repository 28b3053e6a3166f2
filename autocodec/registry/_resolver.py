"""``Resolver``: from the trust state to resolutions and ready-to-call adapters, per generation.

This is where a trust decision is *used*: the trust store (``verify.TrustStore``) makes it,
the resolver asks for it once per generation, loads and checks the module it names, and
memoizes the outcome in that ``Generation`` only.

Invariants:
- Resolution order for ``(kind, code)``: a builtin; a module file the user named for this
  runtime (policy ``local-file``); the pinned sets through the trust store (fresh, not
  revoked, listed by a threshold-signed index); else nothing, with the reason.
- Every resolution, module decision, loaded module and adapter lives in the generation that
  made it. ``generation()`` starts a new one when the trust store's epoch moved (a pin,
  update, unpin, revocation or allow-list change committed by any process; polled at most
  every ``poll_s``), when this process changed trust (``invalidate``, or a write through
  ``trust``: seen by the next call, not the next poll), or once the wall clock reaches the
  earliest expiry of a set, index or manifest one of its decisions relied on
  (``Generation.expires_at``): an expired set stops serving within ``poll_s`` of its expiry,
  with no write and no refresh. Nothing else ends a generation: not its age, not a refresh
  that changed nothing (``check``), so what was loaded for it is not made again for nothing.
- A loaded module is checked against the manifest it is used under, for every (module,
  manifest) pair: a module listed under two manifests is checked against each.
- Nothing runs that did not verify back to a pinned set, the allow-list, or a module file the
  user named explicitly.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from .. import builtin
from ..abi import Kind
from ..cid import CID
from ..codes import codec_code, codec_name, entry_name, hash_code, hash_name, key_type_code
from ..config import Limits
from ..errors import (
    AutocodecError,
    BlockNotFound,
    HashMismatch,
    InvalidInput,
    NotTrusted,
    UnknownChunker,
    UnknownCodec,
    UnknownHash,
    Untrusted,
)
from ..log import get_logger
from ._generation import Generation
from ._local import LocalModules
from ._metrics import Metrics
from ._protocols import BlockSource, ModuleLoader, TrustView
from ._resolution import Refused, Resolution, Source, refusal_policy
from ._standin import BuiltinStandIn

if TYPE_CHECKING:  # pragma: no cover
    from ..verify import Manifest

log = get_logger("registry")

TRUST_POLL_S = 0.05
"""How often (at most) a runtime looks at the trust store for changes made by other processes."""
NO_SET_LISTS_IT = "no-pinned-set-lists-it"
"""The policy of a resolution that found nothing at all (as opposed to a refusal)."""


def normalize(kind: str, code: int | str) -> tuple[Kind, int | str]:
    """``(Kind, code)`` with the code as the trust store keys it (int for coded kinds)."""
    try:
        k = Kind(kind)
    except ValueError:
        raise InvalidInput(f"unknown extension kind {kind!r}"[:200],
                           hint=f"use one of {', '.join(k.value for k in Kind)}") from None
    if k is Kind.CODEC:
        return k, codec_code(code)
    if k is Kind.HASHER:
        return k, hash_code(code)
    if k is Kind.CRYPTO:
        return k, key_type_code(code)
    return k, str(code)  # chunkers, tasks and verifiers are named


def _shown(kind: Kind, code: int | str) -> str:
    return entry_name(str(kind), code)


class Resolver:
    """Resolutions and adapters for one runtime; safe to share between threads."""

    def __init__(self, trust: TrustView, loader: ModuleLoader, blocks: BlockSource, limits: Limits, *,
                 local: LocalModules | None = None, metrics: Metrics | None = None,
                 change_hint: Callable[[], int] | None = None, poll_s: float = TRUST_POLL_S,
                 clock: Callable[[], float] = time.monotonic, wall_clock: Callable[[], float] = time.time) -> None:
        self.trust = trust
        self.loader = loader
        self.blocks = blocks
        self.limits = limits
        self.local = local or LocalModules()
        self.metrics = metrics or Metrics()
        self._change_hint = change_hint or (lambda: 0)
        self.poll_s = poll_s
        self._clock = clock
        self._wall = wall_clock
        self._lock = threading.Lock()
        self._own = 0
        self._next_poll = 0.0
        self._hint = self._read_hint()
        self._gen = Generation(0, (trust.epoch(), 0), started=clock())

    # --- generations -------------------------------------------------------------------------

    def _read_hint(self) -> tuple[int, int, int]:
        """Cheap signs that the trust state may have changed: the database's change counter for
        other connections, this process's trust writes and local module changes."""
        return (self._change_hint(), self.trust.writes, self._own)

    def invalidate(self) -> Generation:
        """Start a new generation now (this process changed what is trusted)."""
        with self._lock:
            self._own += 1
            self._hint = self._read_hint()
            self._gen = Generation(self._gen.number + 1, (self.trust.epoch(), self._own), started=self._clock())
            return self._gen

    def generation(self) -> Generation:
        """The current generation, replaced first if the trust state changed anywhere.

        Between polls (``poll_s``) this is two attribute reads: a trust write committed through
        this process's trust store (``trust.writes``) ends the generation at once, whatever the
        poll, so a call that starts after ``rt.trust.revoke(...)`` returned, on any thread, never
        runs on the revoked module. A poll reads the cheap change hint, then decides under the
        lock, so a call that starts more than ``poll_s`` after a change was committed by another
        process never gets a generation from before it.
        """
        now = self._clock()
        if now < self._next_poll and self.trust.writes == self._hint[1]:
            return self._gen
        return self._poll(now, force=False)

    def check(self) -> Generation:
        """Poll now, whatever ``poll_s``, reading the trust epoch even when the change hint did not
        move (a refresh's re-reading of revocations and expiry): a new generation only when the
        trust token moved or a decision's document expired, else the current one, kept."""
        return self._poll(self._clock(), force=True)

    def _poll(self, now: float, *, force: bool) -> Generation:
        hint = self._read_hint()
        with self._lock:
            gen = self._gen
            expired = self._wall() >= gen.expires_at
            if hint != self._hint or expired or force:
                token = (self.trust.epoch(), self._own)
                if gen.token != token or expired:
                    gen = self._gen = Generation(gen.number + 1, token, started=now)
                    log.info("generation", number=gen.number, epoch=token[0])
                self._hint = hint
            self._next_poll = now + self.poll_s
            return gen

    # --- resolution ----------------------------------------------------------------------------

    def resolve(self, kind: str, code: int | str, *, generation: Generation | None = None) -> Resolution:
        """Who serves ``(kind, code)``: a builtin, an extension (and through which set), or none."""
        k, key = normalize(kind, code)
        gen = generation or self.generation()
        return gen.memo(("resolution", k, key), lambda: self._resolve_uncached(gen, k, key))

    def _resolve_uncached(self, gen: Generation, kind: Kind, code: int | str) -> Resolution:
        if kind is Kind.CODEC and isinstance(code, int) and builtin.has_codec(code):
            return Resolution(kind, code, Source.BUILTIN, f"{codec_name(code)} is a builtin codec")
        if kind is Kind.HASHER and isinstance(code, int) and builtin.has_hash(code):
            return Resolution(kind, code, Source.BUILTIN, f"{hash_name(code)} is a builtin multihash")
        if kind is Kind.CRYPTO and code == 0xED:
            return Resolution(kind, code, Source.BUILTIN, "ed25519 verification is builtin (cryptography)")
        local = self.local.get(kind, code)
        if local is not None:
            info = local.info
            return Resolution(kind, code, Source.EXTENSION, f"module file named by the user ({info.name} {info.version})",
                              policy="local-file", module=info.cid, name=info.name, version=info.version)
        with self.trust.snapshot():  # the set's version is read from the state the decision read
            try:
                decision = self.trust.resolve(str(kind), code, now=int(self._wall()))
            except Untrusted as exc:
                log.warning("resolve", decision="refuse", kind=str(kind), code=code, reason=exc.message,
                            policy=refusal_policy(exc), error=type(exc).__name__)
                return Resolution(kind, code, Source.NONE, f"refused: {' '.join(exc.message.split())}",
                                  policy=refusal_policy(exc), hint=exc.hint, refused=self._refused(kind, code, exc))
            set_version = (self.trust.index_version(decision.set_id)
                           if decision is not None and decision.set_id is not None else None)
        if decision is None:
            return Resolution(kind, code, Source.NONE,
                              f"no builtin {kind} for {_shown(kind, code)} and no pinned extension set lists it",
                              policy=NO_SET_LISTS_IT)
        gen.note_expiry(decision.valid_until)
        manifest = decision.manifest
        res = Resolution(
            kind, code, Source.EXTENSION,
            f"listed by pinned set {decision.set_name!r}" if decision.set_name else f"allowed by {decision.policy}",
            policy=decision.policy, module=decision.module, manifest=decision.manifest_cid,
            publisher=manifest.publisher if manifest else None, name=manifest.name if manifest else None,
            version=manifest.version if manifest else None, set_name=decision.set_name, set_id=decision.set_id,
            set_version=set_version, manifest_doc=manifest,
        )
        log.info("resolve", decision="extension", kind=str(kind), code=code, module=str(res.module),
                 manifest=str(res.manifest), publisher=res.publisher, set=res.set_name, set_version=set_version,
                 policy=res.policy)
        return res

    def _refused(self, kind: Kind, code: int | str, exc: Untrusted) -> Refused | None:
        """What ``exc`` refused, as the manifest of the pinned set's entry it names
        (``Untrusted.entry``) describes it; None when it names none. Read for people only: the
        manifest is decoded, not trusted (nothing here is loaded or run)."""
        from ..verify import Manifest
        from ..verify._envelope import open_envelope

        if exc.entry is None:
            return None
        set_id, set_name, manifest_cid = exc.entry
        limits = self.limits.trust
        try:
            mcid = CID.parse(manifest_cid)
            env = open_envelope(self.blocks.get(mcid), "manifest", max_bytes=limits.max_document_bytes,
                                max_signatures=limits.max_signatures)
            m = Manifest.from_value(env.document, max_module_bytes=limits.max_module_bytes)
        except AutocodecError as error:  # details are a courtesy: the refusal stands without them
            log.warning("resolve.refused", kind=str(kind), code=code, decision="no-details", reason=error.message)
            return None
        version = self.trust.index_version(set_id)  # in the refusing decision's snapshot
        return Refused(mcid, m.module, m.name, m.version, m.publisher, set_name, CID.parse(set_id), version)

    # --- modules -------------------------------------------------------------------------------

    def _load_listed(self, gen: Generation, module: CID, manifest_cid: CID, manifest: "Manifest",
                     set_name: str | None) -> Any:
        """The module ``manifest`` names, fetched, compiled and checked against *this* manifest."""

        def make() -> Any:
            from ..verify import check_module_info, fetch_module

            try:
                wasm = fetch_module(manifest, self.blocks.get, limits=self.limits.trust)
            except BlockNotFound as exc:
                where = f"the pinned set {set_name!r}" if set_name else "its manifest"
                raise BlockNotFound(f"the module {module} of {manifest.name} {manifest.version}, named by {where}, is "
                                    f"not in the store: {exc.message}",
                                    hint="repair the pinned sets (`autocodec pin repair`), which fetches again every "
                                         "block they name, or put or import the module") from None
            loaded = self.loader.load(wasm, cid=module)
            check_module_info(manifest, loaded.info)
            self.metrics.inc("module_loads_total", kind=str(loaded.info.kind))
            log.info("module.load", module=str(module), manifest=str(manifest_cid), name=manifest.name,
                     version=manifest.version, publisher=manifest.publisher, set=set_name, generation=gen.number)
            return loaded

        return gen.memo(("module", module, manifest_cid), make)

    def loaded(self, res: Resolution, *, generation: Generation | None = None) -> Any:
        """The loaded module behind an extension resolution of this generation (never a refused one)."""
        if not res.found or res.module is None:
            raise NotTrusted(f"{res.kind} {res.code} is not served by an extension: {res.reason}", hint=res.hint or None)
        local = self.local.get(res.kind, res.code) if res.policy == "local-file" else None
        if local is not None:
            return local
        if res.manifest is None or res.manifest_doc is None:
            raise NotTrusted(f"module {res.module} has no verified manifest")
        gen = generation or self.generation()
        return self._load_listed(gen, res.module, res.manifest, res.manifest_doc, res.set_name)

    def adapter(self, kind: str, code: int | str, *, generation: Generation | None = None) -> Any:
        """The kind adapter serving ``(kind, code)`` in this generation; None for a builtin.

        Raises ``UnknownCodec``/``UnknownHash``/``UnknownChunker`` (none for a codec, hash or
        chunker) or ``NotTrusted``.
        """
        gen = generation or self.generation()
        res = self.resolve(kind, code, generation=gen)
        if res.source == Source.BUILTIN:
            return None
        if res.source == Source.NONE:
            if res.policy != NO_SET_LISTS_IT:  # refused (revoked, expired...): say so, not "unknown"
                raise NotTrusted(f"{res.kind} {_shown(res.kind, res.code)} {res.reason}", hint=res.hint)
            if res.kind is Kind.CODEC and isinstance(res.code, int):
                raise UnknownCodec(res.code, res.reason, hint="pin an extension set that provides it (`autocodec pin add`)")
            if res.kind is Kind.HASHER and isinstance(res.code, int):
                raise UnknownHash(res.code, res.reason, hint="pin an extension set that provides it (`autocodec pin add`)")
            if res.kind is Kind.CHUNKER:
                raise UnknownChunker(res.reason, hint="pin an extension set that provides it (`autocodec pin add`)")
            raise NotTrusted(res.reason)

        def make() -> Any:
            loaded = self.loaded(res, generation=gen)
            if res.kind in (Kind.CHUNKER, Kind.VERIFIER):  # one loaded module may serve several sets: a view
                return loaded.served_by(res.set_name) if res.set_name else loaded  # naming this one's
            adapter = getattr(loaded, str(res.kind))()
            adapter.served_by = res.set_name  # its errors name the set too (``AutocodecError.module``)
            return adapter

        return gen.memo(("adapter", res.kind, res.code), make)

    # --- modules named by CID (self-describing blocks) -------------------------------------------

    def module_codec(self, module: CID, *, generation: Generation | None = None) -> Any:
        """The codec of a module named by CID, if trusted now (pinned set or allow-listed CID).

        A builtin stands in for the module when the module's own vectors show both agree
        (native substitution); a disagreement disables the substitution and is logged.
        """
        gen = generation or self.generation()
        return gen.memo(("envelope", module), lambda: self._module_codec(gen, module))

    def _module_codec(self, gen: Generation, module: CID) -> Any:
        decision = self.trust.decide_module(module, now=int(self._wall()))
        if decision is None:
            revoked = self.trust.module_revocation(module, now=int(self._wall()))
            if revoked is not None:  # allowing the module's CID would not lift it: say so
                from ..verify import outranked_refusal

                raise outranked_refusal(f"block needs codec module {module}, but", revoked)
            raise NotTrusted(
                f"block needs codec module {module}, which no pinned set lists and you have not allowed",
                hint=f"pin a set that lists it, or allow this module: `autocodec trust add {module}`",
            )
        gen.note_expiry(decision.valid_until)
        if decision.manifest is not None and decision.manifest_cid is not None:
            loaded = self._load_listed(gen, module, decision.manifest_cid, decision.manifest, decision.set_name)
        else:
            def make() -> Any:
                from ..verify import is_dag, module_cid, read_module

                if is_dag(module):  # a module over 1 MiB: its UnixFS file DAG, read under the bounds
                    wasm = read_module(module, self.blocks.get, limits=self.limits.trust).data
                else:
                    wasm = self.blocks.get(module)
                if module_cid(wasm) != module:
                    raise HashMismatch(f"module bytes do not match {module}")
                return self.loader.load(wasm, cid=module)

            loaded = gen.memo(("module", module, None), make)
        if loaded.info.kind != Kind.CODEC:
            raise NotTrusted(f"module {module} is a {loaded.info.kind}, not a codec")
        adapter = self._substitute(loaded, decision.manifest)
        if adapter is None:
            adapter = loaded.codec()
            adapter.served_by = decision.set_name  # its errors name the set too
        log.info("module.decide", module=str(module), name=loaded.info.name, policy=decision.policy,
                 publisher=decision.manifest.publisher if decision.manifest else None, set=decision.set_name,
                 substituted=isinstance(adapter, BuiltinStandIn), generation=gen.number)
        return adapter

    def _substitute(self, loaded: Any, manifest: "Manifest | None") -> BuiltinStandIn | None:
        """A builtin codec for a Wasm module of the same format, only if its vectors agree."""
        from ..loader import run_vectors
        from ..loader._vectors import decode_vectors

        codes = list(loaded.info.codes)
        if len(codes) != 1 or not builtin.has_codec(codes[0]) or manifest is None or manifest.vectors is None:
            return None
        stand_in = BuiltinStandIn(codes[0], self.limits)
        as_module: Any = stand_in  # shaped like a loaded module's codec (see _standin)
        try:
            vectors = decode_vectors(self.blocks.get(manifest.vectors), "dag-cbor", self.limits.trust,
                                     decode=self.limits.decode)
            agree = (run_vectors(as_module, vectors, limits=self.limits.trust).ok
                     and run_vectors(loaded, vectors, limits=self.limits.trust).ok)
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
