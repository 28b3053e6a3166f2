"""Random well-formed Ethereum data, RLP-encoded with pyrlp, for differential tests against
go-codec-dageth: transactions of types 0-2, receipts (up to 130 logs), and trie paths in the
compact (hex-prefix) encoding. Every generator takes a seeded ``random.Random``: same seed, same bytes.
"""

from __future__ import annotations

import random

from ._eth_dageth import rlp_encode


def rand_int(rng: random.Random, max_bytes: int = 32) -> int:
    return rng.choice([0, 1, 127, 128, 255, 256, rng.randrange(2**64), rng.randrange(2 ** (8 * max_bytes))])


def random_tx(rng: random.Random) -> bytes:
    typ = rng.randrange(3)
    to = rng.choice([b"", rng.randbytes(20)])
    data = rng.randbytes(rng.choice([0, 1, 55, 56, 300]))
    al = [[rng.randbytes(20), [rng.randbytes(32) for _ in range(rng.randrange(3))]] for _ in range(rng.randrange(3))]
    nonce, gas = rng.randrange(2**64), rng.randrange(2**64)
    sig = [rand_int(rng), rand_int(rng), rand_int(rng)]
    if typ == 0:
        return rlp_encode([nonce, rand_int(rng), gas, to, rand_int(rng), data, *sig])
    if typ == 1:
        return b"\x01" + rlp_encode([rand_int(rng), nonce, rand_int(rng), gas, to, rand_int(rng), data, al, *sig])
    return b"\x02" + rlp_encode([rand_int(rng), nonce, rand_int(rng), rand_int(rng), gas, to, rand_int(rng), data, al, *sig])


def random_receipt(rng: random.Random) -> bytes:
    status = rng.choice([b"", b"\x01", rng.randbytes(32)])
    logs = [[rng.randbytes(20), [rng.randbytes(32) for _ in range(rng.randrange(5))], rng.randbytes(rng.randrange(80))]
            for _ in range(rng.choice([0, 1, 2, 17, 130]))]
    body = rlp_encode([status, rng.randrange(2**64), rng.randbytes(256), logs])
    typ = rng.randrange(3)
    return body if typ == 0 else bytes([typ]) + body


def compact_path(rng: random.Random, leaf: bool, max_nibbles: int = 64) -> bytes:
    nibs = [rng.randrange(16) for _ in range(rng.randrange(0 if leaf else 1, max_nibbles + 1))]
    flag = (2 if leaf else 0) + (len(nibs) & 1)
    nibs = [flag] + nibs if len(nibs) & 1 else [flag, 0] + nibs
    return bytes(nibs[i] << 4 | nibs[i + 1] for i in range(0, len(nibs), 2))
