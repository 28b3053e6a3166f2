"""DAG-CBOR (0x71) and strict CBOR (0x51), on cbrrr's C decoder and encoder.

Spec: ipld.io/specs/codecs/dag-cbor/spec (strictness section) and RFC 8949.

Invariants (decode):
- cbrrr enforces the DAG-CBOR strictness rules in C: minimal integer and length encodings,
  definite lengths only, text-string map keys in canonical (length-first, then bytewise)
  order with no duplicates, 64-bit floats only, no NaN or infinities, no ``undefined`` or
  other simple values, tag 42 only and with a 0x00 prefix, valid UTF-8, exactly one
  top-level item (trailing bytes rejected).
- Nesting and the allocation budget (``limits.max_gas``, Kubo's decoder gas: ``_gas``) are
  checked before cbrrr builds anything when the C scan is built (so a hostile block costs no
  more memory than its own size), after decoding otherwise.
- This layer adds what cbrrr leaves out: every link is a structurally valid CID (``_link``),
  nesting is at most ``limits.max_depth`` (``_depth``) and the block is at most
  ``limits.max_block_bytes``. Any failure is ``InvalidBlock``.
- CBOR (0x51) is the same strict, canonical subset without any tag, except that map keys may
  come in any order (kept in the value): its encoder writes maps in the order given, as Kubo's
  cbor codec does (``_cbor_write``). A link is rejected, and so is general CBOR outside that
  subset (half floats, other tags, non-string keys...).

Invariants (encode): the value is checked (``_native.check`` in C, else ``_walk.check``:
exact data-model types, depth, finite floats, ints in [-2^64, 2^64-1]) before cbrrr writes it
canonically (64-bit floats, keys length-first); CBOR keeps the map order given.
"""

from __future__ import annotations

from typing import Any

import cbrrr

from ..cid import CID
from ..config import DecodeLimits
from ..errors import EncodeError, InvalidBlock, InvalidCID
from . import _cbor_relaxed, _cbor_write, _depth, _gas, _native, _walk

_decode = cbrrr._cbrrr.decode_dag_cbor  # (data, cid_ctor, atjson_mode) -> (value, consumed)
_encode = cbrrr._cbrrr.encode_dag_cbor  # (value, cid_type, atjson_mode) -> bytes
_c_scan = _native.cbor_scan
_new = object.__new__
_set_raw = CID._raw.__set__  # type: ignore[attr-defined,misc]
INT_RANGE = (-(1 << 64), (1 << 64) - 1)


def _py_link(raw: bytes) -> CID:
    """A validated ``CID`` from tag 42's payload (after the 0x00 prefix)."""
    # fast path: CIDv1, one-byte codec, sha2-256 with a 32-byte digest (almost every link)
    if len(raw) == 36 and raw[0] == 1 and raw[2] == 0x12 and raw[3] == 0x20 and raw[1] < 0x80:
        cid = _new(CID)
        _set_raw(cid, raw)
        return cid
    return CID(raw)


_link = _native.link or _py_link  # the C twin has the same rules and no Python frame per link
_c_check = _native.check
_fast = _native.cbor_decode  # the common canonical subset in C; refuses (ValueError) the rest, never accepts more
_FAST_DEPTH = _native.fast_depth  # it refuses values nested deeper than this
_records = _native.decode_records
_c_write = _native.cbor_write  # the order-keeping writer in C (same bytes as _cbor_write)
_CBOR_ORDER = _native.CHECK_BYTES | _native.CHECK_CBOR_INTS | _native.CHECK_KEY_ORDER
"""The C check of a CBOR value (no links) that also answers whether its maps are in key order."""


class _TagInCbor(Exception):
    pass


class _KeyOrder(InvalidBlock):
    """cbrrr's first fault in a CBOR block is a map key out of DAG-CBOR order: the only
    refusal after which the block may still be the CBOR encoding of its value."""


_KEY_ORDER_FAULT = "non-canonical map key ordering"
"""How cbrrr 1.1's decode error begins when a map key does not follow the one before it."""


def _no_link(raw: bytes) -> Any:
    raise _TagInCbor


