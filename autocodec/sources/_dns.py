"""DNS TXT lookups (for DNSLink): DNS over HTTPS (RFC 8484) and plain DNS (RFC 1035, UDP then TCP).

A resolver is chosen per domain as Kubo's ``DNS.Resolvers`` chooses it: the map's keys are
FQDNs ("example.com.", "eth.") matched against the queried name and then each of its parent
domains, most specific first; "." is the default. Values: an ``https://`` or ``http://`` URL
(DoH, POST ``application/dns-message``), ``dns://HOST[:PORT]`` (plain DNS to that server, an
extension of ours: Kubo only takes DoH URLs), or "" (the system's servers, from
``/etc/resolv.conf``). Kubo's built-in default, ``eth.`` through ``https://dns.eth.limo/dns-query``,
applies unless the map names ``eth.``.

Invariants:
- Every answer is parsed with bounds checks (compression pointers only backwards, at most 64 of
  them per name; every length inside the message): a malformed or mismatched answer (wrong id,
  not a response, another question) is a ``DnsError``, never an exception of another kind.
- One lookup never outlives its ``FetchLimits`` deadline (each attempt bounded by the time left),
  and every way it fails (no answer, a broken one, a server failure) is a ``DnsError``.
- Text is returned as Kubo returns it: through DoH each character-string of a TXT record is an
  entry of its own (go-doh-resolver); through plain DNS a record's strings are joined (Go's
  ``net.LookupTXT``, which Kubo uses for the system's resolver).
- A name that does not exist, or has no TXT record, is an empty answer, not an error.
"""

from __future__ import annotations

import secrets
import socket
import struct
from collections.abc import Mapping
from dataclasses import dataclass

from ..config import FetchLimits
from ..errors import DnsError, FetchError
from ._http import Deadline, _need_online, exchange, resolve

DEFAULT_RESOLVERS: Mapping[str, str] = {"eth.": "https://dns.eth.limo/dns-query"}  # Kubo's gateway.defaultResolvers
"""Resolvers every map includes unless it names the same domain (Kubo's rule)."""

DNS_MESSAGE = "application/dns-message"
TXT, CLASS_IN = 16, 1
_RCODE_NXDOMAIN = 3
_MAX_ANSWER = 65535  # a DNS message's own bound (TCP length prefix)
_HEADER = struct.Struct("!HHHHHH")
_RR = struct.Struct("!HHIH")
_RESOLV_CONF = "/etc/resolv.conf"


@dataclass(frozen=True, slots=True)
class TxtAnswer:
    """A lookup's TXT values (see the module invariants for how strings are split) and the
    smallest TTL among their records (0 when there were none)."""

    values: tuple[str, ...]
    ttl_s: int


def is_domain_name(text: str) -> bool:
    """Whether ``text`` is a domain name as miekg/dns ``IsDomainName`` (which boxo asks) sees
    it: non-empty labels of at most 63 octets, at most 255 octets in wire form."""
    body = text[:-1] if text.endswith(".") else text
    if not body or "\\" in body:
        return False
    labels = body.split(".")
    if any(not label or len(label.encode("utf-8", "surrogateescape")) > 63 for label in labels):
        return False
    return sum(len(label.encode("utf-8", "surrogateescape")) + 1 for label in labels) + 1 <= 255


def resolver_for(name: str, resolvers: Mapping[str, str]) -> str:
    """The resolver URL for ``name`` ("" for the system's): the map entry of the FQDN itself or
    of its nearest parent, else ".", Kubo's defaults filling in what the map leaves out."""
    table = {**DEFAULT_RESOLVERS, **resolvers}
    fqdn = name if name.endswith(".") else name + "."
    while fqdn:
        if fqdn in table and fqdn != ".":
            return table[fqdn]
        _, _, fqdn = fqdn.partition(".")
    return table.get(".", "")


