"""Loader numbers (not a test): ``python tests/perf_loader.py [MODULE.wasm]``.

Uses the DAG-CBOR Wasm module from wasm-src/ and a small (~170-byte) DAG-CBOR block, and
the BLAKE3 module for guest-bound thread scaling (1 MiB inputs);
the measuring code is ``autocodec.loader._measure`` so ``autocodec bench`` can reuse it.
"""

from __future__ import annotations

import sys
from pathlib import Path

from autocodec.builtin import encode
from autocodec.loader import Sandbox
from autocodec.loader._measure import hash_scaling, measure_all

REPO = Path(__file__).resolve().parents[1]


def main() -> None:
    wasm = Path(sys.argv[1]) if len(sys.argv) > 1 else REPO / "wasm-src" / "dag-cbor" / "dag-cbor.wasm"
    block = encode({"name": "block", "size": 12345, "tags": ["a", "b", "c"], "data": bytes(100),
                    "nested": {"x": [1, 2, 3, {"y": None}], "z": 1.5}}, "dag-cbor")
    numbers = measure_all(wasm.read_bytes(), block, quick="--quick" in sys.argv)
    print(f"module: {wasm.name} ({wasm.stat().st_size} bytes), block: {len(block)} bytes")
    blake3 = REPO / "wasm-src" / "blake3" / "blake3.wasm"
    if blake3.exists():
        numbers.update(hash_scaling(Sandbox().load(blake3.read_bytes())))
    for key, value in numbers.items():
        print(f"{key:28} {value:12.2f}")


if __name__ == "__main__":
    main()
