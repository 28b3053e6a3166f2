"""Differential fuzzing against Kubo v0.43.1: structure-aware mutants of valid blocks, read by
Kubo (``block/put --cid-codec X`` then ``dag/get``; ``dag/put --input-codec X`` for the encoding
side) and by this package (the builtin codecs as ``Runtime`` reads them, ``strict=False``; the
git-raw Wasm module), compared as DAG-JSON bytes: accepted by both with the same text, or refused
by both.

Generators (one per codec, each ``gen_X(rng) -> bytes``):

- dag-cbor: generated values (``tests._ipld_values.values``) written by
  ``tests._loose_cbor.LooseWriter`` (map key order, half and single floats, stray tags, faults),
  then token-level changes: big integers (uint64 heads, tags 2 and 3), non-minimal heads,
  indefinite lengths, duplicate keys, deep nesting, NaN and infinities, simple values, and byte
  flips, cuts and insertions;
- dag-json: canonical text of generated values, then token changes: number spellings,
  string escapes, ``{"/": ...}`` forms (links, bytes, extra keys), duplicate and unsorted keys,
  whitespace, nesting, cuts;
- dag-pb: protobuf written field by field (order, unknown and repeated fields, non-minimal
  varints, wrong wire types, big Tsize, names that are not UTF-8, hashes that are not CIDs);
- raw: random bytes;
- git-raw: commits, tags, trees and blobs with headers moved, repeated, dropped or changed
  (modes, dates, time zones, gpgsig and mergetag blocks, encodings);
- json and cbor: the dag-json and dag-cbor mutants (Kubo reads them with the same tokenizers;
  plain JSON is compared as Kubo's indented JSON output).

``Kubo`` batches the puts (one multipart request per batch) and keeps one connection alive.
``ours(codec, block)`` is this package's answer, ``our_put`` its ``dag put``. Differences kept
on purpose (docs/bounds.md "Where Kubo's answer differs", git-raw.ipldsch's framing note and
E4) are recognised by ``documented(...)`` and ``documented_put(...)``, which name the documented
item, so the rest must be equal. ``tests/test_fuzz_kubo.py`` runs them.
"""

from __future__ import annotations

import base64
import http.client
import json
import random
import re
import struct
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from autocodec import builtin
from autocodec.cid import CID
from autocodec.errors import AutocodecError
from tests._loose_cbor import FAULTS, LooseWriter, _head
from tests._ipld_values import LINKS, values

CODES = {"dag-cbor": 0x71, "dag-json": 0x0129, "dag-pb": 0x70, "raw": 0x55, "git-raw": 0x78, "json": 0x0200, "cbor": 0x51}
FAMILY = {"json": "dag-json", "cbor": "dag-cbor"}  # plain JSON and CBOR: Kubo reads them with the same tokenizers


def output_codec(codec: str) -> str:
    """What a block's data model is shown in: plain JSON as JSON (Kubo's indented form), the rest as DAG-JSON."""
    return "json" if codec == "json" else "dag-json"


# --- Kubo over its RPC API ----------------------------------------------------------------------


class Kubo:
    """One kept-alive connection to a running Kubo daemon's RPC API."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)

    def call(self, path: str, body: bytes = b"", headers: dict[str, str] | None = None) -> tuple[int, bytes]:
        try:
            self.conn.request("POST", f"/api/v0/{path}", body=body, headers=headers or {})
            resp = self.conn.getresponse()
            return resp.status, resp.read()
        except (http.client.HTTPException, OSError):
            self.conn.close()
            self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=120)
            raise

    @staticmethod
    def _multipart(blocks: list[bytes]) -> tuple[bytes, dict[str, str]]:
        boundary = uuid.uuid4().hex
        parts = [f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"b{i}\"\r\n"
                 f"Content-Type: application/octet-stream\r\n\r\n".encode() + b + b"\r\n" for i, b in enumerate(blocks)]
        return b"".join(parts) + f"--{boundary}--\r\n".encode(), {"Content-Type": f"multipart/form-data; boundary={boundary}"}

    def block_get(self, cid: str) -> bytes | None:
        status, out = self.call(f"block/get?arg={cid}")
        return out if status == 200 else None

    def block_put_many(self, blocks: list[bytes], codec: str, mhtype: str = "sha2-256") -> list[str]:
        body, headers = self._multipart(blocks)
        status, out = self.call(f"block/put?cid-codec={codec}&mhtype={mhtype}&pin=false", body, headers)
        assert status == 200, out[:500]
        keys = [str(json.loads(line)["Key"]) for line in out.splitlines() if line.strip()]
        assert len(keys) == len(blocks), (len(keys), len(blocks))
        return keys

    def dag_get(self, cid: str, output_codec: str = "dag-json") -> bytes | None:
        """Kubo's output (a DAG-JSON text's trailing newline dropped), or None when it refuses (an
        error status, or an empty DAG-JSON body: a stream error after the headers)."""
        status, out = self.call(f"dag/get?arg={cid}&output-codec={output_codec}")
        if status != 200 or (not out and output_codec != "dag-pb"):  # an empty DAG-PB node is b""
            return None
        return out[:-1] if out.endswith(b"\n") and output_codec == "dag-json" else out

    def dag_put(self, block: bytes, input_codec: str, store_codec: str = "dag-cbor", hash: str = "sha2-256") -> str | None:
        body, headers = self._multipart([block])
        status, out = self.call(f"dag/put?input-codec={input_codec}&store-codec={store_codec}&hash={hash}&pin=false",
                                body, headers)
        if status != 200 or not out.strip():
            return None
        return str(json.loads(out.splitlines()[0])["Cid"]["/"])


@pytest.fixture(scope="module")
def kubo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Kubo]:
    """A started Kubo repo of the test module's own, as its RPC API (``kubo = D.kubo`` in a module)."""
    from tests._kubo import KuboRepo, require_kubo

    require_kubo()
    with KuboRepo.create(tmp_path_factory.mktemp("kubo-diff") / "kubo") as repo:
        repo.start()
        yield Kubo(repo.api_port)


