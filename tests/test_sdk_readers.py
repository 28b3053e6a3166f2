"""The readers and writers of every SDK, kind by kind (tests/guest/sdk-readers): one task in C,
Rust, Zig and AssemblyScript reads each ``[kind, value]`` with the named reader and writes it back.
Every kind DAG-CBOR has (unsigned and negative integers to -2^64, bytes, text, arrays, maps, links,
bools, null, float64 including -0.0) at its boundary values round trips, ``skip`` passes nested
items whole, and every refused input (truncated, non-minimal, indefinite, NaN/Inf, the wrong kind,
unordered keys, nesting past 1024) is a typed GuestError whose status and message are the C
SDK's, never a trap. Real compilers, real sandbox.
"""

from __future__ import annotations

import hashlib
import struct
from pathlib import Path

import pytest

from autocodec.builtin import encode
from autocodec.cid import CID
from autocodec.config import DEFAULT_LIMITS
from autocodec.errors import GuestError
from autocodec.loader import LoadedModule, Sandbox
from tests._toolchains import need_toolchain

GUEST = Path(__file__).resolve().parent / "guest" / "sdk-readers"
OTHERS = ("rust", "zig", "assemblyscript")

pytestmark = pytest.mark.slow  # every test builds modules with the real compilers

LINK = CID.build(0x71, b"\x12\x20" + hashlib.sha256(b"x").digest())
NESTED = {"a": [1, -2, 1.5, None, True, b"x", "y", LINK, {"z": [], "zz": {}}], "b": -(2**64)}


def _cbor(value: object) -> bytes:
    return bytes(encode(value, "dag-cbor"))


def _bits(x: float) -> int:
    return int.from_bytes(struct.pack(">d", x), "big")


#: (kind, value read, value written); DAG-CBOR made by the host's encoder
GOOD: list[tuple[str, object, object]] = [
    *[("uint", v, v) for v in (0, 23, 24, 255, 256, 65535, 65536, 2**32 - 1, 2**32, 2**64 - 1)],
    *[("int", v, v) for v in (0, -1, -24, -25, -256, -257, 2**32, -(2**32) - 1, 2**63 - 1, -(2**63))],
    *[("integer", v, v) for v in (0, 2**64 - 1, -1, -(2**63) - 1, -(2**64))],
    ("neg", 0, -1), ("neg", 23, -24), ("neg", 2**64 - 1, -(2**64)),
    *[("bytes", b, b) for b in (b"", b"\x00" * 23, b"\x01" * 24, b"\x02" * 256)],
    *[("text", t, t) for t in ("", "caf\u00e9 \U0001f600", "a" * 300)],
    ("cid", LINK, LINK),
    ("bool", True, True), ("bool", False, False), ("null", None, None),
    ("try_null", None, True), ("try_null", NESTED, False), ("try_null", 0, False),
    *[("float", f, f) for f in (0.0, -0.0, 1.5, -1e300, 5e-324, 1.7976931348623157e308, -2.5)],
    ("float_bits", _bits(-0.0), -0.0), ("float_bits", _bits(0.1), 0.1),
    ("array", [], 0), ("array", [1, [2, {"a": None}], NESTED], 3), ("array", list(range(300)), 300),
    ("map", {}, 0), ("map", {"a": 1, "bb": [{"c": b""}], "ccc": NESTED}, 3),
    *[("skip", v, len(_cbor(v))) for v in (0, -(2**64), b"xy", "z", [], {}, LINK, None, 1.5, NESTED)],
    ("skip", [[[[[]]]]], 5),
]

_NAN, _INF = struct.pack(">d", float("nan")), struct.pack(">d", float("inf"))
_DEEP_OK = b"\x81" * 1023 + b"\x80"  # 1024 nested arrays: the host's max_depth
_DEEP_BAD = b"\x81" * 1024 + b"\x80"

