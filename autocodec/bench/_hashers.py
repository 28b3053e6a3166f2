"""Group 4: Wasm hashers next to native packages, with hashlib sha2-256 as a baseline.

keccak-256 (wasm-src/keccak-256) vs pycryptodome ``Crypto.Hash.keccak``; BLAKE3
(wasm-src/blake3, SIMD128) vs the ``blake3`` package (Rust, single-threaded here); each on
1 MiB (one guest call: the input is copied once into the sandbox), on 256 KiB (a UnixFS
chunk, Kubo's default: the largest input that runs on a reset instance) and on 64 bytes
(where the per-call cost dominates: a reset instance per digest, issue 19). Then many small
inputs at once: ``Hasher.digest_many`` of 1000 inputs of 1 KiB and of 64 bytes (BLAKE3 in
``ac_hash_batch`` frames, one-chunk inputs four to a SIMD pass) next to the package called once
per input in a Python loop, as a caller without a batch API would.
"""

from __future__ import annotations

import hashlib
from typing import TYPE_CHECKING

from ._core import BenchConfig, Figure, Peer, Target, compare
from ._data import module_bytes, xorshift

if TYPE_CHECKING:  # pragma: no cover
    from ..loader import Hasher

SIZES = (("1MiB", 1 << 20), ("256KiB", 256 << 10), ("64B", 64))
MANY = (("1KiB", 1024), ("64B", 64))
_KECCAK_TARGET = {"1MiB": 3.0, "64B": 2.0}  # issue 19's: x pycryptodome
_BLAKE3_TARGET = {"64B": 10.0}  # issue 19's: x the blake3 package


def run(config: BenchConfig) -> list[Figure]:
    from ..loader import Sandbox

    sandbox = Sandbox()
    keccak = sandbox.load(module_bytes("keccak-256")).hasher()
    blake3 = sandbox.load(module_bytes("blake3")).hasher()
    figures: list[Figure] = []
    for label, size in SIZES:
        figures += _pair(label, xorshift(7, size), keccak, blake3, config)
    for label, size in MANY:
        figures.append(_many(label, size, blake3, config))
    return figures


def _many(label: str, size: int, blake3: Hasher, config: BenchConfig) -> Figure:
    pool = xorshift(11, size + 1000)
    inputs = [pool[i : i + size] for i in range(1000)]
    fig = Figure(f"hash.blake3.many-{label}", "hashers", f"BLAKE3 of 1000 x {label} (digest_many)", ours_label="wasm",
                 bytes_per_op=size, note="per input; ours one call for all, the package once per input")
    compare(fig, lambda: blake3.digest_many(inputs),
            [Peer("blake3 (py)", "blake3", lambda m: lambda: [m.blake3(x).digest() for x in inputs])], config,
            ops=len(inputs))
    return fig


def _pair(label: str, data: bytes, keccak: Hasher, blake3: Hasher, config: BenchConfig) -> list[Figure]:
    baseline = {"hashlib sha2-256": lambda: hashlib.sha256(data).digest()}
    most = _KECCAK_TARGET.get(label)
    kec = Figure(f"hash.keccak-256.{label}", "hashers", f"keccak-256 {label}", ours_label="wasm",
                 bytes_per_op=len(data),
                 target=None if most is None else Target("pycryptodome", most, f"<= {most:g}x pycryptodome"))
    compare(kec, lambda: keccak.digest(data),
            [Peer("pycryptodome", "Crypto.Hash.keccak", lambda m: lambda: m.new(digest_bits=256, data=data).digest())],
            config, baselines=baseline)
    most = _BLAKE3_TARGET.get(label)
    b3 = Figure(f"hash.blake3.{label}", "hashers", f"BLAKE3 {label}", ours_label="wasm", bytes_per_op=len(data),
                target=None if most is None else Target("blake3 (py)", most, f"<= {most:g}x the blake3 package"))
    compare(b3, lambda: blake3.digest(data), [Peer("blake3 (py)", "blake3", lambda m: lambda: m.blake3(data).digest())],
            config, baselines=baseline)
    return [kec, b3]
