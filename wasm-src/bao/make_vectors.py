"""Write vectors.json for the bao verifier from the official Bao test vectors.

    python wasm-src/bao/make_vectors.py [PATH/TO/test_vectors.json]   # default ../shared/bao

Source: the reference implementation's tests/test_vectors.json (oconnor663/bao, CC0 1.0 or
Apache 2.0). Every official case becomes one case here with the same input length, root hash,
seek offsets, slice ranges and corruption offsets. The official file names encodings by their
BLAKE3; this host has only sha2-256 without the ``blake3`` package, so each encoding and slice
is rebuilt with the module, checked against the official BLAKE3 here (with ``blake3``), and
recorded by its sha2-256 for the vector runner (docs/abi.md section 5, verifier).
"""

from __future__ import annotations

import hashlib
import io
import json
import sys
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parents[1]))

import blake3  # noqa: E402  (only the generator needs it)

from autocodec import bao  # noqa: E402
from autocodec.builtin import encode as ipld_encode  # noqa: E402
from autocodec.loader import Sandbox  # noqa: E402
from autocodec.loader._vectors import bao_input  # noqa: E402


def _check(data: bytes, want_blake3: str, what: str) -> bytes:
    if blake3.blake3(data).hexdigest() != want_blake3:
        raise SystemExit(f"{what}: the module's bytes differ from the official vector")
    return hashlib.sha256(data).digest()


def main() -> None:
    path = Path(sys.argv[1]) if len(sys.argv) > 1 else HERE.parents[2] / "shared" / "bao" / "test_vectors.json"
    official = json.loads(path.read_text())
    v = bao.Verifier(Sandbox().load((HERE / "bao.wasm").read_bytes()))
    by_len: dict[int, dict[str, Any]] = {}
    for c in official["hash"]:
        by_len[c["input_len"]] = {"input_len": c["input_len"], "hash": bytes.fromhex(c["bao_hash"])}
    for c in official["encode"]:
        data, out = bao_input(c["input_len"]), io.BytesIO()
        bao.encode(v, io.BytesIO(data), out)
        case = by_len[c["input_len"]]
        case["encoded_sha256"] = _check(out.getvalue(), c["encoded_blake3"], f"encode {c['input_len']}")
        case["corrupt"] = c["corruptions"]
    for c in official["outboard"]:
        data, out = bao_input(c["input_len"]), io.BytesIO()
        bao.encode(v, io.BytesIO(data), out, outboard=True)
        case = by_len[c["input_len"]]
        case["outboard_sha256"] = _check(out.getvalue(), c["encoded_blake3"], f"outboard {c['input_len']}")
        case["outboard_corrupt"] = c["outboard_corruptions"]
        case["input_corrupt"] = c["input_corruptions"]
    for c in official["seek"]:
        by_len[c["input_len"]]["seek"] = c["seek_offsets"]
    for c in official["slice"]:
        data, enc = bao_input(c["input_len"]), io.BytesIO()
        bao.encode(v, io.BytesIO(data), enc)
        slices = []
        for s in c["slices"]:
            out = io.BytesIO()
            bao.extract_slice(s["start"], s["len"], io.BytesIO(enc.getvalue()), out.write)
            digest = _check(out.getvalue(), s["output_blake3"], f"slice {c['input_len']} {s['start']}+{s['len']}")
            slices.append({"start": s["start"], "count": s["len"], "sha256": digest, "corrupt": s["corruptions"]})
        by_len[c["input_len"]]["slices"] = slices
    cases = [by_len[n] for n in sorted(by_len)]
    text = ipld_encode({"kind": "verifier", "cases": cases}, "dag-json")
    (HERE / "vectors.json").write_bytes(text)
    print(f"{len(cases)} cases, {len(text)} bytes")


if __name__ == "__main__":
    main()
