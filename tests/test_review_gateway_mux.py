"""Answers Kubo v0.43.1's gateway mux gives before any content handler, compared with
``autocodec serve`` on the same port layout (the fixture of ``tests/_serve_sides.py``).

Found by the differential review: Kubo's CORS wrapper sits around its gateway mux, so the
mux's own answers (Go's ``404 page not found`` for a path no route takes, the 307 from
``/ipfs`` and ``/ipns`` to their slash) carry the gateway's CORS headers; here they had none,
so a page on another origin could not read them. The 307s of Go's path cleaning come from the
outer mux, outside that wrapper, and carry none in both.
"""

from __future__ import annotations

import http.client
import urllib.parse

import pytest

from tests import _serve_sides
from tests._serve_sides import FewBlockSides

sides = _serve_sides.sides  # Kubo's gateway and autocodec serve over a few blocks (tests/_serve_sides.py)

MUX_PATHS = ("/nothing", "/api/v0/version", "/IPFS/x", "/p2p/x", "/ipfs", "/ipns", "/ipfs?x=1",
             "//ipfs/{folder}/hello.txt", "/x/../ipfs/{folder}/hello.txt", "/./healthz")
REQUESTS = ({}, {"Origin": "https://example.com"},
            {"Origin": "https://example.com", "Access-Control-Request-Method": "GET"})


def _cors(base: str, method: str, path: str, headers: dict[str, str]) -> tuple[int, str | None, dict[str, set[str]]]:
    """The status, ``Location`` and CORS headers, each as its set of values (Kubo repeats a
    header where this server joins the values; this server's ``X-Autocodec-*`` left out)."""
    parts = urllib.parse.urlsplit(base)
    conn = http.client.HTTPConnection(parts.hostname or "", parts.port, timeout=30)
    try:
        conn.putrequest(method, path, skip_accept_encoding=True)
        for name, value in headers.items():
            conn.putheader(name, value)
        conn.endheaders()
        reply = conn.getresponse()
        reply.read()
        out: dict[str, set[str]] = {}
        for name, value in reply.getheaders():
            if name.lower().startswith("access-control-"):
                out.setdefault(name.lower(), set()).update(
                    v.strip() for v in value.split(",") if not v.strip().startswith("X-Autocodec-"))
        return reply.status, reply.getheader("Location"), out
    finally:
        conn.close()


@pytest.mark.slow
@pytest.mark.ipfs
@pytest.mark.parametrize("headers", range(len(REQUESTS)))
@pytest.mark.parametrize("method", ["GET", "HEAD", "OPTIONS", "POST"])
def test_the_mux_answers_carry_kubos_cors_headers(sides: FewBlockSides, method: str, headers: int) -> None:
    for path in MUX_PATHS:
        path = path.format(folder=sides.folder)
        kubo = _cors(sides.kubo.gateway_url, method, path, REQUESTS[headers])
        ours = _cors(sides.ours.url, method, path, REQUESTS[headers])
        assert ours == kubo, path
