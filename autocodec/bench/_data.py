"""Deterministic benchmark inputs: generated blocks, the repository's fixtures and modules.

Invariants:
- Every input is a pure function of fixed seeds or committed files, so two runs (and two
  machines) measure the same bytes.
- The DAG-CBOR/DAG-JSON blocks: small (~200 B, two links), nested (~100 KB, 64 distinct
  links), bytes-heavy (~1 MB); this module is their only generator.
- Wasm modules come from a source checkout (``wasm-src/``) or else, as in an installed wheel,
  from the pinned default set shipped in the package (the same bytes: a test compares them).
  Fixtures come from ``fixtures/``; without a checkout, git objects, Ethereum headers and
  torrents are generated (deterministic, same shapes), so every Wasm group measures from a wheel.
"""

from __future__ import annotations

import json
import random
from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import Any

from ..cid import CID
from ..config import DEFAULT_LIMITS, Limits
from ..errors import NotFound

REPO = Path(__file__).resolve().parents[2]
WASM_SRC = REPO / "wasm-src"
FIXTURES = REPO / "fixtures"

_GIT_TYPES = {b"commit": 1, b"tree": 2, b"blob": 3, b"tag": 4}


_HINT = "run the benchmarks from a source checkout: pip install -e '.[bench]'"


def module_bytes(name: str) -> bytes:
    """The module ``name`` from ``wasm-src/`` or else from the package's pinned default set."""
    return _checkout_or_default_set(WASM_SRC / name / f"{name}.wasm", _default_set_modules, name,
                                    f"module {name} is neither in {WASM_SRC} nor in the package's default set")


def module_vectors_json(name: str, limits: Limits = DEFAULT_LIMITS) -> bytes:
    """The test vectors of module ``name`` as DAG-JSON: ``wasm-src/NAME/vectors.json``, or else
    the vectors its manifest in the package's default set links to (a wheel has no ``wasm-src``),
    read as a home with ``limits`` reads vectors (``loader.decode_vectors``: pass the home's)."""
    return _checkout_or_default_set(WASM_SRC / name / "vectors.json", lambda: _default_set_vectors(limits), name,
                                    f"no test vectors of module {name} in {WASM_SRC} or in the package's default set")


def _checkout_or_default_set(path: Path, shipped: Callable[[], dict[str, bytes]], name: str, missing: str) -> bytes:
    """The bytes of ``path`` in a source checkout, else ``name``'s entry of the default set's
    table ``shipped`` (read only then); ``NotFound`` saying ``missing`` when neither has it."""
    if path.is_file():
        return path.read_bytes()
    found = shipped().get(name)
    if found is None:
        raise NotFound(missing, hint=_HINT)
    return found


@cache
def _default_set_vectors(limits: Limits = DEFAULT_LIMITS) -> dict[str, bytes]:
    """Module name -> its manifest's vectors as DAG-JSON, for every manifest in the shipped
    default-set CAR (signed envelopes whose payload is a manifest naming ``vectors``); the
    vectors are decoded under ``limits`` as a home decodes them (``decode_vectors``)."""
    from .. import builtin
    from ..loader._vectors import decode_vectors
    from ..registry._default import DEFAULT_SET_CAR
    from ..store._car import CarReader

    if not DEFAULT_SET_CAR.is_file():
        return {}
    blocks: dict[CID, bytes] = {}
    with open(DEFAULT_SET_CAR, "rb") as stream:
        for cid, block in CarReader(stream):
            blocks[cid] = bytes(block)
    out: dict[str, bytes] = {}
    for cid, block in blocks.items():
        if cid.codec != 0x71:
            continue
        envelope = builtin.decode(block, "dag-cbor")
        payload = envelope.get("payload") if isinstance(envelope, dict) else None
        manifest = builtin.decode(payload, "dag-cbor") if isinstance(payload, bytes) else None
        if isinstance(manifest, dict) and isinstance(manifest.get("name"), str) and manifest.get("vectors") in blocks:
            vectors = decode_vectors(blocks[manifest["vectors"]], "dag-cbor", limits.trust, decode=limits.decode)
            out.setdefault(manifest["name"], builtin.encode(vectors, "dag-json"))
    return out


@cache
def _default_set_modules() -> dict[str, bytes]:
    """Module name -> bytes, for every module in the shipped default-set CAR."""
    from ..loader import inspect_module
    from ..registry._default import DEFAULT_SET_CAR
    from ..store._car import CarReader

    out: dict[str, bytes] = {}
    if not DEFAULT_SET_CAR.is_file():
        return out
    with open(DEFAULT_SET_CAR, "rb") as stream:
        for _cid, block in CarReader(stream):
            if block.startswith(b"\0asm"):
                out.setdefault(inspect_module(block).name, block)
    return out