def lookup_txt(name: str, resolvers: Mapping[str, str], limits: FetchLimits) -> TxtAnswer:
    """The TXT values of ``name`` from the resolver the map chooses for it."""
    _need_online(f"a DNS resolver for {name}")  # not a resolver's failure: said as it is
    url = resolver_for(name, resolvers)
    deadline = Deadline(limits.deadline_s)
    query, ident = build_query(name)
    if url.startswith(("https://", "http://")):
        try:
            answer = exchange("POST", url, what=f"DNS over HTTPS {url}", deadline=deadline,
                              read_timeout=limits.timeout_s, cap=_MAX_ANSWER,
                              headers={"Content-Type": DNS_MESSAGE, "Accept": DNS_MESSAGE}, body=query)
        except FetchError as exc:  # unreachable, silent, too large: the lookup failed
            raise DnsError(exc.message) from None
        if answer.status != 200:
            raise DnsError(f"DNS over HTTPS {url} answered HTTP {answer.status} for {name}")
        if answer.content_type != DNS_MESSAGE:
            raise DnsError(f"DNS over HTTPS {url} answered {answer.content_type or 'no content type'}, "
                           f"not {DNS_MESSAGE}")
        return parse_txt_answer(answer.body, name, ident, split=True)
    if url.startswith("dns://"):
        servers = [_host_port(url[len("dns://"):].rstrip("/"), url)]
    elif url == "":
        servers = system_servers()
    else:
        raise DnsError(f"not a DNS resolver: {url!r}", hint="name an https:// (DoH) or dns://HOST[:PORT] resolver")
    failures: list[str] = []
    for server in servers:
        try:
            return parse_txt_answer(_plain_exchange(query, server, deadline, limits.timeout_s), name, ident,
                                    split=False)
        except FetchError as exc:
            failures.append(exc.message)
            if deadline.expired():
                break
    raise DnsError(f"no DNS server answered for {name}: {'; '.join(failures)[:400] or 'none configured'}")


def build_query(name: str) -> tuple[bytes, int]:
    """A recursive TXT query for ``name`` and its random id."""
    ident = secrets.randbelow(1 << 16)
    qname = b""
    for label in (name[:-1] if name.endswith(".") else name).split("."):
        raw = label.encode("utf-8", "surrogateescape")
        qname += bytes([len(raw)]) + raw
    return _HEADER.pack(ident, 0x0100, 1, 0, 0, 0) + qname + b"\x00" + struct.pack("!HH", TXT, CLASS_IN), ident


def parse_txt_answer(message: bytes, name: str, ident: int, *, split: bool) -> TxtAnswer:
    """The TXT records answering ``name`` in ``message`` (see the module invariants)."""
    if len(message) < _HEADER.size:
        raise DnsError(f"the DNS answer for {name} is {len(message)} bytes, shorter than a header")
    got_id, flags, qdcount, ancount, _, _ = _HEADER.unpack_from(message)
    if got_id != ident or not flags & 0x8000:
        raise DnsError(f"the DNS answer for {name} does not answer its query (id or QR bit)")
    rcode = flags & 0xF
    if rcode == _RCODE_NXDOMAIN:
        return TxtAnswer((), 0)
    if rcode != 0:
        raise DnsError(f"the DNS server failed the lookup of {name} (rcode {rcode})")
    pos = _HEADER.size
    want = (name[:-1] if name.endswith(".") else name).lower()
    for _ in range(qdcount):
        asked, pos = _read_name(message, pos)
        if asked.lower() != want:
            raise DnsError(f"the DNS answer for {name} is for another question ({asked[:100]!r})")
        pos += 4
    values: list[str] = []
    ttl: int | None = None
    for _ in range(ancount):
        _, pos = _read_name(message, pos)
        if pos + _RR.size > len(message):
            raise DnsError(f"the DNS answer for {name} ends inside a record")
        rtype, rclass, rttl, length = _RR.unpack_from(message, pos)
        pos += _RR.size
        rdata = message[pos:pos + length]
        if len(rdata) != length:
            raise DnsError(f"the DNS answer for {name} ends inside a record's data")
        pos += length
        if rtype != TXT or rclass != CLASS_IN:
            continue  # a CNAME chain's records, or others: Kubo keeps only TXT
        strings = _character_strings(rdata, name)
        values.extend(strings if split else ["".join(strings)])
        ttl = rttl if ttl is None else min(ttl, rttl)
    return TxtAnswer(tuple(values), ttl or 0)


def system_servers() -> list[tuple[str, int]]:
    """The name servers of ``/etc/resolv.conf`` (127.0.0.1 when it names none, as glibc does)."""
    servers: list[tuple[str, int]] = []
    try:
        with open(_RESOLV_CONF, encoding="utf-8", errors="replace") as conf:
            for line in conf:
                words = line.split()
                if len(words) >= 2 and words[0] == "nameserver":
                    servers.append((words[1].split("%")[0], 53))
    except OSError:
        pass
    return servers or [("127.0.0.1", 53)]