# --- this package's answer ----------------------------------------------------------------------------


@dataclass
class Answer:
    text: bytes | None  # DAG-JSON, or None: refused
    why: str = ""  # our error, when refused
    value: Any = None  # the value decoded (git-raw: with its extensions, not as Kubo shows it)


def ours(codec: str, block: bytes, git: Any = None) -> Answer:
    """Decode as ``Runtime`` does (builtins relaxed; git-raw through ``git``, a loaded Codec, shown
    as Kubo would show it: the documented extensions undone, see ``tests._git_kubo_compare``)."""
    try:
        value = git.decode(block) if codec == "git-raw" else builtin.decode(block, codec, strict=False)
    except AutocodecError as exc:
        return Answer(None, f"decode: {type(exc).__name__}: {exc}")
    if codec == "git-raw":
        from tests._git_kubo_compare import as_reference, kubo_should_fail

        kind = block[: block.index(b" ")].decode()
        used: set[str] = set()
        should_fail = kubo_should_fail(kind, value)
        if should_fail:
            return Answer(None, f"extension: Kubo fails on {should_fail}", value)
        shown = as_reference(kind, value, used)
    else:
        shown = value
    try:
        return Answer(builtin.encode(shown, output_codec(codec)), value=value)
    except AutocodecError as exc:
        return Answer(None, f"encode: {type(exc).__name__}: {exc}", value)


def our_put(codec: str, block: bytes, store: str = "dag-cbor") -> str | None:
    """The CID ``dag put --input-codec codec --store-codec store`` gives here (``cmd_dag``: links
    of a DAG-PB node sorted first), or None when refused."""
    try:
        value = builtin.decode(block, codec, strict=False)
        if store == "dag-pb":
            value = builtin.sort_dag_pb_links(value)
        return str(builtin.cid_for(builtin.encode(value, store), store))
    except AutocodecError:
        return None


# --- generators -------------------------------------------------------------------------------------------


def cid_bytes(rng: random.Random) -> bytes:
    """CID bytes, valid or not: versions, codecs and multihash codes (some unknown, some
    non-minimal varints), digest lengths shorter, equal to and longer than the digest given,
    bytes after the digest, CIDv0 shapes."""
    if rng.random() < 0.2:  # CIDv0 shapes: a bare sha2-256 multihash
        return b"\x12" + bytes([rng.choice([32, 31, 33, 20])]) + rng.randbytes(rng.choice([32, 31, 33]))
    version = rng.choice([b"\x01"] * 6 + [b"\x00", b"\x02", b"\x03", b"\x81\x00", b"\x12"])
    codec = rng.choice([b"\x55", b"\x70", b"\x71", b"\x78", b"\xa9\x02", b"\x80\x02", b"\x85\x01", b"\xd5\x00",
                        b"\xff\xff\xff\xff\x0f", b"\x00", b"\x51", b"\x90\x01"])
    code = rng.choice([b"\x12", b"\x12", b"\x00", b"\x11", b"\x13", b"\x1e", b"\xa0\xe4\x02", b"\x1b", b"\x92\x00",
                       b"\x99\x01", b"\x14", b"\x16", b"\x56", b"\xb2\x20"])
    digest = rng.choice([32, 32, 20, 0, 1, 19, 64, 31, 33, 128, 129])
    declared = digest if rng.random() < 0.8 else rng.choice([digest + 1, max(digest - 1, 0), 0x80])
    length = bytes([declared]) if declared < 0x80 else bytes([declared & 0x7F | 0x80, declared >> 7])
    if rng.random() < 0.05:
        length = bytes([declared | 0x80, 0])  # non-minimal
    tail = b"" if rng.random() < 0.9 else rng.choice([b"\x00", b"x", b"\x01\x55\x00\x00"])
    return version + codec + code + length + rng.randbytes(digest) + tail


def _bytes_mutation(rng: random.Random, data: bytes) -> bytes:
    """One flip, insertion, deletion, cut or repeated slice."""
    if not data:
        return bytes([rng.randrange(256)])
    b = bytearray(data)
    op = rng.randrange(6)
    i = rng.randrange(len(b))
    if op == 0:
        b[i] ^= 1 << rng.randrange(8)
    elif op == 1:
        b.insert(i, rng.choice([0x00, 0xFF, 0x1F, 0x20, 0x7F, 0x80, 0xF6, 0xF7, rng.randrange(256)]))
    elif op == 2:
        del b[i]
    elif op == 3:
        del b[i:]
    elif op == 4:
        j = min(len(b), i + rng.randrange(1, 8))
        b[j:j] = b[i:j]
    else:
        b[i] = rng.randrange(256)
    return bytes(b)


