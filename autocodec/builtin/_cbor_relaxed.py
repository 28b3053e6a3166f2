"""DAG-CBOR and CBOR read as Kubo reads them: the relaxed decoder.

Spec: ipld.io/specs/codecs/dag-cbor/spec, "Decode strictness": because historical and
non-conforming encoders exist (cbor-gen sorts map keys without length first, old js-ipfs wrote
half floats and ``undefined``), a decoder may relax the canonical-form rules by default and offer
strictness as an opt-in. Kubo v0.43 does (go-ipld-prime v0.24.0 ``codec/dagcbor``
``DecodeOptions{AllowLinks: true}`` over refmt's CBOR tokenizer with ``CoerceUndefToNull``,
``RejectIndefinite``, ``RejectNonMinimalInteger``, ``RejectNaN`` and ``RejectInfinity``); this
module reads exactly what that reads, measured against a real Kubo in tests/test_cbor_relaxed_kubo.py.

Invariants:
- Only a block the strict decoder refused comes here (``_dagcbor``): a canonical block never
  does, so its value (and speed) is the strict path's.
- Read beyond the canonical form, each to the value of its canonical twin:
  - map entries in any order (kept in block order; a repeated key is still refused);
  - half- and single-precision floats (widened exactly, as IEEE 754 widens them);
  - ``undefined`` (0xf7), read as null;
  - one tag on an item that is not a byte string: the tag is dropped (go-ipld-prime looks at tags
    only on byte strings), map keys included.
- Still refused, as Kubo refuses them: integers, lengths and tag numbers not in their shortest
  form; tag numbers above 2^63-1; indefinite lengths; two tags on one item; a byte string tagged other than 42 (or, with
  ``links=False``, tagged at all); a link without its 0x00 prefix or not a CID; NaN and
  infinities; simple values other than false, true, null and undefined; map keys that are not
  text; trailing bytes.
- A text value that is not UTF-8 is read as Kubo keeps it, byte for byte: each byte that is
  not part of UTF-8 is a surrogate escape (U+DC80-U+DCFF, PEP 383), which DAG-JSON writes as
  ``\\ufffd``, as Kubo's ``dag get`` does (the DAG-CBOR encoder refuses such a string: it has no
  UTF-8 form). A map key that is not UTF-8 is refused though Kubo reads it (map order is by
  bytes, and such keys would need it), unless the caller asks for it (``any_key_bytes``). Integers keep the strict decoder's range,
  [-2^64, 2^64-1] (Kubo refuses those below -2^63).
- Iterative (no recursion, whatever the nesting) and linear in the block's size; depth and the
  allocation budget are the caller's checks, made on the encoded bytes before this runs (or on
  the value after it, without the C helpers), exactly as for the strict path.
- Every refusal is ``InvalidBlock`` naming the byte offset.
"""

from __future__ import annotations

import struct
from collections.abc import Callable
from typing import Any

from ..errors import AutocodecError, InvalidBlock

_HALF = struct.Struct(">e")
_SINGLE = struct.Struct(">f")
_DOUBLE = struct.Struct(">d")
_MINIMUM = {24: 24, 25: 0x100, 26: 0x10000, 27: 0x100000000}
"""The smallest argument each long head form may carry (a shorter form holds anything less)."""
_MAX_TAG = (1 << 63) - 1
"""The largest tag number Kubo reads (its CBOR tokenizer refuses larger ones, dropped or not)."""
_NO_KEY = object()
_INFINITY = float("inf")


