"""DAG-JSON (0x0129) and plain JSON (0x0200) on the standard library's C JSON scanner.

Spec: ipld.io/specs/codecs/dag-json/spec and RFC 8259.

Invariants (decode, both codecs):
- Input is UTF-8 (no BOM, no UTF-16/32 detection), one JSON value (after it only space, tab,
  CR, LF and NUL bytes, as Kubo's decoders allow), no NaN/Infinity, no number that overflows
  a float or has more than 2^64-1 before its fraction or exponent, no integer outside
  -2^64 .. 2^64-1 (DAG-CBOR's range; Kubo refuses those too), no duplicate map keys, no lone
  surrogates, nesting at most ``limits.max_depth`` (checked before parsing; deep but allowed
  texts get recursion-limit headroom for the stdlib C scanner, see ``_headroom``), size at
  most ``limits.max_block_bytes``. Any failure is ``InvalidBlock``.
- Map key order and whitespace are not checked on decode (only encode is canonical): the
  spec says decoders should not enforce them, to read historical and non-strict data.
- DAG-JSON only: an object whose only key is ``"/"`` is a link when its value is a string
  (the canonical CID string: base32 for v1, base58btc for v0; any other spelling of the same
  CID is refused, so two different blocks never decode to the same data, and text longer than
  the longest canonical CID is refused before base decoding) and bytes when its value is an
  object whose only key is ``"bytes"`` with a string value (standard base64, no padding,
  canonical trailing bits). A malformed link or bytes form is an error, never a plain map;
  ``{"/": X}`` where X is neither a string nor that one-key object (``{"/": 5}``,
  ``{"/": {"bytes": 5}}``) is a plain map, as Kubo reads it, and is written back as one.

Invariants (encode): the text Kubo's encoders (go-ipld-prime) write, measured against Kubo in
``tests/test_ipld_values_kubo.py``: floats as ``_jsontext.format_float``, strings with Go's
escapes (``_encode_str``).
- DAG-JSON is canonical and compact: keys sorted by their UTF-8 bytes, no whitespace; bytes as
  ``{"/":{"bytes":"..."}}``, links as ``{"/":"<cid>"}``, and a map that would read back as one of
  those forms is refused.
- Plain JSON keeps the map order given and is indented as Kubo's JSON codec indents it (one
  entry per line, tabs, ``": "``, a newline after a top-level container); it refuses bytes and
  links.
Both encoders refuse integers outside -2^64 .. 2^64-1, as the decoders do. Both are iterative.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
import sys
import threading
from contextlib import contextmanager
from typing import Any, Iterator

from ..cid import CID, MAX_DIGEST_BYTES, MAX_VARINT_BYTES
from ..config import DecodeLimits
from ..errors import EncodeError, InvalidBlock, InvalidCID
from . import _jsontext, _native, _walk

_basestring = json.encoder.encode_basestring  # the C escaper (ensure_ascii=False)
_GO_ESCAPED = re.compile("[\x08\x0c\u2028\u2029\udc80-\udcff]")
_ESCAPED_BYTE = re.compile("[\udc80-\udcff]")
_ESCAPE_PAIR = re.compile(r"\\(.)")
_GO_FORMS = {"b": "\\u0008", "f": "\\u000c"}


def _encode_str(text: str) -> str:
    """A JSON string as Kubo's encoders (go-ipld-prime) write it: Python's escapes, except
    that backspace and form feed are ``\\u0008``/``\\u000c`` (not ``\\b``/``\\f``), U+2028
    and U+2029 are escaped, and a byte that is not UTF-8 (a surrogate escape, as a DAG-PB name
    may hold) is ``\\ufffd``, as Go writes an invalid byte of a string."""
    out = _basestring(text)
    if _GO_ESCAPED.search(text) is None:
        return out
    out = _ESCAPE_PAIR.sub(lambda pair: _GO_FORMS.get(pair.group(1), pair.group(0)), out)
    out = _ESCAPED_BYTE.sub(r"\\ufffd", out)
    return out.replace("\u2028", "\\u2028").replace("\u2029", "\\u2029")


_b64encode = base64.b64encode


class _Reject(Exception):
    """Raised inside the JSON hooks; turned into ``InvalidBlock`` by ``_parse``."""


def _bad_constant(name: str) -> Any:
    raise _Reject(f"{name} is not allowed")


_UINT64_DIGITS = len(str(2**64 - 1))
_INT_RANGE = (_jsontext.CBOR_INT_LOW, _jsontext.CBOR_INT_HIGH)  # as DAG-CBOR: no block form holds more


def _finite_float(text: str) -> float:
    """A number with a fraction or exponent. Kubo v0.43.1's reader (go-ipld-prime over refmt)
    takes the digits before the fraction or exponent as a uint64 first and refuses the text
    when they pass 2^64-1 (``strconv.ParseInt: ... value out of range``); so is it refused here."""
    value = float(text)
    if value - value != 0.0:  # inf (nan cannot come from a JSON number)
        raise _Reject(f"number {text[:40]} overflows a float")
    if len(text) > _UINT64_DIGITS:
        whole = re.match(r"-?([0-9]*)", text)
        if whole is not None and len(whole[1]) >= _UINT64_DIGITS and int(whole[1]) > 2**64 - 1:
            raise _Reject(f"number {text[:40]} has more than 2^64-1 before its fraction or exponent, which "
                          "Kubo's reader refuses too: write it in exponent form (1.8e+19)")
    return value


def _plain_object(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    obj = dict(pairs)
    if len(obj) != len(pairs):
        raise _Reject(f"duplicate map key {_first_duplicate(pairs)!r}")
    return obj


def _first_duplicate(pairs: list[tuple[str, Any]]) -> str:
    seen: set[str] = set()
    for k, _ in pairs:
        if k in seen:
            return k
        seen.add(k)
    return ""


def _dag_object(pairs: list[tuple[str, Any]]) -> Any:
    if len(pairs) == 1 and pairs[0][0] == "/":
        inner = pairs[0][1]
        if type(inner) is str:
            return _parse_link(inner)
        if _is_bytes_form(inner):
            return _parse_bytes(inner["bytes"])
        return {"/": inner}
    obj = dict(pairs)
    if len(obj) != len(pairs):
        raise _Reject(f"duplicate map key {_first_duplicate(pairs)!r}")
    return obj


# base32 (RFC 4648, lower case) digit -> the digit int(..., 32) uses; anything else -> "!"
_B32_TO_INT = str.maketrans(
    {chr(c): "!" for c in range(128)}
    | {c: "0123456789abcdefghijklmnopqrstuv"[i] for i, c in enumerate("abcdefghijklmnopqrstuvwxyz234567")}
)
_c_link = _native.link
# the canonical text of the longest valid CID (base32 of MAX_CID_BYTES, plus the prefix)
_MAX_LINK_TEXT = 1 + (8 * (1 + 3 * MAX_VARINT_BYTES + MAX_DIGEST_BYTES) + 4) // 5


def _fast_b32_link(text: str) -> CID | None:
    """A CIDv1 from canonical ``b...`` text in C-speed steps; None to take the slow path."""
    if _c_link is None or not text.isascii():
        return None
    digits = text[1:].translate(_B32_TO_INT)
    if "!" in digits or not digits:
        return None
    nbits = 5 * len(digits)
    nbytes, pad = divmod(nbits, 8)
    if pad >= 5:  # a canonical unpadded base32 string never has 5+ spare bits
        return None
    value = int(digits, 32)
    if value & ((1 << pad) - 1):  # non-zero spare bits: not canonical
        return None
    raw = (value >> pad).to_bytes(nbytes, "big")
    if raw[:1] != b"\x01":  # a CIDv0 (0x12...) is canonical only in base58btc: the slow path refuses it
        return None
    try:
        return _c_link(raw)
    except ValueError:
        return None


def _parse_link(text: str) -> CID:
    if len(text) > _MAX_LINK_TEXT:  # before any base decoding (base58 is quadratic in the length)
        raise _Reject(f"bad link {text[:80]!r}...: {len(text)} characters, longer than any canonical CID")
    if text[:1] == "b":
        cid = _fast_b32_link(text)
        if cid is not None:
            return cid
    try:
        cid = CID.parse(text)
    except InvalidCID as exc:
        raise _Reject(f"bad link {text[:80]!r}: {exc.message}") from None
    if str(cid) != text:
        raise _Reject(f"link {text[:80]!r} is not in canonical form (base32 for CIDv1, base58btc for CIDv0)")
    return cid


def _is_bytes_form(inner: Any) -> bool:
    """Whether ``inner`` (the value under a lone ``"/"`` key) makes the map the bytes form:
    one ``"bytes"`` key whose value is a string. A ``"bytes"`` value of any other kind leaves
    an ordinary map, as go-ipld-prime (Kubo) and js-dag-json read it."""
    return type(inner) is dict and len(inner) == 1 and type(inner.get("bytes")) is str


def _parse_bytes(text: str) -> bytes:
    try:
        raw = base64.b64decode(text + "=" * (-len(text) % 4), validate=True)
    except (binascii.Error, ValueError):
        raise _Reject(f"bad base64 in bytes form {text[:40]!r}") from None
    if _b64encode(raw).rstrip(b"=") != text.encode("ascii"):
        raise _Reject(f"non-canonical base64 in bytes form {text[:40]!r} (padding or trailing bits)")
    return raw


_DAG_DECODER = json.JSONDecoder(
    object_pairs_hook=_dag_object, parse_float=_finite_float, parse_constant=_bad_constant, strict=True
)
_JSON_DECODER = json.JSONDecoder(
    object_pairs_hook=_plain_object, parse_float=_finite_float, parse_constant=_bad_constant, strict=True
)


_SHALLOW = 200  # a text this short nests < 100 deep; below this depth no headroom is needed
_LIMIT_LOCK = threading.Lock()


@contextmanager
def _headroom(depth: int) -> Iterator[None]:
    """Raise the interpreter's recursion limit by ``depth`` while the C scanner runs.

    The stdlib scanner counts one recursion level per nested container against the same limit
    as Python frames; ``depth`` is already bounded by ``max_depth``, and each level costs a few
    hundred bytes of C stack, so the raise is safe. Serialized by a lock, restored after.
    """
    with _LIMIT_LOCK:
        old = sys.getrecursionlimit()
        sys.setrecursionlimit(old + depth + 100)
        try:
            yield
        finally:
            sys.setrecursionlimit(old)


_TAIL = b" \x00\t\r\n"
_TAIL_BYTES = frozenset(_TAIL)


def _without_nul_tail(data: bytes) -> bytes:
    """The text without its trailing run of whitespace and NUL bytes when that run holds a NUL:
    Kubo's decoders (go-ipld-prime dagjson and json) accept a value followed by any run of
    space, tab, CR, LF and NUL; the JSON scanner here takes the whitespace alone."""
    body = data.rstrip(_TAIL)
    return body if b"\x00" in data[len(body):] else data


_STR_DIGITS = re.compile(r"integer string conversion: value has (\d+) digits")


def _over_str_digits(exc: ValueError) -> int | None:
    """The digit count CPython's int() named in refusing a decimal longer than its conversion
    limit (4300 by default), or None for any other ``ValueError``."""
    found = _STR_DIGITS.search(str(exc))
    return int(found[1]) if found else None


def _parse(data: bytes, limits: DecodeLimits, name: str, decoder: json.JSONDecoder) -> Any:
    if type(data) is not bytes:  # a bytearray or memoryview from a caller of the codec itself
        data = bytes(data)
    if len(data) > limits.max_block_bytes:
        raise InvalidBlock(f"{name}: block of {len(data)} bytes is over max_block_bytes ({limits.max_block_bytes})")
    depth = _jsontext.depth(data, limits.max_depth) if len(data) > _SHALLOW else 0
    if depth > limits.max_depth:
        raise InvalidBlock(f"{name}: nesting deeper than max_depth ({limits.max_depth})")
    if data[-1:] and data[-1] in _TAIL_BYTES:
        data = _without_nul_tail(data)
    try:
        text = data.decode("utf-8")
        if text[:1] == "\ufeff":
            raise _Reject("a byte order mark is not allowed")
        if depth < _SHALLOW:
            value = decoder.decode(text)
        else:
            with _headroom(depth):
                value = decoder.decode(text)
    except _Reject as exc:
        raise InvalidBlock(f"{name}: {exc}") from None
    except UnicodeDecodeError as exc:
        raise InvalidBlock(f"{name}: not UTF-8 at byte {exc.start}") from None
    except json.JSONDecodeError as exc:
        raise InvalidBlock(f"{name}: {exc.msg} at line {exc.lineno} column {exc.colno}") from None
    except ValueError as exc:
        digits = _over_str_digits(exc)
        if digits is not None:  # int() refuses over sys.get_int_max_str_digits(): far outside the range
            raise InvalidBlock(f"{name}: an integer of {digits} digits is outside -2^64 .. 2^64-1, the range "
                               "IPLD blocks can hold (Kubo refuses it too): write it as a string") from None
        raise InvalidBlock(f"{name}: {type(exc).__name__}: {str(exc)[:200]}") from None
    except (RecursionError, MemoryError) as exc:
        raise InvalidBlock(f"{name}: {type(exc).__name__}: {str(exc)[:200]}") from None
    if _jsontext.may_have_surrogate(data) and _jsontext.has_lone_surrogate(value):
        raise InvalidBlock(f"{name}: string with a lone surrogate escape")
    if _jsontext.may_have_long_int(data):
        big = _jsontext.int_outside_cbor(value)
        if big is not None:
            shown = str(big) if len(str(big)) <= 44 else f"{str(big)[:40]}... ({len(str(big))} digits)"
            raise InvalidBlock(f"{name}: integer {shown} is outside -2^64 .. 2^64-1, the range IPLD blocks "
                               "can hold (Kubo refuses it too): write it as a string or a float")
    return value


class _Raw(str):
    """A piece of output text (as opposed to a string value) on the encoder's stack."""


