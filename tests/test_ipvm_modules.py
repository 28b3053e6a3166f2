"""The IPVM task modules against independent references, on generated inputs (hypothesis).

- ``ipld-select``: ``select``/``count``/``keys`` agree with a Python reference of IPLD
  data-model pathing, for values and for the same documents given as DAG-CBOR bytes.
- ``bencode-to-dagcbor``: ``transcode`` equals the bencode codec module's ``decode`` (they
  compile the same C source), and ``to_dagcbor`` equals the builtin DAG-CBOR encoding of it.
"""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from autocodec.builtin import encode
from autocodec.errors import GuestError
from autocodec.loader import Sandbox, same
from tests.conftest import WASM_SRC

_SANDBOX = Sandbox()
SELECT = _SANDBOX.load((WASM_SRC / "ipld-select" / "ipld-select.wasm").read_bytes()).task()
TRANSCODE = _SANDBOX.load((WASM_SRC / "bencode-to-dagcbor" / "bencode-to-dagcbor.wasm").read_bytes()).task()
BENCODE = _SANDBOX.load((WASM_SRC / "bencode" / "bencode.wasm").read_bytes()).codec()
SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])

keys = st.text(alphabet="ab/0123", max_size=3)
scalars = st.one_of(
    st.none(), st.booleans(), st.integers(min_value=-(2**63), max_value=2**64 - 1),
    st.floats(allow_nan=False, allow_infinity=False), st.text(max_size=5), st.binary(max_size=5),
)
values = st.recursive(scalars, lambda inner: st.one_of(st.lists(inner, max_size=4),
                                                       st.dictionaries(keys, inner, max_size=4)), max_leaves=20)
segments = st.one_of(keys, st.sampled_from(["0", "1", "2", "01", "-1", "999999999", "1000000000"]))
paths = st.lists(segments, max_size=4).map("/".join)


class Missing(Exception):
    pass


def reference(value: Any, path: str) -> Any:
    for seg in (s for s in path.split("/") if s):
        if isinstance(value, dict):
            if seg not in value:
                raise Missing(seg)
            value = value[seg]
        elif isinstance(value, list):
            if not seg.isdigit() or (len(seg) > 1 and seg[0] == "0") or len(seg) > 9 or int(seg) >= len(value):
                raise Missing(seg)
            value = value[int(seg)]
        else:
            raise Missing(seg)
    return value


def _check(fn: str, doc: Any, path: str, expect: Any) -> None:
    try:
        want = expect(reference(doc, path))
    except Missing:
        want = Missing
    # a byte string argument is a DAG-CBOR document, so a bytes document is only given encoded
    forms = (encode(doc, "dag-cbor"),) if isinstance(doc, bytes) else (doc, encode(doc, "dag-cbor"))
    for given_doc in forms:
        try:
            got = SELECT.call(fn, [given_doc, path])
        except GuestError:
            got = Missing
        assert want is got if want is Missing or got is Missing else same(got, want), (fn, doc, path, got, want)


def _count(value: Any) -> Any:
    if not isinstance(value, (dict, list)):
        raise Missing("not a container")
    return len(value)


def _keys(value: Any) -> Any:
    if not isinstance(value, dict):
        raise Missing("not a map")
    return sorted(value, key=lambda k: (len(k.encode()), k.encode()))


@SETTINGS
@given(values, paths)
def test_select_count_keys_match_the_reference(doc: Any, path: str) -> None:
    _check("select", doc, path, lambda v: v)
    _check("count", doc, path, _count)
    _check("keys", doc, path, _keys)


@SETTINGS
@given(values)
def test_every_path_of_a_document_selects_its_value(doc: Any) -> None:
    stack: list[tuple[str, Any]] = [("", doc)]
    given_doc = encode(doc, "dag-cbor") if isinstance(doc, bytes) else doc
    while stack:
        path, value = stack.pop()
        assert same(SELECT.call("select", [given_doc, path]), value)
        if isinstance(value, dict):
            stack.extend((f"{path}/{k}", v) for k, v in value.items() if "/" not in k and k)
        elif isinstance(value, list):
            stack.extend((f"{path}/{i}", v) for i, v in enumerate(value))


bencode_values = st.recursive(
    st.one_of(st.integers(min_value=-(2**63), max_value=2**63), st.binary(max_size=8)),
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=4), inner, max_size=4)),
    max_leaves=15,
)


@SETTINGS
@given(bencode_values)
def test_transcode_equals_the_bencode_codec(value: Any) -> None:
    block = BENCODE.encode(value)
    decoded = BENCODE.decode(block)
    assert same(TRANSCODE.call("transcode", [block]), decoded)
    assert TRANSCODE.call("to_dagcbor", [block]) == encode(decoded, "dag-cbor")


@SETTINGS
@given(st.binary(max_size=40))
def test_transcode_fails_exactly_where_the_codec_fails(block: bytes) -> None:
    try:
        want: Any = BENCODE.decode(block)
    except GuestError:
        want = GuestError
    try:
        got: Any = TRANSCODE.call("transcode", [block])
    except GuestError:
        got = GuestError
    assert got is want if GuestError in (got, want) else same(got, want)


@pytest.mark.parametrize("depth", [1000, 5000])
def test_deep_documents_fail_typed_or_select(depth: int) -> None:
    doc = b"\x81" * depth + b"\x01"  # [[[...1...]]]: within AC_MAX_DEPTH it selects, beyond it is an error status
    path = "/".join(["0"] * depth)
    if depth <= 1024:
        assert SELECT.call("select", [doc, path]) == 1
    else:
        with pytest.raises(GuestError):
            SELECT.call("select", [doc, path])


@SETTINGS
@given(st.binary(max_size=64), paths)
def test_arbitrary_document_bytes_only_ever_fail_with_an_error_status(doc: bytes, path: str) -> None:
    for fn in ("select", "count", "keys"):
        try:
            SELECT.call(fn, [doc, path])
        except GuestError:
            pass


@SETTINGS
@given(values)
def test_invocation_decoding_is_total(value: Any) -> None:
    from autocodec.errors import InvalidDocument
    from autocodec.ipvm import Invocation

    try:
        Invocation.decode(encode(value, "dag-cbor"))
    except InvalidDocument:
        pass


def test_call_with_stats_reports_deterministic_fuel() -> None:
    small = SELECT.call_with_stats("count", [{"a": list(range(10))}, "a"])
    large = SELECT.call_with_stats("count", [{"a": list(range(10_000))}, "a"])
    assert small[0] == 10 and large[0] == 10_000
    assert 0 < small[1] < large[1]
    assert SELECT.call_with_stats("count", [{"a": list(range(10))}, "a"]) == small  # same input, same fuel