def _check_size(data: bytes, limits: DecodeLimits, name: str) -> None:
    if len(data) > limits.max_block_bytes:
        raise InvalidBlock(f"{name}: block of {len(data)} bytes is over max_block_bytes ({limits.max_block_bytes})")


def decode_dag_cbor(data: bytes, limits: DecodeLimits) -> Any:
    """The hot path: keep it flat (no attribute chains beyond ``limits``; the checks here, the
    value from ``_value``)."""
    n = len(data)
    if n > limits.max_block_bytes:
        _check_size(data, limits, "dag-cbor")
    max_depth = limits.max_depth
    # depth <= n and gas <= 10 n, so short blocks need no scan; with C, scan *before* building
    # any object (a 4 MiB block of 0x81 would otherwise cost ~500 MB of nested lists first)
    post_scan = False
    if n > max_depth or n * _gas.WORST_GAS_PER_BYTE > limits.max_gas:  # (structure-only gas is lower)
        if _c_scan is None:
            post_scan = True
        else:
            if _fast_within(n, limits):  # a value it accepts is within both limits: no scan needed
                try:
                    return _fast(data)  # type: ignore[misc]
                except (ValueError, MemoryError):  # outside its subset: scan, then cbrrr alone
                    _prescan(data, limits, "dag-cbor")
                    return _strict(data, n)
            _prescan(data, limits, "dag-cbor")
    value = _value(data, n)
    if post_scan:  # (only without the C helpers, so the fast path was not taken either)
        _postscan(data, value, limits, "dag-cbor")
    return value


def decode_dag_cbor_relaxed(data: bytes, limits: DecodeLimits, *, any_key_bytes: bool = False) -> Any:
    """``decode_dag_cbor``, and for a block it refuses, Kubo's reading (``_cbor_relaxed``):
    a canonical block costs what it costs strictly and has the strict path's value."""
    try:
        return decode_dag_cbor(data, limits)
    except InvalidBlock:
        return _reread(data, limits, "dag-cbor", _link, any_key_bytes=any_key_bytes)


def _reread(data: bytes, limits: DecodeLimits, name: str, link: Any, *, any_key_bytes: bool = False) -> Any:
    """Kubo's reading of a block the strict decoder refused, under the same bounds on the same
    terms: a bound it broke (size, depth, gas) is raised again by the same check."""
    n = len(data)
    _check_size(data, limits, name)
    scan = n > limits.max_depth or n * _gas.WORST_GAS_PER_BYTE > limits.max_gas
    if scan and _c_scan is not None:
        _prescan(data, limits, name)
    value = _cbor_relaxed.read(data, link, name, any_key_bytes=any_key_bytes)
    if scan and _c_scan is None:
        _postscan(data, value, limits, name)
    return value


def decode_small(data: bytes, limits: DecodeLimits) -> Any:
    """``decode_dag_cbor`` for the many short values of a batch (guest output): a block too
    short to reach ``limits.max_depth`` or ``max_gas`` needs no scan, so it goes straight to
    the C decoder (no dispatch, no size checks); longer ones take the full path.
    Same values, same errors."""
    if type(data) is not bytes:
        data = bytes(data)
    n = len(data)
    if n > limits.max_depth or n * _gas.WORST_GAS_PER_BYTE > limits.max_gas:
        return decode_dag_cbor(data, limits)
    return _value(data, n)


def _fast_within(n: int, limits: DecodeLimits) -> bool:
    """Whether the C fast path may decode a block of ``n`` bytes before any scan: its gas is
    at most ``WORST_GAS_PER_BYTE`` per byte, and the values it accepts nest at most
    ``_FAST_DEPTH`` deep, so when both are inside ``limits`` no block it accepts can break them
    (a block it refuses is scanned, then decoded strictly, as before)."""
    return _FAST_DEPTH > 0 and limits.max_depth > _FAST_DEPTH and n * _gas.WORST_GAS_PER_BYTE <= limits.max_gas


def _value(data: bytes, n: int) -> Any:
    """The value of a block whose size, depth and gas are already checked: the C fast path,
    else cbrrr (which gives the value or the exact error; the fast path never accepts more)."""
    if _fast is not None and type(data) is bytes:
        try:
            return _fast(data)
        except (ValueError, MemoryError):  # outside its subset (or out of memory)
            pass
    return _strict(data, n)


