"""UCAN revocations passed between executors: pushed to the peers an executor names, pulled from them.

ucan-wg/revocation v1.0.0-rc.1: recipients treat revocations as a monotonically-growing set, which
makes revocation stores append-only and amenable to gossip ("Semantics"); an agent may cache
revocations gossiped about other subjects ("Store"); how they spread is the deployment's
("Consistency Model"). Here: an executor names its peers in config.toml (``peers = ["http://...", ...]``
under ``[ipvm]``, bounded by ``limits.gossip``), and

- push: a revocation new to this home (``Revocations.record`` says so) is sent to every peer as
  ``POST /ipvm/revoke?relayed=1`` with its own container (the invocation, the revoked delegation, its path
  and the ``/ucan/revoke`` delegations it acts on; nothing else the request held), from a
  background thread per peer, never before the client has its answer. Each push waiting is kept in
  the home (``ipvm._gossip_store``, written in the transaction that records the revocation): one
  not yet delivered when ``serve`` stops or is killed is sent again after its restart. A peer records it only
  after checking it as it checks any client's (never on the sender's word), but for its own ``exp``:
  a relayed revocation (pushed with ``relayed=1``, or pulled) is taken past it (``Revocations.record``'s
  ``relayed``: the sender recorded it in time, and the fact it records stands for the revoked
  delegation's lifetime, so a peer that was down or pulls late still honours it); a client's own
  post is taken only within its bounds. One it already held
  answers ``"new": false`` and goes no further, so pushes among peers that name each other end.
- retries: a push that got no answer (no connection, a timeout, HTTP 429 or 5xx) is retried
  ``retries`` times, after ``backoff_s`` doubled each time up to ``max_backoff_s``; a refusal
  (another 4xx) is final; a push whose retries ran out is logged ``gossip.given_up`` and not sent
  again (the peer gets it only by pulling this home's log, so only if it names this executor among
  its peers). A restart counts the attempts again from the first. Each peer's queue holds at most ``queue`` pushes: past it the oldest
  is dropped (logged ``gossip.dropped``), since the newest is the revocation just made, and a
  dropped one is still in this home's log for the peer's pull.
- pull: every revocation new to this home is also appended to its log (``RevocationLog``, at
  most ``max_log``, oldest removed first) in the same transaction that records it, served as
  ``GET /ipvm/revocations?since=N&limit=M`` (``"log"``: the log's id); an executor pulls each
  peer's log at start and every ``pull_interval_s``, and records each revocation as a relayed push
  (the same checks), so a peer that was down catches up. How far each peer's log was read
  (its cursor) is kept in the home once the page's entries are recorded: a restart reads on from
  there (from 0 when the peer's log id changed: its home was made anew). A refused entry is
  passed (the refusal is final); one this home could not write (``StoreError``) or would not
  take yet (``RateLimited``: the issuer's slots busy, the revocation table full until some
  expire) ends the round with the cursor before it, to be read again at the next.

Every push and pull outcome is logged (structlog, ``ipvm.gossip``); the library configures no logging.
"""

from __future__ import annotations

import base64
import json
import sqlite3
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from itertools import pairwise
from typing import Any
from urllib.parse import urlsplit

from ..config import GossipLimits
from ..errors import AutocodecError, ConfigError, InvalidInput, RateLimited, StoreError
from ..log import get_logger
from ._gossip_store import RevocationLog

__all__ = ["MAX_SEQ", "Accept", "Gossip", "RevocationLog", "fetch_page", "load_peers", "page_cap", "page_json",
           "post_revocation"]

log = get_logger("ipvm.gossip")

PEERS_HINT = 'name each peer executor by its base URL, e.g. peers = ["http://10.0.0.2:8080"] under [ipvm]'
Accept = Callable[[bytes, Callable[[sqlite3.Connection, bytes], None]], tuple[dict[str, Any], bytes]]
"""``RemoteExecutor.accept_revocation``'s shape: records a container (running the callable in the
recording transaction when it is new); the answer and the revocation's own container."""
RELAYED_QUERY = "relayed=1"
"""The query a push carries to ``POST /ipvm/revoke``: a peer relays a revocation it recorded (taken
past its own ``exp``). A server that does not know it ignores it and checks the ``exp`` as for any post."""


