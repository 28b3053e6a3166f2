"""Bytes of Bitcoin transactions, for generated test transactions: compact sizes, script pushes,
DER signatures with a sighash byte, and public keys (compressed or not). The random ones take a
seeded ``random.Random``: same seed, same bytes.
"""

from __future__ import annotations

import random
import struct


def compact_size(n: int) -> bytes:
    return bytes([n]) if n < 253 else b"\xfd" + struct.pack("<H", n) if n <= 0xFFFF else b"\xfe" + struct.pack("<I", n)


def push(d: bytes) -> bytes:
    return bytes([len(d)]) + d if len(d) < 0x4C else b"\x4c" + bytes([len(d)]) + d if len(d) <= 0xFF else b"\x4d" + struct.pack("<H", len(d)) + d


def der_sig(rng: random.Random, sighash: int) -> bytes:
    r = bytes([rng.randrange(1, 128)]) + rng.randbytes(31)
    s = bytes([rng.randrange(1, 128)]) + rng.randbytes(31)
    body = b"\x02\x20" + r + b"\x02\x20" + s
    return b"\x30" + bytes([len(body)]) + body + bytes([sighash])


def pubkey(rng: random.Random) -> bytes:
    return bytes([rng.choice([2, 3])]) + rng.randbytes(32) if rng.random() < 0.7 else b"\x04" + rng.randbytes(64)
