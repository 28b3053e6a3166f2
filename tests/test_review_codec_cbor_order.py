"""CBOR (0x51) keeps map entries in the order given, as Kubo v0.43.1's cbor codec writes them.

Kubo's ``dag put --store-codec cbor`` (go-ipld-prime's ``codec/cbor``: its DAG-CBOR writer
without links and without sorting map keys) stores ``{"b":1,"a":2}`` as ``a2 61 62 01 61 61
02``, the order of the data model it read (the text's order for DAG-JSON and JSON, the block's
for a loose DAG-CBOR or CBOR block); the encoder here sorted keys as DAG-CBOR does, so the same
``dag put`` gave another CID (measured in ``tests/test_review_codec_kubo.py``). Everything else
is DAG-CBOR's form (minimal heads, 64-bit floats, definite lengths). The strict decoder takes a
CBOR block exactly when it is the encoding of its value, so any key order, and nothing else
that is not canonical.
"""

from __future__ import annotations

import pytest

from autocodec import builtin
from autocodec.errors import InvalidBlock

KUBO_WRITES = {  # value (in its order) -> the bytes Kubo v0.43.1's cbor codec stores for it
    "b,a": ({"b": 1, "a": 2}, bytes.fromhex("a2616201616102")),
    "aa,b": ({"aa": 1, "b": 2}, bytes.fromhex("a262616101616202")),
    "nested": ({"b": 1, "a": {"d": 1, "c": 2}}, bytes.fromhex("a2616201616102"[:8] + "6161a2616401616302")),
}


@pytest.mark.parametrize("case", list(KUBO_WRITES))
def test_cbor_writes_maps_in_the_order_given(case: str) -> None:
    value, block = KUBO_WRITES[case]
    assert builtin.encode(value, "cbor") == block
    back = builtin.decode(block, "cbor")
    assert back == value and list(back) == list(value)
    assert builtin.encode(back, "cbor") == block


def test_dag_cbor_still_sorts() -> None:
    assert builtin.encode({"b": 1, "a": 2}, "dag-cbor") == bytes.fromhex("a2616102616201")
    with pytest.raises(InvalidBlock):
        builtin.decode(bytes.fromhex("a2616201616102"), "dag-cbor")


def test_cbor_same_as_dag_cbor_otherwise() -> None:
    value = [0, 23, 24, -1, -25, 2**32, -(2**63), 2**64 - 1, -(2**64), 1.5, -0.0, 1e300, "é", b"\x00", True, False, None,
             [], {}, {"": [{"z": None}]}]
    assert builtin.encode(value, "cbor") == builtin.encode(value, "dag-cbor")


@pytest.mark.parametrize("block", [
    "a2616101616102",  # duplicate key
    "f93c00",  # half float
    "1801",  # non-minimal integer
    "9f01ff",  # indefinite length
    "a2616201f7",  # undefined... (and short)
    "a2616201616102ff",  # trailing byte
    "c1a0",  # a tag
    "a2616201616102"[:-2],  # cut short
], ids=str)
def test_strict_cbor_refuses_what_is_not_the_encoding_of_its_value(block: str) -> None:
    with pytest.raises(InvalidBlock):
        builtin.decode(bytes.fromhex(block), "cbor")