#: (kind, raw DAG-CBOR value, a part of the C SDK's message)
BAD: list[tuple[str, bytes, str]] = [
    ("uint", b"", "unexpected end of data"),
    ("uint", b"\x19\x01", "unexpected end of data"),
    ("uint", b"\x18\x17", "not minimally encoded"),
    ("uint", b"\x1b\x00\x00\x00\x00\xff\xff\xff\xff", "not minimally encoded"),
    ("uint", b"\x1c", "reserved additional information"),
    ("uint", b"\x20", "expected an unsigned integer"),
    ("int", b"\x1b\x80" + b"\x00" * 7, "out of 64-bit range"),
    ("int", b"\x3b" + b"\xff" * 8, "out of 64-bit range"),
    ("integer", b"\x40", "expected an integer"),
    ("integer", b"\x3f", "indefinite length"),
    ("bytes", b"\x5f\x41a\xff", "indefinite length"),
    ("bytes", b"\x5a\xff\xff\xff\xffx", "length runs past the end"),
    ("bytes", b"\x61a", "expected bytes"),
    ("bytes", b"\x5b" + b"\xff" * 8 + b"x", "length runs past the end"),
    ("text", b"\x7b\x00\x00\x00\x01\x00\x00\x00\x00x", "length runs past the end"),
    ("map", b"\xbb" + b"\xff" * 8 + b"\x00\x00", "map length runs past"),
    ("skip", b"\x9b" + b"\xff" * 8 + b"\x00", "length runs past the end"),
    ("text", b"\x62\xc3\x28", "not valid UTF-8"),
    ("text", b"\x63\xed\xa0\x80", "not valid UTF-8"),
    ("text", b"\x42ab", "expected a string"),
    ("array", b"\x9b\x00\x00\x00\x01\x00\x00\x00\x00", "array length runs past"),
    ("array", b"\x9f\xff", "indefinite length"),
    ("map", b"\xa3\x00\x00\x00\x00\x00", "map length runs past"),
    ("map", b"\xa1\x01\x02", "expected a string"),
    ("bool", b"\xf6", "expected a boolean"),
    ("bool", b"\xf7", "only true, false and null"),
    ("bool", b"\xf8\x20", "only true, false and null"),
    ("bool", b"\xe0", "only true, false and null"),
    ("null", b"\xf4", "expected null"),
    ("float", b"\xf9\x3c\x00", "floats must be 64-bit"),
    ("float", b"\xfa\x3f\x80\x00\x00", "floats must be 64-bit"),
    ("float", b"\xfb" + _NAN, "NaN and Infinity"),
    ("float", b"\xfb" + _INF, "NaN and Infinity"),
    ("float", b"\xfb\xff\xf0" + b"\x00" * 6, "NaN and Infinity"),
    ("float", b"\xfb\x3f\xf0", "unexpected end of data"),
    ("float", b"\xf5", "expected a float"),
    ("float", b"\x01", "expected a float"),
    ("float_bits", _cbor(_bits(float("nan"))), "NaN and Infinity are not allowed in DAG-CBOR"),
    ("float_bits", _cbor(_bits(float("inf"))), "NaN and Infinity are not allowed in DAG-CBOR"),
    ("float_bits", _cbor(_bits(float("-inf"))), "NaN and Infinity are not allowed in DAG-CBOR"),
    ("cid", b"\xd8\x2b\x41\x00", "only tag 42"),
    ("cid", b"\xd8\x2a\x61a", "tag 42 must wrap bytes"),
    ("cid", b"\xd8\x2a\x42\x01\x01", "start with 0x00"),
    ("cid", b"\xd8\x2a\x44\x00\x01\x55\x00", "malformed CID"),
    ("cid", b"\x41\x00", "expected a link"),
    ("skip", b"\xa2\x61b\x00\x61a\x00", "map keys not in canonical order"),
    ("skip", b"\xa2\x62aa\x00\x61b\x00", "map keys not in canonical order"),
    ("skip", b"\xa2\x61a\x00\x61a\x00", "duplicate map key"),
    ("skip", b"\xa1\x01\x00", "map keys must be strings"),
    ("skip", b"\xa1\x61a", "unexpected end of data"),
    ("skip", b"\x82\x01", "length runs past the end"),
    ("skip", b"\x82\x01\x18", "unexpected end of data"),
    ("skip", b"\x81\x7f\xff", "indefinite length"),
    ("skip", b"\xc1\x00", "only tag 42"),
    ("skip", b"\x81\xd8\x2a\x42\x00\x01", "malformed CID"),
    ("skip", b"\x9a\xff\xff\xff\xff", "length runs past the end"),
    ("skip", b"\xba\x7f\xff\xff\xff\x00\x00", "length runs past the end"),
    ("skip", b"\x81\x81\x62\xc3\x28", "not valid UTF-8"),
    ("skip", b"\x82\xf9\x00\x00\x00", "floats must be 64-bit"),
    ("skip", _DEEP_BAD, "nesting too deep"),
    ("skip", b"\xa1\x61a" + _DEEP_BAD[1:], "nesting too deep"),
    ("try_null", b"\xf7", "only true, false and null"),
    ("what", b"\x00", "unknown kind"),
]


