"""CIDs in every multibase, content paths, and resolution across links (autocodec.dag).

References: the multibase table (multiformats/multibase multibase.csv) through the
``multiformats`` package's encoders; the path rules of boxo ``path.NewPath`` (Kubo v0.43).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from multiformats import multibase

from autocodec import CID, InvalidCID
from autocodec.cid import MULTIBASES
from autocodec.dag import parse_path, resolve, stat, walk
from autocodec.errors import InvalidPath, PathNotFound
from autocodec.registry import Runtime

CIDS = [
    "bafyreibvjvcv745gig4mvqs4hctx4zfkono4rjejm2ta6gtyzkqxfjeily",
    "QmQg1v4o9xdT3Q14wh4S7dxZkDjyZ9ssFzFzyep1YrVJBY",
    "bafkqabiaaebagba",
    "baf4bcfgio5dxmhl3ewqdmaqqrpetuqibn5b3ahq",
]


@pytest.mark.parametrize("text", CIDS)
@pytest.mark.parametrize("base", sorted(MULTIBASES))
def test_every_base_matches_the_reference_encoder_and_parses_back(text: str, base: str) -> None:
    cid = CID.parse(text)
    written = cid.encode(base)
    if base == "base256emoji":  # not in the reference package: checked against Kubo (tests/test_cid_kubo.py)
        assert CID.parse("bafkqaaa").encode(base) == "\U0001F680\U0001FA90\U0001F440\U0001F680\U0001F680"
    elif not (cid.version == 0 and base == "base58btc"):
        assert written == multibase.encode(bytes(cid.to_v1()), base)
    assert CID.parse(written).to_v1() == cid.to_v1()


def test_cidv0_stays_bare_in_base58btc_and_upgrades_elsewhere() -> None:
    v0 = CID.parse(CIDS[1])
    assert v0.encode("base58btc") == CIDS[1]
    assert v0.encode("base36").startswith("k") and CID.parse(v0.encode("base36")) == v0.to_v1()


@pytest.mark.parametrize("text", ["bAFY", "Bafyrei", "k!!", "x123", "", "zIl0", "mA=A", "F0a", "fAB"])
def test_malformed_multibase_text_is_an_invalid_cid(text: str) -> None:
    with pytest.raises(InvalidCID):
        CID.parse(text)


def test_paths_parse_like_kubo() -> None:
    root = CIDS[0]
    assert parse_path(root).segments == ()
    assert parse_path(f"{root}/a/b").segments == ("a", "b")
    assert parse_path(f"/ipfs/{root}//a/./b/../c/").segments == ("a", "c")
    assert parse_path(f"ipfs://{root}/x").namespace == "ipfs"
    assert parse_path(f"/ipld/{root}/Links/0").namespace == "ipld"
    k = CID.parse(root).encode("base36")
    assert parse_path(f"/ipfs/{k}/x").root == CID.parse(root)
    for bad in ("/ipns/example.com/x", "/foo/bar", "/ipfs/", "/ipfs"):
        with pytest.raises(InvalidPath):
            parse_path(bad)
    with pytest.raises(InvalidCID):
        parse_path("/ipfs/notacid/x")


@pytest.fixture()
def rt(tmp_path: Path) -> Runtime:
    runtime = Runtime(tmp_path / "home", default_set=False)
    yield runtime
    runtime.close()


def test_resolution_crosses_links_and_keeps_the_remainder(rt: Runtime) -> None:
    leaf = rt.put(rt.encode({"x": [1, 2, {"y": "z"}]}, "dag-cbor"), "dag-cbor")
    mid = rt.put(rt.encode({"leaf": leaf, "n": 7}, "dag-json"), "dag-json")
    root = rt.put(rt.encode({"a": {"b": mid}, "l": [leaf, mid]}, "dag-cbor"), "dag-cbor")
    found = resolve(rt, f"{root}/a/b/leaf/x/2")
    assert (found.cid, found.remainder, found.value) == (leaf, ("x", "2"), {"y": "z"})
    assert resolve(rt, f"{root}/a").remainder == ("a",)
    assert resolve(rt, f"{root}/l/1/n").value == 7
    assert resolve(rt, f"{root}/a/b").cid == mid  # a path ending at a link follows it
    assert rt.decode(f"/ipfs/{root}/l/0/x/1") == 2
    assert rt.get(f"{root}/a/b/leaf") == rt.get(leaf)
    with pytest.raises(InvalidPath):
        rt.get(f"{root}/a/b/leaf/x")  # ends inside a block
    for missing in ("nope", "l/2", "l/x", "a/b/n/deeper", "l/-1"):
        with pytest.raises(PathNotFound):
            resolve(rt, f"{root}/{missing}")
    assert [c for c, _ in walk(rt, root)] == [root, mid, leaf]  # DFS pre-order (a/b first), each once
    summary = stat(rt, [root, mid])
    assert summary.unique_blocks == 3 and summary.roots[1].blocks == 2
    assert summary.shared_size == summary.roots[1].size
    assert [c for c, _ in rt.walk(f"{root}/a/b")] == [mid, leaf]


def test_dag_pb_paths_use_unixfs_names_under_ipfs_and_the_data_model_under_ipld(rt: Runtime) -> None:
    from autocodec.unixfs import add_bytes

    file_cid = add_bytes(rt.store, b"hello\n")
    link = {"Hash": file_cid, "Name": "hello.txt", "Tsize": 6}
    directory = rt.put(rt.encode({"Data": b"\x08\x01", "Links": [link]}, "dag-pb"), "dag-pb")
    assert resolve(rt, f"{directory}/hello.txt").cid == file_cid
    assert resolve(rt, f"/ipld/{directory}/Links/0/Hash").cid == file_cid
    with pytest.raises(PathNotFound):
        resolve(rt, f"/ipfs/{directory}/Links")  # a directory looks names up, not fields
    with pytest.raises(PathNotFound):
        resolve(rt, f"/ipfs/{directory}/hello.txt/deeper")  # nothing below a file


def test_a_hamt_path_keeps_the_sources_own_not_found_and_says_a_missing_name_as_kubo(rt: Runtime) -> None:
    """A name missing from a HAMT or a plain directory is Kubo's ``no link named "x" under CID``
    (one wording, ``unixfs._resolve``); a block the source cannot give (here a sub-shard, its
    ``get`` raising a plain ``NotFound``) stays the source's own error, not a missing name."""
    from autocodec.errors import NotFound
    from autocodec.unixfs import Adder, _pb
    from autocodec.unixfs._layout import directory

    link = Adder(rt.store).add_bytes(b"x")
    leaf = link.cid
    names = [f"f{i}" for i in range(600)]  # 600 names in 256 slots: some slots hold sub-shards
    hamt = directory([(n, link) for n in names], lambda cid, block: rt.store.put(cid, block),
                     shard_threshold=1).cid
    top = rt.decode_block(hamt, rt.get(hamt))
    assert _pb.decode(top["Data"]).type == _pb.HAMT_SHARD
    subs = {link["Hash"] for link in top["Links"] if len(link["Name"]) == 2}
    assert subs

    class Lossy:
        def get(self, cid: CID) -> bytes:
            if cid in subs:
                raise NotFound(f"the source lost {cid}")
            return rt.get(cid)

        def decode_block(self, cid: CID, data: bytes, *, verified: bool = False) -> object:
            return rt.decode_block(cid, data, verified=verified)

    lost = 0
    for name in names:
        try:
            assert resolve(Lossy(), f"{hamt}/{name}").cid == leaf  # in the top shard
        except NotFound as exc:
            assert type(exc) is NotFound and exc.message.startswith("the source lost "), exc.message
            lost += 1
    assert 0 < lost < len(names)
    with pytest.raises(PathNotFound, match=rf'^no link named "nope" under {hamt}$'):
        resolve(rt, f"{hamt}/nope")
    plain = directory([("a", link)], lambda cid, block: rt.store.put(cid, block)).cid
    with pytest.raises(PathNotFound, match=rf'^no link named "b\\"q" under {plain}$'):
        resolve(rt, f"{plain}/b\"q")