_OPEN_LIST, _CLOSE_LIST, _OPEN_MAP, _CLOSE_MAP, _COMMA = map(_Raw, "[]{},")
_LINK_HEAD, _LINK_TAIL = _Raw('{"/":"'), _Raw('"}')


def _emit(value: Any, dag: bool) -> str:
    """Canonical compact text of a value already checked by ``_walk.check``."""
    out: list[str] = []
    append = out.append
    stack: list[Any] = [value]
    pop, push = stack.pop, stack.append
    while stack:
        v = pop()
        t = type(v)
        if t is _Raw:
            append(v)
        elif t is str:
            append(_encode_str(v))
        elif t is bool:
            append("true" if v else "false")
        elif t is int:
            append(str(v))
        elif v is None:
            append("null")
        elif t is float:
            append(_jsontext.format_float(v))
        elif t is list:
            append(_OPEN_LIST)
            push(_CLOSE_LIST)
            for i in range(len(v) - 1, -1, -1):
                push(v[i])
                if i:
                    push(_COMMA)
        elif t is dict:
            if dag and len(v) == 1 and "/" in v and _ambiguous(v["/"]):
                raise EncodeError('dag-json: a map whose only key is "/" would read back as a link or bytes')
            append(_OPEN_MAP)
            push(_CLOSE_MAP)
            items = sorted(v.items())
            for i in range(len(items) - 1, -1, -1):
                k, item = items[i]
                push(item)
                push(_Raw(_encode_str(k) + ":"))
                if i:
                    push(_COMMA)
        elif t is bytes:
            append('{"/":{"bytes":"')
            append(_b64encode(v).rstrip(b"=").decode("ascii"))
            append('"}}')
        elif t is CID:
            append(_LINK_HEAD)
            append(str(v))
            append(_LINK_TAIL)
        else:  # unreachable after _walk.check
            raise EncodeError(f"cannot encode a {t.__name__}")
    return "".join(out)


