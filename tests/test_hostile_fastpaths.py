"""Hostile modules (WAT here) against the fast paths:
the reset instances and their C runner (``hash_frames``: many batch frames in one C call, the
GIL released), batched decodes and Bao verifier streams. Each case ends in a typed error or in
the right answer, never a crash, a hang, state seen across calls or a wrong result taken; the
instance that failed is not reused and the next call with a good input is right."""

from __future__ import annotations

import io
import time
from typing import Any

import pytest
import wasmtime

from autocodec import encode
from autocodec.errors import GuestFault
from autocodec.loader import Sandbox, _sandbox
from autocodec.loader._adapters import _frame
from tests._hotcall import PAST_LEARNING, fnv, needs_runner
from tests._wat import custom_section, metadata, small_limits

BOUND_S = 5.0
DIGESTS_4, ONE_MORE, OVER_INPUT, FAR_PAGE, SPIN, PAST_END, OVER_CAP, TRAP = (
    0xE1, 0xE2, 0xE3, 0xE4, 0xE6, 0xE7, 0xE8, 0xE9)


def _module(text: str, kind: str) -> bytes:
    """A module from WAT ``text`` with the metadata section of a ``kind`` module."""
    return wasmtime.wat2wasm(text) + custom_section("autocodec.module", encode(metadata(kind), "dag-cbor"))


# --- batch hashers -----------------------------------------------------------------------------

FRAMES_HOSTILE = """\
;; A batch hasher that misbehaves per frame (tests/test_hostile_fastpaths.py). Each digest is
;; the input's 64-bit FNV-1a XOR a state that is 0 on a fresh (or exactly reset) instance: a
;; global, a data-segment counter and a counter in a zero page, bumped every call, plus the i32
;; in page 60, far outside what other calls touch, which only mode E4 writes. The first byte of
;; a frame's first input picks the frame's misbehaviour:
;; E1 4-byte digests, E2 one digest too many, E3 the digests written over the input (right),
;; E4 a write to page 60 (digests right), E6 spin, E7 output straddling the end of memory,
;; E8 output longer than any cap, E9 trap.
(module
  (memory (export "memory") 4)
  (global $g (mut i32) (i32.const 0))
  (data (i32.const 100) "\\00\\00\\00\\00")
  (func (export "ac_abi_version") (result i32) (i32.const 1))
  (func (export "ac_result") (result i32) (i32.const 16))
  (func (export "ac_input") (param $n i32) (result i32)
    (if (i32.gt_u (local.get $n) (i32.const 65536)) (then (return (i32.const 0))))
    (i32.const 4096))
  (func $ret (param $ptr i32) (param $len i32) (result i32)
    (i32.store (i32.const 16) (local.get $ptr))
    (i32.store (i32.const 20) (local.get $len))
    (i32.const 0))
  (func $state (result i64)
    (global.set $g (i32.add (global.get $g) (i32.const 1)))
    (i32.store (i32.const 100) (i32.add (i32.load (i32.const 100)) (i32.const 1)))
    (i32.store (i32.const 200000) (i32.add (i32.load (i32.const 200000)) (i32.const 1)))
    (i64.extend_i32_u
      (i32.add (i32.load (i32.const 245760))
        (i32.sub (i32.add (global.get $g) (i32.add (i32.load (i32.const 100)) (i32.load (i32.const 200000))))
                 (i32.const 3)))))
  (func $fnv (param $p i32) (param $n i32) (result i64)
    (local $x i64) (local $end i32)
    (local.set $x (i64.const 0xcbf29ce484222325))
    (local.set $end (i32.add (local.get $p) (local.get $n)))
    (block $done (loop $next
      (br_if $done (i32.ge_u (local.get $p) (local.get $end)))
      (local.set $x (i64.mul (i64.xor (local.get $x) (i64.load8_u (local.get $p))) (i64.const 0x100000001b3)))
      (local.set $p (i32.add (local.get $p) (i32.const 1)))
      (br $next)))
    (local.get $x))
  (func (export "ac_hash") (param $p i32) (param $n i32) (result i32)
    (i64.store (i32.const 32) (i64.xor (call $fnv (local.get $p) (local.get $n)) (call $state)))
    (call $ret (i32.const 32) (i32.const 8)))
  (func (export "ac_hash_init") (result i32) (call $ret (i32.const 0) (i32.const 0)))
  (func (export "ac_hash_update") (param $p i32) (param $n i32) (result i32) (call $ret (i32.const 0) (i32.const 0)))
  (func (export "ac_hash_final") (result i32) (call $ret (i32.const 32) (i32.const 8)))
  (func (export "ac_hash_batch") (param $p i32) (param $n i32) (result i32)
    (local $count i32) (local $i i32) (local $q i32) (local $len i32) (local $s i64) (local $mode i32)
    (local $out i32) (local $size i32)
    (local.set $s (call $state))
    (local.set $count (i32.load (local.get $p)))
    (local.set $q (i32.add (local.get $p) (i32.const 4)))
    (if (i32.and (i32.gt_u (local.get $count) (i32.const 0)) (i32.gt_u (i32.load (local.get $q)) (i32.const 0)))
      (then (local.set $mode (i32.load8_u (i32.add (local.get $q) (i32.const 4))))))
    (if (i32.eq (local.get $mode) (i32.const 0xE9)) (then unreachable))
    (if (i32.eq (local.get $mode) (i32.const 0xE6)) (then (loop $spin (br $spin))))
    (if (i32.eq (local.get $mode) (i32.const 0xE4)) (then (i32.store (i32.const 245760) (i32.const 0x5a5a))))
    (local.set $out (i32.const 131072))
    (if (i32.eq (local.get $mode) (i32.const 0xE3)) (then (local.set $out (local.get $p))))
    (local.set $size (i32.const 8))
    (if (i32.eq (local.get $mode) (i32.const 0xE1)) (then (local.set $size (i32.const 4))))
    ;; digests go to 131072 first (E3 copies them over the input after the loop read it)
    (block $done (loop $next
      (br_if $done (i32.ge_u (local.get $i) (local.get $count)))
      (local.set $len (i32.load (local.get $q)))
      (i64.store (i32.add (i32.const 131072) (i32.mul (local.get $i) (local.get $size)))
                 (i64.xor (call $fnv (i32.add (local.get $q) (i32.const 4)) (local.get $len)) (local.get $s)))
      (local.set $q (i32.add (local.get $q) (i32.add (i32.const 4) (local.get $len))))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br $next)))
    (if (i32.eq (local.get $mode) (i32.const 0xE3))
      (then (memory.copy (local.get $p) (i32.const 131072) (i32.mul (local.get $count) (i32.const 8)))))
    (if (i32.eq (local.get $mode) (i32.const 0xE2)) (then (local.set $count (i32.add (local.get $count) (i32.const 1)))))
    (if (i32.eq (local.get $mode) (i32.const 0xE7))
      (then (return (call $ret (i32.sub (i32.mul (memory.size) (i32.const 65536)) (i32.const 4))
                               (i32.mul (local.get $count) (i32.const 8))))))
    (if (i32.eq (local.get $mode) (i32.const 0xE8))
      (then (return (call $ret (i32.const 131072) (i32.const 0x7fffffff)))))
    (call $ret (local.get $out) (i32.mul (local.get $count) (local.get $size))))
)
"""


