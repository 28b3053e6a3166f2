"""A child compile slot is never leaked by an exception raised while it is being taken.

``compile_slot`` was a ``contextlib.contextmanager`` generator: it counted the slot, left its
lock, then entered the ``try`` whose ``finally`` gave the slot back, and ``contextmanager``'s
``__enter__`` ran on after the generator's ``yield``. A ``KeyboardInterrupt`` (Ctrl-C: Python
raises it at the next line or call of whatever runs) landing in between left the slot counted
for the life of the process: with ``concurrent_compiles`` 1, every later child compile waited
``compile_timeout_ms`` and failed with ``CompileBusy``.

The exception is raised for real in the real code, at each point between the ``with`` statement
and its block where a signal handler's could be raised, in turn, by a profile function
(``sys.setprofile``: its exception propagates into the profiled code at that event).
"""

from __future__ import annotations

import contextlib
import sys
import threading
from dataclasses import replace
from types import FrameType, ModuleType
from typing import Any

import pytest

from autocodec.config import DEFAULT_LIMITS
from autocodec.errors import CompileBusy
from autocodec.loader import _compile

LIMITS = replace(DEFAULT_LIMITS.sandbox, concurrent_compiles=1, compile_timeout_ms=300)
_MOST_LINES = 200


def interrupt_at(module: ModuleType, nth: int) -> bool:
    """Enter ``module.compile_slot(LIMITS)`` and raise ``KeyboardInterrupt`` at the ``nth`` point
    (from 0) where CPython 3.11 may raise a signal handler's exception, in ``module``'s and
    ``contextlib``'s code before the block starts; whether it was raised (False: fewer points).

    Those points are where the interpreter checks for pending signals: a Python function's entry
    (``RESUME``) and just after a call made by a ``CALL`` instruction returns (``CALL`` checks
    then). A profile function (``sys.setprofile``) that raises at a ``call`` event raises at the
    callee's entry, at a ``return`` or ``c_return`` event in the caller just after the call; a
    ``return`` into a frame outside those files (``__enter__`` returning into the ``with``
    statement, which checks nothing there) is left out, and so are line boundaries: signals are
    not checked at them (so a lock's release after its block's last line cannot be skipped)."""
    files = {module.__file__, contextlib.__file__}
    seen, started, raised = 0, False, False

    def ours(frame: FrameType | None) -> bool:
        return frame is not None and frame.f_code.co_filename in files

    def profile(frame: FrameType, event: str, arg: Any) -> None:
        nonlocal seen, raised
        if started or raised:
            return
        if not ((event == "call" and (ours(frame) or ours(frame.f_back)))
                or (event == "return" and ours(frame.f_back)) or (event == "c_return" and ours(frame))):
            return
        if seen == nth:
            raised = True
            raise KeyboardInterrupt
        seen += 1

    sys.setprofile(profile)
    try:
        with module.compile_slot(LIMITS):
            started = True
            sys.setprofile(None)
    except KeyboardInterrupt:
        assert raised
    finally:
        sys.setprofile(None)
    return raised


def a_slot_is_free(module: ModuleType) -> bool:
    """Whether another thread can take the one slot now (False: ``CompileBusy`` after 300 ms,
    or the slot's lock left held)."""
    outcome: list[bool] = []

    def take() -> None:
        try:
            with module.compile_slot(LIMITS):
                outcome.append(True)
        except CompileBusy:
            outcome.append(False)

    thread = threading.Thread(target=take, daemon=True)
    thread.start()
    thread.join(5)
    return outcome == [True]


def leaks(module: ModuleType) -> list[int]:
    """The lines (by their order) at which an interrupt left the slot taken or its lock held."""
    leaked, nth = [], 0
    while interrupt_at(module, nth):
        if not a_slot_is_free(module):
            leaked.append(nth)
            module._after_fork_in_child()  # start the next case with every slot free again
        nth += 1
        assert nth < _MOST_LINES
    assert nth > 3, f"only {nth} lines traced: the trace did not reach the slot's code"
    return leaked


def test_an_interrupt_anywhere_in_taking_a_slot_leaves_it_free() -> None:
    assert leaks(_compile) == []
    assert _compile._running == 0


def test_the_block_raising_gives_the_slot_back() -> None:
    with pytest.raises(KeyboardInterrupt):
        with _compile.compile_slot(LIMITS):
            raise KeyboardInterrupt
    assert a_slot_is_free(_compile) and _compile._running == 0


def test_a_busy_refusal_takes_no_slot_and_the_holders_exit_frees_one() -> None:
    holder = _compile.compile_slot(LIMITS)
    holder.__enter__()
    try:
        with pytest.raises(CompileBusy, match=r"concurrent_compiles limit \(1\)"):
            with _compile.compile_slot(LIMITS):
                pass
        assert _compile._running == 1
    finally:
        holder.__exit__(None, None, None)
    holder.__exit__(None, None, None)  # giving back twice frees nothing more
    assert _compile._running == 0 and a_slot_is_free(_compile)
