"""The C helpers (_cscan) and their pure-Python twins give the same answers.

The C extension is built by setup.py (``pip install -e .`` or ``python setup.py build_ext
--inplace``); without it autocodec falls back to the Python twins, so both must agree.
"""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from autocodec import CID
from autocodec.builtin import _dagcbor, _depth, _jsontext, _native, decode, encode
from autocodec.errors import InvalidBlock, InvalidCID

pytestmark = pytest.mark.skipif(_native.link is None, reason="C extension not built (run setup.py build_ext)")

cid_like = st.one_of(
    st.binary(max_size=80),
    st.builds(lambda tail: b"\x01" + tail, st.binary(max_size=60)),
    st.builds(lambda c, h, d: b"\x01" + bytes([c, h, len(d)]) + d, st.integers(0, 255), st.integers(0, 255), st.binary(max_size=40)),
    st.builds(lambda d, extra: b"\x12\x20" + d + extra, st.binary(min_size=32, max_size=32), st.binary(max_size=2)),
)


@settings(max_examples=2000, deadline=None)
@given(cid_like)
def test_link_same_as_cid(raw: bytes) -> None:
    try:
        expected = CID(raw)
    except InvalidCID:
        with pytest.raises(ValueError):
            _native.link(raw)  # type: ignore[misc]
        return
    got = _native.link(raw)  # type: ignore[misc]
    assert type(got) is CID and got == expected and bytes(got) == raw and hash(got) == hash(expected)


nested = st.recursive(
    st.integers(-(1 << 64), (1 << 64) - 1) | st.text(alphabet='[]{}"\\ab', max_size=8),
    # no key "/": dag-json refuses a map {"/": ...} that would read back as a link or bytes
    # (hypothesis found {"/": ""} once, an EncodeError before any depth was scanned)
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=3).filter(lambda k: k != "/"),
                                                                inner, max_size=3),
    max_leaves=80,
)


def _true_depth(value: object) -> int:
    if isinstance(value, list):
        return 1 + max((_true_depth(v) for v in value), default=0)
    if isinstance(value, dict):
        return 1 + max((_true_depth(v) for v in value.values()), default=0)
    return 0


@settings(max_examples=300, deadline=None)
@given(nested, st.integers(0, 12))
def test_depth_scans_agree(value: object, max_depth: int) -> None:
    truth = _true_depth(value) > max_depth
    block = encode(value, "dag-cbor")
    assert _depth._c_exceeds_bool(block, max_depth) is truth
    assert _depth._scan(block, max_depth) is truth
    text = encode(value, "dag-json")
    assert (_native.json_depth(text, max_depth) > max_depth) is truth  # type: ignore[misc]
    assert (_jsontext._py_depth(text, max_depth) > max_depth) is truth


def test_python_fallbacks_decode_the_same(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_dagcbor, "_link", _dagcbor._py_link)
    monkeypatch.setattr(_dagcbor, "_c_scan", None)
    link = CID.parse("bafyreidykglsfhoixmivffc5uwhcgshx4j465xwqntbmu43nb2dzqwfvae")
    assert decode(encode({"a": [link, b"x"]}, "dag-cbor"), "dag-cbor") == {"a": [link, b"x"]}
    with pytest.raises(InvalidBlock):
        decode(b"\xd8\x2a\x42\x00\xff", "dag-cbor")
    with pytest.raises(InvalidBlock, match="max_depth"):
        decode(b"\x81" * 2000 + b"\x01", "dag-cbor")
    with pytest.raises(InvalidBlock, match="max_depth"):
        decode(b"\x81" * 2000 + b"\x01", "cbor")
    assert decode(b"\x82\x59\x10\x00" + b"\x81" * 4096 + b"\x80", "dag-cbor") == [b"\x81" * 4096, []]


def test_hostile_depth_is_refused_before_allocating() -> None:
    """4 MiB of 0x81 is refused by the C pre-scan: no multi-hundred-MB tree is built first."""
    import tracemalloc

    block = b"\x81" * (4 * 1024 * 1024 - 1) + b"\x01"
    tracemalloc.start()
    try:
        with pytest.raises(InvalidBlock, match="max_depth"):
            decode(block, "dag-cbor")
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 1024 * 1024


anything = st.recursive(
    st.none() | st.booleans() | st.integers(-(1 << 66), 1 << 66) | st.floats() | st.text(max_size=4)
    | st.sampled_from(["\ud800", b"x", (1,), 1j, CID.parse("bafkqaaa")]),
    lambda inner: st.lists(inner, max_size=3)
    | st.dictionaries(st.text(max_size=3) | st.integers(0, 3) | st.just("\udc00"), inner, max_size=3),
    max_leaves=20,
)


@settings(max_examples=1000, deadline=None)
@given(anything, st.integers(1, 6), st.sampled_from([0, 1, 2, 3, 4, 5, 6, 7]))
def test_check_same_as_python_walk(value: object, max_depth: int, flags: int) -> None:
    from autocodec.builtin import _walk
    from autocodec.errors import EncodeError

    kwargs = dict(
        links=bool(flags & 1), byte_strings=bool(flags & 2), int_range=_walk._CBOR_INTS if flags & 4 else None
    )
    try:
        _walk._py_check(value, codec="t", max_depth=max_depth, **kwargs)
        python_ok = True
    except EncodeError:
        python_ok = False
    try:
        _native.check(value, max_depth, flags)  # type: ignore[misc]
        c_ok = True
    except (ValueError, TypeError):
        c_ok = False
    assert c_ok is python_ok
