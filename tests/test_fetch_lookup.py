"""A node, gateway or DNS server (a ``dns://`` resolver for DNSLink) named by a host whose lookup
is slow ends by the fetch's deadline.

The lookup is the system's own (glibc's ``getaddrinfo``), asking a real DNS server
(``tests/_dns_server.py``) on 127.0.0.1:53. To point the system's resolver at it without
touching the machine's, the fetches run in a child process in new user, mount and network
namespaces (``unshare -rmn``) where ``/etc/resolv.conf`` is a bind mount of the test's own
file and loopback is the namespace's alone. Skipped where namespaces cannot be made.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DATA = b"a block served by a gateway found by name"
RESOLVER_TIMEOUT_S = 20  # the resolver's own wait per try (options timeout:), far over the fetch deadline


def _namespaces_work() -> bool:
    if shutil.which("unshare") is None or shutil.which("ip") is None:
        return False
    try:
        probe = subprocess.run(["unshare", "-rmn", "sh", "-c", "ip link set lo up && mount --bind /dev/null /dev/null"],
                               capture_output=True, timeout=20)
    except (OSError, subprocess.TimeoutExpired):
        return False
    return probe.returncode == 0


pytestmark = [pytest.mark.skipif(sys.platform != "linux" or not _namespaces_work(),
                                 reason="needs Linux user, mount and network namespaces (unshare -rmn) and ip")]


def _child() -> None:
    """In the namespaces: a DNS server on 127.0.0.1:53, a gateway on loopback, fetches by name."""
    from autocodec import CID
    from autocodec.config import FetchLimits
    from autocodec.errors import AutocodecError
    from autocodec.sources import GatewaySource, NodeSource
    from autocodec.sources._dns import lookup_txt
    from tests._dns_server import DnsZone, plain_dns_server
    from tests._http_peers import Peer, answer

    cid = CID.build(0x55, b"\x12\x20" + hashlib.sha256(DATA).digest())
    limits = FetchLimits(timeout_s=1.0, retries=2, backoff_s=0.05, deadline_s=1.0)
    zone = DnsZone(addresses={"gw.test": "127.0.0.1"})
    out: dict[str, object] = {}

    def attempt(key: str, fetch: object) -> None:
        started = time.monotonic()
        try:
            got = fetch()  # type: ignore[operator]
            out[key] = {"ok": got == DATA, "s": time.monotonic() - started}
        except AutocodecError as exc:
            out[key] = {"error": type(exc).__name__, "message": exc.message, "hint": exc.hint,
                        "s": time.monotonic() - started}

    with plain_dns_server(zone, port=53), Peer(answer("200 OK", "application/vnd.ipld.raw", DATA)) as peer:
        port = peer.url.rsplit(":", 1)[1]
        attempt("found", lambda: GatewaySource(f"http://gw.test:{port}", limits=limits).get(cid))
        out["host_header"] = any(f"Host: gw.test:{port}" in r for r in peer.requests)
        attempt("unknown", lambda: GatewaySource(f"http://nowhere.test:{port}", limits=limits).get(cid))
        zone.mode = "slow"
        attempt("slow_gateway", lambda: GatewaySource(f"http://slow.test:{port}", limits=limits).get(cid))
        attempt("slow_node", lambda: NodeSource(f"/dns4/slow-node.test/tcp/{port}/http", limits=limits).get(cid))
        attempt("slow_dns", lambda: lookup_txt("_dnslink.site.example", {".": "dns://slow-dns.test:53"}, limits))
        out["unanswered"] = zone.queries.count("(unanswered)")
    print(json.dumps(out))


@pytest.mark.slow
def test_a_host_whose_lookup_hangs_ends_by_the_deadline_typed(tmp_path: Path) -> None:
    """Before: the lookup ran under glibc's timeouts (here 20 s a try), far past the 1 s deadline
    (whose watchdog had no socket to close yet)."""
    conf = tmp_path / "resolv.conf"
    conf.write_text(f"nameserver 127.0.0.1\noptions timeout:{RESOLVER_TIMEOUT_S} attempts:1\n")
    script = 'ip link set lo up && mount --bind "$1" /etc/resolv.conf && exec "$2" -c "$3"'
    code = "from tests.test_fetch_lookup import _child; _child()"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.run(["unshare", "-rmn", "sh", "-c", script, "sh", str(conf), sys.executable, code],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=10 * RESOLVER_TIMEOUT_S)
    assert proc.returncode == 0, proc.stderr[-3000:]
    out = json.loads(proc.stdout.strip().splitlines()[-1])

    assert out["found"]["ok"] is True and out["host_header"] is True  # the name was looked up and used
    assert out["unknown"]["error"] == "SourceUnavailable" and "unknown host" in out["unknown"]["message"]
    for key, error in (("slow_gateway", "FetchTimeout"), ("slow_node", "FetchTimeout"), ("slow_dns", "DnsError")):
        result = out[key]
        assert result["error"] == error, result
        assert result["s"] < 1.0 + RESOLVER_TIMEOUT_S / 4, result  # the 1 s deadline, not the resolver's 20 s
        assert "was not resolved within 1 s" in result["message"] and "slow" in result["message"]
        assert "by IP address" in result["hint"] or error == "DnsError"
    assert out["unanswered"] >= 3  # the system's resolver did ask the silent server, for each host
