"""Review of 8445a54..184a588 (trust snapshot, generations, IPNS publish, module errors): one
row per defect found, each failing on 184a588.

Real SQLite homes and a real published set (``tests._trust_world``); nothing is mocked.
"""

from __future__ import annotations

import math
from pathlib import Path

from autocodec.ipvm import Executor, Invocation
from autocodec.registry import Runtime
from tests._trust_world import build


def test_an_ipvm_module_load_ends_its_generation_at_the_decisions_expiry(tmp_path: Path) -> None:
    """The executor memoizes a job's loaded module per generation (``_load``); the decision that
    allowed it expires, so the generation must end then, as it does for ``_is_trusted``'s memo.
    On 184a588 the load noted nothing: a job that failed before its receipt's trust check (an
    unknown function) left the loaded module memoized in a generation that never ends (no 60 s
    restart any more), and every later job ran the expired module's code."""
    world = build(tmp_path)
    with Runtime(world.user_home, default_set=False) as rt:
        decision = rt.trust.decide_module(world.task_module)
        assert decision is not None and decision.valid_until is not None
        gen = rt.generation()
        assert gen.expires_at == math.inf
        Executor(rt)._load(Invocation(world.task_module, "no-such-function"))
        assert rt.generation() is gen
        assert gen.expires_at == decision.valid_until  # 184a588: inf
