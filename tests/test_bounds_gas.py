"""Issue 16, case 4 (builtin side): DAG-CBOR and CBOR decodes are bounded by Kubo's allocation
budget ("gas", go-ipld-prime v0.24.0 codec/dagcbor/unmarshal.go; ``autocodec.builtin._gas``),
counted on the bytes before anything is built. Checked against the pure-Python twin on random
values, and against Kubo itself on blocks one unit either side of the budget."""

from __future__ import annotations

import dataclasses
import resource
import time
from pathlib import Path

import cbrrr
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from autocodec import builtin
from autocodec.builtin import _gas, _native
from autocodec.cid import CID
from autocodec.config import DEFAULT_LIMITS
from autocodec.errors import InvalidBlock

BUDGET = DEFAULT_LIMITS.decode.max_gas
needs_c = pytest.mark.skipif(_native.cbor_scan is None, reason="the _cscan C helper is not built")

_leaf = st.one_of(
    st.none(), st.booleans(), st.integers(-(2**64), 2**64 - 1), st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=20), st.binary(max_size=20),
    st.binary(min_size=32, max_size=32).map(lambda d: builtin.cid_for(d, "raw")),
)
values = st.recursive(_leaf, lambda kids: st.one_of(st.lists(kids, max_size=6),
                                                    st.dictionaries(st.text(max_size=8), kids, max_size=6)),
                      max_leaves=40)


@needs_c
@settings(max_examples=300, deadline=None)
@given(values)
def test_c_scan_counts_the_same_gas_as_the_python_twin(value: object) -> None:
    data = builtin.encode(value, "dag-cbor")
    gas = _gas.gas_of(builtin.decode(data, "dag-cbor"))
    assert _native.cbor_scan(data, 1024, gas) == 0  # type: ignore[misc]
    if gas:
        assert _native.cbor_scan(data, 1024, gas - 1) == 2  # type: ignore[misc]


def _at_budget(extra: int) -> bytes:
    """A list of nulls and one string whose gas is exactly BUDGET + extra."""
    n = (BUDGET - 4 - 64) // 5  # header 1 + entry 4 a null; the string costs entry 4 + its length
    rest = BUDGET + extra - (n + 1) - 4 * (n + 1)
    return cbrrr.encode_dag_cbor([None] * n + ["a" * rest])


def test_gas_boundary_is_exact() -> None:
    for extra, ok in ((0, True), (1, False)):
        data = _at_budget(extra)
        assert _gas.gas_of(cbrrr.decode_dag_cbor(data)) == BUDGET + extra
        if ok:
            builtin.decode(data, "dag-cbor")
        else:
            with pytest.raises(InvalidBlock, match="max_gas"):
                builtin.decode(data, "dag-cbor")


@pytest.mark.parametrize("codec", ["dag-cbor", "cbor"])
def test_block_of_empty_lists_is_refused_before_building(codec: str) -> None:
    data = cbrrr.encode_dag_cbor([[]] * (4 * 1024 * 1024 - 5))  # 16 Mi gas; was 3.5 s and ~300 MB
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    started = time.monotonic()
    with pytest.raises(InvalidBlock, match="max_gas"):
        builtin.decode(data, codec)
    assert time.monotonic() - started < 1.0
    if _native.cbor_scan is not None:  # nothing built: the peak does not move by more than the block
        assert resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before < 16 * 1024


def test_python_twin_refuses_the_same(monkeypatch: pytest.MonkeyPatch) -> None:
    from autocodec.builtin import _dagcbor

    monkeypatch.setattr(_dagcbor, "_c_scan", None)
    with pytest.raises(InvalidBlock, match="max_gas"):
        builtin.decode(_at_budget(1), "dag-cbor")
    builtin.decode(_at_budget(0), "dag-cbor")


def test_budget_is_a_limit_like_the_others() -> None:
    small = dataclasses.replace(DEFAULT_LIMITS.decode, max_gas=100)
    value = list(range(30))  # 30 + 30 * 5 = 180 gas
    data = builtin.encode(value, "dag-cbor")
    assert builtin.decode(data, "dag-cbor") == value
    with pytest.raises(InvalidBlock, match="max_gas"):
        builtin.decode(data, "dag-cbor", limits=small)
    link = builtin.cid_for(b"x", "raw")
    assert _gas.gas_of([link]) == 1 + 4 + len(bytes(link)) + 1 and isinstance(link, CID)


@pytest.mark.slow
def test_kubo_draws_the_same_line(tmp_path: Path) -> None:
    from tests._kubo import KuboRepo, require_kubo

    require_kubo()
    repo = KuboRepo.create(tmp_path / "kubo")
    for extra, ok in ((0, True), (1, False)):
        data = _at_budget(extra)
        block = tmp_path / f"block{extra}"
        block.write_bytes(data)
        cid = repo.ipfs("block", "put", "--cid-codec", "dag-cbor", "--allow-big-block", str(block)).stdout.decode().strip()
        kubo = repo.ipfs("dag", "get", cid, check=False)
        assert (kubo.returncode == 0) == ok, kubo.stderr[-300:]
        if ok:
            builtin.decode(data, "dag-cbor")
        else:
            assert b"too many resources" in kubo.stderr
            with pytest.raises(InvalidBlock):
                builtin.decode(data, "dag-cbor")
