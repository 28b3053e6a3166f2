"""Review of the trustless-gateway audit's ``export_dag`` (6b770c1: ``check_car_root`` walks the
answer from the root and rebuilds the DAG's own CARv1).

Found: the walk skipped a CID whose multihash it had met already, whatever its codec, so bytes
linked as raw and then as dag-cbor were walked as raw only: the dag-cbor node's children were
dropped from a whole answer, and a CAR missing them was taken as whole (Kubo 0.43.1's gateway
follows both links and sends the child). A linked block that does not decode was an
``InvalidBlock`` naming neither the source nor the block. A block under a 1-byte (blake2b-8)
digest, forged in 256 tries on average, was taken as the DAG's where ``Fetcher`` refuses any block
from another node under a digest of under 20 bytes (``WeakDigest``); a DAG linking an identity CID
of 129 bytes was taken where Kubo's gateway cuts its CAR. All fail on 363359f.

Beside Kubo 0.43.1: ``export_dag`` over Kubo's gateway returns Kubo's gateway CAR byte for byte
(root first, depth-first, each block's bytes once, no identity section) for a UnixFS file whose
leaf repeats, a HAMT directory, a DAG-CBOR node linking one block as CIDv0 and CIDv1, one linking
an identity CID, one linking a leaf many times, a chain 300 deep, the raw-and-dag-cbor DAG, and an identity root (its
linked block alone);
and over Kubo's RPC (``dag export`` writes a block once per CID, identity sections included) it
returns that same CAR.
"""

from __future__ import annotations

import hashlib
import io
from collections.abc import Iterator
from pathlib import Path

import pytest

from autocodec import CID
from autocodec.builtin import cid_for, encode
from autocodec.config import FetchLimits
from autocodec.errors import DigestTooLong, InvalidBlock, InvalidCar, WeakDigest
from autocodec.sources import GatewaySource, NodeSource
from autocodec.store import CarReader
from tests._http_peers import Peer, answer
from tests._car_bytes import car_bytes

FAST = FetchLimits(timeout_s=2.0, retries=0, backoff_s=0.05, deadline_s=2.0, max_car_bytes=1 << 20,
                   max_block_bytes=1 << 16)
CT = "application/vnd.ipld.car; version=1; order=dfs; dups=n"

CHILD = b"a child of the dag-cbor reading"
CHILD_CID = cid_for(CHILD, "raw")
MID = encode({"c": CHILD_CID}, "dag-cbor")
MID_RAW, MID_CBOR = cid_for(MID, "raw"), cid_for(MID, "dag-cbor")  # one multihash, two codecs
ROOT_BYTES = encode([MID_RAW, MID_CBOR], "dag-cbor")
ROOT = cid_for(ROOT_BYTES, "dag-cbor")


def _blocks(car: bytes) -> list[CID]:
    return [cid for cid, _ in CarReader(io.BytesIO(car))]


def test_bytes_linked_as_raw_then_dag_cbor_are_walked_as_dag_cbor_too() -> None:
    """Kubo's gateway answers root, the bytes once (under the raw CID, met first), then the child the
    dag-cbor reading links (measured on 0.43.1, and ``test_export_dag_returns_kubos_gateway_car``)."""
    whole = car_bytes([ROOT], [(ROOT, ROOT_BYTES), (MID_RAW, MID), (CHILD_CID, CHILD)])
    with Peer(answer("200 OK", CT, whole)) as peer:
        assert GatewaySource(peer.url, limits=FAST).export_dag(ROOT) == whole  # the child was dropped
    short = car_bytes([ROOT], [(ROOT, ROOT_BYTES), (MID_CBOR, MID)])
    with Peer(answer("200 OK", CT, short)) as peer:
        with pytest.raises(InvalidCar, match=f"not a whole CAR.*{CHILD_CID}"):  # was taken as whole
            GatewaySource(peer.url, limits=FAST).export_dag(ROOT)


@pytest.mark.parametrize("codec,bad", [(0x71, b"\xff\xff"), (0x70, b"\xff\xff\x01"), (0x0129, b'{"a":')],
                         ids=["dag-cbor", "dag-pb", "dag-json"])