def load_peers(doc: dict[str, Any], limits: GossipLimits) -> tuple[str, ...]:
    """The peer executors a parsed config.toml names (``peers`` under ``[ipvm]``): http(s) base
    URLs without query or fragment, no trailing ``/``, each once, at most ``limits.max_peers``;
    ``ConfigError`` naming the bad entry."""
    section = doc.get("ipvm", {})
    peers = section.get("peers", []) if isinstance(section, dict) else []
    if not isinstance(peers, list):
        raise ConfigError("ipvm.peers must be a list of executor URLs", hint=PEERS_HINT)
    if len(peers) > limits.max_peers:
        raise ConfigError(f"ipvm.peers names {len(peers)} executors, over limits.gossip.max_peers "
                          f"({limits.max_peers})", hint="name fewer peers: each passes revocations on to its own")
    out: list[str] = []
    for i, url in enumerate(peers):
        out.append(_peer_url(url, f"ipvm.peers[{i}]"))
        if out[-1] in out[:-1]:
            raise ConfigError(f"ipvm.peers[{i}] ({out[-1]}) is named twice", hint=PEERS_HINT)
    return tuple(out)


def _peer_url(url: Any, where: str) -> str:
    """``url`` as a peer's base URL; ``ConfigError`` unless it is an http(s) URL with a host."""
    if not isinstance(url, str):
        raise ConfigError(f"{where} must be a URL string, not {type(url).__name__}", hint=PEERS_HINT)
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError for a port out of range
    except ValueError:
        parts = None
    if parts is None or parts.scheme not in ("http", "https") or not parts.hostname or parts.query or parts.fragment:
        raise ConfigError(f"{where} ({url[:80]!r}) is not an http:// or https:// URL of an executor", hint=PEERS_HINT)
    return url.rstrip("/")


_NOT_YET = (StoreError, RateLimited)
"""Why a pulled revocation may be taken later though it is not now (the home could not write, a
budget is spent for the moment): the cursor stays before it. Any other refusal is final."""


@dataclass
class _Push:
    seq: int
    container: bytes
    revocation: str
    attempt: int = 0
    due: float = 0.0


