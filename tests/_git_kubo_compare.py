"""git-raw against Kubo's git codec (go-ipld-git in Kubo v0.43.1), object by object: ``compare``
puts every object into a Kubo node over its RPC API (``KeptAliveRpc``, ``kubo_views``), checks that
autocodec's decode equals Kubo's but for the extensions git-raw.ipldsch documents
(``as_reference`` undoes them, ``kubo_should_fail`` says which objects Kubo refuses, ``cbor_raw``
and ``as_raw`` compare the exact bytes of text that is not UTF-8), and returns the tallies.
"""

from __future__ import annotations

import http.client
import json
import uuid
from collections import Counter
from typing import Any

from autocodec.builtin import encode
from autocodec.cid import CID
from autocodec.loader._adapters import Codec
from tests._git_corpus import go_lossy
from tests._kubo import KuboRepo

GIT_RAW = 0x78


def cid_of(oid: str) -> CID:
    return CID.build(GIT_RAW, b"\x11\x14" + bytes.fromhex(oid))


# --- Kubo over HTTP ------------------------------------------------------------------------------


class KeptAliveRpc:
    """Kubo's RPC API on one kept-alive connection."""

    def __init__(self, port: int) -> None:
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)

    def call(self, path: str, body: bytes = b"", headers: dict[str, str] | None = None) -> tuple[int, bytes]:
        self.conn.request("POST", f"/api/v0/{path}", body=body, headers=headers or {})
        resp = self.conn.getresponse()
        return resp.status, resp.read()

    def put_many(self, path: str, blocks: list[bytes], partial: bool = False) -> list[dict[str, Any]]:
        """One multipart request with every block as a file; Kubo answers a JSON line per file.
        ``partial``: an error status (the first file failed) gives no answers instead of failing."""
        boundary = uuid.uuid4().hex
        parts = [
            f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"b{i}\"\r\n"
            f"Content-Type: application/octet-stream\r\n\r\n".encode() + b + b"\r\n"
            for i, b in enumerate(blocks)
        ]
        body = b"".join(parts) + f"--{boundary}--\r\n".encode()
        status, out = self.call(path, body, {"Content-Type": f"multipart/form-data; boundary={boundary}"})
        if partial and status != 200:
            return []
        assert status == 200, out[:500]
        return [json.loads(line) for line in out.splitlines() if line.strip()]


def kubo_answer(status: int, out: bytes) -> Any:
    """dag/get's value, or {"error": message}; a decode or encode that ends in a stream error (Kubo's
    io.EOF cases, a nil link) answers 200 with an empty or cut body."""
    if status == 200 and out.strip():
        try:
            return json.loads(out)
        except json.JSONDecodeError:  # cut by an error while writing (a nil link: no tree/object line)
            return {"error": "(truncated answer: a stream error)"}
    return {"error": json.loads(out).get("Message", "") if out.strip() else "(empty answer: a stream error)"}


def kubo_views(rpc: KeptAliveRpc, blocks: dict[str, bytes]) -> tuple[dict[str, Any], dict[str, str]]:
    """oid -> Kubo's DAG-JSON value (parsed) or error text; oid -> the CID Kubo's dag put gives."""
    oids = sorted(blocks)
    views: dict[str, Any] = {}
    reput: dict[str, str] = {}
    for start in range(0, len(oids), 500):
        chunk = oids[start : start + 500]
        stored = rpc.put_many("block/put?cid-codec=git-raw&mhtype=sha1", [blocks[o] for o in chunk])
        assert [s["Key"] for s in stored] == [str(cid_of(o)) for o in chunk]
    for oid in oids:
        status, out = rpc.call(f"dag/get?arg={cid_of(oid)}&output-codec=dag-json")
        views[oid] = kubo_answer(status, out)
    # dag put answers for the files before the first one it fails on, then stops: go on after it
    todo = [o for o in oids if not (isinstance(views[o], dict) and set(views[o]) == {"error"})]
    while todo:
        chunk = todo[:500]
        put = rpc.put_many("dag/put?input-codec=git-raw&store-codec=git-raw&hash=sha1", [blocks[o] for o in chunk],
                           partial=True)
        for oid, answer in zip(chunk, put):
            reput[oid] = answer["Cid"]["/"]
        if len(put) < len(chunk):
            reput[chunk[len(put)]] = "error"
        todo = todo[len(put) + 1 :] if len(put) < len(chunk) else todo[len(chunk) :]
    # the few that did not come back unchanged: once more alone (a failing file can cut the
    # batch's stream before the answer just before it is written)
    for oid in [o for o, c in reput.items() if c != str(cid_of(o))]:
        put = rpc.put_many("dag/put?input-codec=git-raw&store-codec=git-raw&hash=sha1", [blocks[oid]], partial=True)
        reput[oid] = put[0]["Cid"]["/"] if put else "error"
    return views, reput