def test_a_linked_block_that_does_not_decode_names_the_source_and_the_block(codec: int, bad: bytes) -> None:
    broken = CID.build(codec, cid_for(bad, "raw").multihash)
    root_bytes = encode([broken], "dag-cbor")
    root = cid_for(root_bytes, "dag-cbor")
    body = car_bytes([root], [(root, root_bytes), (broken, bad)])
    with Peer(answer("200 OK", CT, body)) as peer:
        with pytest.raises(InvalidBlock, match=f"gateway:.* answered a CAR for {root} whose block {broken} "
                                               "does not decode") as caught:
            GatewaySource(peer.url, limits=FAST).export_dag(root)
    assert caught.value.hint == "use another source"


def _blake2b_8(data: bytes) -> CID:
    """A raw CID under blake2b-8 (0xb201): a 1-byte digest, which 256 tries forge on average."""
    return CID.build(0x55, bytes([0x81, 0xE4, 0x02, 0x01]) + hashlib.blake2b(data, digest_size=1).digest())


def _forged(cid: CID) -> bytes:
    return next(forged for i in range(1 << 16) if _blake2b_8(forged := b"forged %d" % i) == cid)


def test_a_dag_linking_a_forgeable_digest_is_refused_as_the_fetcher_refuses_it() -> None:
    """On 363359f the forged leaf verified (a 1-byte digest) and was returned as the DAG's; ``Fetcher``
    refuses to take any block under a digest of under 20 bytes from another node (``WeakDigest``)."""
    weak = _blake2b_8(b"the real leaf")
    root_bytes = encode([weak], "dag-cbor")
    root = cid_for(root_bytes, "dag-cbor")
    body = car_bytes([root], [(root, root_bytes), (weak, _forged(weak))])
    with Peer(answer("200 OK", CT, body)) as peer:
        with pytest.raises(WeakDigest, match=f"links {weak}: its digest is 1 bytes"):
            GatewaySource(peer.url, limits=FAST).export_dag(root)
    with Peer(answer("200 OK", CT, car_bytes([weak], [(weak, _forged(weak))]))) as peer:
        with pytest.raises(WeakDigest):
            GatewaySource(peer.url, limits=FAST).export_dag(weak)


def test_below_a_codec_not_read_here_a_forgeable_block_is_not_kept() -> None:
    doc = b'{"a": 1}'
    root = CID.build(0x0200, cid_for(doc, "raw").multihash)
    weak = _blake2b_8(b"the real leaf")
    body = car_bytes([root], [(root, doc), (weak, _forged(weak)), (CHILD_CID, CHILD)])
    with Peer(answer("200 OK", CT, body)) as peer:
        assert _blocks(GatewaySource(peer.url, limits=FAST).export_dag(root)) == [root, CHILD_CID]


def test_a_dag_linking_an_identity_cid_over_128_bytes_is_refused() -> None:
    """Kubo 0.43.1's gateway writes the root and then its truncation marker for this DAG (measured):
    a clean CAR of the root alone from another gateway was taken (on 66e05e0)."""
    big = CID.build(0x55, b"\x00\x81\x01" + b"x" * 129)
    root_bytes = encode([big], "dag-cbor")
    root = cid_for(root_bytes, "dag-cbor")
    with Peer(answer("200 OK", CT, car_bytes([root], [(root, root_bytes)]))) as peer:
        with pytest.raises(DigestTooLong, match="identity CID .* of 129 bytes"):
            GatewaySource(peer.url, limits=FAST).export_dag(root)
    fine = CID.build(0x55, b"\x00\x80\x01" + b"x" * 128)
    root_bytes = encode([fine], "dag-cbor")
    root = cid_for(root_bytes, "dag-cbor")
    whole = car_bytes([root], [(root, root_bytes)])
    with Peer(answer("200 OK", CT, whole)) as peer:
        assert GatewaySource(peer.url, limits=FAST).export_dag(root) == whole


def test_a_dag_cbor_chain_10000_deep_is_walked_without_recursion() -> None:
    """A pin (passes on 363359f too): the walk is a loop, so depth costs no stack."""
    chain = [(CHILD_CID, CHILD)]
    for _ in range(10_000):
        node = encode({"n": chain[-1][0]}, "dag-cbor")
        chain.append((cid_for(node, "dag-cbor"), node))
    whole = car_bytes([chain[-1][0]], chain[::-1])
    with Peer(answer("200 OK", CT, whole)) as peer:
        assert GatewaySource(peer.url, limits=FAST).export_dag(chain[-1][0]) == whole


