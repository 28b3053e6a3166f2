"""The loader's last constants as limits: ``idle_instances`` (reset instances waiting, process-wide)
and ``loaded_modules`` (modules a sandbox keeps in memory), set under ``[limits.sandbox]``.

``_REFUSED`` (refusals a sandbox remembers in memory) stays a constant: see its docstring in
``loader/_sandbox.py``.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from autocodec.config import DEFAULT_LIMITS
from autocodec.loader import Sandbox, _sandbox
from autocodec.registry import Runtime
from tests._config_home import check_sandbox_key, home_with
from tests._probe_codec import module

KEYS = ("idle_instances", "loaded_modules")


def test_the_defaults_are_the_old_constants() -> None:
    assert (DEFAULT_LIMITS.sandbox.idle_instances, DEFAULT_LIMITS.sandbox.loaded_modules) == (32, 64)


@pytest.mark.parametrize("key", KEYS)
def test_a_bad_value_is_refused_by_name(key: str, tmp_path: Path) -> None:
    check_sandbox_key(tmp_path, key, 3)


def test_a_homes_sandbox_keeps_its_loaded_modules_many(tmp_path: Path) -> None:
    """A load of one of the last ``loaded_modules`` modules is the module loaded before (the
    same object); an older one is loaded again (a new one)."""
    wasms = [module(answer=f"i32.const {i}") for i in range(3)]
    for text, kept in (("", True), ("[limits.sandbox]\nloaded_modules = 2\n", False)):
        with Runtime(home_with(tmp_path / str(kept), text), default_set=False) as rt:
            first = rt.sandbox.load(wasms[0])
            for wasm in wasms[1:]:
                rt.sandbox.load(wasm)
            assert (rt.sandbox.load(wasms[0]) is first) is kept
            assert rt.sandbox.load(wasms[2]) is rt.sandbox.load(wasms[2])
            assert rt.sandbox.load(wasms[0]).codec().decode(b"x") == 0


def _idle_waiting() -> int:
    with _sandbox._idle_lock:
        return _sandbox._idle_count()


def test_a_homes_idle_instances_bound_the_reset_instances_waiting(tmp_path: Path) -> None:
    wasms = [module(answer=f"i32.const {10 + i}") for i in range(4)]
    for text, most in (("", 4), ("[limits.sandbox]\nidle_instances = 2\n", 2)):
        for loaded in list(_sandbox._holding):
            loaded.close()  # other tests' modules: their idle instances are not this test's
        with Runtime(home_with(tmp_path / str(most), text), default_set=False) as rt:
            codecs = [rt.sandbox.load(wasm) for wasm in wasms]
            assert all(loaded.reusable for loaded in codecs)
            assert [loaded.codec().decode(b"x") for loaded in codecs] == [10, 11, 12, 13]
            assert _idle_waiting() == most
            assert [len(loaded._idle) for loaded in codecs][-1] == 1  # the last to pool kept its own
            for loaded in codecs:
                loaded.close()


def test_an_idle_bound_is_judged_against_each_modules_own_limits() -> None:
    """Process-wide, as ``concurrent_compiles``: a module loaded under a bound of 1 pools its
    instance by dropping another module's, whatever that one's own bound."""
    for loaded in list(_sandbox._holding):
        loaded.close()
    roomy = Sandbox().load(module(answer="i32.const 20"))
    tight = Sandbox(dataclasses.replace(DEFAULT_LIMITS.sandbox, idle_instances=1)).load(module(answer="i32.const 21"))
    assert roomy.codec().decode(b"x") == 20 and len(roomy._idle) == 1
    assert tight.codec().decode(b"x") == 21
    assert (len(roomy._idle), len(tight._idle)) == (0, 1)
    roomy.close()
    tight.close()
