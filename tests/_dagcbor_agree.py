"""The C fast path of DAG-CBOR decoding (``fast``: autocodec.builtin._native.cbor_decode, None when
not built) beside cbrrr, the reference (``cbrrr_decode``; ``reference`` is its answer for a
block): ``agree`` says whether the fast path took a block (then with exactly cbrrr's value,
``same``) or deferred, and fails on any divergence; ``fixture_blocks`` and ``random_value`` give
inputs (the official codec fixtures, seeded generated values).
"""

from __future__ import annotations

import math
import random
from typing import Any

import cbrrr

from autocodec.builtin import _dagcbor, _native
from autocodec.cid import CID
from tests._model import same_value
from tests.conftest import CODEC_FIXTURES

fast = _native.cbor_decode
cbrrr_decode = cbrrr._cbrrr.decode_dag_cbor


def same(a: Any, b: Any) -> bool:
    """Equal values of identical types, keys in the same order (``True`` is not ``1``)."""
    return same_value(a, b, key_order=True)


def reference(data: bytes) -> tuple[bool, Any]:
    try:
        value, used = cbrrr_decode(data, _dagcbor._link, False)
    except Exception:  # noqa: BLE001 - any refusal counts
        return False, None
    return used == len(data), value


def agree(data: bytes) -> str:
    """'fast' (both accept, same value), 'refused' (fast defers), or raises on a divergence."""
    assert fast is not None
    ok, expected = reference(data)
    try:
        got = fast(data)
    except ValueError:
        return "refused"
    assert ok, f"fast path accepted what cbrrr refuses: {data.hex()}"
    assert same(got, expected), f"different values for {data.hex()}: {got!r} != {expected!r}"
    return "fast"


def fixture_blocks() -> list[bytes]:
    return sorted(p.read_bytes() for p in (CODEC_FIXTURES / "fixtures").glob("*/*.dag-cbor"))


def random_value(rnd: random.Random, depth: int = 0) -> Any:
    kind = rnd.randrange(10 if depth < 4 else 6)
    if kind == 0:
        return rnd.choice([0, 1, 23, 24, 255, 256, 65535, 65536, 2**32, 2**63 - 1, -1, -24, -25, -(2**63)])
    if kind == 1:
        return rnd.choice([0.5, -0.0, 1e300, -2.5, math.pi])
    if kind == 2:
        return rnd.randbytes(rnd.randrange(40))
    if kind == 3:
        return "".join(rnd.choice("ab\u00e9\u4e2d\U0001f600") for _ in range(rnd.randrange(12)))
    if kind == 4:
        return rnd.choice([True, False, None])
    if kind == 5:
        return CID.parse("bafyreihdb57fdysx5h35urvxz64ros7zvywshber7id6t6c6fek37jgyfe")
    if kind < 8:
        return [random_value(rnd, depth + 1) for _ in range(rnd.randrange(5))]
    return {"".join(rnd.choice("abc") for _ in range(rnd.randrange(4))): random_value(rnd, depth + 1)
            for _ in range(rnd.randrange(5))}
