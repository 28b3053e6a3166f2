"""The pieces of ``autocodec ls``'s output on their own (Kubo's whole output is compared in
tests/test_ls_kubo.py): Go's tabwriter alignment and go-humanize's sizes (the values Kubo printed for the same sizes in tests/test_ls_kubo.py)."""

from __future__ import annotations

import pytest

from autocodec.cli._tabwriter import align
from autocodec.cli.cmd_ls import _size


def test_columns_align_per_block_and_a_line_without_tabs_starts_a_new_block() -> None:
    text = "a\tbb\tx\nccc\td\ty\nhead:\nee\tf\tz\n"
    assert align(text) == "a   bb x\nccc d  y\nhead:\nee f z\n"


def test_the_text_after_the_last_tab_takes_no_part_and_minwidth_holds() -> None:
    assert align("1\tlong trailing text\n22\tx\n") == "1  long trailing text\n22 x\n"
    assert align("1\tname\n", minwidth=10) == "1         name\n"
    assert align("only text\n") == "only text\n"


def test_a_shorter_line_ends_the_column_block_of_the_longer_ones() -> None:
    # column 1 exists on lines 0 and 2 only: two blocks, each sized alone (as Go sizes them)
    assert align("a\tbbbbbb\tc\nd\te\nf\tg\th\n") == "a bbbbbb c\nd e\nf g h\n"


@pytest.mark.parametrize("size,text", [(0, "0 B"), (9, "9 B"), (10, "10 B"), (999, "999 B"), (1000, "1.0 kB"),
                                       (1049, "1.0 kB"), (1050, "1.1 kB"), (9950, "10 kB"), (99999, "100 kB"),
                                       (1250000, "1.3 MB"), (2999999, "3.0 MB"), (10**18, "1.0 EB")])
def test_human_sizes_are_go_humanizes(size: int, text: str) -> None:
    assert _size(size, True) == text
    assert _size(size, False) == str(size)
