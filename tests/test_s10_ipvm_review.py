"""Review of the s10 IPVM audit's commits: costs its rewrites left (each test fails on the code
before its fix).

A pipeline file's job of many arguments awaiting many jobs is read once an argument, an
invocation's awaits are listed in linear time, and the executor's memo of invocations' shapes is
bounded by the awaits it holds, not only by its entry count.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import pytest

from autocodec.cid import CID
from autocodec.ipvm import Executor, Invocation, load_pipeline
from autocodec.ipvm import _executor, _pipeline
from autocodec.registry import Runtime
from tests._ipvm_home import DOC, ipvm_runtime
from tests._select_home import SELECT_CID


@pytest.fixture
def rt(home: Path) -> Any:
    with ipvm_runtime(home) as runtime:
        yield runtime


def _fake(i: int) -> CID:
    """A dag-cbor CID no block is stored under."""
    return CID(b"\x01\x71\x12\x20" + hashlib.sha256(str(i).encode()).digest())


def test_a_pipeline_job_of_many_arguments_awaiting_many_jobs_reads_each_argument_once(
        rt: Runtime, monkeypatch: pytest.MonkeyPatch) -> None:
    # 335920c: load_pipeline's stack read a job's arguments from the first again after each job it
    # awaits was made: arguments x awaits reads (255 awaits after 20 000 plain arguments: 0.53 s
    # CPU, 0.09 before it). The result sorts first, so its awaits are made from its arguments.
    plain, width = 300, 50
    job = {"module": str(SELECT_CID), "func": "select"}
    doc: dict[str, Any] = {"jobs": {f"z{i:02d}": {**job, "args": [DOC, "", i]} for i in range(width)},
                           "result": "a"}
    doc["jobs"]["a"] = {**job, "args": [*range(plain), *({"await/ok": f"z{i:02d}"} for i in range(width))]}
    real = _pipeline.special
    read: list[int] = []

    def counted(arg: Any) -> Any:
        read.append(1)
        return real(arg)

    monkeypatch.setattr(_pipeline, "special", counted)
    pipeline = load_pipeline(Executor(rt), doc)
    assert Executor(rt).invocation(pipeline.target).awaits == [pipeline.invocations[f"z{i:02d}"] for i in range(width)]
    arguments = plain + width + 3 * width
    # read by the reachability check, the wait for awaits (an await again once made), the invocation
    assert len(read) <= 3 * arguments + width, len(read)  # on the old code 17 000


def test_an_invocations_awaits_are_listed_without_comparing_each_with_every_other(
        monkeypatch: pytest.MonkeyPatch) -> None:
    # Invocation.awaits kept them once by `not in` a list: n^2/2 comparisons (a 4 MiB block of
    # 75 000 distinct awaits: 240 s CPU per call; _collect and the memo each ask for it).
    n = 2000
    invocation = Invocation(SELECT_CID, "select", [{"await/ok": _fake(i)} for i in range(n)] + [{"await/ok": _fake(0)}])
    real = CID.__eq__
    compared: list[int] = []

    def counted(self: CID, other: object) -> bool:
        compared.append(1)
        return real(self, other)

    monkeypatch.setattr(CID, "__eq__", counted)
    found = invocation.awaits
    assert found == [_fake(i) for i in range(n)]  # in order, the repeated one once
    assert len(compared) <= 2 * n + 10, len(compared)


def test_the_memo_of_invocation_shapes_holds_a_bounded_number_of_awaits(rt: Runtime) -> None:
    # 335920c bounded the memo to 4096 invocations whatever each awaits: invocations of up to
    # max_jobs awaits each made it ~130 MB in a serving executor (~125 bytes a CID kept).
    ex = Executor(rt)
    bound = getattr(_executor, "_MEMO_SHAPE_AWAITS", 1 << 17)
    wide = Invocation(SELECT_CID, "select", [{"await/ok": _fake(i)} for i in range(4000)])
    for key in range(bound // 4000 + 8):
        ex._remember(_fake(-1 - key), wide)
    held = sum(len(awaited) for _, awaited in ex._shapes.values())
    assert 0 < held <= bound, held
    assert ex._shape(_fake(-1 - bound // 4000 - 7)) == (SELECT_CID, tuple(wide.awaits))  # the newest is kept
    assert ex._shape(_fake(-1)) is None  # the oldest went (and no block is stored under it)
    huge = Invocation(SELECT_CID, "select", [{"await/ok": _fake(i)} for i in range(bound + 1)])
    ex._remember(_fake(-10**6), huge)  # alone over the bound: not kept
    assert sum(len(awaited) for _, awaited in ex._shapes.values()) <= bound