def _hasher(**limits: Any) -> Any:
    """``FRAMES_HOSTILE`` with its one reset instance past ``reset``'s learning calls."""
    hasher = Sandbox(small_limits(**limits)).load(_module(FRAMES_HOSTILE, "hasher")).hasher()
    for _ in range(PAST_LEARNING):
        assert hasher.digest_many([b"warm"]) == [fnv(b"warm")]
    return hasher


def _inputs(n: int, size: int, marks: dict[int, int] | None = None) -> list[bytes]:
    """``n`` inputs of ``size`` bytes; input ``k`` of ``marks`` starts with byte ``marks[k]``."""
    out = [bytes([k % 200]) * size for k in range(n)]
    for k, mode in (marks or {}).items():
        out[k] = bytes([mode]) + out[k][1:]
    return out


def _per_frame(size: int) -> int:
    """Inputs of ``size`` bytes in one 32 KiB frame (``_adapters._frame_end``)."""
    return (32 * 1024 - 4) // (4 + size)


def _good_after(hasher: Any) -> None:
    good = _inputs(3000, 100)
    assert hasher.digest_many(good) == [fnv(x) for x in good]


def _checked_only(monkeypatch: pytest.MonkeyPatch, hasher: Any) -> None:
    monkeypatch.setattr(hasher._loaded, "run_frames", lambda *a: None)


@needs_runner
@pytest.mark.parametrize("path", ["c", "checked"])
@pytest.mark.parametrize("size", [100, 8192])
def test_a_frame_of_digests_of_another_size_is_a_fault(path: str, size: int, monkeypatch: pytest.MonkeyPatch) -> None:
    """A frame whose digests are 4 bytes where the call's others are 8 was taken: the answer
    mixed 8- and 4-byte digests (on both paths)."""
    hasher = _hasher()
    if path == "checked":
        _checked_only(monkeypatch, hasher)
    inputs = _inputs(40 * _per_frame(size), size, {5 * _per_frame(size): DIGESTS_4})
    with pytest.raises(GuestFault, match="4-byte digest where its others have 8 bytes"):
        hasher.digest_many(inputs)
    _good_after(hasher)