class _PeerPusher:
    """One peer's push queue and the thread that drains it, oldest first; ``done(seq)`` once a push
    is answered, refused or given up (the home forgets it)."""

    def __init__(self, url: str, limits: GossipLimits, stop: threading.Event,
                 done: Callable[[str, int], None] | None = None) -> None:
        self.url = url
        self._done = done
        self._limits = limits
        self._stop = stop
        self._pending: deque[_Push] = deque()
        self._cond = threading.Condition()
        self._thread = threading.Thread(target=self._run, name="autocodec-gossip-push", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def offer(self, container: bytes, revocation: str, seq: int = 0) -> None:
        """Queue a push; never blocks (the oldest is dropped when the queue is full)."""
        if self._limits.queue == 0:
            return
        with self._cond:
            if len(self._pending) >= self._limits.queue:
                dropped = self._pending.popleft()
                log.warning("gossip.dropped", peer=self.url, revocation=dropped.revocation,
                            detail=f"over limits.gossip.queue ({self._limits.queue}): the oldest push is dropped; "
                                   "the peer still gets it by pulling this executor's log")
            self._pending.append(_Push(seq, container, revocation))
            self._cond.notify()

    def wake(self) -> None:
        with self._cond:
            self._cond.notify_all()

    def join(self, timeout: float) -> None:
        if self._thread.is_alive():
            self._thread.join(timeout)

    def _next(self) -> _Push | None:
        """The oldest push once it is due; None once stopping."""
        with self._cond:
            while not self._stop.is_set():
                if not self._pending:
                    self._cond.wait()
                    continue
                wait = self._pending[0].due - time.monotonic()
                if wait <= 0:
                    return self._pending.popleft()
                self._cond.wait(wait)
        return None

    def _run(self) -> None:
        while (push := self._next()) is not None:
            retry = self._send(push)
            if retry and push.attempt < self._limits.retries and not self._stop.is_set():
                pause = backoff(self._limits, push.attempt)
                push.attempt += 1
                push.due = time.monotonic() + pause
                with self._cond:  # back at the front: pushes keep their order
                    self._pending.appendleft(push)
            elif not retry or not self._stop.is_set():  # a push cut short by a stop stays in the home
                if retry:
                    log.warning("gossip.given_up", peer=self.url, revocation=push.revocation,
                                attempts=push.attempt + 1,
                                detail="no answer after every retry: not pushed again; a peer that names this "
                                       "executor among its own peers still gets it by pulling this home's log")
                self._forget(push)

    def _forget(self, push: _Push) -> None:
        if self._done is None:
            return
        try:
            self._done(self.url, push.seq)
        except AutocodecError as exc:  # sent again after a restart: a replay is harmless
            log.warning("gossip.forget_failed", peer=self.url, revocation=push.revocation, error=type(exc).__name__,
                        detail=exc.message[:200])

    def _send(self, push: _Push) -> bool:
        """One attempt; whether it is worth retrying (no answer, 429 or 5xx)."""
        try:
            status, body = post_revocation(self.url, push.container, self._limits.timeout_s)
        except AutocodecError as exc:
            log.warning("gossip.push_failed", peer=self.url, revocation=push.revocation, attempt=push.attempt + 1,
                        error=type(exc).__name__, detail=exc.message[:200])
            return True
        except Exception as exc:  # noqa: BLE001 - the thread must outlive one bad attempt; logged, retried
            log.error("gossip.push_failed", peer=self.url, revocation=push.revocation, attempt=push.attempt + 1,
                      error=type(exc).__name__, detail=str(exc)[:200])
            return True
        if status == 200:
            log.info("gossip.pushed", peer=self.url, revocation=push.revocation, attempt=push.attempt + 1,
                     new=_field(body, "new"))
            return False
        retry = status == 429 or status >= 500
        log.warning("gossip.push_failed" if retry else "gossip.push_refused", peer=self.url,
                    revocation=push.revocation, attempt=push.attempt + 1, status=status,
                    error=_field(body, "error"), detail=str(_field(body, "message"))[:200])
        return retry


_DOUBLINGS = 64
"""Doublings of ``backoff_s`` past which the pause is ``max_backoff_s`` whatever the attempt:
``2 ** attempt`` as a float overflows at 1024 (``retries`` has no upper bound), which ended the
peer's push thread and stranded every push queued behind it until a restart."""


def backoff(limits: GossipLimits, attempt: int) -> float:
    """The pause before retry ``attempt + 1``: ``backoff_s`` doubled ``attempt`` times, at most ``max_backoff_s``."""
    return float(min(limits.max_backoff_s, limits.backoff_s * 2 ** min(attempt, _DOUBLINGS)))


def _field(body: bytes, key: str) -> Any:
    """``key`` of a JSON object answer, else None."""
    try:
        doc = json.loads(body)
    except ValueError:
        return None
    return doc.get(key) if isinstance(doc, dict) else None


def post_revocation(url: str, container: bytes, timeout_s: float) -> tuple[int, bytes]:
    """``POST {url}/ipvm/revoke?relayed=1`` with ``container`` (a revocation this executor recorded,
    passed on); the status and body (a ``FetchError`` when no answer came)."""
    from ..sources import Deadline, exchange

    answer = exchange("POST", f"{url}/ipvm/revoke?{RELAYED_QUERY}", what=f"peer executor {url}", deadline=Deadline(timeout_s),
                      read_timeout=timeout_s, cap=64 * 1024,
                      headers={"Content-Type": "application/vnd.ipld.dag-cbor", "Accept": "application/json"},
                      body=container)
    return answer.status, answer.body


def fetch_page(url: str, since: int, limit: int, timeout_s: float,
               cap: int) -> tuple[list[tuple[int, bytes]], int, str | None]:
    """One page of a peer's revocation log after ``since``: ``([(seq, container), ...], next, log id)``
    (the id None from a peer that names none); ``InvalidInput`` for an answer not in
    ``GET /ipvm/revocations``'s shape (entries in ``seq`` order, ``next`` past them and at most
    ``MAX_SEQ``, so the cursor it becomes can be kept)."""
    from ..sources import Deadline, exchange

    answer = exchange("GET", f"{url}/ipvm/revocations?since={since}&limit={limit}", what=f"peer executor {url}",
                      deadline=Deadline(timeout_s), read_timeout=timeout_s, cap=cap)
    if answer.status != 200:
        raise InvalidInput(f"peer executor {url} answered HTTP {answer.status} for its revocations",
                           hint="is it an autocodec serve with a writable home?")
    try:
        doc = json.loads(answer.body)
        entries = [(int(e["seq"]), base64.b64decode(e["container"], validate=True)) for e in doc["revocations"]]
        following = int(doc["next"])
        log_id = doc.get("log")
        if log_id is not None and not (isinstance(log_id, str) and 0 < len(log_id) <= 64):
            raise ValueError("its log id is not a short string")
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise InvalidInput(f"peer executor {url} sent a revocation log page not in the expected shape ({exc})",
                           hint="is it an autocodec serve of this version?") from None
    if (len(entries) > limit or any(seq <= since for seq, _ in entries) or following < since
            or following > MAX_SEQ or any(b <= a for (a, _), (b, _) in pairwise(entries))
            or (entries and following < entries[-1][0])):
        raise InvalidInput(f"peer executor {url} sent revocations outside the page it was asked for",
                           hint="its next page must start after every entry it sent")
    return entries, following, log_id


MAX_SEQ = 2**63 - 1
"""The largest ``seq`` a log holds (SQLite's INTEGER, where AUTOINCREMENT stops): a larger ``since``
or ``next`` names no entry and cannot be kept as a cursor."""

PAGE_BYTES = 1024 * 1024
"""Container bytes one page of the log carries at most (past it the page ends early; one entry always fits)."""


def page_cap(max_container_bytes: int) -> int:
    """The most bytes a page of ``GET /ipvm/revocations`` answers: ``PAGE_BYTES`` and one container
    more, in base64, and the JSON around them."""
    return (PAGE_BYTES + max_container_bytes) * 4 // 3 + 64 * 1024


def page_json(entries: list[tuple[int, bytes]], since: int, log_id: str | None = None) -> dict[str, Any]:
    """``GET /ipvm/revocations``'s answer: ``{"revocations": [{"seq", "container" (base64)}], "next"}``
    and ``"log"`` (the log's id) once it has one, ``entries`` cut once their containers pass ``PAGE_BYTES``."""
    size, kept = 0, 0
    for _, container in entries:
        if kept and size + len(container) > PAGE_BYTES:
            break
        size, kept = size + len(container), kept + 1
    entries = entries[:kept]
    page: dict[str, Any] = {"revocations": [{"seq": seq, "container": base64.b64encode(c).decode("ascii")}
                                            for seq, c in entries],
                            "next": entries[-1][0] if entries else since}
    if log_id is not None:
        page["log"] = log_id
    return page


class Gossip:
    """Passes this executor's new revocations to its ``peers`` and pulls theirs (see the module).

    ``accept(container, also)`` records one revocation with the checks of any client's post
    (``RemoteExecutor.accept_revocation``), running ``also(conn, own)`` in the recording
    transaction when it is new: the answer ``{"revoked", "revocation", "new"}`` and the
    revocation's own container; ``relay`` (``accept`` when not given) does the same for a
    revocation a peer relays (pushed or pulled: taken past its own ``exp``); ``take`` calls one.
    ``revlog`` keeps the log, the pushes not yet delivered and the peers' cursors (one database)."""

    def __init__(self, peers: tuple[str, ...], limits: GossipLimits, revlog: RevocationLog,
                 accept: Accept, *, max_page_bytes: int, relay: Accept | None = None) -> None:
        self.peers = peers
        self.limits = limits
        self.log = revlog
        self._accept = accept
        self._relay = accept if relay is None else relay
        self._max_page_bytes = max_page_bytes
        self._stop = threading.Event()
        self._pushers = [_PeerPusher(url, limits, self._stop, revlog.delivered) for url in peers]
        self._cursors: dict[str, tuple[str | None, int]] = {}
        self._puller = threading.Thread(target=self._pull_loop, name="autocodec-gossip-pull", daemon=True)

    def start(self) -> None:
        """Queue again the pushes the home kept, start the push threads and the puller (nothing
        when no peer is named). A home that cannot be read is logged; the threads still start."""
        if not self.peers:
            return
        try:
            self.log.keep_peers(self.peers)
            for pusher in self._pushers:
                for seq, container in self.log.pending(pusher.url):
                    pusher.offer(container, f"log seq {seq}", seq)
        except AutocodecError as exc:
            log.error("gossip.restore_failed", error=type(exc).__name__, detail=exc.message[:200])
        for pusher in self._pushers:
            pusher.start()
        self._puller.start()

    def stop(self, timeout_s: float = 5.0) -> None:
        """Stop every thread (a request in flight runs out its ``timeout_s``; threads are daemons).
        Pushes not yet delivered stay in the home for the next start."""
        self._stop.set()
        for pusher in self._pushers:
            pusher.wake()
        deadline = time.monotonic() + timeout_s
        for pusher in self._pushers:
            pusher.join(max(0.0, deadline - time.monotonic()))
        if self._puller.is_alive():
            self._puller.join(max(0.0, deadline - time.monotonic()))

    def take(self, container: bytes, *, relayed: bool = False) -> dict[str, Any]:
        """Record a revocation from anyone (a client's post, or ``relayed``: a peer's push or log);
        when new, log it and keep its pushes in the same transaction, then queue them; the answer
        of ``accept`` (``relay`` when ``relayed``)."""
        logged: list[int] = []

        def log_it(conn: sqlite3.Connection, own: bytes) -> None:
            logged.append(self.log.append_in(conn, own, self.peers))

        answer, own = (self._relay if relayed else self._accept)(container, log_it)
        if answer["new"] and logged:
            for pusher in self._pushers:
                pusher.offer(own, str(answer["revocation"]), logged[0])
        return answer

    def _pull_loop(self) -> None:
        while not self._stop.is_set():
            for url in self.peers:
                if self._stop.is_set():
                    return
                try:
                    self.pull(url)
                except Exception as exc:  # noqa: BLE001 - one bad round must not end the pulls; logged
                    log.error("gossip.pull_failed", peer=url, error=type(exc).__name__, detail=str(exc)[:200])
            self._stop.wait(self.limits.pull_interval_s)

    def pull(self, url: str) -> int:
        """Read ``url``'s log after this executor's cursor, page by page, taking each revocation
        (checked as a relayed push is), and keep the cursor in the home after each page; the number new
        here. A failure is logged and ends this round, as do ``max_log`` entries read (a peer's
        log holds no more: one serving pages without end cannot keep this thread in one round)."""
        if url not in self._cursors:
            self._cursors[url] = self.log.cursor(url)
        taken, read = 0, 0
        while not self._stop.is_set() and read < self.limits.max_log:
            known, since = self._cursors[url]
            try:
                entries, following, log_id = fetch_page(url, since, self.limits.page, self.limits.timeout_s,
                                                         self._max_page_bytes)
            except AutocodecError as exc:
                log.warning("gossip.pull_failed", peer=url, error=type(exc).__name__, detail=exc.message[:200])
                break
            if log_id != known and since:  # another log at this URL: read it from its start
                log.warning("gossip.log_changed", peer=url, was=known, now=log_id, cursor=since,
                            detail="the peer's revocation log is not the one read before: reading it from 0")
                self._keep(url, log_id, 0)
                continue
            read += len(entries)
            for seq, container in entries:
                try:
                    taken += self._take_pulled(url, seq, container)
                except _NOT_YET as exc:  # not recorded here, for now: read again next round
                    log.error("gossip.pull_failed", peer=url, seq=seq, error=type(exc).__name__,
                              detail=exc.message[:200])
                    self._keep(url, log_id, since)
                    return taken
                since = seq
            self._keep(url, log_id, following)
            if not entries:
                break
        if taken:
            log.info("gossip.pulled", peer=url, new=taken, cursor=self._cursors[url][1])
        return taken

    def _keep(self, url: str, log_id: str | None, seq: int) -> None:
        """Move ``url``'s cursor (in the home first: a cursor the home lost is read again, never skipped)."""
        if self._cursors.get(url) != (log_id, seq):
            self.log.set_cursor(url, log_id, seq)
            self._cursors[url] = (log_id, seq)

    def _take_pulled(self, url: str, seq: int, container: bytes) -> int:
        try:
            return int(bool(self.take(container, relayed=True)["new"]))
        except _NOT_YET:
            raise
        except AutocodecError as exc:  # checked as any client's post: a refusal is the peer's problem
            log.warning("gossip.pull_refused", peer=url, seq=seq, error=type(exc).__name__,
                        detail=exc.message[:200])
            return 0
