"""Command-line input and output helpers shared by the block commands.

Invariants: input is read with a byte cap (never unbounded into memory); a missing or
unreadable file is an ``InvalidInput``; a closed stdout (``| head``) ends the command quietly
instead of printing a traceback at interpreter exit.
"""

from __future__ import annotations

import os
import sys
from typing import BinaryIO

from ..errors import InvalidBlock, InvalidInput


def open_input(path: str | None) -> BinaryIO:
    """A binary stream for ``path`` (``-`` or None: stdin); ``InvalidInput`` if unreadable."""
    if path in (None, "-"):
        return sys.stdin.buffer
    try:
        return open(path, "rb")  # noqa: SIM115 (the caller closes it)
    except OSError as exc:
        raise InvalidInput(f"cannot read {path}: {exc.strerror or exc}", hint="check the path") from None


def read_input(path: str | None, limit: int, what: str = "block") -> bytes:
    """All bytes of ``path`` (or stdin), refusing more than ``limit`` bytes."""
    stream = open_input(path)
    try:
        data = stream.read(limit + 1)
    except OSError as exc:
        raise InvalidInput(f"cannot read {path or 'stdin'}: {exc.strerror or exc}") from None
    finally:
        if stream is not sys.stdin.buffer:
            stream.close()
    if len(data) > limit:
        raise InvalidBlock(
            f"the {what} is over the {limit}-byte limit",
            hint="split it (e.g. into a UnixFS DAG) or raise limits.decode.max_block_bytes",
        )
    return data


def write_stdout(data: bytes) -> None:
    """Write bytes to stdout; on a closed pipe, silence stdout and re-raise BrokenPipeError."""
    out = sys.stdout.buffer
    view = memoryview(data)
    try:
        sys.stdout.flush()
        while view:  # a write interrupted by the reader going away returns short: loop
            written = out.write(view)
            if written is None:
                raise BlockingIOError("stdout is non-blocking and full")
            view = view[written:]
        out.flush()
    except BrokenPipeError:
        silence_stdout()
        raise


def silence_stdout() -> None:
    """Point stdout at /dev/null so the interpreter's final flush cannot fail again."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())
    os.close(devnull)


def write_line(text: str) -> None:
    """One line of text output, control characters stripped (it may carry untrusted names);
    a name's bytes that are not UTF-8 (surrogate escapes) are written as the bytes they are."""
    from ._text import clean

    write_stdout((clean(text) + "\n").encode("utf-8", "surrogateescape"))