@needs_runner
@pytest.mark.parametrize("path", ["c", "checked"])
def test_one_digest_too_many_is_a_fault_even_when_it_divides_evenly(path: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """A frame of 4 inputs answering 5 digests (40 bytes) read as four 10-byte digests."""
    hasher = _hasher()
    if path == "checked":
        _checked_only(monkeypatch, hasher)
    inputs = _inputs(9 * _per_frame(100), 100) + [b"\xe2abc", b"d", b"e", b"f"]  # the last frame: 4 inputs
    with pytest.raises(GuestFault, match="10-byte digest where its others have 8 bytes"):
        hasher.digest_many(inputs)
    _good_after(hasher)


@needs_runner
@pytest.mark.parametrize("mode", [OVER_INPUT, FAR_PAGE], ids=["digests-over-the-input", "far-page"])
def test_writes_over_the_input_or_far_outside_the_window_never_reach_the_next_frame(mode: int) -> None:
    """Every 7th frame writes its digests over its own input, or writes a page far outside
    what the other calls touch (the reset window) that every call adds to its digests: every
    digest is still exact, frame after frame in one C call, and after it."""
    hasher = _hasher()
    per = _per_frame(100)
    inputs = _inputs(60 * per, 100, {k * per: mode for k in range(0, 60, 7)})
    for _ in range(3):
        assert hasher.digest_many(inputs) == [fnv(x) for x in inputs]
    _good_after(hasher)
    raw = hasher._loaded.instance()  # the proof can fail: kept state changes the digests
    raw.call("ac_hash_batch", _frame([bytes([mode]) + b"x"]))
    assert raw.call("ac_hash", b"a") != fnv(b"a")


@needs_runner
@pytest.mark.parametrize("frame", [0, 1, 17, 39])
@pytest.mark.parametrize("mode", [TRAP, PAST_END, OVER_CAP], ids=["trap", "past-end", "over-cap"])
def test_a_frame_failing_anywhere_in_the_c_loop_gives_the_right_digests(frame: int, mode: int) -> None:
    """A trap, an output reaching past the end of memory or over any cap at the k-th frame:
    the frames before it keep their digests, that frame is redone input by input, the
    instance that failed is not kept, and the frames after it are exact."""
    hasher = _hasher()
    per = _per_frame(100)
    inputs = _inputs(40 * per, 100, {frame * per: mode})
    idle_before = _sandbox._idle_count()
    assert hasher.digest_many(inputs) == [fnv(x) for x in inputs]
    assert len(hasher._loaded._idle) <= 1 and _sandbox._idle_count() <= idle_before
    _good_after(hasher)


@needs_runner
def test_a_frame_that_spins_is_stopped_by_the_deadline_inside_the_c_loop() -> None:
    """Fuel without end: the epoch deadline stops the spinning frame in the C loop (the GIL
    released), its inputs are hashed one by one, and the call ends in bounded time."""
    hasher = _hasher(fuel=10**15, deadline_ms=200)
    per = _per_frame(100)
    inputs = _inputs(20 * per, 100, {3 * per: SPIN})
    started = time.monotonic()
    assert hasher.digest_many(inputs) == [fnv(x) for x in inputs]
    assert time.monotonic() - started < BOUND_S
    _good_after(hasher)


# --- batched decodes ---------------------------------------------------------------------------

BATCH_LIAR = """\
;; A codec whose ac_decode_batch lies about its items: ac_decode answers the CBOR uint 7 for
;; any block, and so does each batch item, unless the first byte of the frame's first block
;; picks a lie: D1 one item fewer than the blocks, D2 an item longer than the output, D3 an
;; item of 2^32-1 bytes, D4 a byte after the last item, D5 an unknown status, D6 an item that
;; is not DAG-CBOR, D7 an item whose length wraps a 32-bit position.
(module
  (memory (export "memory") 2)
  (func (export "ac_abi_version") (result i32) (i32.const 1))
  (func (export "ac_result") (result i32) (i32.const 16))
  (func (export "ac_input") (param $n i32) (result i32)
    (if (i32.gt_u (local.get $n) (i32.const 60000)) (then (return (i32.const 0))))
    (i32.const 4096))
  (func $ret (param $ptr i32) (param $len i32) (result i32)
    (i32.store (i32.const 16) (local.get $ptr))
    (i32.store (i32.const 20) (local.get $len))
    (i32.const 0))
  (func (export "ac_decode") (param $p i32) (param $n i32) (result i32)
    (i32.store8 (i32.const 32) (i32.const 7))
    (call $ret (i32.const 32) (i32.const 1)))
  (func (export "ac_encode") (param $p i32) (param $n i32) (result i32) (call $ret (i32.const 0) (i32.const 0)))
  (func (export "ac_decode_batch") (param $p i32) (param $n i32) (result i32)
    (local $count i32) (local $mode i32) (local $i i32) (local $o i32) (local $items i32)
    (local.set $count (i32.load (local.get $p)))
    (if (i32.and (i32.gt_u (local.get $count) (i32.const 0)) (i32.gt_u (i32.load (i32.add (local.get $p) (i32.const 4))) (i32.const 0)))
      (then (local.set $mode (i32.load8_u (i32.add (local.get $p) (i32.const 8))))))
    (local.set $items (local.get $count))
    (if (i32.eq (local.get $mode) (i32.const 0xD1)) (then (local.set $items (i32.sub (local.get $count) (i32.const 1)))))
    (local.set $o (i32.const 70000))
    (block $done (loop $next
      (br_if $done (i32.ge_u (local.get $i) (local.get $items)))
      (i32.store (local.get $o) (i32.const 0))
      (i32.store (i32.add (local.get $o) (i32.const 4)) (i32.const 1))
      (i32.store8 (i32.add (local.get $o) (i32.const 8)) (i32.const 7))
      (local.set $o (i32.add (local.get $o) (i32.const 9)))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br $next)))
    ;; the last item's head is at $o - 9
    (if (i32.eq (local.get $mode) (i32.const 0xD2)) (then (i32.store (i32.sub (local.get $o) (i32.const 5)) (i32.const 2))))
    (if (i32.eq (local.get $mode) (i32.const 0xD3)) (then (i32.store (i32.sub (local.get $o) (i32.const 5)) (i32.const -1))))
    (if (i32.eq (local.get $mode) (i32.const 0xD4)) (then
      (i32.store8 (local.get $o) (i32.const 0)) (local.set $o (i32.add (local.get $o) (i32.const 1)))))
    (if (i32.eq (local.get $mode) (i32.const 0xD5)) (then (i32.store (i32.const 70000) (i32.const 9))))
    (if (i32.eq (local.get $mode) (i32.const 0xD6)) (then (i32.store8 (i32.const 70008) (i32.const 0xff))))
    (if (i32.eq (local.get $mode) (i32.const 0xD7)) (then (i32.store (i32.const 70004) (i32.const -8))))
    (call $ret (i32.const 70000) (i32.sub (local.get $o) (i32.const 70000))))
)
"""


@pytest.fixture(scope="module")
def liar() -> Any:
    return Sandbox(small_limits()).load(_module(BATCH_LIAR, "codec")).codec()


@pytest.mark.parametrize("mode", [0xD1, 0xD2, 0xD3, 0xD4, 0xD7], ids=["few", "long", "huge", "trailing", "wraps"])
def test_a_batch_that_lies_about_its_items_is_redone_block_by_block(liar: Any, mode: int) -> None:
    """Every lie about the items' count or lengths is caught: the batch is cut until each
    block is decoded alone (here: 7 for every block), never an item read past the output."""
    blocks = [bytes([mode]) + b"block"] + [b"ok"] * 7  # every frame cut from it starts with the liar
    for _ in range(30):  # the reset instance and its C runner, past the learning calls
        assert liar.decode_many(blocks) == [7] * 8
    assert liar.decode_many([b"a", b"b"]) == [7, 7]


@pytest.mark.parametrize("mode, words", [(0xD5, "unknown status 9"), (0xD6, "not valid DAG-CBOR")])
def test_a_batch_item_of_an_unknown_status_or_not_cbor_is_that_items_fault(liar: Any, mode: int, words: str) -> None:
    blocks = [bytes([mode]) + b"x", b"y", b"z"]
    for _ in range(30):
        first, *rest = liar.decode_many(blocks)
        assert isinstance(first, GuestFault) and words in first.message
        assert rest == [7, 7]


# --- verifiers -----------------------------------------------------------------------------------

INVENTING_VERIFIER = """\
;; A verifier (the one-frame protocol: ac_vfy_update) that claims the data it was given as
;; verified, and more: when the data starts with 'I' it takes none of it and claims 100 bytes
;; (the data, then whatever memory follows); with 'D', it takes the data and claims it twice.
(module
  (memory (export "memory") 4)
  (func (export "ac_abi_version") (result i32) (i32.const 1))
  (func (export "ac_result") (result i32) (i32.const 16))
  (func (export "ac_input") (param $n i32) (result i32)
    (if (i32.gt_u (local.get $n) (i32.const 100000)) (then (return (i32.const 0))))
    (i32.const 4096))
  (func $ret (param $ptr i32) (param $len i32) (result i32)
    (i32.store (i32.const 16) (local.get $ptr))
    (i32.store (i32.const 20) (local.get $len))
    (i32.const 0))
  (func (export "ac_vfy_init") (param $p i32) (param $n i32) (result i32) (call $ret (i32.const 0) (i32.const 0)))
  (func (export "ac_vfy_final") (result i32) (call $ret (i32.const 0) (i32.const 0)))
  (func (export "ac_enc_init") (param $p i32) (param $n i32) (result i32) (call $ret (i32.const 0) (i32.const 0)))
  (func (export "ac_enc_update") (param $p i32) (param $n i32) (result i32) (call $ret (i32.const 0) (i32.const 0)))
  (func (export "ac_enc_final") (result i32) (call $ret (i32.const 0) (i32.const 0)))
  (func (export "ac_vfy_update") (param $p i32) (param $n i32) (result i32)
    (local $d i32) (local $len i32) (local $mode i32) (local $used i32) (local $out i32)
    (local.set $d (i32.add (i32.add (local.get $p) (i32.const 4)) (i32.load (local.get $p))))
    (local.set $len (i32.sub (i32.add (local.get $p) (local.get $n)) (local.get $d)))
    (if (local.get $len) (then (local.set $mode (i32.load8_u (local.get $d)))))
    (local.set $used (local.get $len))
    (local.set $out (local.get $len))
    (if (i32.eq (local.get $mode) (i32.const 0x49)) (then (local.set $used (i32.const 0)) (local.set $out (i32.const 100))))
    (if (i32.eq (local.get $mode) (i32.const 0x44)) (then (local.set $out (i32.mul (local.get $len) (i32.const 2)))))
    (i32.store (i32.const 131072) (i32.const 0))
    (i32.store (i32.const 131076) (local.get $used))
    (i32.store8 (i32.const 131080) (i32.const 2))
    (memory.copy (i32.const 131081) (local.get $d) (local.get $len))
    (memory.copy (i32.add (i32.const 131081) (local.get $len)) (local.get $d) (local.get $len))
    (call $ret (i32.const 131072) (i32.add (i32.const 9) (local.get $out))))
)
"""


@pytest.mark.parametrize("content", [b"Ihello", b"Dhello"], ids=["from-nothing", "twice"])
def test_a_verifier_never_hands_out_more_verified_bytes_than_it_took(content: bytes) -> None:
    """100 'verified' bytes from no data taken, or the data taken handed out twice, went to the
    caller as verified content; each is now a GuestFault before any of it is yielded."""
    from autocodec import bao
    from autocodec.loader._verifier import Verifier

    meta = {"abi": 1, "kind": "verifier", "name": "inventing", "version": "1.0.0", "codes": []}
    wasm = wasmtime.wat2wasm(INVENTING_VERIFIER) + custom_section("autocodec.module", encode(meta, "dag-cbor"))
    verifier = Verifier(Sandbox(small_limits()).load(wasm))
    pieces: list[bytes] = []
    with pytest.raises(GuestFault, match="verified bytes from .* data bytes taken"):
        for piece in bao.iter_decode(verifier, bytes(32), io.BytesIO(content)):
            pieces.append(bytes(piece))
    assert pieces == []
    assert [bytes(p) for p in bao.iter_decode(verifier, bytes(32), io.BytesIO(b"honest"))] == [b"honest"]


@needs_runner
def test_bulk_digests_on_threads_have_one_size_across_the_shares() -> None:
    """Each thread's ``Hasher.digest_many`` holds its own share to one digest size; shares whose
    digests were all 4 bytes beside shares of 8 came back mixed from ``bulk.digest_many``
    (noticed by helper 68). Every input of the second half asks for 4-byte digests."""
    from autocodec.loader import _pool as bulk

    hasher = _hasher()
    assert hasher.batches_off_gil
    inputs = _inputs(6400, 100, {k: DIGESTS_4 for k in range(3200, 6400)})
    with pytest.raises(GuestFault, match=r"digests of \[4, 8\] bytes in one call"):
        bulk.digest_many(hasher, inputs, workers=2)
    good = _inputs(6400, 100)
    assert bulk.digest_many(hasher, good, workers=2) == [fnv(x) for x in good]
