"""Generated IPLD values through this package's DAG-CBOR and DAG-JSON codecs and through Kubo
v0.43.1's (go-ipld-prime), compared value by value: the same blocks, the same CIDs, the same
DAG-JSON text, the same data model back.

The values come from a seeded generator over the whole data model (maps with keys that sort
differently by length and bytes, lists, integers across every CBOR width and int64's ends,
floats with short and long shortest forms, negative zero and subnormals, strings with escapes
and non-BMP characters, bytes, links of several CID versions and codecs, booleans and null),
nested up to four levels. Each value is sent to a real Kubo daemon (offline, loopback) over its
HTTP RPC API:
- our DAG-CBOR bytes -> ``dag/put`` (input and store dag-cbor): Kubo decodes and re-encodes
  them, so an equal CID says both encoders are canonical the same way;
- our DAG-JSON bytes -> ``dag/put`` (input dag-json, store dag-cbor): Kubo reads our text to the
  block we read it to (a float written as an integer, ``100`` for 100.0 as Kubo writes it,
  reads back as that integer in both);
- ``dag/get`` (output dag-json) of that block: byte-equal to our DAG-JSON;
- ``block/get``: our decoder reads Kubo's block back to the value generated.
DAG-PB nodes are generated too (``test_generated_dag_pb_nodes_like_kubo``): Kubo's ``dag put``
stores them with links in the spec's order, and so does this package's.
Integers past int64 are left out: go-ipld-prime holds int64 (the DAG-CBOR spec allows down to
-2^64 and up to 2^64-1); ``test_values_past_int64`` shows what each side does with them.
"""

from __future__ import annotations

import json
import random
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from typing import Any

import pytest

from autocodec import builtin
from autocodec.cid import CID
from autocodec.errors import AutocodecError
from tests._ipld_values import LINKS, values
from tests._kubo_rpc import KuboRpc, kubo_rpc
from tests._model import same_value

pytestmark = [pytest.mark.slow, pytest.mark.ipfs]


@pytest.fixture(scope="module")
def rpc(tmp_path_factory: pytest.TempPathFactory) -> Iterator[KuboRpc]:
    yield from kubo_rpc(tmp_path_factory, "ipld-values")


@pytest.mark.parametrize("seed", range(4))
def test_generated_values_round_trip_like_kubo(rpc: KuboRpc, seed: int) -> None:
    """150 generated values per seed: equal CIDs from both encoders, Kubo reads our DAG-JSON to
    the block we read it to, its DAG-JSON text is ours byte for byte, and its block decodes here
    to the value generated."""
    differ = []
    for value in values(150, seed):
        cbor, text = builtin.encode(value, "dag-cbor"), builtin.encode(value, "dag-json")
        ours = str(builtin.cid_for(cbor, "dag-cbor"))
        theirs = rpc.put(cbor, "dag-cbor")
        from_json = rpc.put(text, "dag-json")
        as_read = str(builtin.cid_for(builtin.encode(builtin.decode(text, "dag-json"), "dag-cbor"), "dag-cbor"))
        kubo_text = rpc.call("dag/get", {"arg": theirs, "output-codec": "dag-json"})
        block = rpc.call("block/get", {"arg": theirs})
        back = builtin.decode(block, "dag-cbor")
        if (ours, as_read, text.rstrip(b"\n")) != (theirs, from_json, kubo_text.rstrip(b"\n")) or not same_value(back, value):
            differ.append((value, ours, theirs, from_json, text[:200], kubo_text[:200]))
    assert not differ, differ[:3]


def test_values_past_int64(rpc: KuboRpc) -> None:
    """Integers in (int64, uint64] and [-2^64, -2^63): DAG-CBOR can hold them and this package
    round-trips them in both codecs. Kubo (go-ipld-prime, int64) refuses each as DAG-JSON input
    (``strconv.ParseInt: ... value out of range``). As DAG-CBOR input it keeps a uint64 but cuts
    its DAG-JSON output short, refuses -2^63-1 and stores -2^64 as 0; none of that is copied."""
    for big in (2**63, 2**64 - 1, -(2**63) - 1, -(2**64)):
        for codec in ("dag-cbor", "dag-json"):
            assert builtin.decode(builtin.encode({"n": big}, codec), codec) == {"n": big}
        with pytest.raises(urllib.error.HTTPError) as refused:
            rpc.put(builtin.encode({"n": big}, "dag-json"), "dag-json")
        assert b"value out of range" in refused.value.read()


def _dag_pb_node(rng: random.Random) -> dict[str, Any]:
    node: dict[str, Any] = {}
    if rng.random() < 0.7:
        node["Data"] = rng.randbytes(rng.choice([0, 1, 10, 200]))
    links = []
    for _ in range(rng.randrange(6)):
        link: dict[str, Any] = {"Hash": CID.parse(rng.choice(LINKS))}
        if rng.random() < 0.8:
            link["Name"] = rng.choice(["", "a", "b", "é", "a/b", "zz", "\x00", "日本"]) + rng.choice(["", "0", "1"])
        if rng.random() < 0.7:
            link["Tsize"] = rng.choice([0, 1, 300, 2**31, 2**63 - 1])
        links.append(link)
    node["Links"] = links
    return node


