"""Regenerate ../vectors.json from Kubo's own chunker code (boxo v0.43.0 via ./main.go).

Run from the repository root: ``.venv/bin/python wasm-src/chunker-rabin/gen/make_vectors.py``
(needs Go and the Go module proxy once).  Each case: a Kubo ``--chunker`` string, the
parameters the host passes for it (``autocodec.unixfs.parse_chunker``) and the input of the
deterministic generator (docs/abi.md section 5).
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

HERE = Path(__file__).resolve().parent
CASES = [  # (Kubo spec, min, avg, max, seed, length)
    ("rabin", 87381, 262144, 393216, 5, 1_200_000),
    ("rabin-1024", 341, 1024, 1536, 6, 60_000),
    ("rabin-16-64-128", 16, 64, 128, 3, 4000),
    ("rabin-100-1000-5000", 100, 1000, 5000, 4, 50_000),
    ("rabin-20-33-40", 20, 33, 40, 7, 3000),
]


def main() -> None:
    cases = []
    for spec, lo, avg, hi, seed, length in CASES:
        out = subprocess.run(["go", "run", ".", spec, str(seed), str(length)], cwd=HERE, check=True,
                             capture_output=True, text=True).stdout
        cases.append({"params": {"min": lo, "avg": avg, "max": hi}, "input": {"seed": seed, "length": length},
                      "ends": json.loads(out)})
    doc = {"kind": "chunker", "source": "boxo v0.43.0 chunk.FromString (Kubo v0.43.1), see gen/main.go",
           "cases": cases}
    (HERE.parent / "vectors.json").write_text(json.dumps(doc, separators=(",", ":")) + "\n")


if __name__ == "__main__":
    main()
