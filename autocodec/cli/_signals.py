"""How a command ends by a signal: Ctrl-C, SIGTERM, SIGPIPE, and ``--timeout``'s SIGALRM.

Invariants: SIGTERM unwinds the command as Ctrl-C does (``Terminated``, a ``KeyboardInterrupt``),
once (a second one kills); ``--timeout`` unwinds it as ``TimedOut`` (not an ``Exception``); a
process interrupted, terminated or whose stdout's reader went away ends killed by that signal
after the exit handlers ran (``end_by_signal``), so a calling shell sees the signal; a signal
during shutdown is noted and acted on after the exit handlers (``_signalled_at_exit``, registered
when this module loads, before the loader's). Off the main thread no handler is changed.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import signal
import sys
import threading
from collections.abc import Iterator
from types import FrameType


READER_GONE = 128 + signal.SIGPIPE
"""The status of a command whose standard output's reader went away, as a shell reports a
process killed by SIGPIPE; ``main`` ends the process by that signal instead where it can."""


INTERRUPTED = 128 + signal.SIGINT


TERMINATED = 128 + signal.SIGTERM
"""The statuses ``_run`` gives an interrupted command, as a shell reports a process killed by
that signal; ``main`` then ends the process by the signal itself (``end_by_signal``)."""


_LATE_SIGNAL: list[int] = []
"""A SIGINT or SIGTERM that came while the program shut down (``_shutdown_signals``)."""


def _shutdown_signals() -> None:
    """From the command's end to the process's: Ctrl-C or SIGTERM no longer raises (an exit
    handler, such as the loader's stopping its workers, would print "Exception ignored" and a
    traceback, and the process exit 0); it is noted, the exit handlers finish, and then
    ``_signalled_at_exit`` says so in one line and ends the process by that signal, as for a
    signal during the command. A second one acts at once (the default)."""
    if threading.current_thread() is not threading.main_thread():
        return

    def noted(signum: int, _frame: FrameType | None) -> None:
        signal.signal(signum, signal.SIG_DFL)
        _LATE_SIGNAL.append(signum)

    for signum in (signal.SIGINT, signal.SIGTERM):
        if signal.getsignal(signum) not in (signal.SIG_IGN, None):
            signal.signal(signum, noted)


def _signalled_at_exit() -> None:
    """The last exit handler (registered when this module loads, before the loader's): a
    signal noted during shutdown (``_shutdown_signals``) gets its line, and the process ends by it."""
    if not _LATE_SIGNAL:
        return
    signum = _LATE_SIGNAL[0]
    with contextlib.suppress(OSError, ValueError, AttributeError):
        print(f"autocodec: {'terminated' if signum == signal.SIGTERM else 'interrupted'}", file=sys.stderr)
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(OSError, ValueError, AttributeError):
            stream.flush()
    signal.signal(signum, signal.SIG_DFL)
    os.kill(os.getpid(), signum)


atexit.register(_signalled_at_exit)


def _end_by_sigpipe() -> None:
    """End this process as killed by SIGPIPE, as a Go program (Kubo) is when a write to its
    standard output finds the pipe closed (Python ignores SIGPIPE from start-up): see
    ``end_by_signal``; ``main`` returns ``READER_GONE`` where it cannot."""
    end_by_signal(signal.SIGPIPE)


def end_by_signal(signum: int) -> None:
    """End this process killed by ``signum`` (SIGINT, SIGTERM, SIGPIPE), after the command has
    unwound (partial outputs removed, the store's transaction rolled back) and said so: the Unix
    convention, and what Python does on an uncaught KeyboardInterrupt, so that a calling shell
    sees the signal (a ``for`` loop stops at Ctrl-C) rather than an exit status. Exit handlers
    run first (the loader's worker processes are stopped); stdout and stderr are flushed.
    Returns only where the signal cannot be delivered now (off the main thread, or blocked by
    the caller): ``main`` then returns 128 + ``signum``."""
    if threading.current_thread() is not threading.main_thread():
        return
    with contextlib.suppress(Exception):
        atexit._run_exitfuncs()
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(OSError, ValueError, AttributeError):
            stream.flush()
    signal.signal(signum, signal.SIG_DFL)
    os.kill(os.getpid(), signum)


class Terminated(KeyboardInterrupt):
    """SIGTERM, raised where the command is, so that it unwinds as Ctrl-C does."""


@contextlib.contextmanager
def _sigterm_unwinds() -> Iterator[None]:
    """For the length of ``main``: SIGTERM raises ``Terminated`` in this process, once (the
    handler gives way to the default first, so a second SIGTERM kills). A forked child (the
    loader's workers) that receives it dies as by default; a SIGTERM the parent made us ignore
    stays ignored; off the main thread nothing changes (Python allows handlers only there)."""
    owner = os.getpid()

    def handler(signum: int, _frame: FrameType | None) -> None:
        signal.signal(signum, signal.SIG_DFL)
        if os.getpid() != owner:
            os.kill(os.getpid(), signum)
            return
        raise Terminated

    previous = signal.getsignal(signal.SIGTERM)
    if previous is signal.SIG_IGN or threading.current_thread() is not threading.main_thread():
        yield
        return
    signal.signal(signal.SIGTERM, handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, signal.SIG_DFL if previous is None else previous)


class TimedOut(BaseException):
    """``--timeout`` expired, raised where the command is, so that it unwinds as for Ctrl-C
    (partial outputs removed, transactions rolled back); not an ``Exception``, so nothing on the
    way catches it for an ordinary error."""


@contextlib.contextmanager
def _deadline(seconds: float | None) -> Iterator[None]:
    """For the length of the command: ``TimedOut`` once ``seconds`` have passed (SIGALRM, so a
    command waiting in a read, a fetch or a lock is woken). None: no deadline; zero or less: the
    deadline has passed already (``TimedOut`` at once). Off the main thread nothing is bounded
    (Python allows signal handlers only there)."""
    if seconds is None or threading.current_thread() is not threading.main_thread():
        yield
        return
    if seconds <= 0:
        raise TimedOut

    def expired(_signum: int, _frame: FrameType | None) -> None:
        raise TimedOut

    previous = signal.signal(signal.SIGALRM, expired)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