CBOR_EXTRAS = [
    bytes.fromhex("1b7fffffffffffffff"), bytes.fromhex("1b8000000000000000"), bytes.fromhex("1bffffffffffffffff"),
    bytes.fromhex("3b7fffffffffffffff"), bytes.fromhex("3b8000000000000000"), bytes.fromhex("3bffffffffffffffff"),
    bytes.fromhex("c24101"), bytes.fromhex("c349010000000000000000"), bytes.fromhex("c240"),
    bytes.fromhex("f97c00"), bytes.fromhex("f9fc00"), bytes.fromhex("f97e00"), bytes.fromhex("fb7ff8000000000000"),
    bytes.fromhex("fa7f800000"), bytes.fromhex("f98000"), bytes.fromhex("fb8000000000000000"), bytes.fromhex("f90001"),
    bytes.fromhex("f7"), bytes.fromhex("e0"), bytes.fromhex("f8ff"), bytes.fromhex("f820"), bytes.fromhex("ff"),
    bytes.fromhex("5f4101ff"), bytes.fromhex("7f6161ff"), bytes.fromhex("9f01ff"), bytes.fromhex("bf6161f6ff"),
    bytes.fromhex("5fff"), bytes.fromhex("7fff"), bytes.fromhex("9fff"), bytes.fromhex("bfff"),
    bytes.fromhex("1800"), bytes.fromhex("190001"), bytes.fromhex("1a00000001"), bytes.fromhex("1b0000000000000001"),
    bytes.fromhex("5800"), bytes.fromhex("7800"), bytes.fromhex("9800"), bytes.fromhex("b800"),
    bytes.fromhex("d82a4100"), bytes.fromhex("d82a40"), bytes.fromhex("d82a420001"), bytes.fromhex("d82a5800"),
    bytes.fromhex("d82a4200") , bytes.fromhex("d82a6161"), bytes.fromhex("d82a01"), bytes.fromhex("d82ad82a4100"),
    bytes.fromhex("d82a582300122000000000000000000000000000000000000000000000000000000000000000000000"),
    bytes.fromhex("d82a582300122000000000000000000000000000000000000000000000000000000000000000000000"[:-2]),
    bytes.fromhex("d82a5825000171122000000000000000000000000000000000000000000000000000000000000000000000"),
    bytes.fromhex("d82a5826000171122000000000000000000000000000000000000000000000000000000000000000000000ff"),
    bytes.fromhex("d82a4a00015500050102030405"), bytes.fromhex("d82a4700015500020102"),
    bytes.fromhex("d82a5824015500200000000000000000000000000000000000000000000000000000000000000000"),
    bytes.fromhex("c0f6"), bytes.fromhex("c1c101"), bytes.fromhex("db7fffffffffffffff01"),
    bytes.fromhex("db800000000000000001"), bytes.fromhex("d9d9f7a0"), bytes.fromhex("62c3a9"), bytes.fromhex("62c328"),
    bytes.fromhex("6300e29c"), bytes.fromhex("61ff"), bytes.fromhex("6400000000"),
]


def _cbor_item(rng: random.Random, depth: int = 0) -> bytes:
    """A random CBOR item, valid or not, from the edge forms above and small containers."""
    r = rng.random()
    if r < 0.15:
        cid = cid_bytes(rng)
        body = (b"\x00" if rng.random() < 0.9 else b"") + cid
        return b"\xd8\x2a" + _head(2, len(body)) + body
    if r < 0.25:  # any half, single or double float bits (subnormals, NaN payloads, infinities)
        return rng.choice([b"\xf9" + rng.randbytes(2), b"\xfa" + rng.randbytes(4), b"\xfb" + rng.randbytes(8)])
    if r < 0.45 or depth > 3:
        return rng.choice(CBOR_EXTRAS)
    if r < 0.6:
        return _head(0 if rng.random() < 0.5 else 1, rng.choice([0, 23, 24, 255, 256, 2**32, 2**63 - 1, 2**63, 2**64 - 1]))
    if r < 0.75:
        n = rng.randrange(4)
        return _head(4, n) + b"".join(_cbor_item(rng, depth + 1) for _ in range(n))
    n = rng.randrange(4)
    keys = [rng.choice(["a", "b", "aa", "", "a", "/"]) for _ in range(n)]
    if rng.random() < 0.5:
        keys.sort(key=lambda k: (len(k), k))
    return _head(5, n) + b"".join(_head(3, len(k)) + k.encode() + _cbor_item(rng, depth + 1) for k in keys)


def _cbor_splice(rng: random.Random, block: bytes) -> bytes:
    """Replace one whole item of a block with a random one (the item is found by walking heads)."""
    starts = _cbor_item_starts(block)
    if not starts:
        return block
    start, end = rng.choice(starts)
    return block[:start] + _cbor_item(rng) + block[end:]


