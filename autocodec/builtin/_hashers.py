"""Builtin multihash functions, all from the standard library (``hashlib``).

Invariants:
- ``HASHERS`` maps a multihash code to a ``Hasher`` whose ``digest(data)`` returns the raw
  digest (without the multihash prefix) of exactly ``size`` bytes.
- Codes and names follow the multicodec table (github.com/multiformats/multicodec,
  table.csv). Keccak-256 and BLAKE3 are deliberately absent: they arrive as Wasm extensions,
  so a lookup for them raises ``UnknownHash``.
- ``identity`` is the only variable-length hasher (its digest is the data itself); its input
  is capped at ``MAX_IDENTITY_BYTES`` (the CID type's digest cap), beyond which it raises
  ``InvalidInput``.
"""

from __future__ import annotations

import functools
import hashlib
from dataclasses import dataclass
from typing import Any, Callable

from ..cid import MAX_DIGEST_BYTES
from ..errors import InvalidInput

MAX_IDENTITY_BYTES = MAX_DIGEST_BYTES


@dataclass(frozen=True, slots=True)
class Hasher:
    """One multihash function: ``digest(data)`` is the raw digest of ``size`` bytes (0: any)."""

    name: str
    code: int
    size: int
    digest: Callable[[bytes], bytes]


def _identity(data: bytes) -> bytes:
    if len(data) > MAX_IDENTITY_BYTES:
        raise InvalidInput(
            f"identity multihash holds at most {MAX_IDENTITY_BYTES} bytes, got {len(data)}",
            hint="use a real hash function such as sha2-256",
        )
    return bytes(data)


def _named(algo: str) -> Callable[[bytes], bytes]:
    ctor = getattr(hashlib, algo, None)
    if ctor is None:  # e.g. sha512_224 on a build of OpenSSL without it
        def new(data: bytes) -> bytes:
            return hashlib.new(algo, data).digest()

        hashlib.new(algo)  # raises ValueError at import if unavailable: caught by _add
        return new

    def digest(data: bytes) -> bytes:
        out: bytes = ctor(data).digest()
        return out

    return digest


def _shake(algo: str, size: int) -> Callable[[bytes], bytes]:
    ctor = getattr(hashlib, algo)

    def digest(data: bytes) -> bytes:
        out: bytes = ctor(data).digest(size)
        return out

    return digest


def _blake2(ctor: Callable[..., Any], size: int) -> Callable[[bytes], bytes]:
    def digest(data: bytes) -> bytes:
        out: bytes = ctor(data, digest_size=size).digest()
        return out

    return digest


def _dbl_sha2_256(data: bytes) -> bytes:
    return hashlib.sha256(hashlib.sha256(data).digest()).digest()


HASHERS: dict[int, Hasher] = {}


def _add(name: str, code: int, size: int, fn: Callable[[], Callable[[bytes], bytes]]) -> None:
    try:
        HASHERS[code] = Hasher(name, code, size, fn())
    except (ValueError, AttributeError):  # not in this interpreter's hashlib: stays unknown
        pass


_add("identity", 0x00, 0, lambda: _identity)
_add("sha1", 0x11, 20, lambda: _named("sha1"))
_add("sha2-256", 0x12, 32, lambda: _named("sha256"))
_add("sha2-512", 0x13, 64, lambda: _named("sha512"))
_add("sha3-512", 0x14, 64, lambda: _named("sha3_512"))
_add("sha3-384", 0x15, 48, lambda: _named("sha3_384"))
_add("sha3-256", 0x16, 32, lambda: _named("sha3_256"))
_add("sha3-224", 0x17, 28, lambda: _named("sha3_224"))
# shake-128/256 in the multicodec table are the 256- and 512-bit outputs (as in go-multihash).
_add("shake-128", 0x18, 32, lambda: _shake("shake_128", 32))
_add("shake-256", 0x19, 64, lambda: _shake("shake_256", 64))
_add("sha2-384", 0x20, 48, lambda: _named("sha384"))
_add("dbl-sha2-256", 0x56, 32, lambda: _dbl_sha2_256)
_add("sha2-224", 0x1013, 28, lambda: _named("sha224"))
_add("sha2-512-224", 0x1014, 28, lambda: _named("sha512_224"))
_add("sha2-512-256", 0x1015, 32, lambda: _named("sha512_256"))
for _i in range(1, 65):
    _add(f"blake2b-{8 * _i}", 0xB200 + _i, _i, functools.partial(_blake2, hashlib.blake2b, _i))
for _i in range(1, 33):
    _add(f"blake2s-{8 * _i}", 0xB240 + _i, _i, functools.partial(_blake2, hashlib.blake2s, _i))
del _i
