"""Write ``vectors.json`` for the keccak-256 module.

Digests come from pycryptodome's Keccak (``Crypto.Hash.keccak``, a reference implementation)
and two published known answers (empty input and "abc", Keccak team / Ethereum).
Run: ``python wasm-src/keccak-256/make_vectors.py`` (needs the bench extra pycryptodome).
"""

from __future__ import annotations

from pathlib import Path

from Crypto.Hash import keccak

from autocodec.builtin import encode
from autocodec.loader import xorshift_bytes

HERE = Path(__file__).resolve().parent
KNOWN = {
    b"": "c5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470",
    b"abc": "4e03657aea45a94fc7d47ba826c8d667c0d1e6e33a64a036ec44f58fa12d6c45",
}


def reference(data: bytes) -> bytes:
    return keccak.new(digest_bits=256, data=data).digest()


def main() -> None:
    cases = []
    for data, hexdigest in KNOWN.items():
        assert reference(data).hex() == hexdigest
        cases.append({"input": data, "digest": bytes.fromhex(hexdigest)})
    # around the 136-byte rate: the padding byte lands in the same or the next block
    for n in (1, 55, 56, 135, 136, 137, 271, 272, 273, 1000, 4096):
        data = xorshift_bytes(n, n)
        cases.append({"input": data, "digest": reference(data)})
    block = xorshift_bytes(7, 1000)
    cases.append({"input": block, "repeat": 1000, "digest": reference(block * 1000)})
    doc = {"kind": "hasher", "cases": cases}
    (HERE / "vectors.json").write_bytes(encode(doc, "dag-json") + b"\n")
    print(f"{len(cases)} cases written")


if __name__ == "__main__":
    main()
