"""DNS servers on loopback for DNSLink tests, built on dnspython (an implementation independent
of ``autocodec.sources._dns``): one zone of TXT records answered over DNS over HTTPS (RFC 8484,
POST and GET, as Kubo's go-doh-resolver asks) and over plain DNS (UDP, TCP when truncated).

A zone maps a name (no trailing dot) to its TXT records, each a tuple of character-strings;
a name not in the zone is NXDOMAIN. ``addresses`` maps a name to the IPv4 address its A
record gives (for host-name lookups through the system's resolver). ``ttl`` is every record's
TTL. ``mode`` makes the DoH server hostile: "garbage" (bytes that are no DNS message),
"wrong-type" (a JSON content type), "wrong-id" (an answer to another query), "servfail",
"slow" (no answer for 30 s; the plain DNS server then never answers).
"""

from __future__ import annotations

import base64
import http.server
import socket
import threading
import time
import urllib.parse
from collections.abc import Iterator
from contextlib import contextmanager

import dns.flags
import dns.message
import dns.rcode
import dns.rdata
import dns.rdataclass
import dns.rdatatype
import dns.rrset

Zone = dict[str, list[tuple[str, ...]]]


class DnsZone:
    """The records both servers answer from (changed in place by tests)."""

    def __init__(self, records: Zone | None = None, ttl: int = 300, addresses: dict[str, str] | None = None) -> None:
        self.records: Zone = dict(records or {})
        self.addresses: dict[str, str] = dict(addresses or {})
        self.ttl = ttl
        self.mode = ""
        self.queries: list[str] = []

    def answer(self, wire: bytes) -> bytes:
        query = dns.message.from_wire(wire)
        response = dns.message.make_response(query)
        question = query.question[0]
        name = question.name.to_text(omit_final_dot=True).lower()  # DNS names match without case
        self.queries.append(name)
        if self.mode == "servfail":
            response.set_rcode(dns.rcode.SERVFAIL)
        elif name in self.addresses:
            if question.rdtype == dns.rdatatype.A:
                rrset = dns.rrset.RRset(question.name, dns.rdataclass.IN, dns.rdatatype.A)
                rrset.add(dns.rdata.from_text(dns.rdataclass.IN, dns.rdatatype.A, self.addresses[name]), self.ttl)
                response.answer.append(rrset)
        elif name not in self.records:
            response.set_rcode(dns.rcode.NXDOMAIN)
        elif question.rdtype == dns.rdatatype.TXT:
            rrset = dns.rrset.RRset(question.name, dns.rdataclass.IN, dns.rdatatype.TXT)
            for strings in self.records[name]:
                text = " ".join('"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"' for s in strings)
                rrset.add(dns.rdata.from_text(dns.rdataclass.IN, dns.rdatatype.TXT, text), self.ttl)
            response.answer.append(rrset)
        out = response.to_wire()
        if self.mode == "wrong-id":
            out = bytes([out[0] ^ 0xFF]) + out[1:]
        return out


class _DohHandler(http.server.BaseHTTPRequestHandler):
    zone: DnsZone

    def do_POST(self) -> None:  # noqa: N802
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        self._reply(body)

    def do_GET(self) -> None:  # noqa: N802
        query = urllib.parse.parse_qs(urllib.parse.urlsplit(self.path).query).get("dns", [""])[0]
        self._reply(base64.urlsafe_b64decode(query + "=" * (-len(query) % 4)))

    def _reply(self, wire: bytes) -> None:
        mode = self.zone.mode
        if mode == "slow":
            time.sleep(30)
        out = b"\x00\x01garbage" if mode == "garbage" else self.zone.answer(wire)
        self.send_response(200)
        self.send_header("Content-Type", "application/json" if mode == "wrong-type" else "application/dns-message")
        self.send_header("Content-Length", str(len(out)))
        self.end_headers()
        self.wfile.write(out)

    def log_message(self, *args: object) -> None:
        pass


@contextmanager
def doh_server(zone: DnsZone) -> Iterator[str]:
    """A DoH server for ``zone``; yields its URL (``http://127.0.0.1:PORT/dns-query``)."""
    handler = type("Handler", (_DohHandler,), {"zone": zone})
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/dns-query"
    finally:
        server.shutdown()
        server.server_close()


@contextmanager
def plain_dns_server(zone: DnsZone, port: int = 0) -> Iterator[str]:
    """A plain DNS server for ``zone`` on one loopback port (``port``, or any free one), UDP and
    TCP; yields ``dns://127.0.0.1:PORT``. A UDP answer over 512 bytes is sent truncated (TC), as
    a server must, so the client asks again over TCP."""
    tcp = socket.socket()
    tcp.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    tcp.bind(("127.0.0.1", port))
    port = tcp.getsockname()[1]
    tcp.listen(8)
    udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    udp.bind(("127.0.0.1", port))
    stop = threading.Event()
    held: list[socket.socket] = []  # TCP connections a "slow" zone never answers

    def serve_udp() -> None:
        udp.settimeout(0.2)
        while not stop.is_set():
            try:
                wire, peer = udp.recvfrom(4096)
            except TimeoutError:
                continue
            except OSError:
                return
            if zone.mode == "slow":
                zone.queries.append("(unanswered)")
                continue
            out = zone.answer(wire)
            if len(out) > 512:
                small = dns.message.make_response(dns.message.from_wire(wire))
                small.flags |= dns.flags.TC
                out = small.to_wire()
            udp.sendto(out, peer)

    def serve_tcp() -> None:
        tcp.settimeout(0.2)
        while not stop.is_set():
            try:
                conn, _ = tcp.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            if zone.mode == "slow":
                held.append(conn)
                continue
            with conn:
                size = int.from_bytes(conn.recv(2), "big")
                wire = b""
                while len(wire) < size:
                    wire += conn.recv(size - len(wire))
                out = zone.answer(wire)
                conn.sendall(len(out).to_bytes(2, "big") + out)

    threads = [threading.Thread(target=f, daemon=True) for f in (serve_udp, serve_tcp)]
    for t in threads:
        t.start()
    try:
        yield f"dns://127.0.0.1:{port}"
    finally:
        stop.set()
        for t in threads:
            t.join(timeout=2)
        udp.close()
        tcp.close()
        for conn in held:
            conn.close()


__all__ = ["DnsZone", "doh_server", "plain_dns_server"]

