"""Hostile inputs for the Wasm codec modules (tests/test_s12_modules_audit.py): deep nesting,
length fields at their maximum, varints of 9 or 10 bytes, wrong framing; and a seeded byte-level
mutator of real blocks (bit flips, truncation, extension, splices, 0xff runs)."""

from __future__ import annotations

import base64
import json
import random

from tests.conftest import WASM_SRC

CODEC_MODULES = (
    "bencode", "bitcoin-block", "bitcoin-tx", "bitcoin-witness-commitment", "dag-cbor", "dag-jose",
    "eth-account-snapshot", "eth-block", "eth-block-list", "eth-receipt-log", "eth-receipt-log-trie",
    "eth-state-trie", "eth-storage-trie", "eth-tx", "eth-tx-receipt", "eth-tx-receipt-trie", "eth-tx-trie",
    "git-raw",
)


def rlp_list(payload: bytes) -> bytes:
    n = len(payload)
    if n < 56:
        return bytes([0xC0 + n]) + payload
    size = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return bytes([0xF7 + len(size)]) + size + payload


def rlp_nested(depth: int) -> bytes:
    out = b""
    for _ in range(depth):
        out = rlp_list(out)
    return out


def _tx(*hexes: str) -> bytes:
    return bytes.fromhex("".join(hexes))


_IN = "00" * 32 + "ffffffff" + "00" + "ffffffff"  # one input: null outpoint, empty script
_OUT = "0000000000000000" + "00"  # one output: 0 satoshi, empty script

# (module, label, block, a fragment of the typed error's message)
HOSTILE: list[tuple[str, str, bytes, str]] = [
    ("eth-block", "RLP lists nested 10k deep", rlp_nested(10_000), "no header shape"),
    ("eth-tx", "RLP lists nested 10k deep", rlp_nested(10_000), "expected 9"),
    ("eth-tx-trie", "RLP lists nested 10k deep", rlp_nested(10_000), "a node has 2 or 17"),
    ("eth-state-trie", "RLP lists nested 10k deep", rlp_nested(10_000), "a node has 2 or 17"),
    ("eth-block", "long-list length of 8 bytes 0xff", b"\xff" + b"\xff" * 8, "longer than the input"),
    ("eth-block", "long-list length with a leading zero", b"\xf8\x00", "leading zero"),
    ("eth-block", "empty block", b"", "truncated"),
    ("eth-tx-trie", "18-item node", rlp_list(b"\x80" * 18), "18 items"),
    ("bitcoin-tx", "input count 2^64-1 (9-byte CompactSize)", _tx("01000000", "ffffffffffffffffff"), "too large"),
    ("bitcoin-tx", "input count 1 as 0xfd 0x0100", _tx("01000000", "fd0100", _IN, "01", _OUT, "00000000"),
     "non-canonical"),
    ("bitcoin-tx", "script length 0x7fffffff", _tx("01000000", "01", "00" * 32, "ffffffff", "feffffff7f", "ffffffff"),
     "truncated"),
    ("bitcoin-tx", "witness item count 2^64-1", _tx("01000000", "0001", "01", _IN, "01", _OUT, "ffffffffffffffffff",
                                                     "00000000"), "too large"),
    ("bitcoin-block", "header plus a 9-byte tx count", b"\x01" * 80 + b"\xff" * 9, "80 bytes"),
    ("git-raw", "size 2^64 in the header", b"blob 18446744073709551616\x00", "bad size"),
    ("git-raw", "size 2^63-1 in the header, no body", b"blob 9223372036854775807\x00", "size mismatch"),
    ("git-raw", "tree header 3,000,000 for a 2,900,000-byte body",
     b"tree 3000000\x00" + (b"100644 a\x00" + bytes(20)) * 100_000, "size mismatch"),
    ("git-raw", "a truncated tree entry hash", b"tree 19\x00100644 a\x00" + bytes(10), "truncated tree entry"),
    ("bencode", "lists nested 100k deep", b"l" * 100_000 + b"e" * 100_000, "nesting deeper than"),
    ("bencode", "integer of 1000 digits", b"i" + b"9" * 1000 + b"e", "outside"),
    ("bencode", "string length 2^64", b"18446744073709551616:a", "exceeds the input"),
    ("dag-cbor", "arrays nested 100k deep", b"\x81" * 100_000 + b"\x00", "nesting too deep"),
    ("dag-cbor", "map length 2^64-1", b"\xbb" + b"\xff" * 8, "past the end"),
    ("dag-cbor", "bytes length 2^64-1", b"\x5b" + b"\xff" * 8, "past the end"),
]


def seeds(name: str) -> list[bytes]:
    """The blocks a module's vectors.json decodes (valid and invalid ones)."""
    doc = json.loads((WASM_SRC / name / "vectors.json").read_text())
    out = []
    for case in doc["cases"]:
        block = case.get("decode")
        if isinstance(block, dict) and "/" in block:
            out.append(base64.b64decode(block["/"]["bytes"] + "=="))
    return out


def mutate(rng: random.Random, block: bytes) -> bytes:
    b = bytearray(block)
    if not b:
        return rng.randbytes(rng.randrange(20))
    op, i = rng.randrange(8), rng.randrange(len(b))
    if op == 0:
        b[i] ^= 1 << rng.randrange(8)
    elif op == 1:
        del b[i:]
    elif op == 2:
        b += rng.randbytes(rng.randrange(1, 40))
    elif op == 3:
        b[i] = rng.choice((0x00, 0xFF, 0x7F, 0x80, 0xB7, 0xB8, 0xBF, 0xC0, 0xF7, 0xF8, 0xFD, 0xFE, 0x0A, 0x20, 0x2F))
    elif op == 4:
        del b[i : rng.randrange(i, len(b) + 1)]
    elif op == 5:
        b[i:i] = b[i : rng.randrange(i, min(len(b), i + 64) + 1)]
    elif op == 6:
        b[i : i + 8] = b"\xff" * 8
    else:
        b[i] = (b[i] + rng.choice((1, -1))) & 0xFF
    return bytes(b)


def mutants(name: str, count: int, seed: int) -> list[bytes]:
    rng = random.Random(seed)
    pool = seeds(name)
    out = []
    for _ in range(count):
        block = rng.choice(pool)
        for _ in range(rng.randrange(1, 3)):
            block = mutate(rng, block)
        out.append(block)
    return out