# --- autocodec's view, and the documented extensions ---------------------------------------------------


def as_reference(kind: str, value: Any, used: set[str]) -> Any:
    """autocodec's value with each documented extension undone as Kubo would show it."""
    if kind == "blob":
        return value
    if kind == "tree":
        if isinstance(value, list):
            used.add("tree-list")
            value = {e["name"] if isinstance(e["name"], str) else go_lossy(e["name"]): e for e in value}
        elif any("name" in e for e in value.values()):
            used.add("tree-name")
        if any(isinstance(e["mode"], bytes) for e in value.values()):
            used.add("bytes")  # E1: a mode that is not UTF-8 (Kubo's DAG-JSON shows U+FFFD)
        return {k: {"hash": e["hash"], "mode": go_lossy(e["mode"]) if isinstance(e["mode"], bytes) else e["mode"]}
                for k, e in value.items()}

    def strings(v: Any) -> Any:
        if isinstance(v, bytes):
            used.add("bytes")
            return go_lossy(v)
        if isinstance(v, list):
            return [strings(x) for x in v]
        if isinstance(v, dict):
            return {k: strings(x) for k, x in v.items()}
        return v

    if "rawHeaders" in value:
        used.add("rawHeaders")
        value = {k: v for k, v in value.items() if k != "rawHeaders"}
    return strings(value)


def kubo_should_fail(kind: str, value: Any) -> str | None:
    """Why go-ipld-git refuses this object, read off autocodec's value (None: it decodes it)."""
    if kind == "tree" and isinstance(value, list):
        names = [e["name"] for e in value]
        return "duplicate tree entry names" if len(set(names)) != len(names) else None
    if kind != "commit":
        return None
    for line in value["other"]:
        text = line if isinstance(line, str) else line.decode("latin-1")
        if text.startswith("gpgsig "):
            return "a gpgsig that is not PGP-armoured"
        if text.startswith(("author ", "committer ")):
            return "an ident it cannot split"
    return None


def cbor_raw(data: bytes) -> Any:
    """Kubo's DAG-CBOR output read with text strings kept as their raw bytes (Go strings may hold
    any bytes), links as CID bytes: what the extensions E1/E2 must give back exactly."""

    def item(pos: int) -> tuple[Any, int]:
        major, info = data[pos] >> 5, data[pos] & 31
        pos += 1
        if info < 24:
            arg = info
        else:
            size = 1 << (info - 24)
            arg, pos = int.from_bytes(data[pos : pos + size], "big"), pos + size
        if major in (2, 3):
            return bytes(data[pos : pos + arg]), pos + arg
        if major == 4:
            out = []
            for _ in range(arg):
                v, pos = item(pos)
                out.append(v)
            return out, pos
        if major == 5:
            m = {}
            for _ in range(arg):
                k, pos = item(pos)
                m[k], pos = item(pos)
            return m, pos
        if major == 6:
            v, pos = item(pos)
            return CID(v[1:]), pos
        if major == 7 and info == 22:
            return None, pos
        raise AssertionError(f"unexpected CBOR item {major}/{info}")

    value, end = item(0)
    assert end == len(data)
    return value


def _exact(text: str | bytes) -> bytes:
    """A Str's exact bytes: its UTF-8, or the bytes themselves when it is Bytes (E1, E2)."""
    return text if isinstance(text, bytes) else text.encode()


