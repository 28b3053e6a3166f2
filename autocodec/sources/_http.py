"""One bounded HTTP exchange for the network sources (node RPC, trustless gateways).

Invariants:
- ``exchange`` never outlives its ``Deadline``: a watchdog shuts the socket down when the
  deadline passes, so neither a slow connect, a trickle of header bytes nor a body sent one
  byte every few seconds can hold the caller longer than the deadline (plus scheduling noise);
- no single socket operation waits longer than ``read_timeout`` (a silent peer is noticed
  early, before the whole deadline is spent);
- a body is read only up to ``cap`` bytes (a declared ``Content-Length`` over the cap is refused
  before reading); an error body is read only up to ``ERROR_BODY_CAP`` bytes;
- a body shorter than its declared ``Content-Length`` (the peer closed mid-answer) is never
  returned as complete: it is ``SourceUnavailable`` and retried, never a short block or CAR;
- bodies are asked for and accepted only as sent (``Accept-Encoding: identity``): an answer with
  a ``Content-Encoding`` or a ``Transfer-Encoding`` other than chunked is refused
  (``FetchError``), never decompressed, so no compression bomb is ever inflated;
- the host name is looked up (``getaddrinfo``, the system's resolver) in a thread of its own
  that the caller waits for only until the deadline: a resolver that does not answer is a
  ``FetchTimeout`` by the deadline, not after the resolver's own timeouts (glibc: 5 s per try
  and server); the connection then goes to the addresses found, without a second lookup. At
  most ``MAX_LOOKUPS`` lookups run at once (a thread left waiting on a silent resolver ends when
  the resolver gives up); one more waits for a free one, within its deadline;
- an exchange made inside ``cancellable(cancel)`` ends soon after ``cancel.cancel()`` is called
  from any thread (its socket is shut down from that thread, a lookup is no longer waited for)
  with ``FetchCancelled``; one started after it fails at once. That is how a refresh in flight
  is stopped when its runtime closes or its server stops;
- informational answers (1xx but 101, e.g. 103 Early Hints) before the final one are skipped,
  as RFC 9110 section 15.2 asks of every client and Go's net/http (Kubo's) does; Python's
  ``http.client`` alone skips only 100 and took a 103 for the answer. At most
  ``MAX_INFORMATIONAL`` of them (100 counted too): one more is ``SourceUnavailable``, not a
  wait for the deadline (Go bounds them by its header byte limit instead);
- the trailer fields of a chunked answer (RFC 9112 section 7.1.2) are kept in ``Answer.trailers``
  (at most ``MAX_TRAILERS`` lines; one more is ``SourceUnavailable``): Kubo's RPC sends a 200
  whose ``X-Stream-Error`` trailer says the body stopped short, which ``http.client`` alone drops;
- failures are typed: ``FetchTimeout`` (deadline or read timeout), ``SourceUnavailable``
  (cannot connect, connection dropped, an answer that is not HTTP), ``FetchTooLarge``,
  ``FetchError`` (an encoded body); their messages never echo the peer's bytes except a
  printable, short status line or error text.
"""

from __future__ import annotations

import contextlib
import contextvars
import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pragma: no cover
    import http.client

from .._goint import parse_int64
from .._inputs import need_seconds, need_text
from ..errors import (FetchCancelled, FetchError, FetchTimeout, FetchTooLarge, InvalidInput, NetworkOffline,
                      SourceUnavailable)

ERROR_BODY_CAP = 64 * 1024
MAX_LOOKUPS = 32
MAX_INFORMATIONAL = 32
MAX_TRAILERS = 64
_CHUNK = 64 * 1024
_LOOKUPS = threading.BoundedSemaphore(MAX_LOOKUPS)
_Address = tuple[socket.AddressFamily, socket.SocketKind, int, str, Any]  # getaddrinfo's: family, type, proto, name, address


class Deadline:
    """A point in monotonic time by which a whole operation (all attempts, every byte) ends."""

    def __init__(self, seconds: float) -> None:
        """``seconds`` from now (0 or less: already over; a str or NaN, ``InvalidInput``)."""
        self.seconds = need_seconds(seconds, "a fetch deadline")
        self.end = time.monotonic() + self.seconds

    def remaining(self) -> float:
        return max(0.0, self.end - time.monotonic())

    def expired(self) -> bool:
        return time.monotonic() >= self.end