def _cbor_item_starts(data: bytes) -> list[tuple[int, int]]:
    """(start, end) of every item in a well-formed definite-length CBOR block; [] if not walkable."""
    out: list[tuple[int, int]] = []

    def item(pos: int, depth: int) -> int:
        if depth > 200 or pos >= len(data):
            raise ValueError
        start = pos
        major, info = data[pos] >> 5, data[pos] & 31
        pos += 1
        if info < 24:
            arg = info
        elif info < 28:
            size = 1 << (info - 24)
            if pos + size > len(data):
                raise ValueError
            arg, pos = int.from_bytes(data[pos : pos + size], "big"), pos + size
        else:
            raise ValueError
        if major in (2, 3):
            pos += arg
        elif major == 4:
            for _ in range(arg):
                pos = item(pos, depth + 1)
        elif major == 5:
            for _ in range(arg * 2):
                pos = item(pos, depth + 1)
        elif major == 6:
            pos = item(pos, depth + 1)
        if pos > len(data):
            raise ValueError
        out.append((start, pos))
        return pos

    try:
        item(0, 0)
    except (ValueError, IndexError):
        return []
    return out


def gen_dag_cbor(rng: random.Random) -> bytes:
    value = values(1, rng.randrange(2**32))[0]
    fault = rng.choice(FAULTS) if rng.random() < 0.3 else None
    block = LooseWriter(rng, fault).write(value)
    r = rng.random()
    if r < 0.35:
        block = _cbor_splice(rng, block)
    elif r < 0.45:
        depth = rng.choice([10, 100, 1000, 1100])
        block = (b"\x81" if rng.random() < 0.5 else b"\xa1\x61a") * depth + block
    elif r < 0.7:
        for _ in range(rng.randrange(1, 3)):
            block = _bytes_mutation(rng, block)
    return block


NUMBERS = ["0", "-0", "1", "-1", "0.0", "-0.0", "1.0", "1.5", "1e2", "1E2", "1e+2", "1e-2", "1.0e2", "10e0",
           "9223372036854775807", "9223372036854775808", "-9223372036854775808", "-9223372036854775809",
           "18446744073709551615", "18446744073709551616", "1e400", "-1e400", "1e-400", "4.9e-324", "2e-324",
           "1.7976931348623157e308", "1.7976931348623159e308", "0.1", "100000000000000000000", "1e21", "123456789012345678",
           "01", "-01", "1.", ".5", "+1", "1e", "1e+", "0x10", "NaN", "Infinity", "-", "00", "1.50", "5e-1", "2.5E-3",
           "0.30000000000000004", "1.0000000000000002", "9007199254740993", "9007199254740993.0", "1e0", "-0e0"]
STRING_BODIES = ["", "a", "\\n", "\\u0000", "\\u001f", "\\u007f", "\\/", "\\\"", "\\\\", "\\b\\f\\r\\t", "\\u00e9",
                 "\\ud83d\\ude00", "\\ud800", "\\udc00", "\\ud800x", "\\u2028", "\\x41", "\\a", "\\u12", "\\uZZZZ",
                 "é", "\U0001f600", "\x7f", "\x01", "\t", "\u2028", "\ufeff", "\\ufeff", "\\uFFFF", "\\uDBFF\\uDFFF"]
CID_TEXTS = LINKS + ("bafkqaaa", "QmQoJ4ooV4bcWMPerHe6dbnKk6oJDrJguUdDaZ8W7ATbk", "bafkqaaa ", " bafkqaaa",
                     "BAFKQAAA", "zb2rhe5P4gXftAwvA4eXQ5HJwsER2owDyS9sKaQRRVQPn93bA", "mAVUAAA", "uAVUAAA",
                     "f01550000", "", "x", "bafyreichhoqhko5uxo5jo47en3nmyxpf2abuc2j3ihbtzhfy56euace7y")
BYTES_TEXTS = ["", "AQ", "AQ==", "AR", "AQI", "AQID", "AAAA", "-_8", "+/8", "YQ\n", "YQ=", "Y Q", "YWJj", "=", "A"]


def _json_token(rng: random.Random, depth: int = 0) -> str:
    r = rng.random()
    if r < 0.1:  # a random decimal: up to 25 digits, a fraction, an exponent
        digits = str(rng.randrange(10 ** rng.randrange(1, 26)))
        frac = "." + str(rng.randrange(10 ** rng.randrange(1, 20))) if rng.random() < 0.5 else ""
        exp = rng.choice(["e", "E"]) + rng.choice(["", "+", "-"]) + str(rng.randrange(400)) if rng.random() < 0.5 else ""
        return rng.choice(["", "-"]) + digits + frac + exp
    if r < 0.3 or depth > 3:
        return rng.choice(NUMBERS)
    if r < 0.45:
        return '"' + "".join(rng.choice(STRING_BODIES) for _ in range(rng.randrange(1, 3))) + '"'
    if r < 0.55:
        return rng.choice(["true", "false", "null", "True", "nul", "[]", "{}"])
    if r < 0.7:
        forms = [f'{{"/":"{rng.choice(CID_TEXTS)}"}}', f'{{"/":"{_cid_text(rng)}"}}',
                 f'{{"/":"{_cid_text(rng)}"}}', f'{{"/":{{"bytes":"{rng.choice(BYTES_TEXTS)}"}}}}',
                 '{"/":"bafkqaaa","x":1}', '{"/":{"bytes":"AQ"},"x":1}', '{"/":{"bytes":"AQ","x":1}}',
                 '{"/":{"bytes":1}}', '{"/":1}', '{"/":null}', '{"/":[]}', '{"/":{}}', '{"/":{"x":"AQ"}}',
                 '{"/":"bafkqaaa","/":"bafkqaaa"}', '{"/":{"bytes":"AQ","bytes":"AQ"}}', '{"/":{"/":"bafkqaaa"}}',
                 '{ "/" : "bafkqaaa" }', '{"/":"bafkqaaa" }', '{"\\/":"bafkqaaa"}', '{"/":{"bytes":"AQ"} }',
                 '{"/":{ "bytes" : "AQ" }}']
        return rng.choice(forms)
    if r < 0.85:
        return "[" + ",".join(_json_token(rng, depth + 1) for _ in range(rng.randrange(4))) + "]"
    keys = ['"a"', '"b"', '"aa"', '""', '"a"', '"\\u0061"', '"/"', '"bytes"', '"é"', '"\\ud800"']
    n = rng.randrange(4)
    return "{" + ",".join(f"{rng.choice(keys)}:{_json_token(rng, depth + 1)}" for _ in range(n)) + "}"