def test_generated_dag_pb_nodes_like_kubo(rpc: KuboRpc) -> None:
    """200 generated DAG-PB nodes (Data absent, empty or not; links with and without Name and
    Tsize, names out of order, repeated, empty, non-ASCII) put by Kubo from DAG-JSON: the CID
    this package gives the node with its links in the spec's order
    (``builtin.sort_dag_pb_links``, stable),
    and Kubo's block decodes here to that node. (Kubo's DAG-JSON view shows absent fields as
    null, a view its own ``dag put`` refuses; see ``builtin._dagpb``.)"""
    rng = random.Random(7)
    differ = []
    for _ in range(200):
        node = _dag_pb_node(rng)
        answer = rpc.call("dag/put", {"input-codec": "dag-json", "store-codec": "dag-pb", "pin": "false"},
                          builtin.encode(node, "dag-json"))
        theirs = CID.parse(json.loads(answer)["Cid"]["/"]).to_v1()
        ordered = builtin.sort_dag_pb_links(node)
        ours = builtin.cid_for(builtin.encode(ordered, "dag-pb"), "dag-pb").to_v1()
        back = builtin.decode(rpc.call("block/get", {"arg": str(theirs)}), "dag-pb")
        if ours != theirs or not same_value(back, ordered):
            differ.append((node, str(ours), str(theirs)))
    assert not differ, differ[:3]


def _plain(value: Any) -> Any:
    """``value`` without links and bytes (kinds plain JSON and CBOR do not carry)."""
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items() if not isinstance(v, (CID, bytes))}
    if isinstance(value, list):
        return [_plain(v) for v in value if not isinstance(v, (CID, bytes))]
    return value


@pytest.mark.parametrize("codec", ["json", "cbor"])
def test_generated_values_in_plain_codecs_like_kubo(rpc: KuboRpc, codec: str) -> None:
    """150 generated values (links and bytes left out) stored by Kubo as plain JSON or CBOR from
    this package's encoding: the CID this package gives what it reads back from that encoding,
    so the same bytes. Kubo's JSON codec writes maps in
    the order given, one entry per line with tabs (go-ipld-prime ``codec/json``), and so does
    this package's; its CBOR keeps the order given as well."""
    differ = []
    for value in (_plain(v) for v in values(150, 11) if not isinstance(v, (CID, bytes))):
        data = builtin.encode(value, codec)
        theirs = rpc.call("dag/put", {"input-codec": codec, "store-codec": codec, "pin": "false"}, data)
        as_read = builtin.encode(builtin.decode(data, codec), codec)  # -0.0 is written -0 and reads as 0
        ours = str(builtin.cid_for(as_read, codec))
        if json.loads(theirs)["Cid"]["/"] != ours:
            differ.append((value, data[:200], rpc.call("block/get", {"arg": json.loads(theirs)["Cid"]["/"]})[:200]))
    assert not differ, differ[:3]


def _path_below(rng: random.Random, value: Any, docs: dict[str, Any]) -> list[str]:
    """Segments from ``value`` down: keys present and absent, indexes in range, past it and in
    other spellings (``-1``, ``01``, ``+0``, ``-0``, ``x``), across links into ``docs``."""
    out: list[str] = []
    while True:
        if isinstance(value, dict):
            key = rng.choice([*value, "missing", "", "0"])
            out.append(key)
            if key not in value or rng.random() < 0.2:
                return out
            value = value[key]
        elif isinstance(value, list):
            index = rng.choice([*map(str, range(len(value))), "-1", str(len(value)), "01", "+0", "-0", "x"])
            out.append(index)
            if not index.isdigit() or int(index) >= len(value) or rng.random() < 0.2:
                return out
            value = value[int(index)]
        elif isinstance(value, CID) and str(value) in docs and rng.random() < 0.8:
            value = docs[str(value)]
        else:
            if rng.random() < 0.2:
                out.append("beyond")
            return out


def test_generated_paths_resolve_like_kubo(rpc: KuboRpc, tmp_path: Any) -> None:
    """300 generated paths over a DAG-CBOR DAG of generated documents linking to each other,
    resolved by Kubo's ``dag get`` and by ``autocodec.dag.resolve``: the same value (as DAG-JSON)
    or both refusing. List indexes are read as go-ipld-prime reads them (Go's ``ParseInt``)."""
    from autocodec.dag import resolve
    from autocodec.registry import Runtime

    rng = random.Random(3)
    docs: dict[str, Any] = {}
    with Runtime(tmp_path / "home", default_set=False) as runtime:
        for seed in range(12):
            doc = values(1, 100 + seed)[0]
            doc = doc if isinstance(doc, dict) else {"v": doc}
            if docs:
                earlier = [CID.parse(c) for c in docs]
                doc["link"] = rng.choice(earlier)
                doc["list"] = [rng.choice(earlier), 5, {"deep": rng.choice(earlier)}]
            data = builtin.encode(doc, "dag-cbor")
            cid = rpc.put(data, "dag-cbor")
            runtime.store.put(CID.parse(cid), data)
            docs[cid] = doc
        differ = []
        for _ in range(300):
            root = rng.choice(list(docs))
            path = "/".join([root, *_path_below(rng, docs[root], docs)])
            try:
                theirs: bytes | None = rpc.call("dag/get", {"arg": path, "output-codec": "dag-json"}).rstrip(b"\n")
            except urllib.error.HTTPError:
                theirs = None
            try:
                ours: bytes | None = builtin.encode(resolve(runtime, path).value, "dag-json")
            except AutocodecError:
                ours = None
            if theirs != ours:
                differ.append((path, theirs and theirs[:100], ours and ours[:100]))
    assert not differ, differ[:5]