class Cancel:
    """A stop signal for every fetch made inside ``cancellable(self)``, given from any thread.

    ``cancel()`` is final: it runs the hooks of the exchanges in flight (each shuts its socket
    down), and from then on ``check`` raises ``FetchCancelled`` and ``wait`` returns at once."""

    def __init__(self, reason: str = "the operation was stopped") -> None:
        self.reason = need_text(reason, "Cancel's reason")
        self._event = threading.Event()
        self._lock = threading.Lock()
        self._hooks: dict[int, Callable[[], None]] = {}
        self._next = 0

    def cancel(self) -> None:
        with self._lock:
            self._event.set()
            hooks = list(self._hooks.values())
        for hook in hooks:
            hook()

    def is_set(self) -> bool:
        return self._event.is_set()

    def wait(self, seconds: float) -> bool:
        """Sleep up to ``seconds``; True (at once) when cancelled."""
        return self._event.wait(max(0.0, seconds))

    def check(self, what: str) -> None:
        if self._event.is_set():
            raise FetchCancelled(f"{what}: {self.reason}")

    @contextmanager
    def hook(self, fn: Callable[[], None]) -> Iterator[None]:
        """Run ``fn`` at ``cancel()`` while the block runs (at once if already cancelled)."""
        with self._lock:
            key, self._next = self._next, self._next + 1
            self._hooks[key] = fn
            already = self._event.is_set()
        if already:
            fn()
        try:
            yield
        finally:
            with self._lock:
                self._hooks.pop(key, None)


_CANCEL: contextvars.ContextVar[Cancel | None] = contextvars.ContextVar("autocodec_fetch_cancel", default=None)


@contextmanager
def cancellable(cancel: Cancel) -> Iterator[Cancel]:
    """Make every fetch inside the block (this thread or task) end when ``cancel`` is cancelled."""
    token = _CANCEL.set(_need_cancel(cancel, "cancellable"))
    try:
        yield cancel
    finally:
        _CANCEL.reset(token)


def obey(cancel: Cancel) -> None:
    """Make every later fetch of the calling thread obey ``cancel`` (a worker pool's initializer:
    the thread's own context keeps it for the thread's life)."""
    _CANCEL.set(_need_cancel(cancel, "obey"))


def _need_cancel(cancel: Cancel, what: str) -> Cancel:
    """``cancel`` when it is a ``Cancel``; else ``InvalidInput``: every later fetch under it
    would be an ``AttributeError`` (for ``obey``, for the thread's whole life)."""
    if not isinstance(cancel, Cancel):
        raise InvalidInput(f"{what} needs a Cancel, not {type(cancel).__name__}")
    return cancel


def current_cancel() -> Cancel | None:
    """The ``Cancel`` the fetches made here obey (None outside ``cancellable``)."""
    return _CANCEL.get()


@dataclass(frozen=True, slots=True)
class Answer:
    """A complete HTTP answer: status, lower-cased headers, the (capped) body and the trailer
    fields sent after a chunked body (lower-cased names; printable values)."""

    status: int
    headers: dict[str, str]
    body: bytes
    trailers: dict[str, str] = field(default_factory=dict)

    @property
    def content_type(self) -> str:
        """The media type without parameters, lower-cased ('' when absent)."""
        return self.headers.get("content-type", "").split(";")[0].strip().lower()


