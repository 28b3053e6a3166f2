"""HAMT-sharded UnixFS directories (Type HAMTShard), as Kubo and js-ipfs build them.

Spec: https://github.com/ipfs/specs/blob/main/UNIXFS.md (HAMTShard) -- hash function
murmur3-x64-64 (multicodec 0x22: the first 64 bits of MurmurHash3 x64 128 with seed 0,
Austin Appleby's public-domain algorithm), fanout 256, so one byte of the hash per level.

Invariants:
- The tree depends only on the set of entries: an entry sits in its parent's slot given by
  the next byte of its name's hash; two entries in one slot move down into a child shard.
- A shard node is dag-pb: links in slot order, named by the slot in upper-case hex digits,
  followed by the entry name for an entry (a child shard's link is the bare two digits);
  Data is UnixFS ``{Type: HAMTShard, Data: bitfield, hashType: 0x22, fanout: 256}`` with the
  bitfield of occupied slots as a minimal big-endian integer.
- A fanout of 2^k takes k bits of the hash per level (``hash_bits``) and names a slot by
  ``pad_len`` hex digits (Kubo's ``--max-hamt-fanout``; 256 by default).
- A name whose 64 hash bits are used up (a collision on a full prefix) is refused, not guessed.
- Readers take each shard's own fanout, as boxo does (``readable_fanout``): any power of two
  from 8 to 1024 (what Kubo writes with ``Import.UnixFSHAMTDirectoryMaxFanout`` or
  ``--max-hamt-fanout``); a shard of fanout F names its links by ``pad_len(F)`` hex digits and
  takes log2(F) bits of the hash per level (``hash_bits``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ..errors import UnsupportedFormat
from . import _pb

MURMUR3_X64_64 = 0x22
FANOUT = 256
MIN_FANOUT, MAX_FANOUT = 8, 1024
"""The fanouts boxo reads (a power of two, a multiple of 8 for the bitfield, at most its
``maximumHamtWidth``) and Kubo v0.43.1 writes (its config check: a power of 2 from 8 to 1024)."""
_M64 = (1 << 64) - 1
_C1, _C2 = 0x87C37B91114253D5, 0x4CF5AD432745937F


def _rotl(x: int, r: int) -> int:
    return ((x << r) | (x >> (64 - r))) & _M64


def _fmix(k: int) -> int:
    k ^= k >> 33
    k = (k * 0xFF51AFD7ED558CCD) & _M64
    k ^= k >> 33
    k = (k * 0xC4CEB9FE1A85EC53) & _M64
    return k ^ (k >> 33)


def murmur3_x64_128(data: bytes, seed: int = 0) -> bytes:
    """MurmurHash3 x64 128-bit: h1 then h2, each little endian (16 bytes)."""
    h1 = h2 = seed & _M64
    n = len(data)
    full = n - n % 16
    for i in range(0, full, 16):
        k1 = int.from_bytes(data[i : i + 8], "little")
        k2 = int.from_bytes(data[i + 8 : i + 16], "little")
        h1 ^= (_rotl((k1 * _C1) & _M64, 31) * _C2) & _M64
        h1 = (_rotl(h1, 27) + h2) & _M64
        h1 = (h1 * 5 + 0x52DCE729) & _M64
        h2 ^= (_rotl((k2 * _C2) & _M64, 33) * _C1) & _M64
        h2 = (_rotl(h2, 31) + h1) & _M64
        h2 = (h2 * 5 + 0x38495AB5) & _M64
    tail = data[full:]
    if len(tail) > 8:
        k2 = int.from_bytes(tail[8:], "little")
        h2 ^= (_rotl((k2 * _C2) & _M64, 33) * _C1) & _M64
    if tail:
        k1 = int.from_bytes(tail[:8], "little")
        h1 ^= (_rotl((k1 * _C1) & _M64, 31) * _C2) & _M64
    h1 ^= n
    h2 ^= n
    h1 = (h1 + h2) & _M64
    h2 = (h2 + h1) & _M64
    h1, h2 = _fmix(h1), _fmix(h2)
    h1 = (h1 + h2) & _M64
    h2 = (h2 + h1) & _M64
    return h1.to_bytes(8, "little") + h2.to_bytes(8, "little")


def slot_path(name: str) -> bytes:
    """The slot of ``name`` at each level: the bytes of h1 (the first 64 bits of murmur3 x64
    128) most significant first, as Go's murmur3 Sum64 gives them. The name's bytes are the
    link's: UTF-8, surrogate escapes as the bytes they stand for (``_layout.name_bytes``)."""
    return murmur3_x64_128(name.encode("utf-8", "surrogateescape"))[7::-1]


def readable_fanout(fanout: int | None) -> bool:
    """Whether a shard of this fanout can be read (see ``MIN_FANOUT``)."""
    return fanout is not None and MIN_FANOUT <= fanout <= MAX_FANOUT and fanout & (fanout - 1) == 0


def pad_len(fanout: int) -> int:
    """The hex digits naming a slot in a shard of ``fanout`` (boxo: ``len("%X" % (fanout-1))``):
    1 for 8 and 16, 2 for 32..256, 3 for 512 and 1024."""
    return len(f"{fanout - 1:X}")


def hash_bits(path: bytes, consumed: int, count: int) -> int | None:
    """``count`` bits of the name hash ``path`` (``slot_path``) after the first ``consumed``,
    most significant first (boxo's ``hashBits.Next``); None when the 64 bits run out."""
    if consumed + count > len(path) * 8:
        return None
    value = int.from_bytes(path, "big")
    return (value >> (len(path) * 8 - consumed - count)) & ((1 << count) - 1)


@dataclass
class Shard:
    """One level of the HAMT: slot -> (name, value) or a child ``Shard``; ``bits`` = log2 of the
    fanout (8 for 256), the hash bits each level takes."""

    depth: int = 0
    slots: dict[int, "tuple[str, object] | Shard"] = field(default_factory=dict)
    bits: int = 8

    def put(self, name: str, value: object, path: bytes | None = None) -> None:
        path = path if path is not None else slot_path(name)
        slot = hash_bits(path, self.depth * self.bits, self.bits)
        if slot is None:
            raise UnsupportedFormat(f"HAMT hash collision too deep for entry {name!r}")
        here = self.slots.get(slot)
        if here is None:
            self.slots[slot] = (name, value)
        elif isinstance(here, Shard):
            here.put(name, value, path)
        elif here[0] == name:
            self.slots[slot] = (name, value)
        else:
            child = Shard(self.depth + 1, bits=self.bits)
            child.put(*here)
            child.put(name, value, path)
            self.slots[slot] = child


def shard_data(slots: list[int], meta: Any = None, fanout: int = FANOUT) -> bytes:
    """The UnixFS Data of a shard holding ``slots`` (``meta``: the root shard's mode and mtime),
    the bitfield of occupied slots as a minimal big-endian integer (go-bitfield's ``Bytes``)."""
    bits = sum(1 << s for s in slots)
    field_bytes = bits.to_bytes((bits.bit_length() + 7) // 8, "big")
    mode, mtime = (meta.mode, meta.mtime) if meta else (None, None)
    return _pb.encode(_pb.UnixfsData(_pb.HAMT_SHARD, field_bytes, hash_type=MURMUR3_X64_64, fanout=fanout,
                                     mode=mode, mtime=mtime))
