"""A failed command's one line on stderr, and its exit status.

Invariants: every message is one line, control characters stripped (``_text.clean``), prefixed
``autocodec:``, naming the cause and what to do next; exit 1 for an error, 128 + the signal for
an interrupted command or a reader gone away (``_signals``). No traceback.
"""

from __future__ import annotations

import argparse
import contextlib
import errno
import sys

from ..errors import AutocodecError
from ._signals import INTERRUPTED, READER_GONE, TERMINATED, Terminated


def _fail(text: str) -> int:
    from ._text import clean

    print(f"autocodec: {clean(text)}", file=sys.stderr)
    return 1


def _timed_out(given: str) -> int:
    """The one line of a command stopped by ``--timeout``; exit 1, as Kubo 0.43.1 (``Error: timed out``)."""
    return _fail(f"Timeout: timed out: the command ran longer than --timeout {given} allows "
                 "(give it longer, or leave --timeout out)")


def _interrupted(exc: KeyboardInterrupt) -> int:
    """One line and ``TERMINATED`` for SIGTERM, ``INTERRUPTED`` for Ctrl-C."""
    if isinstance(exc, Terminated):
        print("autocodec: terminated", file=sys.stderr)
        return TERMINATED
    print("autocodec: interrupted", file=sys.stderr)
    return INTERRUPTED


def _stdout_failed(exc: OSError) -> int:
    """Exit 1 for output that could not be written: one line for a full disk or a closed stdout;
    ``READER_GONE`` and no line for a reader that went away (a closed pipe); stdout is silenced
    so the interpreter's exit does not retry."""
    from ._io import silence_stdout

    if exc.errno == errno.EBADF and sys.stdout is None:  # closed (``Parser``): said as for a command's output
        return _fail("InvalidInput: standard output is closed (send the output to a file or a pipe)")
    if isinstance(exc, BrokenPipeError) and _stdout_reader_gone():
        return READER_GONE
    with contextlib.suppress(OSError, ValueError):
        silence_stdout()
    return _fail(f"OutputError: cannot write standard output: {exc.strerror or exc} "
                 "(free space where the output goes, or send it elsewhere)")


def _stdout_reader_gone() -> bool:
    """Whether standard output's reader went away; if so stdout is silenced (nothing retries)."""
    from ._io import reader_went_away, stdout_reader_gone

    if not stdout_reader_gone():
        return False
    with contextlib.suppress(OSError, ValueError):
        reader_went_away()
    return True


_NEXT_STEPS = {
    errno.EACCES: "give this user access to it, or point the command at another path or home",
    errno.EPERM: "give this user access to it, or point the command at another path or home",
    errno.ENOSPC: "free space there, or write elsewhere",
    errno.EDQUOT: "free space there, or write elsewhere",
    errno.EROFS: "that file system is read-only: write elsewhere",
    errno.ENOENT: "check the path",
    errno.ENOTDIR: "check the path",
    errno.EISDIR: "name a file, not a folder",
}


def _next_step(exc: OSError) -> str:
    """What to do about a file, socket or folder error no command turned into its own message
    (``_run``'s last resort): by its ``errno``, else check and run again."""
    return _NEXT_STEPS.get(exc.errno or 0, "check the paths and addresses the command uses, then run it again")


def _fit_hint(exc: AutocodecError, args: argparse.Namespace) -> None:
    """Make a missing block's hint name what this command can do about it; offline, an IPNS
    name with no kept record says that only kept records answer."""
    from ..errors import BlockNotFound, NotFound

    if args.offline and type(exc) is NotFound and "IPNS record" in exc.message:
        exc.hint = "--offline answers from the records kept in this home only; resolve the name once online to keep it"
        return
    if type(exc) is not BlockNotFound or type(exc).hint != exc.hint:
        return
    if not hasattr(args, "node"):
        exc.hint = "this command reads the local store only: put, import or fetch the block first"
    elif not (args.node or getattr(args, "gateway", None)):
        exc.hint = "put or import the block, or fetch it with --node ADDR or --gateway URL"
    else:
        exc.hint = "no source given has it; check the CID, or try another --node/--gateway"


def _undecodable_argument(exc: UnicodeEncodeError) -> bool:
    """Whether ``exc`` is about bytes of the command line that are not UTF-8: Python hands them
    over as lone surrogates (``surrogateescape``), which a file path may hold but SQLite, JSON or
    a name may not."""
    return isinstance(exc.object, str) and any(0xDC80 <= ord(c) <= 0xDCFF for c in exc.object[exc.start:exc.end])


def _timeout_given(args: argparse.Namespace) -> str:
    """``--timeout``'s value as Go writes a duration (``1m30s``), for the message."""
    from .._gotime import NS, format_duration

    return format_duration(round(args.command_timeout * NS))
