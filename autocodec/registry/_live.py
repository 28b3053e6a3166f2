"""Live upgrades: refresh pinned sets, canary new versions, swap them in atomically.

A refresh looks for a newer version of each pinned set where it was found (bundle path,
IPNS name). A newer version is verified (the trust layer), its modules fetched and checked,
then *canaried*: every module that would change what serves a ``(kind, code)`` must pass its
own test vectors, and a new codec of a code this set serves must decode the blocks recently
decoded by the serving version to the very same data model (a code another set or a module
file serves is not served by this set's module after the swap either: no side-by-side check).
Only then is the trust store updated (one transaction) and a new generation started; a call
already running finishes on the version it started with.

Invariants: a refused version changes nothing and is logged and reported with the reason,
under the pinned set's name; the serving version keeps serving. Revocations are read from
the trust store, so they take effect at the next generation check (at most ``TRUST_POLL_S``
later, and at every refresh). A refresh that changed nothing, and saw no other change, keeps
the current generation (``Resolver.check``): nothing loaded is made again for nothing.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from ..errors import AutocodecError, CanaryFailed
from ..log import get_logger
from ._protocols import Fetch
from ._resolution import Source

if TYPE_CHECKING:  # pragma: no cover
    from ..sources import Cancel
    from ..verify import VerifiedSet
    from ._pins import PinResult
    from ._runtime import Runtime

log = get_logger("registry")


class RefreshStatus(StrEnum):
    """What a refresh did to one pinned set."""

    CURRENT = "current"
    SWAPPED = "swapped"
    REFUSED = "refused"


@dataclass(frozen=True)
class RefreshOutcome:
    set_name: str
    status: RefreshStatus
    version: int | None
    reason: str = ""


def _same(a: Any, b: Any) -> bool:
    from ..loader._vectors import same

    return same(a, b)


def canary(runtime: "Runtime", verified: "VerifiedSet", fetch: Fetch) -> None:
    """Raise ``CanaryFailed`` unless every changed module passes its vectors and agrees with
    the serving version on recently decoded blocks."""
    from ..loader import run_vectors
    from ..loader._vectors import decode_vectors
    from ..verify import fetch_module, fetch_vectors

    for (kind, key), (_role, manifest_cid) in verified.entries.items():
        vm = verified.manifests.get(manifest_cid)
        if vm is None:
            continue
        current = runtime.resolve(kind, key)
        if current.module == vm.manifest.module:
            continue  # unchanged: nothing to canary
        m = vm.manifest
        loaded = runtime.sandbox.load(fetch_module(m, fetch, limits=runtime.limits.trust), cid=m.module)
        if m.vectors is None:
            raise CanaryFailed(f"{m.name} {m.version} ({m.module}) has no test vectors to canary")
        vectors = fetch_vectors(m, fetch, limits=runtime.limits.trust)  # capped, its hash checked
        assert vectors is not None  # m.vectors is not None
        document = decode_vectors(vectors, "dag-cbor", runtime.limits.trust, decode=runtime.limits.decode)
        report = run_vectors(loaded, document, limits=runtime.limits.trust)
        if not report.ok:
            raise CanaryFailed(f"{m.name} {m.version} ({m.module}) fails {len(report.failures)} of its "
                               f"{report.total} vectors: {'; '.join(report.failures[:2])}")
        if (kind != "codec" or not isinstance(key, int) or current.source != Source.EXTENSION
                or current.set_id != verified.set_id):
            continue  # nothing decoded yet, or another set (or a module file) serves it: no sample to agree on
        new = loaded.codec()
        old = runtime.extension("codec", key)
        for cid, data in list(runtime.recent_blocks(key)):
            try:
                before: Any = old.decode(data)
            except AutocodecError as exc:
                before = exc
            try:
                after: Any = new.decode(data)
            except AutocodecError as exc:
                after = exc
            agree = (isinstance(before, AutocodecError) and isinstance(after, AutocodecError)) or (
                not isinstance(before, AutocodecError) and not isinstance(after, AutocodecError) and _same(before, after))
            if not agree:
                raise CanaryFailed(f"{m.name} {m.version} ({m.module}) decodes {cid} differently from the serving "
                                   f"{current.name} {current.version} ({current.module})")
        log.info("canary", decision="pass", module=str(m.module), name=m.name, version=m.version,
                 publisher=m.publisher, set=verified.name, blocks=len(runtime.recent_blocks(key)),
                 vectors=report.total)


def refresh(runtime: "Runtime", which: str | None = None) -> list[RefreshOutcome]:
    """Refresh one or every pinned set now; returns what happened to each, by its name."""
    outcomes: list[RefreshOutcome] = []
    pins = [runtime.pins.find(which)] if which is not None else runtime.pins.ls()
    for pin in pins:  # one at a time, so a refusal names its set
        try:
            results = runtime.pins.update(str(pin.set_id),
                                          canary=lambda verified, fetch: canary(runtime, verified, fetch))
        except AutocodecError as exc:  # e.g. unpinned by another process meanwhile
            results = [exc]
        outcomes.extend(_outcome(runtime, pin.name, result) for result in results)
    runtime.resolver.check()  # revocations and expiry re-read now: a new generation only if they moved
    return outcomes


def _outcome(runtime: "Runtime", name: str, result: "PinResult | AutocodecError") -> RefreshOutcome:
    """What one set's update did (``name``: the pinned set's), counted and logged."""
    if isinstance(result, AutocodecError):
        runtime.metrics.inc("refresh_refused_total")
        return RefreshOutcome(name, RefreshStatus.REFUSED, None, result.one_line())
    if not result.changed:
        return RefreshOutcome(result.name, RefreshStatus.CURRENT, result.version)
    runtime.metrics.inc("swaps_total")
    log.info("swap", set=result.name, version=result.version, index=str(result.index_cid), policy="verified+canaried")
    return RefreshOutcome(result.name, RefreshStatus.SWAPPED, result.version)


class Refresher:
    """A daemon thread refreshing every ``interval_s`` and whenever ``wake()`` is called.

    Stopping (``stop``) is prompt: the refresh in flight runs under its own ``cancel``, so its
    fetches end with ``FetchCancelled`` as soon as ``stop`` or ``signal_stop`` is called (a socket
    is shut from the stopping thread), and ``stop`` waits at most ``timeout_s`` for the thread. A
    refresh writes the trust store in one transaction after all its fetches, so a cancelled one
    changed nothing. If the thread is still busy then (a canary's guest run, a transaction being
    committed), ``stop(then=...)`` hands ``then`` (closing the stores) to the thread, which runs it
    when it ends: a connection is never closed under a live transaction.
    """

    def __init__(self, runtime: "Runtime", interval_s: float, cancel: "Cancel | None" = None) -> None:
        from ..sources import Cancel

        self.runtime = runtime
        self.interval_s = interval_s
        self.cancel = cancel or Cancel("the refresh was stopped")
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._ended = False
        self._then: Callable[[], None] | None = None
        self._end_lock = threading.Lock()
        self.last: list[RefreshOutcome] = []
        self.last_at = 0.0
        self._thread = threading.Thread(target=self._run, name="autocodec-refresh", daemon=True)

    def start(self) -> "Refresher":
        self._thread.start()
        return self

    def wake(self) -> None:
        self._wake.set()

    def signal_stop(self) -> None:
        """Tell the thread to stop and cancel its fetches in flight, without waiting for it."""
        self._stop.set()
        self._wake.set()
        self.cancel.cancel()

    def stop(self, timeout_s: float = 5.0, then: Callable[[], None] | None = None) -> bool:
        """Stop refreshing: cancel the fetches in flight and wait up to ``timeout_s`` for the thread.

        True when it has ended (``then`` was run here); False when it is still finishing its
        step, and ``then`` will run on it as it ends."""
        self.signal_stop()
        if self._thread.is_alive():
            self._thread.join(timeout=timeout_s)
        with self._end_lock:
            ended = self._ended or not self._thread.is_alive()
            if not ended:
                self._then = then
        if ended and then is not None:
            then()
        return ended

    def _run(self) -> None:
        from ..sources import cancellable

        try:
            with cancellable(self.cancel):
                while not self._stop.is_set():
                    self._wake.wait(self.interval_s)
                    self._wake.clear()
                    if self._stop.is_set():
                        return
                    try:
                        self.last = refresh(self.runtime)
                        self.last_at = time.time()
                    except Exception as exc:  # never let the refresher die; report and retry next round
                        if not self._stop.is_set():
                            log.error("refresh", decision="error", reason=str(exc)[:300])
        finally:
            with self._end_lock:
                self._ended = True
                then, self._then = self._then, None
            if then is not None:
                then()