def as_raw(kind: str, value: Any) -> Any:
    """autocodec's value with every string as its exact bytes (E1) and tree keys as names (E2)."""
    if kind == "tree":
        return {e.get("name", k.encode()): {b"hash": e["hash"], b"mode": _exact(e["mode"])} for k, e in value.items()}
    if isinstance(value, str):
        return value.encode()
    if isinstance(value, list):
        return [as_raw(kind, v) for v in value]
    if isinstance(value, dict):
        return {k.encode(): as_raw(kind, v) for k, v in value.items() if k != "rawHeaders"}
    return value


def tree_raw(value: Any) -> dict[bytes, Any]:
    """A decoded tree (map or list form) as {exact name: {b"hash", b"mode"}}."""
    entries = value.items() if isinstance(value, dict) else [(None, e) for e in value]
    out: dict[bytes, Any] = {}
    for key, e in entries:
        name = e.get("name", key)
        out[_exact(name)] = {b"hash": e["hash"], b"mode": _exact(e["mode"])}
    return out


def as_json(value: Any) -> Any:
    return json.loads(encode(value, "dag-json"))


def compare(corpus_objects: dict[str, tuple[str, bytes]], codec: Codec, node: KuboRepo) -> Counter[str]:
    """Every object through both; asserts agreement and returns the tallies."""
    blocks = {oid: block for oid, (_, block) in corpus_objects.items()}
    rpc = KeptAliveRpc(node.api_port)
    views, reput = kubo_views(rpc, blocks)
    oids = sorted(blocks)
    values = codec.decode_many([blocks[o] for o in oids])
    tally: Counter[str] = Counter()
    problems: list[str] = []
    for oid, value in zip(oids, values):
        kind, block = corpus_objects[oid]
        tally["tried"] += 1
        if isinstance(value, Exception):
            problems.append(f"{oid} {kind}: autocodec cannot decode it: {value}")
            continue
        tally["decoded"] += 1
        if codec.encode(value) != block:
            problems.append(f"{oid} {kind}: decode -> encode changes the bytes")
        kubo = views[oid]
        why = kubo_should_fail(kind, value)
        if isinstance(kubo, dict) and set(kubo) == {"error"}:
            tally[f"kubo cannot decode: {why}"] += 1
            if why is None:
                problems.append(f"{oid} {kind}: Kubo fails ({kubo['error']}) on an object with no documented reason")
            continue
        if why is not None:
            problems.append(f"{oid} {kind}: Kubo decodes it, yet autocodec's value says it should not ({why})")
        used: set[str] = set()
        if as_json(as_reference(kind, value, used)) != kubo:
            problems.append(f"{oid} {kind}: differs from Kubo:\n  autocodec {as_json(value)}\n  kubo      {kubo}")
            continue
        if used & {"bytes", "tree-name"}:
            # Kubo's DAG-JSON shows U+FFFD: its DAG-CBOR keeps the bytes, which must be ours exactly
            status, cbor = rpc.call(f"dag/get?arg={cid_of(oid)}&output-codec=dag-cbor")
            tally["exact bytes compared (dag-cbor)"] += 1
            if status != 200 or cbor_raw(cbor) != as_raw(kind, value):
                problems.append(f"{oid} {kind}: non-UTF-8 text differs from Kubo's bytes")
        tally["agree with kubo"] += 1
        tally["agree exactly" if not used else "agree modulo " + "+".join(sorted(used))] += 1
        kubo_keeps = reput.get(oid) == str(cid_of(oid))
        tally[f"kubo dag put keeps the object: {kubo_keeps}"] += 1
        if isinstance(value, dict) and "rawHeaders" in value and reput.get(oid, "error") != "error":
            # the reference encoder, differentially: without rawHeaders autocodec writes what Kubo wrote
            status, rewritten = rpc.call(f"block/get?arg={reput[oid]}")
            tally["kubo re-encodings compared"] += 1
            if status != 200 or codec.encode({k: v for k, v in value.items() if k != "rawHeaders"}) != rewritten:
                problems.append(f"{oid} {kind}: without rawHeaders, encode differs from Kubo's encoder")
        if kind in ("commit", "tag") and ("rawHeaders" in value) == kubo_keeps:
            problems.append(f"{oid} {kind}: rawHeaders {'present' if kubo_keeps else 'absent'} although Kubo's "
                            f"dag put {'keeps' if kubo_keeps else 'changes'} the object")
    assert not problems, "\n".join(problems[:20]) + f"\n({len(problems)} problems)"
    return tally
