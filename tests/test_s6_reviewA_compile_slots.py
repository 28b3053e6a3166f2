"""Child compile slots across ``os.fork``: a child process starts with every slot free.

The bulk pool forks worker processes (``loader._pool``, the fork start method) while other
threads of the parent may be compiling. A slot held by a parent thread is never given back in
the child (that thread does not exist there), so without a reset at fork the child's loads
waited ``compile_timeout_ms`` and failed with ``CompileBusy`` whatever they were.
"""

from __future__ import annotations

import os
import threading
from dataclasses import replace

import pytest

from autocodec.config import DEFAULT_LIMITS
from autocodec.errors import CompileBusy
from autocodec.loader import _compile
from autocodec.loader._compile import compile_slot

pytestmark = pytest.mark.skipif(not hasattr(os, "fork"), reason="needs os.fork")

LIMITS = replace(DEFAULT_LIMITS.sandbox, concurrent_compiles=1, compile_timeout_ms=300)


def _in_child(check: str) -> str:
    """Fork; in the child run ``check`` (a name below) and report its one-word outcome."""
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: never return into pytest
        outcome = "error"
        try:
            outcome = _CHECKS[check]()
        finally:
            os.write(write, outcome.encode())
            os._exit(0)
    os.close(write)
    try:
        with os.fdopen(read, "rb") as pipe:
            return pipe.read().decode()
    finally:
        os.waitpid(pid, 0)


def _take_one() -> str:
    try:
        with compile_slot(LIMITS):
            return "free"
    except CompileBusy:
        return "busy"


_CHECKS = {"take_one": _take_one}


def test_a_slot_held_by_another_parent_thread_is_free_in_a_forked_child() -> None:
    held, done = threading.Event(), threading.Event()

    def holder() -> None:
        with compile_slot(LIMITS):
            held.set()
            done.wait(30)

    thread = threading.Thread(target=holder)
    thread.start()
    try:
        assert held.wait(10)
        assert _take_one() == "busy"  # the parent: its one slot is held
        assert _in_child("take_one") == "free"  # was: busy (the parent thread's slot leaked into the child)
    finally:
        done.set()
        thread.join()
    assert _compile._running == 0


def test_the_forking_thread_leaving_its_slot_in_the_child_frees_no_extra_slot() -> None:
    """The thread that forked holds its slot in the child too; leaving it there must leave the
    count at 0, never below (a count below 0 would let one more child compile run)."""

    def child() -> str:
        try:
            with compile_slot(LIMITS), compile_slot(LIMITS):
                return "two"
        except CompileBusy:
            return "one"

    read, write = os.pipe()
    with compile_slot(LIMITS):
        pid = os.fork()  # the child leaves this block too, through the slot's release
    if pid == 0:
        outcome = "error"
        try:
            outcome = child() if _compile._running == 0 else f"count {_compile._running}"
        finally:
            os.write(write, outcome.encode())
            os._exit(0)
    os.close(write)
    with os.fdopen(read, "rb") as pipe:
        got = pipe.read().decode()
    os.waitpid(pid, 0)
    assert got == "one"
    assert _compile._running == 0