def _scalar(v: Any) -> str:
    """The text of a string, boolean, integer, null or float (as ``_emit`` writes them inline)."""
    t = type(v)
    if t is str:
        return _encode_str(v)
    if t is bool:
        return "true" if v else "false"
    if t is int:
        return str(v)
    if v is None:
        return "null"
    if t is float:
        return _jsontext.format_float(v)
    raise EncodeError(f"cannot encode a {t.__name__}")  # unreachable after _walk.check


def _emit_json(value: Any) -> str:
    """Kubo's text for the JSON codec (go-ipld-prime's ``codec/json``): maps in the order given
    (not sorted), one entry per line indented by tabs, ``": "`` after a key, empty containers
    inline, and a newline after a top-level container. Scalars as ``_emit`` writes them."""
    out: list[str] = []
    append = out.append
    stack: list[tuple[Any, int]] = [(value, 0)]
    pop, push = stack.pop, stack.append
    while stack:
        v, depth = pop()
        t = type(v)
        if t is _Raw:
            append(v)
        elif t is list or t is dict:
            if not v:
                append("[]" if t is list else "{}")
                continue
            append("[\n" if t is list else "{\n")
            push((_Raw("\n" + "\t" * depth + ("]" if t is list else "}")), depth))
            items = list(v.items()) if t is dict else [(None, item) for item in v]
            indent = "\t" * (depth + 1)
            for i in range(len(items) - 1, -1, -1):
                key, item = items[i]
                push((item, depth + 1))
                push((_Raw(indent if key is None else f"{indent}{_encode_str(key)}: "), depth))
                if i:
                    push((_Raw(",\n"), depth))
        else:
            append(_scalar(v))
    text = "".join(out)
    return text + "\n" if type(value) in (list, dict) else text