def _cid_text(rng: random.Random) -> str:
    """Text of random CID bytes: base32 multibase for CIDv1 shapes, base58btc for CIDv0 shapes."""
    raw = cid_bytes(rng)
    if raw[0] == 0x12 and rng.random() < 0.8:
        return _b58(raw)
    return "b" + base64.b32encode(raw).decode().lower().rstrip("=")


def _b58(data: bytes) -> str:
    alphabet = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
    n, out = int.from_bytes(data, "big"), ""
    while n:
        n, r = divmod(n, 58)
        out = alphabet[r] + out
    return "1" * (len(data) - len(data.lstrip(b"\0"))) + out


def _json_spans(text: str) -> list[tuple[int, int]]:
    """Spans of the scalar tokens (numbers, strings, literals) in a JSON text."""
    return [m.span() for m in re.finditer(r'"(?:[^"\\]|\\.)*"|-?[0-9][0-9.eE+-]*|true|false|null', text)]


def gen_dag_json(rng: random.Random) -> bytes:
    r = rng.random()
    if r < 0.25:
        return _json_token(rng).encode()
    value = values(1, rng.randrange(2**32))[0]
    try:
        text = builtin.encode(value, "dag-json").decode()
    except AutocodecError:  # a map whose only key is "/" (no DAG-JSON form)
        return _json_token(rng).encode()
    for _ in range(rng.randrange(1, 4)):
        spans = _json_spans(text)
        op = rng.random()
        if op < 0.55 and spans:
            start, end = rng.choice(spans)
            text = text[:start] + _json_token(rng, 2) + text[end:]
        elif op < 0.65:
            i = rng.randrange(len(text) + 1)
            text = text[:i] + rng.choice([" ", "\n", "\t", "\r", "\u00a0", ",", ":", "]", "}", "\ufeff"]) + text[i:]
        elif op < 0.75:
            text = rng.choice(['{"z":0,"a":', '{"a":0,"a":', "[", '{"/":']) + text + rng.choice(["}", "]", "", "}}"])
        elif op < 0.8:
            text = "[" * rng.choice([10, 100, 1000, 1100]) + "]" * rng.choice([10, 100, 1000, 1100])
        else:
            return _bytes_mutation(rng, text.encode())
    return text.encode()


def _varint(n: int, pad: int = 0) -> bytes:
    """A protobuf varint; ``pad``: that many extra 0x80-continued bytes (not minimal)."""
    out = bytearray()
    while True:
        b, n = n & 0x7F, n >> 7
        if not n:
            out.append(b)
            break
        out.append(b | 0x80)
    for _ in range(pad):
        out[-1] |= 0x80
        out.append(0)
    return bytes(out)


def _pb_field(rng: random.Random, num: int, wire: int, payload: bytes | int) -> bytes:
    pad = 1 if rng.random() < 0.05 else 0
    key = _varint(num << 3 | wire, pad)
    if wire == 0:
        return key + _varint(payload if isinstance(payload, int) else len(payload), 1 if rng.random() < 0.05 else 0)
    if wire == 2:
        payload = payload if isinstance(payload, bytes) else bytes([payload & 0xFF])
        return key + _varint(len(payload), 1 if rng.random() < 0.05 else 0) + payload
    if wire == 1:
        return key + struct.pack("<Q", payload if isinstance(payload, int) else 0)
    return key + struct.pack("<I", payload if isinstance(payload, int) else 0)


_HASHES = [bytes(CID.parse(c)) for c in LINKS] + [
    b"", b"\x00", b"\x12\x20" + bytes(31), b"\x01\x70\x12\x20" + bytes(32) + b"\x00", b"\x01\x55\x00\x00",
    b"\x01\x55\x00\x01a", b"\x12\x20" + bytes(32), b"\x02\x55\x00\x00", b"\x01\x55\x12\x00", b"\x01\xff\x01\x12\x00"]
_NAMES = [b"", b"a", b"b", b"a/b", "é".encode(), b"\xff", b"\xc3", b"\x00", b"aa", "日本".encode()]