def _have_fixture(*parts: str) -> bool:
    return FIXTURES.joinpath(*parts).exists()


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
    """``(dulwich type number, raw "type len\\0body" object)`` for every fixture object, by name
    (generated ones without a checkout)."""
    if not _have_fixture("git"):
        return _generated_git_objects()
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
    """The RLP block headers listed in ``fixtures/eth/headers.json`` (frontier to prague);
    generated frontier- and london-shaped ones without a checkout."""
    if not _have_fixture("eth", "headers.json"):
        return _generated_eth_headers()
    manifest = json.loads(_fixture("eth", "headers.json").read_text())
    return [_fixture("eth", entry["file"]).read_bytes() for entry in manifest]


def torrents(count: int) -> list[bytes]:
    """The fixture torrent plus ``count - 1`` generated ones (bencode, 5 files, 50 pieces)."""
    rng = random.Random(1)
    out = [_fixture("bencode", "fixture.torrent").read_bytes()] if _have_fixture("bencode", "fixture.torrent") else []
    for i in range(count - len(out)):
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


def _git(kind: bytes, body: bytes) -> bytes:
    return kind + b" %d\0" % len(body) + body


@cache
def _generated_git_objects() -> list[tuple[int, bytes]]:
    """Blobs, trees, commits and a tag in git's object format (seeded), for runs without fixtures."""
    rnd = random.Random(19)
    out: list[tuple[int, bytes]] = []
    for i in range(6):
        out.append((3, _git(b"blob", rnd.randbytes(rnd.choice((40, 400, 4000))))))
        entries = b"".join(b"%s %s\0" % (rnd.choice((b"100644", b"100755", b"40000")), b"file-%d-%03d" % (i, j))
                           + rnd.randbytes(20) for j in range(rnd.choice((3, 12, 40))))
        out.append((2, _git(b"tree", entries)))
        who = b"Ada Lovelace <ada@example.org> %d +0100" % (1_700_000_000 + i)
        parents = b"".join(b"parent %s\n" % rnd.randbytes(20).hex().encode() for _ in range(1 + i % 2))
        out.append((1, _git(b"commit", b"tree %s\n%sauthor %s\ncommitter %s\n\ncommit %d\n\nbody line\n"
                                  % (rnd.randbytes(20).hex().encode(), parents, who, who, i))))
    tagger = b"Ada Lovelace <ada@example.org> 1700000000 +0000"
    out.append((4, _git(b"tag", b"object %s\ntype commit\ntag v1.0\ntagger %s\n\nrelease\n"
                           % (rnd.randbytes(20).hex().encode(), tagger))))
    return out


def _rlp(item: bytes | list[Any]) -> bytes:
    """RLP (Ethereum yellow paper, appendix B) of bytes or nested lists of bytes."""
    if isinstance(item, list):
        body = b"".join(_rlp(x) for x in item)
        return _rlp_length(len(body), 0xC0) + body
    if len(item) == 1 and item[0] < 0x80:
        return item
    return _rlp_length(len(item), 0x80) + item


def _rlp_length(n: int, offset: int) -> bytes:
    if n < 56:
        return bytes([offset + n])
    size = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return bytes([offset + 55 + len(size)]) + size


def _int(v: int) -> bytes:
    return v.to_bytes((v.bit_length() + 7) // 8, "big") if v else b""


@cache
def _generated_eth_headers() -> list[bytes]:
    """Frontier-shaped (15 fields) and london-shaped (16 fields) headers (seeded), for runs
    without fixtures."""
    rnd = random.Random(20)
    out = []
    for i in range(8):
        fields: list[bytes | list[Any]] = [rnd.randbytes(32), rnd.randbytes(32), rnd.randbytes(20), rnd.randbytes(32),
                                           rnd.randbytes(32), rnd.randbytes(32), rnd.randbytes(256),
                                           _int(rnd.randrange(1 << 40)), _int(15_000_000 + i), _int(30_000_000),
                                           _int(rnd.randrange(30_000_000)), _int(1_700_000_000 + 12 * i),
                                           rnd.randbytes(rnd.randrange(33)), rnd.randbytes(32), rnd.randbytes(8)]
        if i % 2:
            fields.append(_int(rnd.randrange(1 << 36)))
        out.append(_rlp(fields))
    return out