def _ambiguous(inner: Any) -> bool:
    """Whether ``{"/": inner}`` would be read back as a link or as bytes (or refused as one)."""
    return type(inner) is str or _is_bytes_form(inner)


class DagJson:
    name = "dag-json"
    code = 0x0129

    @staticmethod
    def decode(data: bytes, limits: DecodeLimits) -> Any:
        return _parse(data, limits, "dag-json", _DAG_DECODER)

    @staticmethod
    def encode(value: Any, limits: DecodeLimits) -> bytes:
        return DagJson.encode_text(value, limits).encode("utf-8")

    @staticmethod
    def encode_text(value: Any, limits: DecodeLimits) -> str:
        _walk.check(value, codec="dag-json", max_depth=limits.max_depth, int_range=_INT_RANGE, escaped_bytes=True)
        try:
            return _emit(value, True)
        except ValueError as exc:  # an int past the interpreter's str() digit limit
            raise EncodeError(f"dag-json: {exc}") from None


class Json:
    name = "json"
    code = 0x0200

    @staticmethod
    def decode(data: bytes, limits: DecodeLimits) -> Any:
        return _parse(data, limits, "json", _JSON_DECODER)

    @staticmethod
    def encode(value: Any, limits: DecodeLimits) -> bytes:
        _walk.check(value, codec="json", max_depth=limits.max_depth, links=False, byte_strings=False,
                    int_range=_INT_RANGE, escaped_bytes=True)
        try:
            return _emit_json(value).encode("utf-8")
        except ValueError as exc:  # an int past the interpreter's str() digit limit
            raise EncodeError(f"json: {exc}") from None
