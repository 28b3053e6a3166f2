"""Columns as Go's ``text/tabwriter`` aligns them, for the commands that print Kubo's tables.

Written from the package's documentation and its format rules (Go 1.26 ``text/tabwriter``):
a cell is text ended by a tab; the text after a line's last tab is no cell and takes no part in
the alignment. A column block is a run of consecutive lines that have a cell in that column;
its width is the widest cell in the block plus ``padding``, at least ``minwidth``; cells are
left-aligned and padded with spaces. A line without a tab ends every block (Go flushes there),
so the lines before and after it are aligned on their own. Widths count code points, as Go
counts runes (a byte that is not UTF-8, a surrogate escape here, is one rune there too).
Only the options Kubo uses are supported: space padding, no flags.
"""

from __future__ import annotations


def align(text: str, *, minwidth: int = 1, padding: int = 1) -> str:
    """``text`` (lines ending in ``\\n``, cells ended by ``\\t``) laid out as Go's tabwriter
    ``NewWriter(w, minwidth, tabwidth, padding, ' ', 0)`` writes it."""
    lines = text.split("\n")
    tail = lines.pop()  # the text after the last newline (usually "")
    out: list[str] = []
    block: list[list[str]] = []
    for line in lines:
        cells = line.split("\t")
        block.append(cells)
        if len(cells) == 1:  # no tab: Go flushes, so what follows is aligned afresh
            out += _format(block, minwidth, padding)
            block = []
    out += _format(block, minwidth, padding)
    return "".join(line + "\n" for line in out) + tail


def _format(lines: list[list[str]], minwidth: int, padding: int) -> list[str]:
    """Each line's cells padded to their column block's width (iteratively, column by column)."""
    widths: list[list[int]] = [[] for _ in lines]  # per line, the width of each of its cells
    # (column, first line, end line) blocks to size, starting with column 0 over all lines
    pending = [(0, 0, len(lines))]
    while pending:
        column, start, end = pending.pop()
        this = start
        while this < end:
            if column >= len(lines[this]) - 1:  # no cell in this column (the last text is none)
                this += 1
                continue
            first = this
            width = minwidth
            while this < end and column < len(lines[this]) - 1:
                width = max(width, len(lines[this][column]) + padding)
                this += 1
            for i in range(first, this):
                widths[i].append(width)
            pending.append((column + 1, first, this))
    out = []
    for cells, sizes in zip(lines, widths):
        padded = [cell.ljust(size) for cell, size in zip(cells, sizes)]
        out.append("".join(padded) + cells[-1])
    return out
