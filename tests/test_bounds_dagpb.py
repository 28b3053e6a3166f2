"""DAG-PB decoding in C (``_cscan.pb_decode``) accepts exactly what the Python reference
decoder accepts, with equal values; a 4 MiB block of minimal links is decoded in linear time
with a small constant (it was ~35 us a link in Python)."""

from __future__ import annotations

import time

import pytest
from hypothesis import HealthCheck, given, settings

from autocodec import builtin
from autocodec.builtin import _dagpb, _native
from autocodec.cid import CID
from autocodec.errors import InvalidBlock
from autocodec.fuzz import TARGETS

needs_c = pytest.mark.skipif(_native.pb_decode is None, reason="the _cscan C helper is not built")


def _both(data: bytes) -> tuple[object, object]:
    try:
        c: object = _native.pb_decode(data)  # type: ignore[misc]
    except ValueError:
        c = "refused"
    try:
        py: object = _dagpb.py_decode(data)
    except InvalidBlock:
        py = "refused"
    return c, py


@needs_c
@settings(max_examples=500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(TARGETS["dag-pb"].strategy())
def test_c_and_python_decoders_agree(data: bytes) -> None:
    c, py = _both(data)
    assert c == py
    assert type(c) is type(py)


@needs_c
@pytest.mark.parametrize("data", [
    b"", b"\x0a\x00", b"\x12\x00", b"\x12\x00\x0a\x00", b"\x0a\x00\x12\x00", b"\x0a\x00\x0a\x00",
    b"\x12\x06\x0a\x04\x01\x55\x00\x00", b"\x12\x08\x0a\x04\x01\x55\x00\x00\x12\x00",
    b"\x12\x07\x0a\x04\x01\x55\x00\x00\x18", b"\x12\x08\x0a\x04\x01\x55\x00\x00\x18\x80",
    b"\x12\x08\x0a\x04\x01\x55\x00\x00\x18\x00", b"\x12\x09\x0a\x04\x01\x55\x00\x00\x18\x80\x00",
    b"\x12\x10\x0a\x04\x01\x55\x00\x00\x18" + b"\xff" * 9 + b"\x01",
    b"\x12\x10\x0a\x04\x01\x55\x00\x00\x18" + b"\xff" * 9 + b"\x02",
    b"\x12\x0a\x0a\x04\x01\x55\x00\x00\x12\x02\xc3\x28", b"\x12\x0a\x12\x02ab\x0a\x04\x01\x55\x00\x00",
    b"\x12\x06\x0a\x04\x01\x55\x00\x01", b"\x1a\x00", b"\x08\x00", b"\x80\x00",
    b"\x0a\x00\x12\x06\x0a\x04\x01\x55\x00\x00", b"\x0a\x00\x12\x06\x0a\x04\x01\x55\x00\x00" * 2,
    b"\x12\x06\x0a\x04\x01\x55\x00\x00\x0a\x00\x12\x06\x0a\x04\x01\x55\x00\x00",
])
def test_edge_cases_agree(data: bytes) -> None:
    c, py = _both(data)
    assert c == py, (data.hex(), c, py)


def test_worst_case_block_is_fast() -> None:
    raw = bytes(CID(b"\x01\x55\x00\x00"))
    link = b"\x0a" + bytes([len(raw)]) + raw
    piece = b"\x12" + bytes([len(link)]) + link
    data = piece * ((4 * 1024 * 1024 - 16) // len(piece))
    started = time.monotonic()
    node = builtin.decode(data, "dag-pb")
    took = time.monotonic() - started
    assert len(node["Links"]) == len(data) // len(piece)
    if _native.pb_decode is not None:
        assert took < 5.0, took  # ~1.6 s on the loaded 2-core box (18.5 s in Python before)
