"""Write vectors.json for ipld-select (docs/abi.md section 5, task cases).

    python wasm-src/ipld-select/make_vectors.py

Expected results are computed here from the builtin DAG-CBOR codec and Python's own indexing,
not from the module, so the vectors are an independent check of it.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parents[1]))

from autocodec.builtin import encode
from autocodec.cid import CID

LINK = CID.parse("bafyreigh2akiscaildcqabsyg3dfr6chu3fgpregiymsck7e7aqa4s52zy")
DOC: dict[str, Any] = {
    "name": "autocodec",
    "tags": ["ipld", "wasm", "ipvm"],
    "nested": {"a": {"b": [10, {"c": True}, None]}, "link": LINK, "f": 1.5, "neg": -7},
    "bytes": b"\x00\x01\x02",
    "": "empty key",
}


def at(value: Any, path: str) -> Any:
    for seg in (s for s in path.split("/") if s):
        value = value[int(seg)] if isinstance(value, list) else value[seg]
    return value


def sorted_keys(value: dict[str, Any]) -> list[str]:
    return sorted(value, key=lambda k: (len(k.encode()), k.encode()))


def main() -> None:
    raw = encode(DOC, "dag-cbor")
    cases: list[dict[str, Any]] = []
    for path in ["", "/", "name", "tags/2", "nested/a/b/1/c", "nested/a/b/2", "nested/link", "nested/f",
                 "nested/neg", "bytes", "//nested//a/"]:
        cases.append({"fn": "select", "args": [DOC, path], "result": at(DOC, path)})
        cases.append({"fn": "select", "args": [raw, path], "result": at(DOC, path)})
    for path in ["", "tags", "nested", "nested/a/b"]:
        cases.append({"fn": "count", "args": [raw, path], "result": len(at(DOC, path))})
    for path in ["", "nested", "nested/a"]:
        cases.append({"fn": "keys", "args": [DOC, path], "result": sorted_keys(at(DOC, path))})
    errors: list[tuple[str, list[Any]]] = [
        ("select", [DOC, "missing"]),
        ("select", [DOC, "tags/3"]),
        ("select", [DOC, "tags/01"]),
        ("select", [DOC, "tags/-1"]),
        ("select", [DOC, "name/x"]),
        ("select", [DOC, "nested/link/x"]),  # links are not traversed
        ("select", [DOC]),
        ("select", [DOC, 3]),
        ("select", [raw[:-1], ""]),  # truncated document
        ("select", [raw + b"\x00", ""]),  # trailing bytes
        ("select", [bytes.fromhex("a2616101616101"), ""]),  # duplicate key
        ("select", [bytes.fromhex("9f01ff"), ""]),  # indefinite length
        ("count", [DOC, "name"]),
        ("keys", [DOC, "tags"]),
    ]
    cases += [{"fn": fn, "args": args, "error": True} for fn, args in errors]
    text = encode({"kind": "task", "cases": cases}, "dag-json")
    (HERE / "vectors.json").write_bytes(text)
    print(f"{len(cases)} cases, {len(text)} bytes")


if __name__ == "__main__":
    main()