def _strict(data: bytes, n: int) -> Any:
    """cbrrr's value of a checked block, or its exact error as ``InvalidBlock``."""
    try:
        value, used = _decode(data, _link, False)
    except InvalidCID as exc:  # from _py_link (the C link raises ValueError)
        raise InvalidBlock(f"dag-cbor: bad link: {exc.message}") from None
    except (ValueError, OverflowError, MemoryError) as exc:  # CbrrrDecodeError, UTF-8, C links
        raise InvalidBlock(f"dag-cbor: {exc}") from None
    if used != n:
        raise InvalidBlock(f"dag-cbor: {n - used} trailing bytes after the top-level item")
    return value


def decode_records(buf: bytes, count: int, limits: DecodeLimits) -> tuple[list[Any], list[tuple[int, int, int, int]]] | None:
    """Many short values at once: ``buf`` holds ``count`` records ``[u32 LE tag][u32 LE
    length][payload]`` (the layout of ``ac_decode_batch``'s output, docs/abi.md). Gives
    ``(values, todo)``: ``values[i]`` is record ``i``'s payload decoded exactly as
    ``decode_small(payload, limits)`` would (tag 0, a payload short enough to need no scan or
    one the fast path may take before any scan, ``_fast_within``, in the fast path's subset);
    every other record is in ``todo`` as ``(i, tag, start, length)`` (its ``values[i]`` is None)
    for the caller to handle one by one. None when the C helpers are not built or the records
    do not exactly fill ``buf`` (the caller's own parse then names the fault)."""
    if _records is None:
        return None
    gas_bound = limits.max_gas // _gas.WORST_GAS_PER_BYTE
    small = gas_bound if _fast_within(gas_bound, limits) else min(limits.max_depth, gas_bound)
    got: tuple[list[Any], list[tuple[int, int, int, int]]] | None = _records(buf if type(buf) is bytes else bytes(buf),
                                                                               count, small)
    return got


def _prescan(data: bytes, limits: DecodeLimits, name: str) -> None:
    """Depth and gas on the encoded bytes, in C, before anything is built."""
    found = _c_scan(data, limits.max_depth, limits.max_gas, limits.content_gas)  # type: ignore[misc]
    if found == 1:
        raise InvalidBlock(f"{name}: nesting deeper than max_depth ({limits.max_depth})")
    if found == 2:
        raise InvalidBlock(_over_budget(name, limits))
    # -1 (malformed): the strict decoder reports it precisely


def _postscan(data: bytes, value: Any, limits: DecodeLimits, name: str) -> None:
    """The pure-Python twin of ``_prescan``, on bytes the decoder already accepted."""
    if _depth.py_exceeds(data, limits.max_depth):
        raise InvalidBlock(f"{name}: nesting deeper than max_depth ({limits.max_depth})")
    if _gas.py_over_budget(value, limits.max_gas, limits.content_gas):
        raise InvalidBlock(_over_budget(name, limits))


def _over_budget(name: str, limits: DecodeLimits) -> str:
    return (f"{name}: the block's structure needs more than max_gas ({limits.max_gas}) units of "
            "allocation, Kubo's decoder budget (too many items for its size)")


def encode_dag_cbor(value: Any, limits: DecodeLimits) -> bytes:
    """Check the value (C walk first; the Python walk only to explain a refusal), then write it."""
    if _c_check is not None:
        try:
            _c_check(value, limits.max_depth, 7)  # links, bytes, CBOR int range
        except (ValueError, TypeError, OverflowError, MemoryError) as exc:
            _walk.check(value, codec="dag-cbor", max_depth=limits.max_depth, int_range=INT_RANGE)
            raise EncodeError(f"dag-cbor: {exc}") from None
    else:
        _walk.check(value, codec="dag-cbor", max_depth=limits.max_depth, int_range=INT_RANGE)
    try:
        return _encode(value, CID, False)
    except (TypeError, ValueError, OverflowError, MemoryError) as exc:
        raise EncodeError(f"dag-cbor: {exc}") from None