def read(data: bytes, link: Callable[[bytes], Any] | None, name: str, *, any_key_bytes: bool = False) -> Any:
    """The value of ``data`` read with Kubo's relaxations (module docstring). ``link`` builds a
    CID from tag 42's payload after its 0x00 prefix (None: no links, as the CBOR codec).
    ``any_key_bytes``: a map key that is not UTF-8 is kept as its bytes' surrogate escapes, as
    go-ipld-prime keeps it, for documents only looked up by key (IPNS record data)."""
    n = len(data)
    pos = 0
    root: Any = None
    # open containers: [container, items left, map key (_NO_KEY: a key comes next; None: a list)]
    stack: list[list[Any]] = []

    def fail(what: str, at: int) -> InvalidBlock:
        return InvalidBlock(f"{name}: {what} (at byte {at})")

    def head(at: int) -> tuple[int, int, int, int]:
        """(major, info, argument, next position) of the head at ``at``; shortest form enforced
        outside major type 7 (whose long forms are floats)."""
        if at >= n:
            raise fail("the block ends inside an item", at)
        byte = data[at]
        major, info = byte >> 5, byte & 0x1F
        if info < 24:
            return major, info, info, at + 1
        if info > 27:
            raise fail("indefinite lengths are not allowed" if info == 31 else f"reserved head byte 0x{byte:02x}", at)
        size = 1 << (info - 24)
        if n - at - 1 < size:
            raise fail("the block ends inside an item's head", at)
        arg = int.from_bytes(data[at + 1:at + 1 + size], "big")
        if major != 7 and arg < _MINIMUM[info]:
            raise fail("an integer, length or tag not in its shortest form", at)
        return major, info, arg, at + 1 + size

    while True:
        start = pos
        major, info, arg, pos = head(pos)
        tag = None
        if major == 6:
            if arg > _MAX_TAG:
                raise fail(f"tag number {arg} is over 2^63-1", start)
            tag = arg
            major, info, arg, pos = head(pos)
            if major == 6:
                raise fail("two tags on one item", start)
        frame = stack[-1] if stack else None
        if frame is not None and frame[2] is _NO_KEY:  # a map key
            if major != 3:
                raise fail("a map key that is not text", start)
            key = _text(data, pos, arg, n, fail, start, "surrogateescape" if any_key_bytes else "strict")
            pos += arg
            if key in frame[0]:
                raise fail(f"repeated map key {key!r}", start)
            frame[2] = key
            continue
        value: Any
        opened = 0
        if major == 0:
            value = arg
        elif major == 1:
            value = -1 - arg
        elif major == 2:
            if arg > n - pos:
                raise fail("the block ends inside a byte string", start)
            value = data[pos:pos + arg]
            pos += arg
            if tag is not None:
                value = _link(value, tag, link, fail, start)
        elif major == 3:
            value = _text(data, pos, arg, n, fail, start, "surrogateescape")
            pos += arg
        elif major == 4 or major == 5:
            if arg > n - pos:  # every item takes a byte at least: a false count, not a big list
                raise fail("a list or map longer than the block", start)
            value = [] if major == 4 else {}
            opened = arg
        else:
            value = _simple(info, arg, fail, start)
        if frame is None:
            root = value
        elif type(frame[0]) is list:
            frame[0].append(value)
            frame[1] -= 1
        else:
            frame[0][frame[2]] = value
            frame[2] = _NO_KEY
            frame[1] -= 1
        if opened:
            stack.append([value, opened, _NO_KEY if major == 5 else None])
        while stack and stack[-1][1] == 0:
            stack.pop()
        if not stack and (frame is not None or not opened):
            break
    if pos != n:
        raise fail(f"{n - pos} trailing bytes after the top-level item", pos)
    return root


def _text(data: bytes, pos: int, size: int, n: int, fail: Callable[[str, int], InvalidBlock], start: int,
          errors: str) -> str:
    if size > n - pos:
        raise fail("the block ends inside a text string", start)
    try:
        return data[pos:pos + size].decode("utf-8", errors)
    except UnicodeDecodeError:
        raise fail("a map key that is not UTF-8", start) from None


def _link(payload: bytes, tag: int, link: Callable[[bytes], Any] | None,
          fail: Callable[[str, int], InvalidBlock], start: int) -> Any:
    if tag != 42 or link is None:
        raise fail(f"a byte string under tag {tag}" + ("" if link is None else " (only 42, a link, is allowed)"), start)
    if not payload or payload[0] != 0:
        raise fail("a link without its 0x00 prefix", start)
    try:
        return link(payload[1:])
    except (AutocodecError, ValueError) as exc:
        raise fail(f"a link that is not a CID ({exc})", start) from None


def _simple(info: int, arg: int, fail: Callable[[str, int], InvalidBlock], start: int) -> Any:
    if info == 20:
        return False
    if info == 21:
        return True
    if info == 22 or info == 23:  # null, and undefined read as null
        return None
    if info == 25:
        value: float = _HALF.unpack(arg.to_bytes(2, "big"))[0]
    elif info == 26:
        value = _SINGLE.unpack(arg.to_bytes(4, "big"))[0]
    elif info == 27:
        value = _DOUBLE.unpack(arg.to_bytes(8, "big"))[0]
    else:
        raise fail(f"the simple value {arg}", start)
    if value != value or value in (_INFINITY, -_INFINITY):
        raise fail("NaN and infinities are not in the data model", start)
    return value
