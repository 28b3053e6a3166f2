"""A deliberately loose CBOR writer: the forms DAG-CBOR decoders may read though they are not
canonical (the spec's "Decode strictness"), and the faults every decoder refuses. Shared by the
relaxed reader's unit tests and its differential test against Kubo."""

from __future__ import annotations

import math
import random
import struct
from typing import Any

from autocodec.cid import CID

TAGS = (0, 1, 2, 5, 42, 100, 1000, 70000)
FAULTS = ("nonminimal-int", "nonminimal-length", "nonminimal-tag", "indefinite", "repeated-key", "nan",
          "simple", "two-tags", "bytes-tag", "bytes-key", "trailing")


def _head(major: int, arg: int, *, wide: bool = False) -> bytes:
    """A CBOR head, shortest form unless ``wide`` (one size up: not minimal)."""
    sizes = ((24, 0, None), (0x100, 1, 24), (0x10000, 2, 25), (0x100000000, 4, 26), (1 << 64, 8, 27))
    for i, (bound, _size, _info) in enumerate(sizes):
        if arg < bound:
            if wide:
                _bound, size, info = sizes[min(i + 1, 4)]
                assert info is not None
                return bytes([major << 5 | info]) + arg.to_bytes(size, "big")
            if i == 0:
                return bytes([major << 5 | arg])
            info = _info
            assert info is not None
            return bytes([major << 5 | info]) + arg.to_bytes(_size, "big")
    raise ValueError(arg)


class LooseWriter:
    """CBOR of a data-model value with Kubo-readable liberties, and at most one fault."""

    def __init__(self, rng: random.Random, fault: str | None) -> None:
        self.rng, self.fault, self.used = rng, fault, False
        self.loose = False  # whether any liberty was taken (the block is then not canonical)

    def _chance(self, p: float) -> bool:
        return self.rng.random() < p

    def _fault_here(self, kind: str) -> bool:
        if self.fault == kind and not self.used and self._chance(0.5):
            self.used = True
            return True
        return False

    def _tag(self) -> bytes:
        if self._fault_here("two-tags"):
            return _head(6, 1) + _head(6, 1)
        if self._fault_here("nonminimal-tag"):
            return _head(6, self.rng.choice(TAGS), wide=True)
        if self._chance(0.08):
            self.loose = True
            return _head(6, self.rng.choice(TAGS))
        return b""

    def _text(self, s: str) -> bytes:
        raw = s.encode()
        return _head(3, len(raw), wide=self._fault_here("nonminimal-length")) + raw

    def write(self, v: Any) -> bytes:
        if isinstance(v, CID):
            if self._fault_here("nonminimal-tag"):
                return b"\xd9\x00\x2a" + _head(2, len(bytes(v)) + 1) + b"\x00" + bytes(v)
            return b"\xd8\x2a" + _head(2, len(bytes(v)) + 1) + b"\x00" + bytes(v)
        if isinstance(v, bytes):
            if self._fault_here("bytes-tag"):
                return _head(6, self.rng.choice((2, 3, 24, 64))) + _head(2, len(v)) + v
            return _head(2, len(v)) + v
        tag = self._tag()
        if v is None:
            if self._fault_here("simple"):
                return tag + self.rng.choice((b"\xe0", b"\xf0", b"\xf3", b"\xf8\x20", b"\xf8\xff"))
            if self._chance(0.4):
                self.loose = True
                return tag + b"\xf7"
            return tag + b"\xf6"
        if v is True or v is False:
            return tag + (b"\xf5" if v else b"\xf4")
        if isinstance(v, int):
            major, arg = (0, v) if v >= 0 else (1, -1 - v)
            return tag + _head(major, arg, wide=arg < 2**32 and self._fault_here("nonminimal-int"))
        if isinstance(v, float):
            if self._fault_here("nan"):
                return tag + self.rng.choice((b"\xf9\x7e\x00", b"\xfa\x7f\xc0\x00\x00", b"\xf9\x7c\x00"))
            return tag + self._float(v)
        if isinstance(v, str):
            return tag + self._text(v)
        if isinstance(v, list):
            if self._fault_here("indefinite"):
                return tag + b"\x9f" + b"".join(self.write(x) for x in v) + b"\xff"
            return tag + _head(4, len(v)) + b"".join(self.write(x) for x in v)
        assert isinstance(v, dict)
        items = list(v.items())
        canonical = sorted(items, key=lambda kv: (len(kv[0].encode()), kv[0].encode()))
        self.rng.shuffle(items)
        if items != canonical:
            self.loose = True
        repeat = bool(items) and self._fault_here("repeated-key")
        out = [tag, _head(5, len(items) + repeat)]
        for key, value in items:
            if self._fault_here("bytes-key"):
                out.append(_head(2, len(key.encode())) + key.encode())
            else:
                out.append(self._tag() + self._text(key))
            out.append(self.write(value))
        if repeat:
            out.append(self._text(items[0][0]) + self.write(items[0][1]))
        return b"".join(out)

    def _float(self, v: float) -> bytes:
        for fmt, info in ((">e", 0xF9), (">f", 0xFA)):
            try:
                packed = struct.pack(fmt, v)
            except (OverflowError, struct.error):
                continue
            if struct.unpack(fmt, packed)[0] == v and math.copysign(1, struct.unpack(fmt, packed)[0]) == math.copysign(1, v):
                if self._chance(0.6):
                    self.loose = True
                    return bytes([info]) + packed
                break
        return b"\xfb" + struct.pack(">d", v)
