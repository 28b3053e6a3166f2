"""Write ``vectors.json`` for the keccak-512 module.

Known answers: the Keccak team's ShortMsgKAT_512.txt (KeccakKAT-3.zip, "Known-answer and Monte
Carlo test results", version 3.0, January 2011: the Keccak submission's padding, as
go-multihash's keccak-512) for the empty message, CC and 41FB. The other digests come from
pycryptodome's Keccak (``Crypto.Hash.keccak``), checked against those answers first.
Run: ``python wasm-src/keccak-512/make_vectors.py`` (needs the bench extra pycryptodome).
"""

from __future__ import annotations

from pathlib import Path

from Crypto.Hash import keccak

from autocodec.builtin import encode
from autocodec.loader import xorshift_bytes

HERE = Path(__file__).resolve().parent
KNOWN = {
    b"": "0eab42de4c3ceb9235fc91acffe746b29c29a8c366b7c60e4e67c466f36a4304"
         "c00fa9caf9d87976ba469bcbe06713b435f091ef2769fb160cdab33d3670680e",
    b"\xcc": "8630c13cbd066ea74bbe7fe468fec1dee10edc1254fb4c1b7c5fd69b646e4416"
             "0b8ce01d05a0908ca790dfb080f4b513bc3b6225ece7a810371441a5ac666eb9",
    b"\x41\xfb": "551da6236f8b96fce9f97f1190e901324f0b45e06dbbb5cdb8355d6ed1dc34b3"
                 "f0eae7dcb68622ff232fa3cece0d4616cdeb3931f93803662a28df1cd535b731",
}
RATE = 72  # bytes: (1600 - 2 * 512) / 8


def reference(data: bytes) -> bytes:
    return keccak.new(digest_bits=512, data=data).digest()


def main() -> None:
    cases = []
    for data, hexdigest in KNOWN.items():
        assert reference(data).hex() == hexdigest
        cases.append({"input": data, "digest": bytes.fromhex(hexdigest)})
    # around the 72-byte rate: the padding byte lands in the same or the next block
    for n in (1, 55, 71, RATE, 73, 2 * RATE - 1, 2 * RATE, 2 * RATE + 1, 1000, 4096):
        data = xorshift_bytes(n, n)
        cases.append({"input": data, "digest": reference(data)})
    block = xorshift_bytes(7, 1000)
    cases.append({"input": block, "repeat": 1000, "digest": reference(block * 1000)})
    doc = {"kind": "hasher", "cases": cases}
    (HERE / "vectors.json").write_bytes(encode(doc, "dag-json") + b"\n")
    print(f"{len(cases)} cases written")


if __name__ == "__main__":
    main()
