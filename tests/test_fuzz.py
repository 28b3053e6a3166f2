"""The fuzzers in CI: every parser of untrusted bytes for a short fixed budget (issue 16
acceptance). A long run is ``python -m autocodec.fuzz`` (docs/fuzzing.md)."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings

from autocodec.fuzz import TARGETS
from autocodec.fuzz._targets import FuzzFailure, Target

BUDGET = 250  # examples per parser in CI


@pytest.mark.parametrize("name", sorted(TARGETS))
def test_fuzz_target(name: str) -> None:
    target = TARGETS[name]

    @settings(max_examples=BUDGET, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(target.strategy())
    def run(data: bytes) -> None:
        target.check(data)

    run()


def test_seeds_are_accepted_by_their_parsers() -> None:
    for name in ("dag-cbor", "dag-cbor-relaxed", "dag-json", "dag-pb", "car", "cid-text", "codec-code", "unixfs-data",
                 "http-range", "ucan-token", "ucan-chain", "ucan-policy", "ipvm-invocation", "ipvm-receipt", "key-file",
                 "ipvm-container", "ucan-signed"):
        target = TARGETS[name]
        target.parse(target.seeds[0])  # a valid seed, or the mutations would only ever test refusals


def test_the_checks_can_fail() -> None:
    def untyped(data: bytes) -> None:
        raise ValueError("boom")

    with pytest.raises(FuzzFailure, match="ValueError"):
        Target("x", untyped, (b"",)).check(b"abc")

    def slow(data: bytes) -> None:
        import time

        time.sleep(0.6)

    with pytest.raises(FuzzFailure, match="bound"):
        Target("x", slow, (b"",)).check(b"")
    stalls = [0.6]

    def stalled_once(data: bytes) -> None:  # a stall of the machine, not of the parser
        import time

        time.sleep(stalls.pop() if stalls else 0)

    Target("x", stalled_once, (b"",)).check(b"")
    assert not stalls
    with pytest.raises(FuzzFailure, match="round-trip"):
        Target("x", lambda d: d, (b"",), lambda d, v: d + b"!").check(b"a")


def test_the_long_run_reports_a_failure_it_cannot_replay_in_one_line(monkeypatch: pytest.MonkeyPatch,
                                                                    capsys: pytest.CaptureFixture[str]) -> None:
    from autocodec.fuzz import __main__ as long_run

    calls = [0]

    def fails_once(data: bytes) -> None:
        calls[0] += 1
        if calls[0] == 3:
            raise ValueError("boom")

    monkeypatch.setattr(long_run, "TARGETS", {"x": Target("x", fails_once, (b"",))})
    assert long_run.main(["--target", "x", "--examples", "50", "--seconds", "30"]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "x: FAILED after" in err and "not again when replayed" in err and "ValueError" in err, err


def test_the_long_run_stops_at_its_time_without_shrinking_the_stop(monkeypatch: pytest.MonkeyPatch,
                                                                   capsys: pytest.CaptureFixture[str]) -> None:
    """The stop at ``--seconds`` was an ``Exception`` raised in the test, which Hypothesis took
    for a failure and shrank (drawing input after input): ``--seconds 2`` ran 6-7 s. Now the
    first input past the time is the last one drawn, and Hypothesis prints no seed of its own."""
    from hypothesis import strategies as st

    from autocodec.fuzz import __main__ as long_run

    draws: list[bytes] = []

    class Counted(Target):
        def strategy(self) -> Any:
            return st.binary().map(lambda data: draws.append(data) or data)

    monkeypatch.setattr(long_run, "TARGETS", {"x": Counted("x", lambda d: d, (b"",))})
    assert long_run.main(["--target", "x", "--seconds", "0"]) == 0
    out = capsys.readouterr()
    assert len(draws) == 1, len(draws)
    assert out.out.startswith("x: 0 inputs in ") and "@seed" not in out.out + out.err, out