class DagCbor:
    name = "dag-cbor"
    code = 0x71
    decode = staticmethod(decode_dag_cbor)
    decode_relaxed = staticmethod(decode_dag_cbor_relaxed)
    encode = staticmethod(encode_dag_cbor)


def _reordered(data: bytes, limits: DecodeLimits) -> Any:
    """The value of a CBOR block the canonical decoder refused when the block is exactly
    ``_cbor_write``'s bytes of it (canonical but for map key order), else None."""
    try:
        value = _reread(data, limits, "cbor", None)
        if (type(value) is dict or type(value) is list) and _cbor_write.write(value) == data:
            return value
    except InvalidBlock:  # not even a loose CBOR block: the canonical decoder's refusal stands
        pass
    except UnicodeEncodeError:  # text the loose reader kept that is not UTF-8: not canonical
        pass
    return None


class Cbor:
    name = "cbor"
    code = 0x51

    @staticmethod
    def decode(data: bytes, limits: DecodeLimits) -> Any:
        """The value of a block that is the one CBOR encoding of it (``Cbor.encode``'s bytes):
        DAG-CBOR's canonical form without tags, map keys in any order (the order is kept)."""
        try:
            return Cbor._canonical(data, limits)
        except _KeyOrder as exc:  # any other fault comes first in the block and stays a fault
            value = _reordered(data, limits)  # a dict or list, or None
            if value is None:
                raise InvalidBlock(exc.message) from None
            return value

    @staticmethod
    def _canonical(data: bytes, limits: DecodeLimits) -> Any:
        _check_size(data, limits, "cbor")
        n = len(data)
        scan = n > limits.max_depth or n * _gas.WORST_GAS_PER_BYTE > limits.max_gas
        if scan and _c_scan is not None:
            _prescan(data, limits, "cbor")
        try:
            value, used = _decode(data, _no_link, False)
        except _TagInCbor:
            raise InvalidBlock("cbor: tags are not allowed (tag 42 links need dag-cbor)") from None
        except (ValueError, OverflowError, MemoryError) as exc:
            if str(exc).startswith(_KEY_ORDER_FAULT):
                raise _KeyOrder(f"cbor: {exc}") from None
            raise InvalidBlock(f"cbor: {exc}") from None
        if used != len(data):
            raise InvalidBlock(f"cbor: {len(data) - used} trailing bytes after the top-level item")
        if scan and _c_scan is None:
            _postscan(data, value, limits, "cbor")
        return value

    @staticmethod
    def decode_relaxed(data: bytes, limits: DecodeLimits) -> Any:
        """``decode``, and for a block it refuses, Kubo's reading of CBOR (``_cbor_relaxed``
        without links: go-ipld-prime's ``codec/cbor`` is its DAG-CBOR decoder without them)."""
        try:
            return Cbor._canonical(data, limits)
        except InvalidBlock:
            return _reread(data, limits, "cbor", None)

    @staticmethod
    def encode(value: Any, limits: DecodeLimits) -> bytes:
        """DAG-CBOR's form with map entries in the order given, as Kubo's cbor codec writes
        them (``_cbor_write``). When every map already has its keys in DAG-CBOR order the
        two forms are the same bytes, so cbrrr's C encoder writes them (``_CBOR_ORDER``);
        other checked values go to ``_cscan.cbor_write``, ``_cbor_write``'s C twin."""
        ordered = None
        if _c_check is not None:
            try:
                ordered = _c_check(value, limits.max_depth, _CBOR_ORDER)
            except (ValueError, TypeError, OverflowError, MemoryError):  # the Python walk names the fault
                ordered = None
        if ordered is not True:  # refused, out of order, or a stale C build (None)
            _walk.check(value, codec="cbor", max_depth=limits.max_depth, links=False, int_range=INT_RANGE)
        try:
            if ordered is True:
                return _encode(value, CID, False)
            if ordered is False and _c_write is not None:
                return _c_write(value, limits.max_depth)
            return _cbor_write.write(value)
        except (TypeError, ValueError, OverflowError, MemoryError) as exc:  # UnicodeError is a ValueError
            raise EncodeError(f"cbor: {exc}") from None
