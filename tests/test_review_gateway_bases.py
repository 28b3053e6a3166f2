"""A CID's text in every multibase, sent to Kubo v0.43.1's gateway and to ``autocodec serve``
on the same blocks (an offline Kubo daemon beside a real server, as in
``tests/test_serve_leftovers.py``).

Found by the differential review of the gateway: this package's CID parser reads base8 (``7``)
and base10 (``9``), the multibase table's draft entries, which go-multibase (Kubo's CID parser)
does not implement; the gateway served ``/ipfs/9...`` (and ``9....ipfs.localhost``, and
redirected ``/ipfs/9.../`` there) where Kubo answers 400 ``invalid cid: selected encoding not
supported``. Every base Kubo names gets the same answer on both sides.
"""

from __future__ import annotations

import urllib.parse

import pytest

from autocodec import CID
from autocodec.cid import MULTIBASES
from tests._http_request import RawReply
from tests import _serve_sides
from tests._serve_sides import FewBlockSides

sides = _serve_sides.sides  # Kubo's gateway and autocodec serve over a few blocks (tests/_serve_sides.py)

KUBO_BASES = sorted(set(MULTIBASES) - {"base8", "base10"})  # tests/test_cid_kubo.py: the ones Kubo names
BASES = [*KUBO_BASES, "base8", "base10"]


def _text(cid: str, base: str) -> str:
    return urllib.parse.quote(CID.parse(cid).encode(base), safe="")


def _same(kubo: RawReply, ours: RawReply) -> None:
    assert ours.status == kubo.status
    assert ours.headers.get("location") == kubo.headers.get("location")
    if "DirIndex-" in kubo.headers.get("etag", "") or (kubo.status == 200 and not kubo.headers.get("etag")):
        return  # a listing, or its HEAD: this server's own page, Kubo's bare HEAD (docs/gateway.md)
    assert ours.headers.get("x-ipfs-roots") == kubo.headers.get("x-ipfs-roots")
    for name in ("content-type", "etag"):
        assert ours.headers.get(name) == kubo.headers.get(name), name
    if kubo.status == 200 or b"selected encoding not supported" in kubo.body:  # go-cid's reason for a base it lacks
        assert ours.body == kubo.body  # (other unparsable CIDs are in this runtime's words: docs/gateway.md)


@pytest.mark.slow
@pytest.mark.ipfs
@pytest.mark.parametrize("method", ["GET", "HEAD"])
@pytest.mark.parametrize("base", BASES)
def test_a_cid_in_any_base_is_read_as_kubo_reads_it_on_the_path_gateway(sides: FewBlockSides, base: str, method: str) -> None:
    for cid, tail in ((sides.folder, "/hello.txt"), (sides.folder, "/"), (sides.leaf, ""), (sides.cbor, ""),
                      (sides.leaf, "?format=raw"), (sides.folder, "?format=car")):
        path = f"/ipfs/{_text(cid, base)}{tail}"
        _same(*sides.both(path, method=method))
        _same(*sides.both(path, host="localhost:{port}", method=method))  # the bare host: a 301 to the subdomain, or not


@pytest.mark.slow
@pytest.mark.ipfs
@pytest.mark.parametrize("base", BASES)
def test_a_cid_in_any_base_is_read_as_kubo_reads_it_on_a_subdomain(sides: FewBlockSides, base: str) -> None:
    for cid, path in ((sides.folder, "/hello.txt"), (sides.leaf, "/"), (sides.cbor, "/")):
        text = CID.parse(cid).encode(base)
        if len(text) > 63 or not text.isalnum():  # no DNS label: Kubo's own 400s, compared elsewhere
            continue
        _same(*sides.both(path, host=f"{text}.ipfs.localhost:{{port}}"))


KEY = "k51qzi5uqu5dlvj2baxnqndepeb86cbk3ng7n3i46uzyxzyqj2xjonzllnv0v8"  # an IPNS name neither side holds a record of


@pytest.mark.slow
@pytest.mark.ipfs
@pytest.mark.parametrize("base", ["base32", "base58btc", "base16", "base8", "base10"])
def test_an_ipns_name_in_any_base_is_read_as_kubo_reads_it(sides: FewBlockSides, base: str) -> None:
    """Another base: Kubo's 302 to the name in base36; base8 and base10: neither a key nor a
    domain (``cannot resolve``, and go-cid's words for its record), where this server read the
    key and redirected."""
    name = CID.parse(KEY).encode(base)
    for tail in ("", "/", "/x?format=raw", "?format=ipns-record"):
        for host in (None, "localhost:{port}"):
            kubo, ours = sides.both(f"/ipns/{name}{tail}", host=host)
            assert (ours.status, ours.headers.get("location")) == (kubo.status, kubo.headers.get("location"))
            if kubo.status in (400, 500):
                assert ours.body == kubo.body
