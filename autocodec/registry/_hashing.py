"""Streaming builtin multihashes (bounded memory for big inputs)."""

from __future__ import annotations

from collections.abc import Callable

Update = Callable[[bytes], None]
Final = Callable[[], bytes]


def hashlib_stream(code: int) -> tuple[Update, Final] | None:
    """(update, final) for a builtin multihash that hashlib can stream, else None."""
    import hashlib

    simple = {0x11: "sha1", 0x12: "sha256", 0x13: "sha512", 0x14: "sha3_512", 0x15: "sha3_384",
              0x16: "sha3_256", 0x17: "sha3_224", 0x20: "sha384", 0x1013: "sha224"}
    if code in simple:
        h = hashlib.new(simple[code])
        return h.update, h.digest
    if 0xB201 <= code <= 0xB240:
        b = hashlib.blake2b(digest_size=code - 0xB200)
        return b.update, b.digest
    if 0xB241 <= code <= 0xB260:
        s = hashlib.blake2s(digest_size=code - 0xB240)
        return s.update, s.digest
    if code == 0x56:  # dbl-sha2-256: sha256 of the sha256
        h = hashlib.sha256()
        return h.update, lambda: hashlib.sha256(h.digest()).digest()
    return None
