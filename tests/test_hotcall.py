"""The C runner (``loader/_hotcall.c``) against the pure-Python call path (issue 19).

A reusable instance makes its ABI call and reset in one C call once ``reset`` has learnt the
module's pages. Every outcome must be exactly the Python path's: the same output and reset
verdict, or the same error class and message; and isolation must hold on the C path too.
Each case runs one input on two fresh reusable instances of the same module: one through
``call`` + ``reset`` (Python), one through ``call_and_reset`` past its learning calls (C).
"""

from __future__ import annotations

import os
from typing import Any

import pytest

from autocodec.errors import AutocodecError
from autocodec.loader import Sandbox, _hot
from tests._hotcall import PAST_LEARNING, fnv, needs_runner
from tests._wat import HOSTILE, small_limits, wat_module

_INPUTS = (b"", b"x", b"\x05", b"\x05\x05\x05\x05", b"\xff\x01\x01\x01", bytes(range(256)) * 4, b"\x00" * 70_000)


def _outcome(fn: Any) -> Any:
    try:
        return ("ok", *fn())
    except AutocodecError as exc:
        return ("error", type(exc).__name__, str(exc))


def _instance(loaded: Any) -> Any:
    instance = loaded._reusable_instance()
    assert instance._reset_size, "the module should be resettable"
    return instance


def _modules() -> list[str]:
    names = []
    for path in sorted(HOSTILE.glob("*.wat")):
        try:
            loaded = Sandbox(small_limits()).load(wat_module(path.stem))
        except AutocodecError:
            continue  # refused at load: never called
        if loaded.reusable and "ac_decode" in loaded.info.exports:
            names.append(path.stem)
    return names


def test_the_runner_is_built_under_ci() -> None:
    if os.environ.get("CI"):
        assert _hot.Runner is not None, "setup.py must build autocodec.loader._hotcall on CI's machine"


@needs_runner
@pytest.mark.parametrize("name", _modules())
def test_c_path_matches_python_path_on_hostile_and_odd_modules(name: str) -> None:
    loaded = Sandbox(small_limits()).load(wat_module(name))
    for data in _INPUTS:
        py = _instance(loaded)
        want = _outcome(lambda: (py.call("ac_decode", data, proportional=True), py.reset()))  # noqa: B023
        c = _instance(loaded)
        assert c._hot is not None
        c._resets = PAST_LEARNING
        got = _outcome(lambda: c.call_and_reset("ac_decode", data, proportional=True))  # noqa: B023
        assert got == want, (name, data[:8])
        assert c.broken == py.broken or want[0] == "ok", (name, data[:8])


@needs_runner
def test_sticky_module_sees_no_state_on_the_c_path() -> None:
    loaded = Sandbox(small_limits()).load(wat_module("sticky_state"))
    instance = _instance(loaded)
    instance._resets = PAST_LEARNING
    answers = [instance.call_and_reset("ac_decode", d)[0] for d in (b"", b"\x05\x05\x05\x05", b"", b"\x01", b"", b"")]
    # sticky_state answers 1111 (+ the input's bytes) on a fresh instance: CBOR 0x19 + u16
    fresh = [b"\x19\x04\x57", b"\x19\x04\x6b", b"\x19\x04\x57", b"\x19\x04\x58", b"\x19\x04\x57", b"\x19\x04\x57"]
    assert answers == fresh
    assert instance._resets == PAST_LEARNING + 6
    # the proof can fail: without the reset the same calls drift
    raw = loaded.instance()
    assert [raw.call("ac_decode", b"") for _ in range(2)] == [b"\x19\x04\x57", b"\x19\x08\xae"]


@needs_runner
def test_many_calls_through_the_codec_reuse_one_instance_and_stay_fresh() -> None:
    loaded = Sandbox(small_limits()).load(wat_module("sticky_state"))
    codec = loaded.codec()
    assert [codec.decode(b"\x01") for _ in range(200)] == [1112] * 200
    assert len(loaded._idle) == 1 and loaded._idle[0]._resets >= 199


