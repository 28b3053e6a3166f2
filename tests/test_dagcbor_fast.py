"""The C fast path of DAG-CBOR decoding (``_cscan.cbor_decode``) against cbrrr.

Its contract: on any input it either refuses (``ValueError``: the caller re-runs cbrrr) or gives
exactly cbrrr's value (same types, same float bits, same key order, same CIDs); it never
accepts what cbrrr refuses. Checked on the official IPLD codec fixtures (positive and
negative), hand-picked edge cases, generated values and thousands of mutated blocks.
"""

from __future__ import annotations

import json
import random
import struct
from typing import Any

import pytest

from autocodec.builtin import _dagcbor, _native
from autocodec.cid import CID
from tests._dagcbor_agree import agree, cbrrr_decode, fast, fixture_blocks, random_value, reference, same

from .conftest import CODEC_FIXTURES

pytestmark = pytest.mark.skipif(fast is None, reason="the C helpers are not built (no C compiler)")


def test_official_fixtures_decode_the_same() -> None:
    blocks = fixture_blocks()
    if not blocks:
        pytest.skip(f"no codec fixtures at {CODEC_FIXTURES}")
    outcomes = [agree(b) for b in blocks]
    assert outcomes.count("fast") >= len(blocks) * 3 // 4  # the subset covers the common blocks


def test_official_negative_fixtures_are_never_accepted() -> None:
    cases = [case for path in (CODEC_FIXTURES / "negative-fixtures" / "dag-cbor" / "decode").glob("*.json")
             for case in json.loads(path.read_text())]
    if not cases:
        pytest.skip(f"no negative fixtures at {CODEC_FIXTURES}")
    for case in cases:
        assert agree(bytes.fromhex(case["hex"])) == "refused", case["name"]


@pytest.mark.parametrize(("hex_", "outcome"), [
    ("00", "fast"), ("17", "fast"), ("1818", "fast"), ("1817", "refused"),  # minimal ints only
    ("1b7fffffffffffffff", "fast"), ("1b8000000000000000", "refused"),  # beyond int64: cbrrr decides
    ("3b7fffffffffffffff", "fast"), ("3bffffffffffffffff", "refused"),
    ("fb8000000000000000", "fast"), ("fb3ff0000000000000", "fast"),  # -0.0 and 1.0
    ("fb7ff8000000000000", "refused"), ("fb7ff0000000000000", "refused"), ("fa00000000", "refused"),
    ("f4", "fast"), ("f5", "fast"), ("f6", "fast"), ("f7", "refused"), ("e0", "refused"),
    ("a2616101616202", "fast"), ("a2616201616102", "refused"), ("a2616101616102", "refused"),
    ("a261620162616102", "fast"), ("a262616101616202", "refused"),  # shorter keys first
    ("a10102", "refused"), ("9fff", "refused"), ("5801ff", "refused"), ("61ff", "refused"),
    ("6100", "fast"), ("63eda080", "refused"), ("0000", "refused"), ("82", "refused"),
    ("d82a4100", "refused"), ("d82a4101", "refused"), ("c101", "refused"),
])
def test_edge_cases(hex_: str, outcome: str) -> None:
    assert agree(bytes.fromhex(hex_)) == outcome


def test_links_and_nesting() -> None:
    cid = CID.parse("bafyreihdb57fdysx5h35urvxz64ros7zvywshber7id6t6c6fek37jgyfe")
    value = {"a": [cid, {"b": cid}], "l": [[[[]]]]}
    data = _dagcbor._encode(value, CID, False)
    assert agree(data) == "fast"
    deep = b"\x81" * 300 + b"\x00"  # past the fast path's own depth bound: cbrrr decides
    assert agree(deep) == "refused"


def test_generated_values_and_their_mutations() -> None:
    rnd = random.Random(42)
    fast_count = 0
    for _ in range(400):
        data = _dagcbor._encode(random_value(rnd), CID, False)
        assert agree(data) == "fast", data.hex()
        fast_count += 1
        for _ in range(10):  # flips, cuts and insertions: refused by both, or the same value
            mutated = bytearray(data)
            pos = rnd.randrange(len(mutated))
            action = rnd.randrange(3)
            if action == 0:
                mutated[pos] ^= 1 << rnd.randrange(8)
            elif action == 1:
                del mutated[pos:]
            else:
                mutated.insert(pos, rnd.randrange(256))
            agree(bytes(mutated))
    assert fast_count == 400