def _pb_link(rng: random.Random) -> bytes:
    fields = []
    if rng.random() < 0.95:
        fields.append(_pb_field(rng, 1, 2, rng.choice(_HASHES) if rng.random() < 0.6 else cid_bytes(rng)))
    if rng.random() < 0.7:
        fields.append(_pb_field(rng, 2, 2, rng.choice(_NAMES)))
    if rng.random() < 0.7:
        fields.append(_pb_field(rng, 3, 0, rng.choice([0, 1, 300, 2**31, 2**63 - 1, 2**63, 2**64 - 1])))
    r = rng.random()
    if r < 0.1:
        fields.append(_pb_field(rng, rng.choice([4, 5, 15, 100]), rng.choice([0, 2]), 1 if rng.random() < 0.5 else b"x"))
    elif r < 0.2 and fields:
        fields.append(rng.choice(fields))
    elif r < 0.25:
        fields.append(_pb_field(rng, rng.choice([1, 2, 3]), rng.choice([0, 1, 2, 5]), 1 if rng.random() < 0.5 else b"\x01"))
    if rng.random() < 0.15:
        rng.shuffle(fields)
    return b"".join(fields)


def gen_dag_pb(rng: random.Random) -> bytes:
    links = [_pb_field(rng, 2, 2, _pb_link(rng)) for _ in range(rng.randrange(4))]
    fields = list(links)
    if rng.random() < 0.7:
        data = _pb_field(rng, 1, 2, rng.choice([b"", b"x", b"\x08\x01", rng.randbytes(20)]))
        fields.insert(len(fields) if rng.random() < 0.8 else rng.randrange(len(fields) + 1), data)
    r = rng.random()
    if r < 0.1:
        fields.append(_pb_field(rng, rng.choice([3, 4, 16, 1000]), rng.choice([0, 2]), 5 if rng.random() < 0.5 else b"zz"))
    elif r < 0.2 and fields:
        fields.insert(rng.randrange(len(fields) + 1), rng.choice(fields))
    elif r < 0.25:
        fields.append(_pb_field(rng, rng.choice([1, 2]), rng.choice([0, 1, 5]), 3))
    block = b"".join(fields)
    if rng.random() < 0.15:
        block = _bytes_mutation(rng, block)
    return block


def gen_raw(rng: random.Random) -> bytes:
    return rng.randbytes(rng.choice([0, 1, 2, 3, 31, 100]))


# git objects: a handful of shapes, then header-level and byte-level changes

_TREE_HASH = bytes.fromhex("4b825dc642cb6eb9a060e54bf8d69288fbee4904")
_GPG = ("-----BEGIN PGP SIGNATURE-----\n\niQEzBAABCAAdFiEE\n=abcd\n-----END PGP SIGNATURE-----")
_SSH = ("-----BEGIN SSH SIGNATURE-----\nU1NIU0lH\n-----END SSH SIGNATURE-----")
_IDENTS = ["Ada Lovelace <ada@example.org> 1700000000 +0100", "A <a@b> 0 +0000", "A <a@b> 1700000000 -0130",
           "<a@b> 1700000000 +0000", "A  <a@b> 1700000000 +0000", "A <a@b>", "A <a@b> 1700000000",
           "A <a@b> 1700000000 +01", "A <a@b> -1 +0000", "A <a@b> 99999999999999999999 +0000", "A <> 1 +0000",
           "A <a@b> 1700000000 +0000 extra", "A <a<b>> 1 +0000", "A a@b 1 +0000", "Zoë <z@é> 1 +0200",
           "A <a@b> 1700000000 +9999", "A <a@b> 1700000000 0000", "A <a@b> x +0000", " <a@b> 1 +0000"]
_MODES = ["100644", "100755", "120000", "160000", "40000", "040000", "100664", "0", "777777", "10064", "x"]


def _sig_lines(name: str, body: str) -> list[str]:
    lines = body.split("\n")
    return [f"{name} {lines[0]}"] + [" " + line for line in lines[1:]]


def _commit(rng: random.Random) -> bytes:
    headers = [[f"tree {_TREE_HASH.hex()}"]]
    for _ in range(rng.choice([0, 1, 1, 2, 3])):
        headers.append([f"parent {rng.randbytes(20).hex()}"])
    headers.append([f"author {rng.choice(_IDENTS)}"])
    headers.append([f"committer {rng.choice(_IDENTS)}"])
    if rng.random() < 0.2:
        headers.append([f"encoding {rng.choice(['ISO-8859-1', 'UTF-8', ''])}"])
    if rng.random() < 0.3:
        tag = f"object {rng.randbytes(20).hex()}\ntype commit\ntag v1\ntagger {rng.choice(_IDENTS)}\n\nmsg\n{_GPG}"
        headers.append(_sig_lines("mergetag", tag))
    if rng.random() < 0.4:
        headers.append(_sig_lines("gpgsig", rng.choice([_GPG, _SSH, "x", ""])))
    if rng.random() < 0.1:
        headers.append([rng.choice(["unknown header", "gpgsig-sha256 abc", "HG:extra x", "x"])])
    return _git_object(rng, "commit", headers)


def _tag(rng: random.Random) -> bytes:
    headers = [[f"object {rng.randbytes(20).hex()}"], [f"type {rng.choice(['commit', 'tree', 'blob', 'tag', 'x'])}"],
               [f"tag {rng.choice(['v1', '', 'a b', 'é'])}"]]
    if rng.random() < 0.9:
        headers.append([f"tagger {rng.choice(_IDENTS)}"])
    return _git_object(rng, "tag", headers, sig=rng.random() < 0.3)


