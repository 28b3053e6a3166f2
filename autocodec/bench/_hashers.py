"""Group 4: Wasm hashers next to native packages, with hashlib sha2-256 as a baseline.

keccak-256 (wasm-src/keccak-256) vs pycryptodome ``Crypto.Hash.keccak``; BLAKE3
(wasm-src/blake3, SIMD128) vs the ``blake3`` package (Rust, single-threaded here); each on
1 MiB (one guest call: the input is copied once into the sandbox) and on 64 bytes (where
the fresh instance per digest dominates).
"""

from __future__ import annotations

import hashlib

from ._core import BenchConfig, Figure, Target, add_peer, measure
from ._data import module_bytes, xorshift

_SIZES = (("1MiB", 1 << 20), ("64B", 64))


def run(config: BenchConfig) -> list[Figure]:
    from ..loader import Sandbox

    sandbox = Sandbox()
    keccak = sandbox.load(module_bytes("keccak-256")).hasher()
    blake3 = sandbox.load(module_bytes("blake3")).hasher()
    figures = []
    for label, size in _SIZES:
        data = xorshift(7, size)
        big = size >= 1 << 20
        fig = Figure(f"hash.keccak-256.{label}", "hashers", f"keccak-256 {label}", ours_label="wasm",
                     bytes_per_op=size, target=Target("pycryptodome", 3.0, "<= 3x pycryptodome") if big else None)
        fig.ours = measure(lambda d=data: keccak.digest(d), config)
        add_peer(fig, "pycryptodome", "Crypto.Hash.keccak",
                 lambda m, d=data: lambda: m.new(digest_bits=256, data=d).digest(), config)
        fig.peers["hashlib sha2-256"] = measure(lambda d=data: hashlib.sha256(d).digest(), config)
        figures.append(fig)

        fig = Figure(f"hash.blake3.{label}", "hashers", f"BLAKE3 {label}", ours_label="wasm",
                     bytes_per_op=size)
        fig.ours = measure(lambda d=data: blake3.digest(d), config)
        add_peer(fig, "blake3 (py)", "blake3", lambda m, d=data: lambda: m.blake3(d).digest(), config)
        fig.peers["hashlib sha2-256"] = figures[-1].peers["hashlib sha2-256"]
        figures.append(fig)
    return figures