def exchange(method: str, url: str, *, what: str, deadline: Deadline, read_timeout: float, cap: int,
             headers: dict[str, str] | None = None, body: bytes | None = None) -> Answer:
    """Send one request and read the whole answer within ``deadline`` (see the module invariants)."""
    import http.client  # here, not at import: commands that never fetch skip the HTTP stack (start-up)
    from urllib.parse import urlsplit

    need_text(method, "exchange's method")
    if not isinstance(deadline, Deadline):
        raise InvalidInput(f"exchange's deadline needs a Deadline, not {type(deadline).__name__}")
    parts = urlsplit(need_text(url, "exchange's url"))
    if parts.hostname is None:
        raise SourceUnavailable(f"{what}: not a URL: {url!r}")
    target = parts.path or "/"
    if parts.query:
        target += "?" + parts.query
    cancel = _CANCEL.get()
    if cancel is not None:
        cancel.check(what)
    if deadline.expired():
        raise FetchTimeout(f"{what}: no complete answer within {deadline.seconds:g} s")
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError as exc:  # a port out of range
        raise SourceUnavailable(f"{what}: {_reason(exc)}") from None
    addresses = resolve(parts.hostname, port, what=what, deadline=deadline)
    first = max(0.01, min(read_timeout, deadline.remaining()))
    conn_cls = http.client.HTTPSConnection if parts.scheme == "https" else http.client.HTTPConnection
    conn = conn_cls(parts.hostname, port, timeout=first)
    conn.response_class = _final_response_class()
    # http.client's own hook for making the socket: connect to the addresses found, no second lookup
    setattr(conn, "_create_connection",  # noqa: B010 (not in http.client's type stubs)
            lambda _address, timeout, _source=None: _connect(addresses, timeout, deadline))
    fired = threading.Event()

    def kill() -> None:
        fired.set()
        sock = conn.sock
        if sock is not None:
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    watchdog = threading.Timer(deadline.remaining(), kill)
    watchdog.daemon = True
    watchdog.start()
    try:
        with cancel.hook(kill) if cancel is not None else contextlib.nullcontext():
            answer = _answer(conn, method, target, body, headers, what=what, deadline=deadline,
                             read_timeout=read_timeout, cap=cap, fired=fired)
        if cancel is not None:
            cancel.check(what)  # a socket shut mid-body can look like its end: never returned as complete
        return answer
    except FetchError:
        if cancel is not None:
            cancel.check(what)  # the socket was shut from the stopping thread: say so, not "timeout"
        raise
    finally:
        watchdog.cancel()
        conn.close()


def _answer(conn: http.client.HTTPConnection, method: str, target: str, body: bytes | None,
            headers: dict[str, str] | None, *, what: str, deadline: Deadline, read_timeout: float, cap: int,
            fired: threading.Event) -> Answer:
    """The exchange on ``conn`` proper (``exchange`` owns the watchdog, the cancel hook and closing)."""
    import http.client

    try:
        conn.request(method, target, body=body, headers={"Accept-Encoding": "identity", **(headers or {})})
        if fired.is_set():  # the watchdog or a cancel came while connecting, before there was a socket to shut
            raise FetchTimeout(f"{what}: no complete answer within {deadline.seconds:g} s")
        _tighten(conn, read_timeout, deadline)
        resp = conn.getresponse()
        answer_headers = {k.lower(): v for k, v in resp.getheaders()}
        limit = cap if 200 <= resp.status < 300 else ERROR_BODY_CAP
        coding = _coding(answer_headers)
        if coding and limit == cap:
            raise FetchError(f"{what}: the answer is sent {coding}, though only an unencoded body was "
                             "accepted (Accept-Encoding: identity); it was not read",
                             hint="use another source, or turn compression off for this path on that server")
        declared = answer_headers.get("content-length", "")
        if limit == cap and _declared_over(declared, cap):
            said = declared if len(declared) <= 20 else f"a number of {len(declared)} digits of"
            raise FetchTooLarge(f"{what}: the answer declares {said} bytes, over the {cap}-byte limit")
        out = bytearray()
        while True:
            _tighten(conn, read_timeout, deadline)
            chunk = resp.read1(_CHUNK) if hasattr(resp, "read1") else resp.read(_CHUNK)
            if not chunk:
                break
            out += chunk
            if len(out) > limit:
                if limit == cap:
                    raise FetchTooLarge(f"{what}: the answer is over the {cap}-byte limit")
                del out[limit:]
                break
        if fired.is_set():
            raise FetchTimeout(f"{what}: no complete answer within {deadline.seconds:g} s")
        missing = resp.length if len(out) < limit and not resp.chunked else None
        if missing:  # http.client's read1 returns b"" at an early close instead of raising
            raise SourceUnavailable(f"{what}: the connection was closed mid-answer ({len(out)} of "
                                    f"{len(out) + missing} declared bytes)")
        if coding:
            out.clear()  # an error body in a coding we did not ask for: not text we can show
        return Answer(resp.status, answer_headers, bytes(out), dict(getattr(resp, "trailers", {})))
    except (socket.timeout, TimeoutError):
        if fired.is_set() or deadline.expired():
            raise FetchTimeout(f"{what}: no complete answer within {deadline.seconds:g} s") from None
        raise FetchTimeout(f"{what}: silent for {read_timeout:g} s") from None
    except (http.client.HTTPException, OSError, ValueError) as exc:  # ValueError: http.client.InvalidURL
        if fired.is_set():
            raise FetchTimeout(f"{what}: no complete answer within {deadline.seconds:g} s") from None
        raise SourceUnavailable(f"{what}: {_reason(exc)}") from None