def _git_object(rng: random.Random, kind: str, headers: list[list[str]], sig: bool = False) -> bytes:
    r = rng.random()
    if r < 0.1 and len(headers) > 1:
        i, j = rng.randrange(len(headers)), rng.randrange(len(headers))
        headers[i], headers[j] = headers[j], headers[i]
    elif r < 0.2:
        headers.insert(rng.randrange(len(headers) + 1), rng.choice(headers))
    elif r < 0.3 and headers:
        del headers[rng.randrange(len(headers))]
    message = rng.choice(["msg\n", "", "\n", "a\n\nb\n", "no newline", "é\n", "\xff\n", "-----BEGIN PGP SIGNATURE-----\n"])
    if sig:
        message += _GPG + "\n"
    sep = "\n" if rng.random() < 0.95 else ""
    body = "\n".join(line for h in headers for line in h) + "\n" + sep + message
    raw = body.encode("latin-1" if "\xff" in message else "utf-8")
    return _with_header(rng, kind, raw)


def _with_header(rng: random.Random, kind: str, body: bytes) -> bytes:
    size = len(body)
    r = rng.random()
    if r < 0.03:
        return f"{kind} {size + 1}\0".encode() + body
    if r < 0.06:
        return f"{kind} 0{size}\0".encode() + body
    if r < 0.08:
        return f"{kind}  {size}\0".encode() + body
    return f"{kind} {size}\0".encode() + body


def _tree(rng: random.Random) -> bytes:
    entries = []
    for _ in range(rng.randrange(5)):
        name = rng.choice([b"a", b"b", b"a.txt", b"a-", b"a0", b"\xff", "é".encode(), b"", b"dir", b"x y"])
        entries.append((rng.choice(_MODES), name, rng.randbytes(20)))
    if rng.random() < 0.7:
        entries.sort(key=lambda e: e[1] + (b"/" if e[0] in ("40000", "040000") else b""))
    body = b"".join(m.encode() + b" " + n + b"\0" + h for m, n, h in entries)
    if rng.random() < 0.05:
        body = body[:-1]
    return _with_header(rng, "tree", body)


def gen_git_raw(rng: random.Random) -> bytes:
    r = rng.random()
    if r < 0.4:
        block = _commit(rng)
    elif r < 0.6:
        block = _tag(rng)
    elif r < 0.85:
        block = _tree(rng)
    else:
        body = rng.randbytes(rng.randrange(20))
        block = _with_header(rng, rng.choice(["blob", "blob", "blobx", "Blob"]), body)
    if rng.random() < 0.1:
        block = _bytes_mutation(rng, block)
    return block


GENERATORS = {"dag-cbor": gen_dag_cbor, "dag-json": gen_dag_json, "dag-pb": gen_dag_pb, "raw": gen_raw,
              "git-raw": gen_git_raw, "json": gen_dag_json, "cbor": gen_dag_cbor}


def cases(codec: str, count: int, seed: int) -> list[bytes]:
    rng = random.Random(f"{codec}/{seed}")
    return [GENERATORS[codec](rng) for _ in range(count)]


# --- comparison ------------------------------------------------------------------------------------


def drop_pb_nulls(text: bytes) -> bytes:
    """Kubo's DAG-JSON view of a DAG-PB node shows absent Data, Name and Tsize as null (documented):
    the text without them (Kubo writes Data before Links, and Hash, Name, Tsize in a link)."""
    return text.replace(b'"Data":null,', b"").replace(b',"Name":null', b"").replace(b',"Tsize":null', b"")


def as_b64(text: str) -> bool:
    return bool(re.fullmatch(r"[A-Za-z0-9+/]*", text))



DAG_JSON_LENIENCIES = (  # docs/bounds.md: JSON that RFC 8259 does not allow; bytes and links canonical only
    # (name, our error says, or the text holds)
    ("a number with a leading zero", None, rb"(?<![0-9.eE+-])-?0[0-9]"),
    ("a number ending in '.'", None, rb"[0-9]\.(?![0-9])"),
    ("a trailing comma", None, rb",\s*([\]}]|$)"),
    ("a top-level number followed by one stray byte (taken as its end)", None,
     rb"\A\s*-?[0-9][0-9.eE+-]*[^\s0-9.eE+-]\s*\Z"),
    ("a lone surrogate escape", "lone surrogate escape", None),
    ("bytes that are not UTF-8", "not UTF-8 at byte", None),
    ("non-canonical base64 in a bytes form", "non-canonical base64 in bytes form", None),
    ("a link that is not in canonical form", "is not in canonical form", None),
)