# --- many hash frames in one C call (``hash_frames``) -----------------------------------------

_MODES = {"trap": 0xF1, "status": 0xF2, "short": 0xF3, "outside": 0xF4, "grow": 0xF5, "spin": 0xF6}


def _frames_hasher() -> Any:
    """``batch_modes`` with its one instance past ``reset``'s learning calls (the C loop runs)."""
    hasher = Sandbox(small_limits()).load(wat_module("batch_modes", "hasher")).hasher()
    for _ in range(PAST_LEARNING):
        assert hasher.digest_many([b"warm"]) == [fnv(b"warm")]
    return hasher


def _inputs(mode: int | None = None, at: int = 9) -> list[bytes]:
    """30 inputs of 8 KiB (three to a 32 KiB frame), input ``at`` (a frame's first) starting ``mode``."""
    out = [bytes([n]) * 8192 for n in range(30)]
    if mode is not None:
        out[at] = bytes([mode]) + out[at][1:]
    return out


def _c_frames(monkeypatch: pytest.MonkeyPatch) -> list[tuple[int, int]]:
    """Record the ``(start, end)`` of every C loop that hashed something."""
    from autocodec.loader._instance import GuestInstance

    runs: list[tuple[int, int]] = []
    real = GuestInstance.hash_frames

    def spy(self: Any, op: str, items: list[bytes], start: int, *rest: int) -> Any:
        got = real(self, op, items, start, *rest)
        if got is not None and got[0] > start:
            runs.append((start, got[0]))
        return got

    monkeypatch.setattr(GuestInstance, "hash_frames", spy)
    return runs


@needs_runner
def test_frames_in_one_c_call_restore_every_frame(monkeypatch: pytest.MonkeyPatch) -> None:
    """Hundreds of frames in one C call: each frame's digests XOR the state are exact, so each
    frame started from the recorded state (without the restores the state grows by 3 a call)."""
    hasher = _frames_hasher()
    runs = _c_frames(monkeypatch)
    inputs = [bytes([n % 200]) * (n % 700) for n in range(20_000)]  # no mode byte (F1-F6)
    assert hasher.digest_many(inputs) == [fnv(x) for x in inputs]
    assert sum(end - start for start, end in runs) > 19_000
    raw = hasher._loaded.instance()  # the proof can fail: an instance that is not reset drifts
    assert raw.call("ac_hash", b"a") == fnv(b"a") and raw.call("ac_hash", b"a") != fnv(b"a")


