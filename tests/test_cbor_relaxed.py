"""The relaxed DAG-CBOR reader (``builtin._cbor_relaxed``) on its own: a canonical block reads
as the strict decoder reads it, a loose block as its canonical twin, a faulty one is refused
with ``InvalidBlock``, and the reading reaches ``Runtime`` and the CLI only where blocks are
read as data. Kubo's agreement is tests/test_cbor_relaxed_kubo.py."""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from autocodec import builtin
from autocodec.builtin import _cbor_relaxed
from autocodec.config import DecodeLimits, Limits
from autocodec.errors import InvalidBlock
from tests._loose_cbor import FAULTS, LooseWriter
from tests._model import same_value
from tests._ipld_strategies import values


def _link(raw: bytes) -> Any:
    from autocodec.cid import CID

    return CID(raw)


@settings(max_examples=300, deadline=None)
@given(values)
def test_canonical_blocks_read_as_the_strict_decoder_reads_them(value: Any) -> None:
    block = builtin.encode(value, "dag-cbor")
    assert same_value(_cbor_relaxed.read(block, _link, "dag-cbor"), builtin.decode(block, "dag-cbor"))


@settings(max_examples=300, deadline=None)
@given(values, st.integers(0, 2**32))
def test_loose_blocks_read_as_their_canonical_twins(value: Any, seed: int) -> None:
    writer = LooseWriter(random.Random(seed), None)
    block = writer.write(value)
    assert same_value(builtin.decode(block, "dag-cbor", strict=False), value)
    if writer.loose:
        with pytest.raises(InvalidBlock):
            builtin.decode(block, "dag-cbor")


@pytest.mark.parametrize("fault", FAULTS)
def test_faults_are_refused_either_way(fault: str) -> None:
    rng, refused = random.Random(fault), 0
    value = {"a": [1, 2.5, None, "x", b"y", {"b": True, "cc": [None, -3]}], "d": {"e": 1.0, "l": builtin.cid_for(b"x", "raw")}}
    for _ in range(40):
        writer = LooseWriter(rng, fault)
        block = writer.write(value) + (b"\x00" if fault == "trailing" else b"")
        if not writer.used and fault != "trailing":
            continue
        for strict in (True, False):
            with pytest.raises(InvalidBlock):
                builtin.decode(block, "dag-cbor", strict=strict)
        refused += 1
    assert refused >= 5, fault


def test_plain_cbor_reads_loose_forms_but_no_links() -> None:
    assert builtin.decode(bytes.fromhex("a2626262016161f93e00"), "cbor", strict=False) == {"bb": 1, "a": 1.5}
    with pytest.raises(InvalidBlock, match="tag 42"):
        builtin.decode(bytes.fromhex("d82a420001"), "cbor", strict=False)


def test_bounds_hold_for_loose_blocks() -> None:
    limits = DecodeLimits(max_depth=64, max_gas=100_000)
    deep = b"\x81" * 100 + b"\xf7"  # nested past max_depth, and loose at the bottom
    with pytest.raises(InvalidBlock, match="max_depth"):
        builtin.decode(deep, "dag-cbor", limits=limits, strict=False)
    wide = b"\x9a" + (30_000).to_bytes(4, "big") + b"\xf7" * 30_000  # 30,000 undefined: gas 150,000
    with pytest.raises(InvalidBlock, match="max_gas"):
        builtin.decode(wide, "dag-cbor", limits=limits, strict=False)
    very_deep = b"\x81" * 5000 + b"\xf7"  # no RecursionError with the default depth either
    with pytest.raises(InvalidBlock, match="max_depth"):
        builtin.decode(very_deep, "dag-cbor", strict=False)
    assert builtin.decode(b"\x81" * 900 + b"\xf7", "dag-cbor", strict=False) is not None


def test_runtime_reads_loose_blocks_unless_strict(tmp_path: Path) -> None:
    from autocodec import Runtime

    block = bytes.fromhex("a2616281c1f7616101")  # {"b": [tag 1 undefined], "a": 1}
    rt = Runtime(home=tmp_path / "home")
    cid = rt.put(block, "dag-cbor")
    assert rt.decode(cid) == {"b": [None], "a": 1}
    assert rt.decode(f"{cid}/b/0") is None
    assert rt.links(cid, block) == []
    strict = Runtime(home=tmp_path / "home", limits=Limits(decode=DecodeLimits(strict_blocks=True)))
    with pytest.raises(InvalidBlock):
        strict.decode(cid)