_FINAL: Any = None


def _final_response_class() -> Any:
    """``http.client.HTTPResponse`` that reads past informational answers (see the module
    invariants), made on first use (``http.client`` is imported only by commands that fetch)."""
    global _FINAL
    if _FINAL is None:
        import http.client

        class FinalResponse(http.client.HTTPResponse):
            informational = 0
            trailers: dict[str, str]

            def _read_and_discard_trailer(self) -> None:
                """Keep the trailer fields (``http.client`` reads and drops them); a peer that
                closes without the final empty line ends them, as ``http.client`` allows."""
                self.trailers = {}
                for _ in range(MAX_TRAILERS + 1):
                    line = self.fp.readline(65537)
                    if len(line) > 65536:
                        raise http.client.LineTooLong("trailer line")
                    if line in (b"\r\n", b"\n", b""):
                        return
                    name, sep, value = line.decode("latin-1").partition(":")
                    if sep and name.strip():
                        self.trailers[name.strip().lower()] = printable(value.strip(), 300)
                raise http.client.HTTPException(f"it sent more than {MAX_TRAILERS} trailer lines after its answer")

            def _read_status(self) -> tuple[str, int, str]:
                while True:
                    version, status, reason = super()._read_status()  # type: ignore[misc]
                    if not 100 <= status < 200 or status == 101:
                        return version, status, reason
                    self.informational += 1
                    if self.informational > MAX_INFORMATIONAL:
                        raise http.client.HTTPException(f"it sent more than {MAX_INFORMATIONAL} informational "
                                                        "(1xx) answers before its answer")
                    if status == 100:  # ``begin`` skips its header lines itself
                        return version, status, reason
                    http.client._read_headers(self.fp)  # type: ignore[attr-defined]

        _FINAL = FinalResponse
    return _FINAL


_OFFLINE = threading.Event()
"""Set by ``go_offline``: from then on this process makes no connection and no lookup."""


def go_offline() -> None:
    """Put this process offline for good: every later connection or host lookup (a node, a
    gateway, a DNS resolver: each goes through ``resolve``) is ``NetworkOffline`` before any
    socket is made. Runtimes made afterwards build no network source (``Runtime``'s ``offline``)."""
    _OFFLINE.set()


def is_offline() -> bool:
    """Whether ``go_offline`` was called in this process."""
    return _OFFLINE.is_set()


def _need_online(what: str) -> None:
    if _OFFLINE.is_set():
        raise NetworkOffline(f"offline: {what} was not asked (only the home's store and its kept records answer)")


def resolve(host: str, port: int, *, what: str, deadline: Deadline) -> list[_Address]:
    """The TCP addresses of ``host`` (the system's resolver), or a typed failure by ``deadline``.

    An IP address is read at once. A name is looked up in a daemon thread, waited for until the
    deadline: ``FetchTimeout`` then (the thread ends when the resolver gives up, its answer
    unused), ``SourceUnavailable`` for a name the resolver cannot find. At most ``MAX_LOOKUPS``
    run at once; another waits for one to end, within its deadline.
    """
    _need_online(what)
    try:
        return list(socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_NUMERICHOST))
    except (socket.gaierror, UnicodeError):
        pass  # not an IP address: a name to look up
    late = FetchTimeout(f"{what}: the host name {printable(host, 100)!r} was not resolved within "
                        f"{deadline.seconds:g} s",
                        hint="check the system's DNS resolver (/etc/resolv.conf), or give the source by IP address")
    if not _LOOKUPS.acquire(timeout=deadline.remaining()):
        raise late
    done = threading.Event()
    found: list[_Address] = []
    failed: list[OSError] = []

    def lookup() -> None:
        try:
            found.extend(socket.getaddrinfo(host, port, type=socket.SOCK_STREAM))
        except OSError as exc:
            failed.append(exc)
        except UnicodeError:  # a name IDNA cannot encode
            failed.append(socket.gaierror(socket.EAI_NONAME, "unknown host"))
        finally:
            _LOOKUPS.release()
            done.set()

    try:
        threading.Thread(target=lookup, name="autocodec-lookup", daemon=True).start()
    except BaseException:
        _LOOKUPS.release()
        raise
    cancel = _CANCEL.get()
    while not done.wait(min(0.1, deadline.remaining()) if cancel is not None else deadline.remaining()):
        if cancel is not None:
            cancel.check(what)
        if deadline.expired():
            raise late
    if failed or not found:
        raise SourceUnavailable(f"{what}: {_reason(failed[0]) if failed else 'unknown host'}")
    return found