@needs_runner
@pytest.mark.parametrize("mode", ["trap", "status", "outside", "grow", "spin"])
def test_a_frame_failing_in_the_c_loop_is_redone_on_the_checked_path(mode: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """A frame that traps, answers an error, names output outside memory or spins is redone
    input by input, as on the checked path; one that grows memory keeps its digests; every
    frame after it is exact, and the instance that failed is not reused."""
    from autocodec.loader._instance import GuestInstance

    hasher = _frames_hasher()
    runs = _c_frames(monkeypatch)
    inputs = _inputs(_MODES[mode])
    want = [fnv(x) for x in inputs]
    assert hasher.digest_many(inputs) == want
    assert runs and runs[0][0] == 0 and runs[0][1] == 9  # the C loop stopped before the bad frame
    assert hasher.digest_many(_inputs()) == [fnv(x) for x in _inputs()]  # no state from the failure
    monkeypatch.setattr(GuestInstance, "hash_frames", lambda *a: None)  # the checked path alone
    assert hasher.digest_many(inputs) == want


@needs_runner
def test_a_frame_of_the_wrong_shape_is_a_fault_on_both_paths(monkeypatch: pytest.MonkeyPatch) -> None:
    from autocodec.errors import GuestFault
    from autocodec.loader._instance import GuestInstance

    hasher = _frames_hasher()
    runs = _c_frames(monkeypatch)
    with pytest.raises(GuestFault, match="one digest of one size"):
        hasher.digest_many(_inputs(_MODES["short"]))
    assert runs == [(0, 9)]
    monkeypatch.setattr(GuestInstance, "hash_frames", lambda *a: None)
    with pytest.raises(GuestFault, match="one digest of one size"):
        hasher.digest_many(_inputs(_MODES["short"]))


@needs_runner
def test_inputs_that_are_not_bytes_and_large_ones_take_their_turn() -> None:
    """bytearray and memoryview inputs are hashed as their bytes; inputs over ``_BATCH_ITEM``
    alone; the order of the answers is the order of the inputs."""
    hasher = _frames_hasher()
    inputs: list[Any] = [bytes([n % 200]) * (n * 37 % 900) for n in range(400)]
    inputs[5] = bytearray(inputs[5])
    inputs[150] = memoryview(inputs[150])
    inputs[200] = b"\x07" * 20_000
    inputs[201] = bytearray(b"\x08" * 9_000)
    assert hasher.digest_many(inputs) == [fnv(bytes(x)) for x in inputs]


# --- batch frames built in C (``frame``, ``frame_packed``) against Python's join --------------

def _joined(items: list[bytes]) -> bytes:
    """The frame as the ABI defines it (docs/abi.md): u32 count, then u32 length + bytes each."""
    return len(items).to_bytes(4, "little") + b"".join(len(x).to_bytes(4, "little") + x for x in items)


_FRAME_CASES = [[], [b""], [b"", b""], [b"a"], [bytes(range(256)) * 300, b"", b"xyz"],
                [bytes([i % 256]) * (i * 7 % 300) for i in range(1000)]]


@needs_runner
@pytest.mark.parametrize("items", _FRAME_CASES, ids=lambda c: f"{len(c)}-items")
def test_the_c_frame_is_the_abi_frame(items: list[bytes]) -> None:
    from array import array

    from autocodec.loader._adapters import _frame, _frame_packed

    assert _hot.frame(items) == _frame(items) == _joined(items)
    lengths = array("Q", map(len, items)).tobytes()
    buffer = b"<head>" + b"".join(items) + b"<tail>"
    assert _hot.frame_packed(buffer, 6, lengths) == _joined(items)
    assert _frame_packed(bytearray(buffer), 6, lengths) == _joined(items)


@needs_runner
def test_the_c_frame_leaves_odd_lists_to_python() -> None:
    from autocodec.loader._adapters import _frame

    assert _hot.frame([b"a", bytearray(b"b")]) is None  # Python's path decides an item that is not bytes
    assert _hot.frame((b"a",)) is None
    assert _frame([b"a", bytearray(b"bc")]) == _joined([b"a", b"bc"])


@needs_runner
@pytest.mark.parametrize("start, lengths", [(0, [5]), (3, [1, 1]), (-1, [1]), (9, [])], ids=str)
def test_frame_packed_refuses_items_past_the_buffer(start: int, lengths: list[int]) -> None:
    from array import array

    with pytest.raises(ValueError):
        _hot.frame_packed(b"abcd", start, array("Q", lengths).tobytes())
    with pytest.raises(ValueError, match="whole array"):
        _hot.frame_packed(b"abcd", 0, b"\x01\x00\x00")


def test_python_frame_packed_matches(monkeypatch: pytest.MonkeyPatch) -> None:
    """Without the extension the same bytes come from Python, and the same refusal."""
    from array import array

    from autocodec.loader import _adapters

    monkeypatch.setattr(_hot, "frame", None)
    monkeypatch.setattr(_hot, "frame_packed", None)
    for items in _FRAME_CASES:
        data = b"".join(items)
        assert _adapters._frame_packed(data, 0, array("Q", map(len, items)).tobytes()) == _joined(items)
        assert _adapters._frame(items) == _joined(items)
    with pytest.raises(ValueError):
        _adapters._frame_packed(b"abcd", 1, array("Q", [4]).tobytes())
