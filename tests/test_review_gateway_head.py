"""``HEAD`` of an empty body held whole (a block's bytes, ``?format=raw`` or by ``Accept``, and
the empty 206 of ``bytes=-0``), compared with Kubo v0.43.1's gateway (the fixture of
``tests/_serve_sides.py``).

Found by the differential review: Go's content server writes ``Content-Length: 0`` on such a
``HEAD``, as on its ``GET``; aiohttp leaves the header out of a ``HEAD`` whose body is empty, so
a client probing the size read none.
"""

from __future__ import annotations

import pytest

from tests import _serve_sides
from tests._serve_sides import FewBlockSides
from tests._http_request import fetch_raw

sides = _serve_sides.sides  # Kubo's gateway and autocodec serve over a few blocks (tests/_serve_sides.py)

# bafkqaaa: the empty raw block, an identity CID (held by both without a put)
CASES = (("/ipfs/bafkqaaa?format=raw", {}), ("/ipfs/bafkqaaa", {"Accept": "application/vnd.ipld.raw"}),
         ("/ipfs/bafkqaaa?format=raw", {"Range": "bytes=0-"}), ("/ipfs/bafkqaaa?format=raw", {"If-None-Match": '"x"'}),
         ("/ipfs/bafkqaaa?format=raw&filename=a.bin", {}), ("/ipfs/bafkqaaa", {}), ("/ipfs/{leaf}?format=raw", {"Range": "bytes=-0"}),
         ("/ipfs/{cbor}", {"Range": "bytes=-0"}), ("/ipfs/{folder}?format=raw", {"Range": "bytes=-0"}),
         ("/ipfs/{folder}/hello.txt", {"Range": "bytes=-0"}))


@pytest.mark.slow
@pytest.mark.ipfs
@pytest.mark.parametrize("case", range(len(CASES)))
def test_a_head_of_an_empty_body_has_its_length_as_in_kubo(sides: FewBlockSides, case: int) -> None:
    path, headers = CASES[case]
    path = path.format(leaf=sides.leaf, cbor=sides.cbor, folder=sides.folder)
    for method in ("HEAD", "GET"):
        kubo = fetch_raw(sides.kubo.gateway_url, path, headers, method)
        ours = fetch_raw(sides.ours.url, path, headers, method)
        assert (ours.status, ours.headers.get("content-length"), ours.headers.get("content-range")) == (
            kubo.status, kubo.headers.get("content-length"), kubo.headers.get("content-range")), method
