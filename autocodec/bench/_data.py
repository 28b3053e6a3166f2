"""Deterministic benchmark inputs: generated blocks, the repository's fixtures and modules.

Invariants:
- Every input is a pure function of fixed seeds or committed files, so two runs (and two
  machines) measure the same bytes.
- The DAG-CBOR/DAG-JSON blocks: small (~200 B, two links), nested (~100 KB, 64 distinct
  links), bytes-heavy (~1 MB); this module is their only generator.
- Wasm modules and fixtures come from a source checkout (``wasm-src/``, ``fixtures/``); when
  they are absent, ``NotFound`` says so and the figure reports it instead of a number.
"""

from __future__ import annotations

import json
import random
from functools import cache
from pathlib import Path
from typing import Any

from ..cid import CID
from ..errors import NotFound

REPO = Path(__file__).resolve().parents[2]
WASM_SRC = REPO / "wasm-src"
FIXTURES = REPO / "fixtures"

_GIT_TYPES = {b"commit": 1, b"tree": 2, b"blob": 3, b"tag": 4}


_HINT = "run the benchmarks from a source checkout: pip install -e '.[bench]'"


def module_bytes(name: str) -> bytes:
    path = WASM_SRC / name / f"{name}.wasm"
    if not path.is_file():
        raise NotFound(f"{path} not found: the Wasm benchmarks need a source checkout", hint=_HINT)
    return path.read_bytes()


def _fixture(*parts: str) -> Path:
    path = FIXTURES.joinpath(*parts)
    if not path.exists():
        raise NotFound(f"{path} not found: the codec benchmarks need a source checkout", hint=_HINT)
    return path


def _links(n: int, seed: int) -> list[CID]:
    from ..builtin import cid_for

    rnd = random.Random(seed)
    return [cid_for(rnd.randbytes(32), "dag-cbor") for _ in range(n)]


def small_value() -> Any:
    a, b = _links(2, 1)
    return {"name": "photo-0001.jpg", "size": 182_337, "parents": [a, b], "mtime": 1_700_000_000,
            "tags": ["holiday", "beach"], "ok": True}


def nested_value(width: int = 6) -> Any:
    rnd = random.Random(2)
    links = _links(64, 3)

    def node(depth: int) -> Any:
        if depth == 0:
            return rnd.choice([rnd.randint(-(1 << 40), 1 << 40), rnd.random(), f"leaf-{rnd.randint(0, 999999):06d}",
                               rnd.choice(links), None, True, rnd.randbytes(12)])
        if rnd.random() < 0.5:
            return [node(depth - 1) for _ in range(4)]
        return {f"k{i}-{rnd.randint(0, 99)}": node(depth - 1) for i in range(4)}

    return {"root": [node(5) for _ in range(width)], "links": links}


def bytes_value(chunks: int = 16) -> Any:
    rnd = random.Random(4)
    return {"chunks": [rnd.randbytes(64 * 1024) for _ in range(chunks)], "links": _links(16, 5), "n": chunks}


@cache
def dag_cbor_blocks(small_inputs: bool = False) -> dict[str, bytes]:
    """``small``, ``nested`` and ``bytes`` DAG-CBOR blocks (shrunk when ``small_inputs``)."""
    from ..builtin import encode

    return {
        "small": encode(small_value(), "dag-cbor"),
        "nested": encode(nested_value(1 if small_inputs else 6), "dag-cbor"),
        "bytes": encode(bytes_value(1 if small_inputs else 16), "dag-cbor"),
    }


@cache
def dag_json_nested(small_inputs: bool = False) -> bytes:
    """The nested block as DAG-JSON text."""
    from ..builtin import encode

    return encode(nested_value(1 if small_inputs else 6), "dag-json")


def git_objects() -> list[tuple[int, bytes]]:
    """``(dulwich type number, raw "type len\\0body" object)`` for every fixture object, by name."""
    folder = _fixture("git")
    out = []
    for path in sorted(folder.glob("*.obj")):
        raw = path.read_bytes()
        kind = raw[: raw.index(b" ")]
        out.append((_GIT_TYPES[kind], raw))
    if not out:
        raise NotFound(f"no git objects in {folder}", hint=_HINT)
    return out


def eth_headers() -> list[bytes]:
    """The RLP block headers listed in ``fixtures/eth/headers.json`` (frontier to prague)."""
    manifest = json.loads(_fixture("eth", "headers.json").read_text())
    return [_fixture("eth", entry["file"]).read_bytes() for entry in manifest]


def torrents(count: int) -> list[bytes]:
    """The fixture torrent plus ``count - 1`` generated ones (bencode, 5 files, 50 pieces)."""
    first = _fixture("bencode", "fixture.torrent").read_bytes()
    rng = random.Random(1)
    out = [first]
    for i in range(count - 1):
        files = b"".join(b"d6:lengthi%de4:pathl3:dir%d:%see" % (rng.randrange(1 << 30), len(f"f{j}"), f"f{j}".encode())
                         for j in range(5))
        pieces = rng.randbytes(20 * 50)
        name = b"t%d" % i
        out.append(b"d8:announce35:http://tracker.example.org/announce4:infod5:filesl" + files
                   + b"e4:name%d:%s12:piece lengthi262144e6:pieces%d:%see" % (len(name), name, len(pieces), pieces))
    return out


def repeat_to(items: list[Any], count: int) -> list[Any]:
    """``items`` cycled to exactly ``count`` entries."""
    return [items[i % len(items)] for i in range(count)]


def xorshift(seed: int, size: int) -> bytes:
    from ..loader import xorshift_bytes

    return bytes(xorshift_bytes(seed, size))
