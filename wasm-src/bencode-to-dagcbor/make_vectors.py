"""Write vectors.json for bencode-to-dagcbor from the bencode codec's own vectors.

    python wasm-src/bencode-to-dagcbor/make_vectors.py

Every bencode decode case becomes a ``transcode`` case (same expected value, or an error) and
a ``to_dagcbor`` case (the builtin DAG-CBOR encoding of that value): the transcoder is checked
against the codec's independently written vectors and the builtin encoder.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parents[1]))

from autocodec.builtin import decode, encode


def main() -> None:
    source = decode((HERE.parent / "bencode" / "vectors.json").read_bytes(), "dag-json")
    cases: list[dict[str, Any]] = []
    for case in source["cases"]:
        if "decode" not in case:
            continue
        block = case["decode"]
        if case.get("error"):
            cases.append({"fn": "transcode", "args": [block], "error": True})
            cases.append({"fn": "to_dagcbor", "args": [block], "error": True})
        else:
            cases.append({"fn": "transcode", "args": [block], "result": case["expect"]})
            cases.append({"fn": "to_dagcbor", "args": [block], "result": encode(case["expect"], "dag-cbor")})
    for args in ([], [b"i1e", b"i2e"], ["i1e"], [1]):
        cases.append({"fn": "transcode", "args": args, "error": True})
    text = encode({"kind": "task", "cases": cases}, "dag-json")
    (HERE / "vectors.json").write_bytes(text)
    print(f"{len(cases)} cases, {len(text)} bytes")


if __name__ == "__main__":
    main()