def _plain_exchange(query: bytes, server: tuple[str, int], deadline: Deadline, read_timeout: float) -> bytes:
    """One query to ``server`` over UDP, again over TCP when the answer is truncated (a server
    given by name is looked up first, within the same deadline)."""
    where = f"DNS server {server[0]}:{server[1]}"
    try:
        family, _kind, _proto, _name, address = resolve(server[0], server[1], what=where, deadline=deadline)[0]
    except FetchError as exc:
        raise DnsError(exc.message) from None
    try:
        with socket.socket(family, socket.SOCK_DGRAM) as udp:
            udp.settimeout(_left(deadline, read_timeout, where))
            udp.connect(address)
            udp.send(query)
            while True:
                udp.settimeout(_left(deadline, read_timeout, where))
                message = udp.recv(_MAX_ANSWER)
                if message[:2] == query[:2]:
                    break  # another datagram (a late answer to someone else) is ignored
        if len(message) >= 4 and message[2] & 0x02:  # TC: the answer did not fit a datagram
            with socket.socket(family, socket.SOCK_STREAM) as tcp:
                tcp.settimeout(_left(deadline, read_timeout, where))
                tcp.connect(address)
                tcp.sendall(struct.pack("!H", len(query)) + query)
                size = struct.unpack("!H", _recv_exact(tcp, 2, deadline, read_timeout, where))[0]
                message = _recv_exact(tcp, size, deadline, read_timeout, where)
    except TimeoutError:
        raise DnsError(f"{where} did not answer in time") from None
    except OSError as exc:
        raise DnsError(f"{where}: {exc.strerror or exc}") from None
    return message


def _recv_exact(sock: socket.socket, size: int, deadline: Deadline, read_timeout: float, where: str) -> bytes:
    got = bytearray()
    while len(got) < size:
        sock.settimeout(_left(deadline, read_timeout, where))
        piece = sock.recv(size - len(got))
        if not piece:
            raise DnsError(f"{where} closed the connection inside an answer")
        got += piece
    return bytes(got)


def _left(deadline: Deadline, read_timeout: float, where: str) -> float:
    left = deadline.remaining()
    if left <= 0:
        raise DnsError(f"{where} did not answer within {deadline.seconds:g} s")
    return max(0.01, min(read_timeout, left))


def _read_name(message: bytes, pos: int) -> tuple[str, int]:
    """The (possibly compressed) name at ``pos`` and the position after it."""
    labels: list[str] = []
    end: int | None = None
    for _ in range(128):
        if pos >= len(message):
            raise DnsError("a DNS answer ends inside a name")
        size = message[pos]
        if size == 0:
            return ".".join(labels), end if end is not None else pos + 1
        if size & 0xC0 == 0xC0:
            if pos + 1 >= len(message):
                raise DnsError("a DNS answer ends inside a name")
            target = ((size & 0x3F) << 8) | message[pos + 1]
            if target >= pos:
                raise DnsError("a DNS answer's name points forwards (a loop)")
            if end is None:
                end = pos + 2
            pos = target
            continue
        if size & 0xC0:
            raise DnsError("a DNS answer uses an unknown label type")
        label = message[pos + 1:pos + 1 + size]
        if len(label) != size:
            raise DnsError("a DNS answer ends inside a name")
        labels.append(label.decode("utf-8", "surrogateescape"))
        pos += 1 + size
    raise DnsError("a DNS answer's name has too many labels")


def _character_strings(rdata: bytes, name: str) -> list[str]:
    strings: list[str] = []
    pos = 0
    while pos < len(rdata):
        size = rdata[pos]
        piece = rdata[pos + 1:pos + 1 + size]
        if len(piece) != size:
            raise DnsError(f"a TXT record of {name} ends inside a string")
        strings.append(piece.decode("utf-8", "replace"))
        pos += 1 + size
    return strings


def _host_port(text: str, url: str) -> tuple[str, int]:
    host, port = text, 53
    if text.startswith("["):
        host, _, rest = text[1:].partition("]")
        if rest.startswith(":"):
            port = _port(rest[1:], url)
    elif text.count(":") == 1:
        host, _, digits = text.partition(":")
        port = _port(digits, url)
    if not host:
        raise DnsError(f"not a DNS resolver: {url!r}", hint="write dns://HOST[:PORT]")
    return host, port


def _port(digits: str, url: str) -> int:
    if not (digits.isascii() and digits.isdigit() and len(digits) <= 5) or not 0 < int(digits) < 65536:
        raise DnsError(f"not a DNS resolver: {url!r} (port)", hint="write dns://HOST[:PORT]")
    return int(digits)


__all__ = ["DEFAULT_RESOLVERS", "TxtAnswer", "is_domain_name", "lookup_txt", "resolver_for", "system_servers"]
