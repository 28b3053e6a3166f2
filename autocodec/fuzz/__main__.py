"""``python -m autocodec.fuzz [--target NAME ...] [--examples N] [--seconds S]``: a long fuzz run.

Runs each target until it has tried ``--examples`` inputs or spent ``--seconds`` (whichever
comes first), prints one line per target, exits 1 on the first broken contract (the failing
input is shrunk by Hypothesis and printed; no example database is written, so replay it from
the printed input). A target may run past ``--seconds`` while Hypothesis shrinks a failure or
finishes the example in hand, never while it shrinks the stop itself (``_Done`` is no
``Exception``, which Hypothesis would take for a failure to shrink: ``--seconds 2`` ran 6-7 s).
A failure names the run's seed.
"""

from __future__ import annotations

import argparse
import random
import sys
import time

from . import TARGETS
from ._targets import FuzzFailure


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m autocodec.fuzz", description=__doc__.splitlines()[0])
    parser.add_argument("--target", action="append", choices=sorted(TARGETS), help="repeatable; default: all")
    parser.add_argument("--examples", type=int, default=100_000)
    parser.add_argument("--seconds", type=float, default=600.0, help="per target")
    args = parser.parse_args(argv)
    from hypothesis import HealthCheck, given, seed, settings

    for name in args.target or sorted(TARGETS):
        target = TARGETS[name]
        count = [0]
        started = time.monotonic()
        run_seed = random.getrandbits(64)  # ours, so Hypothesis prints no seed of its own when time is up

        class _Done(BaseException):  # not an Exception: Hypothesis lets it through at once, shrinking nothing
            pass

        @seed(run_seed)
        @settings(max_examples=args.examples, deadline=None, database=None,
                  suppress_health_check=list(HealthCheck))
        @given(target.strategy())
        def run(data: bytes) -> None:
            if time.monotonic() - started > args.seconds:  # noqa: B023 - run() is called in this iteration
                raise _Done
            count[0] += 1  # noqa: B023 - same
            target.check(data)  # noqa: B023 - same

        try:
            run()
        except _Done:
            pass
        except ExceptionGroup as group:  # Hypothesis replaying the input that met the time limit, or a flaky failure
            failed = _first_failure(group)
            if failed is not None:
                print(f"{name}: FAILED after {count[0]} inputs (not again when replayed; seed {run_seed}): {failed}",
                      file=sys.stderr)
                return 1
            if group.subgroup(lambda e: not isinstance(e, (_Done, ExceptionGroup))) is not None:  # noqa: B023
                raise
        except AssertionError as exc:
            print(f"{name}: FAILED after {count[0]} inputs (seed {run_seed}): {exc}", file=sys.stderr)
            return 1
        print(f"{name}: {count[0]} inputs in {time.monotonic() - started:.1f} s, no broken contract")
    return 0


def _first_failure(group: BaseExceptionGroup[BaseException]) -> FuzzFailure | None:
    """The first broken contract inside ``group`` (Hypothesis wraps one it could not replay)."""
    for exc in group.exceptions:
        if isinstance(exc, FuzzFailure):
            return exc
        if isinstance(exc, BaseExceptionGroup):
            found = _first_failure(exc)
            if found is not None:
                return found
    return None


if __name__ == "__main__":
    sys.exit(main())
