"""A DNSLink site served by Kubo's gateway and ``autocodec serve`` side by side, and one request
sent to either byte for byte over a raw socket: shared by the modules that pin the gateway's edges
beside Kubo 0.43.1 (test_s9_dnslink_escaped_kubo, test_s9_gateway_edges_kubo).

- ``dnslink_sides(tmp, folder, dnslinks)``: ``folder`` added to a fresh offline Kubo and imported
  (as a CAR Kubo exported) into a fresh home that ``autocodec serve`` serves; the names
  ``dnslinks(root)`` gives (domain -> DNSLink path) in one loopback DoH zone both gateways ask;
- ``exchange(base, request)``: the request's bytes as they are (no client normalising them), the
  status, the headers (a field repeated on several lines joined with ``, ``, RFC 9110 5.3) and
  the body (de-chunked).
"""

from __future__ import annotations

import socket
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from tests._cli import run_cli
from tests._dns_server import DnsZone, doh_server
from tests._http_request import RawReply
from tests._kubo import KuboRepo
from tests._serve_proc import ServeProcess


@dataclass
class SiteSides:
    kubo: str  # base URLs
    ours: str
    root: str  # the site's CID


@contextmanager
def dnslink_sides(tmp: Path, folder: Path, dnslinks: Callable[[str], dict[str, str]]) -> Iterator[SiteSides]:
    """Both gateways over ``folder``, each name of ``dnslinks(root)`` a DNSLink to its path."""
    zone = DnsZone(ttl=120)
    with doh_server(zone) as doh:
        kubo = KuboRepo.create(tmp / "kubo")
        kubo.set_config("DNS.Resolvers", {".": doh})
        with kubo.start():
            root = kubo.ipfs("add", "-Q", "-r", "--cid-version=1", folder).stdout.decode().strip()
            zone.records.update({f"_dnslink.{name}": [(f"dnslink={path}",)] for name, path in dnslinks(root).items()})
            home = tmp / "home"
            home.mkdir()
            (home / "config.toml").write_text(f'[dns.resolvers]\n"." = "{doh}"\n', encoding="utf-8")
            (tmp / "site.car").write_bytes(kubo.ipfs("dag", "export", root).stdout)
            run_cli(home, "car", "import", str(tmp / "site.car"))
            with ServeProcess(home, tmp) as ours:
                yield SiteSides(kubo.gateway_url, ours.url, root)


def exchange(base: str, request: bytes) -> RawReply:
    """``request`` sent as it is on a connection of its own (it should ask ``Connection: close``)."""
    address, port = base.removeprefix("http://").rsplit(":", 1)
    with socket.create_connection((address, int(port)), timeout=60) as conn:
        conn.sendall(request)
        data = b"".join(iter(lambda: conn.recv(65536), b""))
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    headers: dict[str, str] = {}
    for name, _, value in (line.partition(":") for line in lines[1:]):
        key = name.strip().lower()
        headers[key] = f"{headers[key]}, {value.strip()}" if key in headers else value.strip()
    if "chunked" in headers.get("transfer-encoding", ""):
        joined, rest = b"", body
        while (size := int(rest.partition(b"\r\n")[0], 16)) > 0:
            start = rest.index(b"\r\n") + 2
            joined, rest = joined + rest[start:start + size], rest[start + size + 2:]
        body = joined
    return RawReply(int(lines[0].split()[1]), headers, body)
