"""``SandboxLimits.idle_instances`` bounds the reset instances waiting, process-wide, exactly.

An instance taken from a module's idle list for a call was not counted while out, and a module
pooling past the bound dropped another module's idle instance when there was one and pooled
anyway when there was none. So two threads could each leave one more than the bound waiting: two
first calls of one module (the second found only the first's instance, its own module's), or a
call on a pooled instance of one module while another module pooled its first (it found the
first module's instance out, counted none). Each interleaving is forced here with real guest
calls, the threads ordered by events, never by time.
"""

from __future__ import annotations

import dataclasses
import threading
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from autocodec.config import DEFAULT_LIMITS
from autocodec.errors import GuestTrap
from autocodec.loader import LoadedModule, Sandbox, _sandbox
from autocodec.loader._instance import GuestInstance
from tests._probe_codec import module

WAIT = 60.0  # seconds a step may take before the test gives up (a hang guard, not a speed check)
TRAPS_ON_TWO_BYTES = "if (result i32) (i32.eq (local.get $n) (i32.const 2)) (then unreachable) (else i32.const {})"


def _waiting() -> int:
    """Reset instances waiting in every live module's idle list, now."""
    return sum(len(loaded._idle) for loaded in list(_sandbox._holding))


@pytest.fixture
def one_idle() -> Iterator[Callable[[int], LoadedModule]]:
    """Load resettable probe codecs under ``idle_instances = 1`` (answering ``answer`` to one
    byte, trapping on two), other tests' idle instances dropped first."""
    for loaded in list(_sandbox._holding):
        loaded.close()
    sandbox = Sandbox(dataclasses.replace(DEFAULT_LIMITS.sandbox, idle_instances=1))
    made: list[LoadedModule] = []

    def load(answer: int) -> LoadedModule:
        loaded = sandbox.load(module(answer=TRAPS_ON_TWO_BYTES.format(answer)))
        assert loaded.reusable
        made.append(loaded)
        return loaded

    yield load
    for loaded in made:
        loaded.close()