# --- beside Kubo 0.43.1 -------------------------------------------------------------------------


@pytest.fixture(scope="module")
def kubo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[object, dict[str, CID]]]:
    from tests._kubo import KuboRepo, require_kubo

    require_kubo()
    tmp: Path = tmp_path_factory.mktemp("s11review")
    repo = KuboRepo.create(tmp / "kubo")
    repo.set_config("Import.UnixFSHAMTDirectorySizeThreshold", "1KiB")
    pb = encode({"Data": b"\x08\x01", "Links": []}, "dag-pb")
    pb1 = cid_for(pb, "dag-pb")
    pb0 = CID.build(0x70, pb1.multihash, version=0)
    v0v1 = encode([pb0, pb1, pb0], "dag-cbor")
    inline = encode([CID.build(0x55, b"\x00\x03abc"), CHILD_CID], "dag-cbor")
    many = encode({"x": [CHILD_CID] * 500}, "dag-cbor")
    inlined = encode([CHILD_CID], "dag-cbor")  # an identity root's bytes: its one link
    chain = [(CHILD_CID, CHILD)]
    for _ in range(300):
        node = encode({"next": chain[-1][0]}, "dag-cbor")
        chain.append((cid_for(node, "dag-cbor"), node))
    roots = {"raw-and-cbor": ROOT, "v0-v1-v0": cid_for(v0v1, "dag-cbor"), "identity": cid_for(inline, "dag-cbor"),
             "many": cid_for(many, "dag-cbor"), "chain": chain[-1][0],
             "identity-root": CID.build(0x71, b"\x00" + bytes([len(inlined)]) + inlined)}
    blocks = [(ROOT, ROOT_BYTES), (MID_CBOR, MID), (pb1, pb), (roots["v0-v1-v0"], v0v1),
              (roots["identity"], inline), (roots["many"], many), *chain]
    (tmp / "in.car").write_bytes(car_bytes(list(roots.values()), blocks))
    repo.ipfs("dag", "import", "--pin-roots=false", tmp / "in.car")
    (tmp / "file").write_bytes(b"R" * 3072 + b"tail\n")
    roots["file"] = CID.parse(repo.ipfs("add", "-Q", "--cid-version=1", "--chunker=size-1024",
                                        tmp / "file").stdout.decode().strip())
    (tmp / "hamt" / "sub").mkdir(parents=True)
    for i in range(60):
        (tmp / "hamt" / f"{i:02d}.txt").write_text(f"{i}\n")
    (tmp / "hamt" / "sub" / "deep.txt").write_text("deep\n")
    roots["hamt"] = CID.parse(repo.ipfs("add", "-Q", "-r", "--cid-version=1", tmp / "hamt").stdout.decode().strip())
    repo.start()
    try:
        yield repo, roots
    finally:
        repo.stop()


DAGS = ["raw-and-cbor", "v0-v1-v0", "identity", "identity-root", "many", "chain", "file", "hamt"]


@pytest.mark.slow
@pytest.mark.ipfs
@pytest.mark.parametrize("name", DAGS)
def test_export_dag_returns_kubos_gateway_car(kubo: tuple[object, dict[str, CID]], name: str) -> None:
    import urllib.request

    repo, roots = kubo
    root = roots[name]
    request = urllib.request.Request(f"{repo.gateway_url}/ipfs/{root}?format=car",  # type: ignore[attr-defined]
                                     headers={"Accept": "application/vnd.ipld.car"})
    with urllib.request.urlopen(request, timeout=30) as response:
        kubos = response.read()
    limits = FetchLimits(timeout_s=30.0, retries=0, deadline_s=30.0)
    assert GatewaySource(repo.gateway_url, limits=limits).export_dag(root) == kubos  # type: ignore[attr-defined]
    assert NodeSource(repo.api_url, limits=limits).export_dag(root) == kubos  # type: ignore[attr-defined]
    assert _blocks(kubos)[0] == (CHILD_CID if root.hash_code == 0 else root)  # the root first, unless inline