def test_decoders_use_it_and_keep_cbrrr_errors() -> None:
    """Through the builtin codec: the same values, and refusals worded by cbrrr as before."""
    from autocodec.config import DEFAULT_LIMITS
    from autocodec.errors import InvalidBlock

    limits = DEFAULT_LIMITS.decode
    for data in fixture_blocks()[:40]:
        ok, expected = reference(data)
        if ok:
            assert same(_dagcbor.decode_dag_cbor(data, limits), expected)
            assert same(_dagcbor.decode_small(data, limits), expected)
    for bad, words in [("a2616201616102", "non-canonical map key ordering"), ("1817", "not minimally encoded")]:
        for decode in (_dagcbor.decode_dag_cbor, _dagcbor.decode_small):
            with pytest.raises(InvalidBlock, match=words):
                decode(bytes.fromhex(bad), limits)


def test_decoded_links_are_not_visited_by_the_cycle_collector() -> None:
    """A CID built in C holds one bytes object, so it is untracked (like a tuple of atoms):
    collections during a large decode never visit it. It behaves as any other CID."""
    import gc
    import pickle

    cid = CID.parse("bafyreihdb57fdysx5h35urvxz64ros7zvywshber7id6t6c6fek37jgyfe")
    for decode in (fast, lambda d: cbrrr_decode(d, _dagcbor._link, False)[0]):
        assert decode is not None
        got = decode(_dagcbor._encode([cid], CID, False))[0]
        assert not gc.is_tracked(got)
        assert got == cid and hash(got) == hash(cid) and str(got) == str(cid)
        assert pickle.loads(pickle.dumps(got)) == cid and {got: 1}[cid] == 1


def test_maps_of_atoms_and_links_are_untracked_and_cycles_through_them_are_still_collected() -> None:
    """A decoded map whose values are atoms or links can be in no cycle: it is untracked, as
    CPython leaves its own maps of atoms. A map holding a list or a map stays tracked. Once
    user code puts a container in an untracked map it is tracked again, and a cycle through it
    is collected. A batch's conversion leaves the collector as it found it, on or off."""
    import gc
    import weakref

    from autocodec.builtin import _cscan

    cid = CID.parse("bafyreihdb57fdysx5h35urvxz64ros7zvywshber7id6t6c6fek37jgyfe")
    assert fast is not None
    atoms = fast(_dagcbor._encode({"a": 1, "b": "x", "c": b"y", "d": cid, "e": None, "f": 1.5, "g": True}, CID, False))
    nested = fast(_dagcbor._encode({"list": [1], "map": {"k": cid}}, CID, False))
    assert not gc.is_tracked(atoms) and not gc.is_tracked(nested["map"])
    assert gc.is_tracked(nested) and gc.is_tracked(nested["list"])

    class Marker:
        pass

    marker = Marker()
    gone = weakref.ref(marker)
    atoms["marker"] = marker
    marker.back = atoms  # type: ignore[attr-defined]
    assert gc.is_tracked(atoms)
    del atoms, marker
    gc.collect()
    assert gone() is None

    out = _frame([(0, _dagcbor._encode({"k": [cid]}, CID, False))] * 3)
    for enabled in (True, False):
        (gc.enable if enabled else gc.disable)()
        try:
            values, todo = _cscan.decode_records(out, 3, 1 << 20)
            assert gc.isenabled() is enabled and not todo and values[2] == {"k": [cid]}
            assert _cscan.decode_records(out[:-1], 3, 1 << 20) is None and gc.isenabled() is enabled
        finally:
            gc.enable()


def _frame(records: list[tuple[int, bytes]]) -> bytes:
    return b"".join(struct.pack("<II", tag, len(payload)) + payload for tag, payload in records)


def _outcome(parse: Any, out: bytes, count: int) -> Any:
    """Values compared by type and value; errors by class and message."""
    try:
        got = parse(out, count)
    except Exception as exc:  # noqa: BLE001 - the error itself is the outcome
        return ("raised", type(exc).__name__, str(exc))
    return [("error", type(x).__name__, str(x)) if isinstance(x, Exception) else ("value", x) for x in got]


def _same_outcome(a: Any, b: Any) -> bool:
    if isinstance(a, tuple) or isinstance(b, tuple):
        return bool(a == b)
    return len(a) == len(b) and all(x[0] == y[0] and (same(x[1], y[1]) if x[0] == "value" else x == y)
                                    for x, y in zip(a, b))


