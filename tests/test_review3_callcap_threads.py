"""The vectors run's cap on guest calls (``loader/_callcap.py``) is the running thread's alone:
a call another thread makes meanwhile (a gateway or pool thread of the same process decoding a
block) keeps its own per-call deadline, and nothing of a run's cap outlives the run, however it
ends. (``test_review_loose_vectors.py``'s per-thread test checks nesting in one thread only.)"""

from __future__ import annotations

import threading
import time

import pytest

from autocodec.loader._callcap import capped_calls, capped_ticks
from autocodec.loader._engine import deadline_ticks


def _in_thread() -> int:
    seen: list[int] = []
    worker = threading.Thread(target=lambda: seen.append(capped_ticks(1000)))
    worker.start()
    worker.join()
    return seen[0]


def test_a_cap_set_in_one_thread_is_not_seen_in_another() -> None:
    with capped_calls(time.monotonic() - 1):  # past: this thread's calls get the smallest deadline
        assert capped_ticks(1000) == deadline_ticks(0)
        assert _in_thread() == 1000


def test_a_cap_set_in_another_thread_is_not_seen_here() -> None:
    inside, release = threading.Event(), threading.Event()

    def run() -> None:
        with capped_calls(time.monotonic() - 1):
            inside.set()
            release.wait(10)

    worker = threading.Thread(target=run)
    worker.start()
    try:
        assert inside.wait(10)
        assert capped_ticks(1000) == 1000
    finally:
        release.set()
        worker.join()


def test_a_run_that_raised_leaves_no_cap() -> None:
    from autocodec.errors import InvalidDocument
    from autocodec.loader import run_vectors

    class Loaded:  # the run refuses the document before any guest call
        info = type("Info", (), {"kind": "codec"})()

    with pytest.raises(InvalidDocument):
        run_vectors(Loaded(), {"kind": "codec", "cases": [1]})  # type: ignore[arg-type]
    assert capped_ticks(10**6) == 10**6  # 5000 s: past any run's deadline, so a cap left behind would cut it
