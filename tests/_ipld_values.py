"""Seeded IPLD values over the whole data model, for the tests that compare codecs with Kubo:
``values(count, seed)`` (mostly maps at the top, nested up to four levels) drawn from integers
across every CBOR width, floats with short and long shortest forms, strings with escapes,
bytes, the CIDs in ``LINKS``, booleans and null.
"""

from __future__ import annotations

import math
import random
import struct
from typing import Any

from autocodec.cid import CID

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


def values(count: int, seed: int) -> list[Any]:
    rng = random.Random(seed)
    out = []
    while len(out) < count:
        value = _value(rng, 0)
        if rng.random() < 0.7 and not isinstance(value, dict):
            value = {"v": value}  # mostly maps at the top, as documents are
        out.append(value)
    return out
