"""A refusal at the compile bounds is remembered per bound, and a starved compile is no refusal.

Found reviewing the s10 sandbox audit: a child compile stopped by ``compile_timeout_ms`` was a
``CompileRefused`` remembered in the cache folder under the module's name alone, so (1) raising
``compile_timeout_ms`` or ``compile_memory_bytes`` never compiled it again (only clearing the
cache did), and (2) a compile that timed out because a busy machine gave the child no CPU became
a lasting refusal of a module that compiles in time. Now the refusal's name carries the bounds,
and a child that had under a quarter of one CPU by the deadline is ``CompileBusy`` (retried).
"""

from __future__ import annotations

import os
import signal
import threading
import time
from pathlib import Path

import pytest

from autocodec.errors import CompileBusy, CompileRefused
from autocodec.loader import Sandbox

from tests._wat import locals_bomb, small_limits

_limits = small_limits
BOMB = locals_bomb(1_980, 49_151)
"""~8 s of Cranelift CPU in 14 KB (tests/test_bounds_compile.py): compiled in a child."""


def test_a_refusal_is_remembered_under_its_bounds_and_raised_bounds_compile_again(tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    tight = _limits(compile_timeout_ms=1_000)
    with pytest.raises((CompileRefused, CompileBusy)) as first:
        Sandbox(tight, cache_dir=cache).load(BOMB)
    if isinstance(first.value, CompileBusy):
        pytest.skip("the machine starved the compile child: nothing was remembered to test")
    with pytest.raises(CompileRefused, match="refused without compiling"):  # the same bounds: remembered
        Sandbox(tight, cache_dir=cache).load(BOMB)
    wider = _limits(compile_timeout_ms=1_500)
    with pytest.raises((CompileRefused, CompileBusy)) as again:  # compiled again (and refused at 1.5 s)
        Sandbox(wider, cache_dir=cache).load(BOMB)
    assert "without compiling" not in again.value.message, again.value.message


def _compile_children() -> list[int]:
    me, found = str(os.getpid()), []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_bytes().rsplit(b")", 1)[1].split()
            cmdline = (entry / "cmdline").read_bytes()
        except OSError:
            continue
        if stat[1].decode() == me and b"autocodec.loader._compile" in cmdline:
            found.append(int(entry.name))
    return found


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads the child's CPU time from Linux's /proc")
def test_a_compile_starved_of_cpu_is_busy_not_remembered(tmp_path: Path) -> None:
    """The child is stopped (SIGSTOP) as soon as it runs, as a machine too busy to schedule it
    would: at the deadline it has had next to no CPU, so nothing is known about the module."""
    cache = tmp_path / "cache"
    limits = _limits(compile_timeout_ms=2_000)
    stopping = threading.Event()

    def stop_children() -> None:
        while not stopping.is_set():
            for pid in _compile_children():
                try:
                    os.kill(pid, signal.SIGSTOP)
                except ProcessLookupError:
                    pass
            time.sleep(0.001)

    stopper = threading.Thread(target=stop_children, daemon=True)
    stopper.start()
    try:
        with pytest.raises(CompileBusy, match="of CPU in the 2 s of compile_timeout_ms") as busy:
            Sandbox(limits, cache_dir=cache).load(BOMB)
    finally:
        stopping.set()
        stopper.join()
    assert "not remembered" in (busy.value.hint or "")
    with pytest.raises((CompileRefused, CompileBusy)) as next_load:  # compiled again: nothing was remembered
        Sandbox(limits, cache_dir=cache).load(BOMB)
    assert "without compiling" not in next_load.value.message, next_load.value.message
