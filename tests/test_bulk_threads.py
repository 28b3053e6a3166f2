"""``autocodec.loader._threads.spread``: bulk work cut into pieces on threads of this process."""

from __future__ import annotations

import threading

import pytest

from autocodec.loader import _threads


def _doubled(piece: list[int]) -> list[int]:
    return [2 * x for x in piece]


@pytest.mark.parametrize("n", [0, 1, 63, 64, 65, 127, 128, 1000, 4097])
@pytest.mark.parametrize("workers", [1, 2, 3, 8])
def test_the_result_is_the_serial_one_in_input_order(n: int, workers: int) -> None:
    items = list(range(n))
    assert _threads.spread(_doubled, items, workers, min_piece=64) == _doubled(items)
    assert _threads.spread(_doubled, iter(items), workers) == _doubled(items)  # any iterable


def test_every_item_is_given_to_exactly_one_piece_and_the_input_is_left_alone() -> None:
    items = list(range(10_000))
    seen: list[int] = []
    lock = threading.Lock()

    def record(piece: list[int]) -> list[int]:
        with lock:
            seen.extend(piece)
        return piece

    assert _threads.spread(record, items, 2) == list(range(10_000))
    assert sorted(seen) == items == list(range(10_000))
    assert len(seen) > 10_000 // (2 * _threads.PIECES_PER_WORKER) > 1  # cut into pieces, not one call


def test_a_piece_with_the_wrong_number_of_results_is_refused() -> None:
    """The results are put in place piece by piece: a short (or long) answer would shift every
    result after it."""
    with pytest.raises(ValueError, match="results for a piece of"):
        _threads.spread(lambda piece: piece[1:], list(range(1000)), 2)


def test_the_first_failure_in_input_order_is_raised_and_no_piece_starts_after_it() -> None:
    started: list[int] = []
    gate = threading.Event()

    def fail_in_places(piece: list[int]) -> list[int]:
        started.append(piece[0])
        if piece[0] == 0:  # the first piece fails last, after another has failed
            gate.wait(5)
            raise KeyError("first")
        if piece[0] >= 500:
            gate.set()
            raise KeyError("later")
        return piece

    with pytest.raises(KeyError, match="first"):
        _threads.spread(fail_in_places, list(range(1000)), 2)
    # pieces are claimed in order; after the failures nothing more started
    assert started[0] == 0 and max(started) < 1000 - 1000 // (2 * _threads.PIECES_PER_WORKER) + 1
    assert len(started) < 2 * _threads.PIECES_PER_WORKER
