"""A command's missing argument read from standard input, as Kubo 0.43.1's command line reads it.

Kubo's commands whose argument is marked to come from stdin (``ipfs cat``, ``ipfs dag get``...)
take it from standard input when the command line has none and stdin is not a terminal:
``echo CID | ipfs cat`` prints the file. Each line is one argument, as written (a line's end,
``\\n`` or ``\\r\\n``, is dropped; spaces are kept, so ``"  CID"`` is refused as a path, as
Kubo refuses it); a command taking one argument reads the first line only. Empty stdin, or a
terminal, leaves the argument missing: the usual usage error. Measured against Kubo 0.43.1 in
tests/test_review_cli_edges.py.

Invariant: nothing is read from stdin unless the command is in ``STDIN_ARGUMENTS`` and its
command line lacks the argument; one line is at most ``MAX_LINE`` bytes.
"""

from __future__ import annotations

import sys

STDIN_ARGUMENTS = {
    "cat": True, "ls": True, "refs": True, "dag stat": True,  # variadic: every line
    "block get": False, "block stat": False, "dag get": False, "dag resolve": False,
    "dag export": False, "get": False, "resolve": False,  # one argument: the first line
}
"""The commands (as ``autocodec COMMAND`` names them) whose missing argument Kubo 0.43.1 reads
from stdin, and whether they take several (each line one)."""

MAX_LINE = 1 << 20
"""The longest line taken as an argument (a path this long is refused anyway)."""


def stdin_arguments(command: str) -> list[str]:
    """The arguments on stdin for ``command`` (see the module): none when stdin is closed, a
    terminal or empty; ``InvalidInput`` for a line over ``MAX_LINE`` bytes."""
    from ..errors import InvalidInput
    from ._io import stdin_binary

    if sys.stdin is None or sys.stdin.isatty():
        return []
    stream = stdin_binary()
    found: list[str] = []
    while line := stream.readline(MAX_LINE + 1):  # a line without end (< /dev/zero) is cut, not held whole
        if len(line) > MAX_LINE and not line.endswith(b"\n"):
            raise InvalidInput(f"a line of standard input is over {MAX_LINE} bytes, far longer than any path",
                               hint="give one CID or path per line")
        found.append(line.removesuffix(b"\n").removesuffix(b"\r").decode("utf-8", "surrogateescape"))
        if not STDIN_ARGUMENTS[command]:
            break
    return found