def _connect(addresses: list[_Address], timeout: float, deadline: Deadline) -> socket.socket:
    """A TCP connection to the first of ``addresses`` that accepts, each try waiting at most
    ``timeout`` and never past the deadline (as ``socket.create_connection``, without its lookup)."""
    last: OSError = OSError("no address to connect to")
    for family, kind, proto, _name, address in addresses:
        if deadline.expired():
            raise TimeoutError("the deadline passed while connecting")
        sock = socket.socket(family, kind, proto)
        try:
            sock.settimeout(max(0.01, min(timeout, deadline.remaining())))
            sock.connect(address)
            return sock
        except OSError as exc:
            sock.close()
            last = exc
    raise last


def _tighten(conn: http.client.HTTPConnection, read_timeout: float, deadline: Deadline) -> None:
    """The next socket operation waits at most ``read_timeout`` and never past the deadline."""
    if conn.sock is not None:
        conn.sock.settimeout(max(0.01, min(read_timeout, deadline.remaining())))


def _coding(headers: dict[str, str]) -> str:
    """The content or transfer coding of an answer that is not plain bytes ('' when plain)."""
    content = headers.get("content-encoding", "").strip().lower()
    if content and content != "identity":
        return f"with Content-Encoding: {printable(content)}"
    transfer = headers.get("transfer-encoding", "").strip().lower()
    if transfer and transfer != "chunked":  # http.client decodes chunked alone and only when it is all
        return f"with Transfer-Encoding: {printable(transfer)}"
    return ""


def printable(text: str, limit: int = 60) -> str:
    """Peer text fit for a one-line message: printable characters only, at most ``limit``."""
    return "".join(ch for ch in text if ch.isprintable())[:limit]


def _reason(exc: BaseException) -> str:
    """A short, one-line reason (no library class names or reprs)."""
    import http.client
    import ssl

    if isinstance(exc, ConnectionRefusedError):
        return "connection refused"
    if isinstance(exc, socket.gaierror):
        return "unknown host"
    if isinstance(exc, (ConnectionResetError, http.client.RemoteDisconnected, http.client.IncompleteRead)):
        return "the connection was closed mid-answer"
    if isinstance(exc, ssl.SSLCertVerificationError):
        return f"its TLS certificate does not verify ({exc.verify_message})"
    if isinstance(exc, ssl.SSLError):  # str() is OpenSSL's '[SSL: X] x (_ssl.c:N)'
        reason = str(exc.reason or "error").lower().replace("_", " ")
        return f"the TLS handshake failed ({reason}): is it an https server?"
    if isinstance(exc, (http.client.BadStatusLine, http.client.LineTooLong)):
        # the exception's text is the peer's own bytes: not repeated to the user
        return "it answered something that is not HTTP (is it the right address, and http or https as it expects?)"
    text = getattr(exc, "strerror", None) or str(exc) or type(exc).__name__
    return " ".join(str(text).split())[:200]


def _declared_over(declared: str, cap: int) -> bool:
    """Whether a ``Content-Length`` of ASCII digits says more than ``cap`` bytes (leading zeros
    allowed, as Go's client reads it; a number past int64 is more than any cap, read without an
    ``int()`` of its thousands of digits). Other texts say nothing here: the body is counted."""
    if not (declared.isascii() and declared.isdigit()):
        return False
    value = parse_int64(declared)
    return value is None or value > cap
