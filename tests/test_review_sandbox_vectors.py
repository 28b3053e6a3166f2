"""A vectors document is as untrusted as the module it comes with (a canary runs a fetched
set's vectors): a chunker case's generated input is bounded as a verifier case's is (2^24
bytes), so ``{"seed": 1, "length": 10**15}`` is an ``InvalidDocument`` at once, never a
Python loop growing a bytearray until the process dies."""

from __future__ import annotations

import time

import pytest

from autocodec.errors import InvalidDocument
from autocodec.loader import Sandbox, run_vectors
from tests._wat import small_limits, wat_module

BOUND = 1 << 24  # the verifier's input_len bound, docs/abi.md section 5


@pytest.fixture(scope="module")
def chunker():  # noqa: ANN201
    return Sandbox(small_limits()).load(wat_module("ok_fixed", "chunker"))


@pytest.mark.parametrize("length", [BOUND + 1, 10**15, -1], ids=["one-over", "huge", "negative"])
def test_a_generated_chunker_input_over_the_bound_is_refused_unmade(chunker, length: int) -> None:  # noqa: ANN001
    doc = {"kind": "chunker", "cases": [{"params": {"size": 4096}, "input": {"seed": 5, "length": length},
                                         "ends": [4096]}]}
    started = time.monotonic()
    with pytest.raises(InvalidDocument, match="length"):
        run_vectors(chunker, doc)
    assert time.monotonic() - started < 0.5


def test_a_generated_input_at_the_bound_still_runs(chunker) -> None:  # noqa: ANN001
    ends = list(range(1 << 20, BOUND + 1, 1 << 20))
    doc = {"kind": "chunker", "cases": [{"params": {"size": 1 << 20}, "input": {"seed": 5, "length": BOUND},
                                         "ends": ends}]}
    assert run_vectors(chunker, doc).ok