class _AskedLock:
    """The real lock, counting the threads that asked for it (the test holds it meanwhile)."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self._asked = 0
        self._changed = threading.Condition()

    def __enter__(self) -> _AskedLock:
        with self._changed:
            self._asked += 1
            self._changed.notify_all()
        self.lock.acquire()
        return self

    def __exit__(self, *exc: object) -> None:
        self.lock.release()

    def acquire(self, *args: Any) -> bool:  # ``_pool._loader_quiet`` uses it as a lock too
        return self.lock.acquire(*args)

    def release(self) -> None:
        self.lock.release()

    def wait_asked(self, n: int) -> bool:
        with self._changed:
            return self._changed.wait_for(lambda: self._asked >= n, WAIT)


def _in_thread(fn: Callable[[], object]) -> tuple[threading.Thread, list[object]]:
    got: list[object] = []
    thread = threading.Thread(target=lambda: got.append(fn()), daemon=True)
    thread.start()
    return thread, got


def test_two_first_calls_of_one_module_leave_one_instance_waiting(
        one_idle: Callable[[int], LoadedModule], monkeypatch: pytest.MonkeyPatch) -> None:
    codec = one_idle(7).codec()
    lock = _AskedLock()
    monkeypatch.setattr(_sandbox, "_idle_lock", lock)
    with lock.lock:  # both calls run, then wait to pool their instance
        runs = [_in_thread(lambda: codec.decode(b"x")) for _ in range(2)]
        assert lock.wait_asked(2)
    for thread, got in runs:
        thread.join(WAIT)
        assert got == [7]
    assert _waiting() == 1


def test_a_call_on_a_pooled_instance_keeps_its_place_from_another_module(
        one_idle: Callable[[int], LoadedModule], monkeypatch: pytest.MonkeyPatch) -> None:
    first, second = one_idle(1), one_idle(2)
    assert first.codec().decode(b"x") == 1 and len(first._idle) == 1
    inside, go = threading.Event(), threading.Event()
    real = GuestInstance.call_and_reset

    def held(self: GuestInstance, *args: Any, **kwargs: Any) -> Any:
        if threading.current_thread().name == "holder":  # the call on the first module's pooled instance
            inside.set()
            assert go.wait(WAIT)
        return real(self, *args, **kwargs)

    monkeypatch.setattr(GuestInstance, "call_and_reset", held)
    got: list[object] = []
    holder = threading.Thread(target=lambda: got.append(first.codec().decode(b"x")), name="holder", daemon=True)
    holder.start()
    assert inside.wait(WAIT) and not first._idle  # taken out of the list for the call
    assert second.codec().decode(b"x") == 2  # its first call: a fresh instance, pooled only within the bound
    go.set()
    holder.join(WAIT)
    assert got == [1]
    assert _waiting() == 1
    assert (len(first._idle), len(second._idle)) == (1, 0)


def test_a_failed_call_frees_its_place(one_idle: Callable[[int], LoadedModule]) -> None:
    """An instance dropped after a failed call (a trap) no longer counts: another module pools."""
    first, second = one_idle(1), one_idle(2)
    assert first.codec().decode(b"x") == 1 and len(first._idle) == 1
    with pytest.raises(GuestTrap):
        first.codec().decode(b"xx")  # on the pooled instance, which is dropped
    assert not first._idle
    assert second.codec().decode(b"x") == 2 and len(second._idle) == 1
    for _ in range(3):  # turn and turn about: each pools by dropping the other's
        assert first.codec().decode(b"x") == 1 and second.codec().decode(b"x") == 2
        assert _waiting() == 1
    first.close()
    assert second.codec().decode(b"x") == 2 and _waiting() == 1
    assert first.codec().decode(b"x") == 1 and (len(first._idle), len(second._idle)) == (1, 0)


GROWS_ON_TWO_BYTES = ("if (result i32) (i32.eq (local.get $n) (i32.const 2)) "
                      "(then (drop (memory.grow (i32.const 1))) (i32.const 9)) (else i32.const {})")


def test_an_instance_whose_memory_grew_frees_its_place(one_idle: Callable[[int], LoadedModule]) -> None:
    """A pooled instance whose call grew its memory cannot be reset: it is dropped, its place freed."""
    second = one_idle(2)
    first = Sandbox(dataclasses.replace(DEFAULT_LIMITS.sandbox, idle_instances=1)).load(
        module(answer=GROWS_ON_TWO_BYTES.format(1)))
    assert first.reusable
    try:
        assert first.codec().decode(b"x") == 1 and len(first._idle) == 1
        assert first.codec().decode(b"xx") == 9  # on the pooled instance, which grew: dropped
        assert not first._idle and first.reusable
        assert second.codec().decode(b"x") == 2 and len(second._idle) == 1  # the place was free
    finally:
        first.close()


def test_an_instance_given_back_to_a_full_list_frees_its_place(monkeypatch: pytest.MonkeyPatch) -> None:
    """A module keeps at most ``_idle_cap`` waiting: an instance given back to a list another
    thread filled meanwhile is trimmed, and the place it held goes with it (else the bound
    would shrink by one for good)."""
    for other in list(_sandbox._holding):
        other.close()
    limits = dataclasses.replace(DEFAULT_LIMITS.sandbox, idle_instances=4, pooled_instances=8)  # _idle_cap 1
    loaded = Sandbox(limits).load(module(answer="i32.const 3"))
    assert loaded.reusable and loaded._idle_cap == 1
    inside, go = threading.Event(), threading.Event()
    real = GuestInstance.call_and_reset

    def held(self: GuestInstance, *args: Any, **kwargs: Any) -> Any:
        if threading.current_thread().name == "holder":
            inside.set()
            assert go.wait(WAIT)
        return real(self, *args, **kwargs)

    try:
        assert loaded.codec().decode(b"x") == 3 and (loaded._held, len(loaded._idle)) == (1, 1)
        monkeypatch.setattr(GuestInstance, "call_and_reset", held)
        got: list[object] = []
        holder = threading.Thread(target=lambda: got.append(loaded.codec().decode(b"x")), name="holder", daemon=True)
        holder.start()
        assert inside.wait(WAIT) and not loaded._idle  # the pooled instance is out, keeping its place
        assert loaded.codec().decode(b"x") == 3  # a first call meanwhile pools a second one
        assert (loaded._held, len(loaded._idle)) == (2, 1)
        go.set()
        holder.join(WAIT)
        assert got == [3]
        assert (loaded._held, len(loaded._idle)) == (1, 1)  # the give-back overfilled the list: one trimmed
        assert _sandbox._idle_count() == _waiting() == 1
    finally:
        go.set()
        loaded.close()
