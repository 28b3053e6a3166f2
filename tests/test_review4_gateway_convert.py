"""The ETag and caching of a converted answer (``?format=...&autocodec-convert=1``, the
extension of docs/gateway.md), in-process (Kubo converts nothing to compare with).

Found by review 4: a converted answer kept ``"{cid}.{format}.autocodec"`` while its bytes
changed (``cbor`` began keeping the decoded map order, bd8ab88) and while the module decoding
its codec can change at a set refresh, under ``immutable`` caching: a cache held the old body
for a year and a revalidation matched it. The ETag now names the writer's revision and the
decoder; the answer is revalidated (``no-cache``) and a matching ``If-None-Match`` is a 304.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from autocodec import CID, __version__
from autocodec.registry import Runtime
from autocodec.serve._formats import CONVERSION_REVISION
from tests import _gateway_app
from tests._gateway_app import GIT_RAW, call

runtime = _gateway_app.runtime  # the in-process gateway app over a fresh home (tests/_gateway_app.py)


def test_a_converted_answer_s_etag_names_the_writer_revision_and_the_builtin_decoder(runtime: Runtime) -> None:
    cid = runtime.put(b'{"b":1,"a":2}', "json")
    status, headers, body = call(runtime, f"/ipfs/{cid}?format=cbor&autocodec-convert=1")
    assert (status, body) == (200, bytes.fromhex("a2616201616102")), body  # the cbor codec: map order kept
    etag = f'"{cid}.cbor.autocodec-{CONVERSION_REVISION}-builtin-{__version__}"'
    assert headers["Etag"] == etag
    assert headers["Cache-Control"] == "public, no-cache"  # never immutable: the decoder may change
    status, headers, body = call(runtime, f"/ipfs/{cid}?format=cbor&autocodec-convert=1", {"If-None-Match": etag})
    assert (status, body, headers["Etag"]) == (304, b"", etag)
    stale = f'"{cid}.cbor.autocodec"'  # what a cache kept from the old writer: not this answer
    assert call(runtime, f"/ipfs/{cid}?format=cbor&autocodec-convert=1", {"If-None-Match": stale})[0] == 200
    # the spec answer of the same block keeps its own ETag and caching
    status, headers, _ = call(runtime, f"/ipfs/{cid}?format=json")
    assert (status, headers["Etag"], headers["Cache-Control"]) == (200, f'"{cid}.json"',
                                                                   "public, max-age=29030400, immutable")


def test_a_converted_answer_s_etag_names_the_module_that_decoded_it(runtime: Runtime, tmp_path: Path) -> None:
    runtime.add_local_module(GIT_RAW)
    body = b"hello\n"
    obj = b"blob %d\x00" % len(body) + body
    cid = CID.build(0x78, b"\x11\x14" + hashlib.sha1(obj).digest())
    runtime.store.put(cid, obj)
    status, headers, out = call(runtime, f"/ipfs/{cid}?format=dag-json&autocodec-convert=1")
    assert status == 200, out
    module = str(runtime.resolve("codec", "git-raw").module)
    assert headers["Etag"] == f'"{cid}.dag-json.autocodec-{CONVERSION_REVISION}-{module}"'
    assert call(runtime, f"/ipfs/{cid}?format=dag-json&autocodec-convert=1", {"If-None-Match": headers["Etag"]})[0] == 304

