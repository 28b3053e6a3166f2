"""Every guest call of a vectors run obeys the run's deadline, on whichever thread or process
makes it (``loader/_callcap``): the cap used to hold in the calling thread only, so the Bao
tiles' pool threads (a verifier case over a few MiB decodes its tiles there) and the bulk
threads and worker processes ran with the full per-call deadline past the run's end."""

from __future__ import annotations

import os
import threading
import time
from typing import Any

import pytest

from autocodec import bao
from autocodec.loader import Sandbox, _callcap, _instance, _pool, _threads, run_vectors
from tests.conftest import WASM_SRC
from tests._bao_case import verifier_case


def test_bao_tile_threads_of_a_vectors_run_are_capped_by_its_deadline(monkeypatch: pytest.MonkeyPatch) -> None:
    """An 8 MiB verifier case: its decodes verify tiles on 'bao-tile' threads (measured: 58 of
    its 129 guest calls). Each of those calls must get the run's cap, as the run's own thread's do."""
    if (os.cpu_count() or 1) < 2:
        pytest.skip("Bao tiles need two CPUs")
    loaded = Sandbox().load((WASM_SRC / "bao" / "bao.wasm").read_bytes())
    case = verifier_case(bao.Verifier(loaded), 1 << 23)
    seen: list[tuple[str, float | None]] = []
    real = _instance.capped_ticks

    def noting(ticks: int) -> int:  # the real cap, and which thread asked under which end
        seen.append((threading.current_thread().name, _callcap.current()))
        return real(ticks)

    monkeypatch.setattr(_instance, "capped_ticks", noting)
    assert run_vectors(loaded, {"kind": "verifier", "cases": [case]}).ok
    tiles = [end for name, end in seen if name.startswith("bao-tile")]
    own = {end for name, end in seen if name == threading.current_thread().name}
    assert tiles, "no guest call ran on a tile thread: the case no longer exercises them"
    assert len(own) == 1 and None not in own
    assert set(tiles) == own, f"{sum(e is None for e in tiles)} of {len(tiles)} tile calls were uncapped"


def _idents_and_caps(items: list[int]) -> list[tuple[int, float | None]]:
    time.sleep(0.005)  # so that the helper thread claims pieces too
    return [(threading.get_ident(), _callcap.current()) for _ in items]


def test_bulk_threads_carry_the_callers_cap() -> None:
    end = time.monotonic() + 30
    with _callcap.capped_calls(end):
        got = _threads.spread(_idents_and_caps, range(64), 2)
    assert {cap for _, cap in got} == {end}
    assert len({ident for ident, _ in got}) == 2  # a helper thread did some of them
    assert {cap for _, cap in _threads.spread(_idents_and_caps, range(64), 2)} == {None}


def _cap_in_worker(items: list[Any]) -> list[tuple[int, float | None, int]]:
    time.sleep(0.01)  # so that the workers claim shares too, not only the calling thread
    return [(os.getpid(), _callcap.current(), _callcap.capped_ticks(10**9)) for _ in items]


@pytest.mark.slow
def test_bulk_worker_processes_carry_the_callers_cap() -> None:
    """``time.monotonic`` is one clock for the machine's processes: a worker gets the caller's
    end, and its calls' deadlines (epoch ticks) are cut to the time left, as in the caller."""
    if not _pool._forkable():
        pytest.skip("no fork")
    job = _pool.register(_cap_in_worker)
    try:
        end = time.monotonic() + 30
        with _callcap.capped_calls(end):
            got = _pool.run_bulk(job, list(range(40)), workers=2)
        uncapped = _pool.run_bulk(job, list(range(40)), workers=2)
    finally:
        _pool.unregister(job)
    workers = [(cap, ticks) for pid, cap, ticks in got if pid != os.getpid()]
    assert workers, "no share ran in a worker process"
    assert all(cap == end and ticks < 10**9 for cap, ticks in workers), workers[:3]
    assert all(cap is None and ticks == 10**9 for _, cap, ticks in uncapped), uncapped[:3]
