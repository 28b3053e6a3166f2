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
from tests.test_loader_wat import HOSTILE, small_limits, wat_module

needs_runner = pytest.mark.skipif(
    _hot.Runner is None and not os.environ.get("CI"), reason="the C extension autocodec.loader._hotcall is not built"
)
_PAST_LEARNING = 20  # ``reset`` learns on resets 2..9 and every 64th; 20 + 1 is a C-path call
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
        c._resets = _PAST_LEARNING
        got = _outcome(lambda: c.call_and_reset("ac_decode", data, proportional=True))  # noqa: B023
        assert got == want, (name, data[:8])
        assert c.broken == py.broken or want[0] == "ok", (name, data[:8])


@needs_runner
def test_sticky_module_sees_no_state_on_the_c_path() -> None:
    loaded = Sandbox(small_limits()).load(wat_module("sticky_state"))
    instance = _instance(loaded)
    instance._resets = _PAST_LEARNING
    answers = [instance.call_and_reset("ac_decode", d)[0] for d in (b"", b"\x05\x05\x05\x05", b"", b"\x01", b"", b"")]
    # sticky_state answers 1111 (+ the input's bytes) on a fresh instance: CBOR 0x19 + u16
    fresh = [b"\x19\x04\x57", b"\x19\x04\x6b", b"\x19\x04\x57", b"\x19\x04\x58", b"\x19\x04\x57", b"\x19\x04\x57"]
    assert answers == fresh
    assert instance._resets == _PAST_LEARNING + 6
    # the proof can fail: without the reset the same calls drift
    raw = loaded.instance()
    assert [raw.call("ac_decode", b"") for _ in range(2)] == [b"\x19\x04\x57", b"\x19\x08\xae"]


@needs_runner
def test_many_calls_through_the_codec_reuse_one_instance_and_stay_fresh() -> None:
    loaded = Sandbox(small_limits()).load(wat_module("sticky_state"))
    codec = loaded.codec()
    assert [codec.decode(b"\x01") for _ in range(200)] == [1112] * 200
    assert len(loaded._idle) == 1 and loaded._idle[0]._resets >= 199