def documented(codec: str, block: bytes, kubo: bytes | None, mine: Answer) -> str | None:
    """The docs/bounds.md item (or git-raw extension) that explains a difference, or None."""
    why = mine.why
    codec = FAMILY.get(codec, codec)
    if codec in ("dag-cbor", "dag-json") and mine.text is not None and past_int64(mine.value):
        return "integers past int64 round-trip here"
    if kubo is not None and mine.text is None and "EncodeError" in why and '"/"' in why:
        return 'DAG-JSON output that would read back as something else ({"/": ...}) is refused'
    if codec == "dag-cbor" and kubo is not None and "a map key that is not UTF-8" in why:
        return "dag-cbor: a map key that is not UTF-8 is refused here"
    if codec == "dag-json" and kubo is not None and mine.text is None and why.startswith("decode: InvalidBlock"):
        for name, said, pattern in DAG_JSON_LENIENCIES:
            if (said is not None and said in why) or (pattern is not None and re.search(pattern, block)):
                return f"dag-json: Kubo reads {name}; refused here"
    if codec == "git-raw":
        return _git_documented(block, kubo, mine)
    if codec == "dag-pb":
        if kubo is not None and mine.text is None:
            if "non-minimal varint" in why:
                return "dag-pb: non-minimal protobuf varints are refused here"
            if ("does not match the" in why and "bytes left" in why) or _pb_hash_with_tail(block, kubo):
                return "dag-pb: a link Hash with bytes after its CID is refused here"
        if kubo is not None and mine.text is not None:
            unsigned = re.sub(rb'"Tsize":(-\d+)', lambda m: b'"Tsize":%d' % (int(m[1]) + 2**64), kubo)
            if unsigned == mine.text and unsigned != kubo:
                return "dag-pb: a Tsize of 2^63 or more is kept (Kubo shows it negative)"
    return None


def documented_put(codec: str, block: bytes, kubo: tuple[str | None, bytes | None],
                   mine: tuple[str | None, bytes | None]) -> str | None:
    """The documented reason ``dag put`` (CID) or ``dag get --output-codec dag-cbor/dag-pb``
    (bytes) differs, or None."""
    value = builtin.decode(block, codec, strict=False)
    codec = FAMILY.get(codec, codec)
    if mine[0] is None and kubo[0] is not None and codec == "dag-cbor" and _has_text_not_utf8(value):
        return "dag-cbor: text that is not UTF-8 has no DAG-CBOR encoding here"
    if codec == "dag-pb" and kubo[0] == mine[0] and not kubo[1] and "Data" not in value:
        return "dag-pb: absent fields are absent (Kubo's --output-codec dag-pb fails on a node without Data)"
    return None


def _has_text_not_utf8(value: Any) -> bool:
    todo = [value]
    while todo:
        v = todo.pop()
        if isinstance(v, str) and re.search("[\udc80-\udcff]", v):
            return True
        if isinstance(v, dict):
            todo.extend(v.values())
            todo.extend(v.keys())
        elif isinstance(v, list):
            todo.extend(v)
    return False


GIT_FRAMING = ("bad object header: size has a leading zero", "bad object header: size is not decimal",
               "size mismatch: header says", "truncated tree entry",
               "commit: no 'tree <40 hex digits>' line", "tag: no 'object <40 hex digits>' line")


def _git_documented(block: bytes, kubo: bytes | None, mine: Answer) -> str | None:
    """git-raw.ipldsch: stricter on framing; E4 (objects the reference fails on)."""
    if kubo is not None and mine.text is None and any(f in mine.why for f in GIT_FRAMING):
        return "git-raw: stricter than the reference on framing (sizes, truncated entries, tree/object line)"
    if kubo is None and mine.text is not None and isinstance(mine.value, dict):
        blank = {"name": "", "email": "", "date": "", "timezone": ""}
        if block.startswith(b"tag ") and mine.value.get("tagger") == blank and _has_tagger_line(block):
            return "git-raw E4: a tagger the reference cannot split is skipped"
        mergetags = mine.value.get("mergetag") or []
        if any(t.get("tagger") == blank for t in mergetags) and b"\n tagger " in block:
            return "git-raw E4: a mergetag tagger the reference cannot split is skipped"
        at = block.find(b"\nmergetag ")
        if mergetags and mine.value.get("message") == "" and b"\n\n" not in block[at:]:
            return "git-raw E4: a mergetag whose message runs to the end of the object keeps it"
    return None


def _has_tagger_line(block: bytes) -> bool:
    """Whether a tag's header (its body's lines up to the first empty one, the first line too:
    the fuzzer found taggers there that a search for "\ntagger " missed) has a tagger line."""
    _, _, body = block.partition(b"\0")
    header, _, _ = body.partition(b"\n\n")
    return any(line.startswith(b"tagger ") for line in header.split(b"\n"))


def _pb_hash_with_tail(block: bytes, kubo: bytes) -> bool:
    """Whether a link Kubo shows is, in the block, a Hash field longer than its CID."""
    try:
        links = json.loads(kubo).get("Links") or []
        cids = [bytes(CID.parse(link["Hash"]["/"])) for link in links]
    except (ValueError, KeyError, TypeError, AutocodecError):
        return False
    return any(b"\x0a" + bytes([n]) + cid in block for cid in cids for n in range(len(cid) + 1, min(len(cid) + 16, 128)))


def past_int64(value: Any) -> bool:
    """Whether an integer outside int64 is anywhere in the value."""
    todo = [value]
    while todo:
        v = todo.pop()
        if isinstance(v, int) and not isinstance(v, bool) and not -(2**63) <= v < 2**63:
            return True
        if isinstance(v, dict):
            todo.extend(v.values())
        elif isinstance(v, list):
            todo.extend(v)
    return False
