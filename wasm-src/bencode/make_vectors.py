#!/usr/bin/env python3
"""Regenerate ``fixtures/bencode/`` and ``wasm-src/bencode/vectors.json``.

The torrent fixture is built with ``fastbencode`` (not this module) from deterministic
payload files; its info-hash is the sha1 of fastbencode's encoding of the info dict.
Expected values in the vectors follow the data model of README.md (bytes strings,
str keys), computed in Python, not taken from the module.

Usage: ``python wasm-src/bencode/make_vectors.py`` (from the repository root).
"""

from __future__ import annotations

import hashlib
import json
import random
import sys
from pathlib import Path

import fastbencode

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
sys.path.insert(0, str(REPO))

from autocodec.builtin import encode  # noqa: E402

GOOD = (
    b"i0e", b"i-1e", b"i18446744073709551615e", b"i-18446744073709551616e", b"0:", b"4:spam",
    b"3:\x00\xff\n", b"le", b"de", b"d1:ai1e2:aai2e1:bi3ee", b"l4:spami42ee",
    b"d3:cow3:moo4:spam4:eggse", b"d4:spaml1:a1:bee",
    b"d1:\xffi1ee", b"d1:ai1e1:\xffi2ee", b"d13:bencode-pairsi5ee", b"d13:bencode-pairsi5e1:zi1ee",
)
BAD = (
    b"", b"i01e", b"i-0e", b"ie", b"i1", b"01:a", b"5:abc", b"d1:bi1e1:ai2ee", b"d1:ai1e1:ai2ee",
    b"di1ei2ee", b"d1:ae", b"l", b"i1ei2e", b"x", b"l" * 513 + b"e" * 513,
    b"i18446744073709551616e",
)
BAD_VALUES = (1.5, True, None, [None], {"bencode-pairs": 5}, {"bencode-pairs": [[b"a", 1], [b"a", 2]]})
PAIRS = "bencode-pairs"


def _utf8(b: bytes) -> bool:
    try:
        b.decode()
    except UnicodeDecodeError:
        return False
    return True


def as_model(v: object) -> object:
    """The data model (bencode.ipldsch): str keys, or the pairs form for binary keys."""
    if isinstance(v, dict):
        if not all(_utf8(k) for k in v) or list(v) == [PAIRS.encode()]:
            return {PAIRS: [[k, as_model(x)] for k, x in sorted(v.items())]}
        return {k.decode(): as_model(x) for k, x in v.items()}
    if isinstance(v, list):
        return [as_model(x) for x in v]
    return v


def torrent() -> tuple[bytes, str]:
    rng = random.Random(1)
    files = [([b"a.txt"], b"hello torrent\n"), ([b"sub", b"b.bin"], rng.randbytes(40_000))]
    stream = b"".join(d for _, d in files)
    plen = 16384
    info = {
        b"files": [{b"length": len(d), b"path": p} for p, d in files],
        b"name": b"fixture",
        b"piece length": plen,
        b"pieces": b"".join(hashlib.sha1(stream[i : i + plen]).digest() for i in range(0, len(stream), plen)),
    }
    meta = {b"announce": b"http://tracker.example.org/announce", b"creation date": 1700000000, b"info": info}
    return fastbencode.bencode(meta), hashlib.sha1(fastbencode.bencode(info)).hexdigest()


def main() -> None:
    fixtures = REPO / "fixtures" / "bencode"
    fixtures.mkdir(parents=True, exist_ok=True)
    data, info_hash = torrent()
    (fixtures / "fixture.torrent").write_bytes(data)
    (fixtures / "fixtures.json").write_text(
        json.dumps({"torrent": {"file": "fixture.torrent", "info_hash": info_hash}}, indent=1) + "\n"
    )
    cases: list[dict[str, object]] = [{"decode": data, "expect": as_model(fastbencode.bdecode(data))}]
    for name in ("v2.torrent", "hybrid.torrent"):  # made by libtorrent: make_v2_torrents.py
        v2 = (fixtures / name).read_bytes()
        cases.append({"decode": v2, "expect": as_model(fastbencode.bdecode(v2))})
    cases += [{"decode": g, "expect": as_model(fastbencode.bdecode(g))} for g in GOOD]
    cases += [{"decode": b, "error": True} for b in BAD]
    cases += [{"encode": v, "error": True} for v in BAD_VALUES]
    (HERE / "vectors.json").write_bytes(encode({"kind": "codec", "cases": cases}, "dag-json") + b"\n")


if __name__ == "__main__":
    main()
