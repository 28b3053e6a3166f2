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
import math
import random
import struct
import urllib.error
import urllib.parse
import urllib.request
import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from autocodec import builtin
from autocodec.cid import CID
from autocodec.errors import AutocodecError
from tests._kubo import KuboRepo, require_kubo
from tests._model import same_value

pytestmark = [pytest.mark.slow, pytest.mark.ipfs]

LINKS = (
    "bafyreichhoqhko5uxo5jo47en3nmyxpf2abuc2j3ihbtzhfy56euace7ya",  # dag-cbor, sha2-256
    "QmQoJ4ooV4bcWMPerHe6dbnKk6oJDrJguUdDaZ8W7ATbke",  # CIDv0
    "bafkreifjjcie6lypi6ny7amxnfftagclbuxndqonfipmb64f2km2devei4",  # raw
    "bafkqaf3imvwgy3zaneqgc3janfxgy2lomvscay3jmqfa",  # identity
    "baf4bcfcigp4jekssx45xn76bc3igwypaocraf3a",  # git-raw, sha1
)
INTS = (0, 1, 23, 24, 255, 256, 65535, 65536, 2**32 - 1, 2**32, 2**53 + 1, 2**63 - 1,
        -1, -24, -25, -256, -257, -65537, -(2**32) - 1, -(2**63))
FLOATS = (0.0, -0.0, 0.1, 1.5, -2.25, 1e300, -1e-300, 5e-324, 2.2250738585072014e-308, 1.7976931348623157e308,
          123456789.125, 1e21, 1e-7, 3.0, 100.0, 0.30000000000000004)
STRINGS = ("", "a", "hello world", "é", "\u2028", "\U0001f600", 'quote " and \\ backslash', "\x00\x01\x1f\x7f",
           "tab\tnewline\n", "/", "{}", "日本語", "a" * 40)


def _value(rng: random.Random, depth: int) -> Any:
    kinds = ["int", "float", "str", "bytes", "link", "bool", "null"] + (["map", "list"] * 2 if depth < 4 else [])
    kind = rng.choice(kinds)
    if kind == "int":
        return rng.choice(INTS) if rng.random() < 0.6 else rng.randrange(-(2**63), 2**63)
    if kind == "float":
        if rng.random() < 0.6:
            return rng.choice(FLOATS)
        while not math.isfinite(value := struct.unpack("<d", rng.randbytes(8))[0]):
            pass
        return value
    if kind == "str":
        return rng.choice(STRINGS) if rng.random() < 0.7 else "".join(
            chr(rng.choice([rng.randrange(0x20, 0x7F), rng.randrange(0xA0, 0xD7FF), rng.randrange(0x10000, 0x10FFFF)]))
            for _ in range(rng.randrange(12)))
    if kind == "bytes":
        return rng.randbytes(rng.choice([0, 1, 5, 23, 24, 64]))
    if kind == "link":
        return CID.parse(rng.choice(LINKS))
    if kind == "bool":
        return rng.random() < 0.5
    if kind == "null":
        return None
    if kind == "list":
        return [_value(rng, depth + 1) for _ in range(rng.randrange(6))]
    keys = ["a", "b", "aa", "ab", "ba", "z", "", "é", "key", "Key", "longer key", "/", "bytes", "\x00"]
    return {rng.choice(keys) + (str(rng.randrange(3)) if rng.random() < 0.3 else ""): _value(rng, depth + 1)
            for _ in range(rng.randrange(6))}


def _values(count: int, seed: int) -> list[Any]:
    rng = random.Random(seed)
    out = []
    while len(out) < count:
        value = _value(rng, 0)
        if rng.random() < 0.7 and not isinstance(value, dict):
            value = {"v": value}  # mostly maps at the top, as documents are
        out.append(value)
    return out


class Rpc:
    """Kubo's HTTP RPC API: the few calls these tests make."""

    def __init__(self, url: str) -> None:
        self.url = url

    def call(self, command: str, params: dict[str, str], body: bytes | None = None) -> bytes:
        query = urllib.parse.urlencode(params)
        data, headers = None, {}
        if body is not None:
            boundary = uuid.uuid4().hex
            data = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"v\"\r\n"
                    f"Content-Type: application/octet-stream\r\n\r\n").encode() + body + f"\r\n--{boundary}--\r\n".encode()
            headers["Content-Type"] = f"multipart/form-data; boundary={boundary}"
        request = urllib.request.Request(f"{self.url}/api/v0/{command}?{query}", data=data or b"", headers=headers,
                                         method="POST")
        with urllib.request.urlopen(request, timeout=60) as response:
            return bytes(response.read())

    def put(self, body: bytes, input_codec: str) -> str:
        answer = self.call("dag/put", {"input-codec": input_codec, "store-codec": "dag-cbor", "pin": "false"}, body)
        return str(json.loads(answer)["Cid"]["/"])


def kubo_rpc(tmp_path_factory: pytest.TempPathFactory, name: str) -> Iterator[Rpc]:
    """A started throw-away Kubo (offline, loopback) for one test module, as its RPC API."""
    require_kubo()
    with KuboRepo.create(tmp_path_factory.mktemp(name) / "kubo") as kubo:
        kubo.start()
        yield Rpc(kubo.api_url)


@pytest.fixture(scope="module")
def rpc(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Rpc]:
    yield from kubo_rpc(tmp_path_factory, "ipld-values")


@pytest.mark.parametrize("seed", range(4))
def test_generated_values_round_trip_like_kubo(rpc: Rpc, seed: int) -> None:
    """150 generated values per seed: equal CIDs from both encoders, Kubo reads our DAG-JSON to
    the block we read it to, its DAG-JSON text is ours byte for byte, and its block decodes here
    to the value generated."""
    differ = []
    for value in _values(150, seed):
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


def test_values_past_int64(rpc: Rpc) -> None:
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


def test_generated_dag_pb_nodes_like_kubo(rpc: Rpc) -> None:
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
def test_generated_values_in_plain_codecs_like_kubo(rpc: Rpc, codec: str) -> None:
    """150 generated values (links and bytes left out) stored by Kubo as plain JSON or CBOR from
    this package's encoding: the CID this package gives what it reads back from that encoding,
    so the same bytes. Kubo's JSON codec writes maps in
    the order given, one entry per line with tabs (go-ipld-prime ``codec/json``), and so does
    this package's; its CBOR keeps the order given as well."""
    differ = []
    for value in (_plain(v) for v in _values(150, 11) if not isinstance(v, (CID, bytes))):
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


def test_generated_paths_resolve_like_kubo(rpc: Rpc, tmp_path: Any) -> None:
    """300 generated paths over a DAG-CBOR DAG of generated documents linking to each other,
    resolved by Kubo's ``dag get`` and by ``autocodec.dag.resolve``: the same value (as DAG-JSON)
    or both refusing. List indexes are read as go-ipld-prime reads them (Go's ``ParseInt``)."""
    from autocodec.dag import resolve
    from autocodec.registry import Runtime

    rng = random.Random(3)
    docs: dict[str, Any] = {}
    with Runtime(tmp_path / "home", default_set=False) as runtime:
        for seed in range(12):
            doc = _values(1, 100 + seed)[0]
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