def test_batch_output_in_one_call_is_the_item_by_item_parse() -> None:
    """``ac_decode_batch``'s output parsed by the C helper in one call gives exactly the
    item-by-item parse: the same values, the same per-item errors (bad DAG-CBOR, guest error
    statuses, unknown statuses), and the same fault for a truncated, overlong or trailing frame;
    long items (past the no-scan size) and refused ones go the item-by-item way."""
    from autocodec.loader._adapters import _parse_batch, _parse_items

    rnd = random.Random(11)
    big = _dagcbor._encode({"k": [bytes(40)] * 40}, CID, False)  # past max_depth bytes: scanned
    for _ in range(600):
        records = []
        for _ in range(rnd.randrange(0, 12)):
            kind = rnd.randrange(8)
            if kind < 4:
                payload = _dagcbor._encode(random_value(rnd), CID, False)
                if kind == 3 and payload:  # a corrupted value
                    cut = bytearray(payload)
                    cut[rnd.randrange(len(cut))] ^= 0xFF
                    payload = bytes(cut)
                records.append((0, payload))
            elif kind == 4:
                records.append((0, big))
            elif kind == 5:
                records.append((rnd.choice([1, 2, 3, 4]), "bad \u00e9 input".encode()[: rnd.randrange(12)]))
            elif kind == 6:
                records.append((rnd.choice([5, 99, 2**32 - 1]), b"x"))
            else:
                records.append((0, b""))
        out, count = _frame(records), len(records)
        damage = rnd.randrange(6)
        if damage == 0 and out:
            out = out[: rnd.randrange(len(out))]  # truncated
        elif damage == 1:
            out += b"\0" * rnd.randrange(1, 9)  # trailing bytes
        elif damage == 2:
            count += rnd.choice([-1, 1]) if count else 1  # a count that does not match
        expected = _outcome(_parse_items, out, max(count, 0))
        assert _same_outcome(_outcome(_parse_batch, out, max(count, 0)), expected), (records, damage)


def test_blocks_past_the_no_scan_size_try_the_fast_path_before_any_scan(monkeypatch: pytest.MonkeyPatch) -> None:
    """A block longer than ``max_depth`` bytes used to be scanned before any decode. The fast
    path accepts only values nested at most ``FAST_DEPTH`` deep and spends at most
    ``WORST_GAS_PER_BYTE`` per byte, so with both inside the limits it goes first; the scan runs
    only for a block it refuses, which then fails (or decodes) exactly as before. Below that
    depth the scan still comes first. Batch records of that size take the fast path too."""
    import dataclasses

    from autocodec.config import DecodeLimits
    from autocodec.errors import InvalidBlock

    limits = DecodeLimits()
    assert limits.max_depth > _native.fast_depth > 0
    real = _dagcbor._prescan
    scans: list[int] = []

    def counted(data: bytes, *rest: Any) -> None:
        scans.append(len(data))
        real(data, *rest)

    monkeypatch.setattr(_dagcbor, "_prescan", counted)
    value = {"k": [bytes(40)] * 40, "l": CID.parse("bafyreihdb57fdysx5h35urvxz64ros7zvywshber7id6t6c6fek37jgyfe")}
    data = _dagcbor._encode(value, CID, False)
    assert len(data) > limits.max_depth
    assert _dagcbor.decode_dag_cbor(data, limits) == value and scans == []
    deep = b"\x81" * (limits.max_depth + 1) + b"\x00"
    with pytest.raises(InvalidBlock, match="nesting deeper than max_depth"):
        _dagcbor.decode_dag_cbor(deep, limits)
    assert scans == [len(deep)]
    unusual = {"k": [bytes(40)] * 40, "u": (1 << 64) - 1}  # past int64: the fast path refuses it
    odd = _dagcbor._encode(unusual, CID, False)
    assert _dagcbor.decode_dag_cbor(odd, limits) == unusual and scans == [len(deep), len(odd)]
    shallow = dataclasses.replace(limits, max_depth=_native.fast_depth)
    assert _dagcbor.decode_dag_cbor(data, shallow) == value and len(scans) == 3
    values, todo = _dagcbor.decode_records(_frame([(0, data), (0, deep)]), 2, limits)
    assert values[0] == value and [t[0] for t in todo] == [1]