@pytest.fixture(scope="module")
def modules() -> dict[str, bytes]:
    """lang -> the built module, filled on first use (a build failure fails only that language)."""
    return {}


def _load(modules: dict[str, bytes], lang: str) -> LoadedModule:
    need_toolchain(lang)
    if lang not in modules:
        from autocodec.modkit import build

        modules[lang] = build(GUEST / lang).wasm
    return Sandbox(DEFAULT_LIMITS.sandbox).load(modules[lang])


def _pair(kind: str, raw: bytes) -> bytes:
    return b"\x81\x82" + _cbor(kind) + raw


def _refusal(loaded: LoadedModule, doc: bytes) -> tuple[int, str]:
    with pytest.raises(GuestError) as err:
        loaded.run("ac_task", doc)
    return err.value.code, err.value.message


@pytest.mark.parametrize("lang", ("c", *OTHERS))
def test_every_kind_at_its_boundaries_round_trips(modules: dict[str, bytes], lang: str) -> None:
    loaded = _load(modules, lang)
    doc = _cbor([[kind, value] for kind, value, _ in GOOD])
    assert loaded.run("ac_task", doc) == _cbor([want for _, _, want in GOOD])
    for kind, value, want in GOOD:  # alone too: each value ends the input (no slack after it)
        assert loaded.run("ac_task", _cbor([[kind, value]])) == _cbor([want]), (kind, value)
    assert loaded.run("ac_task", _pair("skip", _DEEP_OK)) == _cbor([len(_DEEP_OK)])
    assert loaded.run("ac_task", _pair("array", _DEEP_OK)) == _cbor([1])
    assert loaded.run("ac_task", _pair("skip", b"\xa1\x61a" + _DEEP_OK[1:])) == _cbor([len(_DEEP_OK) + 2])


@pytest.mark.parametrize("lang", ("c", *OTHERS))
def test_refused_input_is_the_c_sdks_typed_error(modules: dict[str, bytes], lang: str) -> None:
    loaded = _load(modules, lang)
    model = _load(modules, "c")
    for kind, raw, part in BAD:
        doc = _pair(kind, raw)
        want = _refusal(model, doc)
        assert want[0] == 1 and part in want[1], (kind, raw, want)
        assert _refusal(loaded, doc) == want, (kind, raw)
        for cut in range(len(doc)):  # every truncation is refused the same way too
            if cut > 1:
                assert _refusal(loaded, doc[:cut]) == _refusal(model, doc[:cut]), (kind, raw, cut)
    good = _cbor([["uint", 1]])
    for doc in (good + b"\x00", good[:-1], b"\x82\x61a", b"\x81\x81\x61a", b""):
        assert _refusal(loaded, doc) == _refusal(model, doc), doc
    # the module runs on after every refusal
    assert loaded.run("ac_task", _cbor([["integer", -(2**64)]])) == _cbor([-(2**64)])
