"""Columns as Go's ``text/tabwriter`` aligns them, for the commands that print Kubo's tables.

Written from the package's documentation and its format rules (Go 1.26 ``text/tabwriter``):
a cell is text ended by a tab (or a vertical tab, ``\\v``); the text after a line's last tab is
no cell and takes no part in the alignment. A column block is a run of consecutive lines that
have a cell in that column; its width is the widest cell in the block plus ``padding``, at least
``minwidth``; cells are left-aligned and padded with spaces. A line without a tab ends every
block (Go flushes there), so the lines before and after it are aligned on their own; a form feed
(``\\f``) ends a line and every block too, and is written as a newline. Widths count code
points, as Go counts runes (a byte that is not UTF-8, a surrogate escape here, is one rune there
too).

The byte 0xff (``\\udcff`` here, the surrogate escape of a name's byte) is Go's ``Escape``: text
from one 0xff to the next is part of the cell it is in, its tabs and newlines no cell or line
ends, and written as it is (both 0xff bytes too); its width is its runes less the two escape
bytes. An escape still open when the text ends is closed there (its width less two all the
same, as Go's ``Flush`` closes it). So a name holding a 0xff byte leaves the rest of Kubo's
table, up to a later 0xff, unaligned.
Only the options Kubo uses are supported: space padding, no flags.
"""

from __future__ import annotations

ESCAPE = "\udcff"  # Go's tabwriter.Escape, the byte 0xff, as a surrogate escape


class _Cell:
    __slots__ = ("text", "width")

    def __init__(self, text: str, width: int) -> None:
        self.text, self.width = text, width


def align(text: str, *, minwidth: int = 1, padding: int = 1) -> str:
    """``text`` (lines ending in ``\\n``, cells ended by ``\\t``) laid out as Go's tabwriter
    ``NewWriter(w, minwidth, tabwidth, padding, ' ', 0)`` writes it, then ``Flush``."""
    out: list[str] = []
    lines: list[list[_Cell]] = [[]]
    cell: list[str] = []  # the open cell's pieces
    width = 0  # the open cell's width so far (its escaped pieces counted when they close)
    start = 0  # where the text not yet added to the cell begins
    escape_at = -1  # where the open escape began, or -1

    def terminate() -> int:
        nonlocal cell, width
        lines[-1].append(_Cell("".join(cell), width))
        cell, width = [], 0
        return len(lines[-1])

    def flush() -> None:
        nonlocal lines
        out.append(_format(lines, minwidth, padding))
        lines = [[]]

    for i, ch in enumerate(text):
        if escape_at >= 0:
            if ch == ESCAPE:  # the escape ends: its runes less the two escape bytes
                cell.append(text[escape_at:i + 1])
                width += i + 1 - escape_at - 2
                start, escape_at = i + 1, -1
        elif ch in "\t\v\n\f":
            cell.append(text[start:i])
            width += i - start
            start = i + 1
            cells = terminate()
            if ch in "\n\f":
                lines.append([])
                if ch == "\f" or cells == 1:
                    flush()
        elif ch == ESCAPE:
            cell.append(text[start:i])
            width += i - start
            escape_at = i
    if escape_at >= 0:  # Flush closes an open escape
        cell.append(text[escape_at:])
        width += len(text) - escape_at - 2
    else:
        cell.append(text[start:])
        width += len(text) - start
    if any(cell):
        terminate()
    flush()
    return "".join(out)


def _format(lines: list[list[_Cell]], minwidth: int, padding: int) -> str:
    """The buffered lines, each cell padded to its column block's width (column by column, as
    Go's ``format``); a newline after each line but the last, which is the one still open."""
    widths: list[list[int]] = [[] for _ in lines]  # per line, the width of each of its cells
    pending = [(0, 0, len(lines))]  # (column, first line, end line) blocks to size
    while pending:
        column, begin, end = pending.pop()
        this = begin
        while this < end:
            if column >= len(lines[this]) - 1:  # no cell in this column (the last text is none)
                this += 1
                continue
            first = this
            size = minwidth
            while this < end and column < len(lines[this]) - 1:
                size = max(size, lines[this][column].width + padding)
                this += 1
            for i in range(first, this):
                widths[i].append(size)
            pending.append((column + 1, first, this))
    out = []
    for n, (cells, sizes) in enumerate(zip(lines, widths)):
        for j, cell in enumerate(cells):
            out.append(cell.text)
            if j < len(sizes):
                out.append(" " * max(0, sizes[j] - cell.width))
        if n + 1 < len(lines):
            out.append("\n")
    return "".join(out)
