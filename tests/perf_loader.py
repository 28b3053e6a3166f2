"""Loader numbers (not a test): ``python tests/perf_loader.py [MODULE.wasm]``.

Uses the DAG-CBOR Wasm module from wasm-src/ and a small (~200-byte) DAG-CBOR block;
the measuring code is ``autocodec.loader._measure`` so ``autocodec bench`` can reuse it.
"""

from __future__ import annotations

import sys
from pathlib import Path

from autocodec.builtin import encode
from autocodec.loader._measure import measure_all

REPO = Path(__file__).resolve().parents[1]


def main() -> None:
    wasm = Path(sys.argv[1]) if len(sys.argv) > 1 else REPO / "wasm-src" / "dag-cbor" / "dag-cbor.wasm"
    block = encode({"name": "block", "size": 12345, "tags": ["a", "b", "c"], "data": bytes(100),
                    "nested": {"x": [1, 2, 3, {"y": None}], "z": 1.5}}, "dag-cbor")
    numbers = measure_all(wasm.read_bytes(), block, quick="--quick" in sys.argv)
    print(f"module: {wasm.name} ({wasm.stat().st_size} bytes), block: {len(block)} bytes")
    for key, value in numbers.items():
        print(f"{key:28} {value:12.2f}")


if __name__ == "__main__":
    main()
