"""Command-line input and output helpers shared by the commands.

Invariants: input is read with a byte cap (never unbounded into memory); a missing or
unreadable file is an ``InvalidInput``; a closed stdout (``| head``) ends the command quietly
instead of printing a traceback at interpreter exit, and is remembered (``stdout_reader_gone``:
the command line then ends as killed by SIGPIPE, as Kubo does); a standard stream whose descriptor was
closed (``<&-``, ``>&-``) is an ``InvalidInput`` when a command uses it (``guard_std_streams``).

Outputs named by ``-o`` (``open_output``): a regular file (or a new one) is written to a
temporary file beside it and renamed over it only when complete, so a failure leaves what
was there untouched and nothing else behind; a symlink is followed (the file it points to is
replaced, in that file's folder, and the link stays); a character device, FIFO or socket is
written straight through (never replaced); a folder, an empty path or a missing parent folder
is refused before anything is written; bytes that cannot be written are an ``OutputError``
naming the output (also when the disk or the file size limit is met by a write that went to
the file's descriptor directly). ``LazyOutput`` (streamed outputs: ``bao decode``...) writes a
regular file the same way, so a command that fails or is interrupted part-way leaves no file
that looks whole. The temporary file (``.NAME.????????.part``) is locked while it is written;
one a killed command left (SIGKILL leaves it) is removed by the next write of that output once
a minute old, never one a running command holds (``autocodec._partfiles``).
"""

from __future__ import annotations

import contextlib
import errno
import os
import select
import stat
import sys
from collections.abc import Callable, Iterable, Iterator
from typing import Any, BinaryIO, NoReturn, cast

from ..errors import InvalidInput, OutputError


class ClosedStream:
    """Stands in for ``sys.stdin``/``sys.stdout`` when the process started with that descriptor
    closed: any read or write is an ``InvalidInput`` (one line), never an ``AttributeError``."""

    closed = False

    def __init__(self, which: str) -> None:
        self.which = which

    def _refuse(self, *_args: Any, **_kwargs: Any) -> NoReturn:
        hint = ("give the data as a file, or pipe it in" if self.which == "input"
                else "send the output to a file or a pipe")
        raise InvalidInput(f"standard {self.which} is closed", hint=hint)

    read = read1 = readinto = readline = readlines = write = writelines = fileno = _refuse

    def __iter__(self) -> Iterator[bytes]:
        self._refuse()

    @property
    def buffer(self) -> ClosedStream:
        return self

    def flush(self) -> None:
        return None

    def close(self) -> None:
        return None

    def isatty(self) -> bool:
        return False

    def readable(self) -> bool:
        return self.which == "input"

    def writable(self) -> bool:
        return self.which == "output"

    def seekable(self) -> bool:
        return False


@contextlib.contextmanager
def guard_std_streams() -> Iterator[None]:
    """For the length of a command: a standard descriptor that was closed is held open on
    /dev/null (so no file the command opens lands on it), and the stream Python left as None is
    a ``ClosedStream`` (stdin, stdout) or writes to /dev/null (stderr: nothing to report to)."""
    saved = sys.stdin, sys.stdout, sys.stderr
    for fd in (0, 1, 2):
        try:
            os.fstat(fd)
        except OSError:
            held = os.open(os.devnull, os.O_RDWR)
            if held != fd:
                os.dup2(held, fd)
                os.close(held)
    devnull = None
    try:
        if sys.stdin is None:
            sys.stdin = cast(Any, ClosedStream("input"))
        if sys.stdout is None:
            sys.stdout = cast(Any, ClosedStream("output"))
        if sys.stderr is None:  # print(file=None) would write to stdout: send it nowhere instead
            devnull = open(os.devnull, "w")  # noqa: SIM115 (closed below)
            sys.stderr = devnull
        yield
    finally:
        sys.stdin, sys.stdout, sys.stderr = saved
        if devnull is not None:
            devnull.close()


def stdin_binary() -> BinaryIO:
    """``sys.stdin.buffer``; ``InvalidInput`` if standard input is closed. When a parent left
    it non-blocking, a reader of it that waits for data (``waiting_reader``): no command may take
    "nothing yet" for the end of its input."""
    global _stdin_reader
    from .._nonblocking import waiting_reader

    stream = sys.stdin
    if stream is None:
        ClosedStream("input")._refuse()
    tell_reading_stdin()
    if _stdin_reader is None or _stdin_reader[0] is not stream:
        _stdin_reader = (stream, waiting_reader(cast(BinaryIO, stream.buffer)))
    return _stdin_reader[1]


def tell_reading_stdin() -> None:
    """Say once on stderr, when standard input is a terminal, that the command waits for it
    (Kubo says so too): a command given no file otherwise waits without a word."""
    global _told
    stream = sys.stdin
    if _told or stream is None or isinstance(stream, ClosedStream):
        return
    try:
        terminal = stream.isatty()
    except (OSError, ValueError):
        return
    if terminal:
        _told = True
        sys.stderr.write("autocodec: reading from standard input; send Ctrl-D to stop.\n")
        sys.stderr.flush()


_told = False
"""Whether ``tell_reading_stdin`` has spoken in this process."""

_stdin_reader: tuple[Any, BinaryIO] | None = None
"""``sys.stdin`` and the reader ``stdin_binary`` gave for it (one reader: a second would lose
what the first one buffered)."""


def stdout_binary() -> BinaryIO:
    """``sys.stdout.buffer``; ``InvalidInput`` if standard output is closed."""
    stream = sys.stdout
    if stream is None:
        ClosedStream("output")._refuse()
    return cast(BinaryIO, stream.buffer)


def open_input(path: str | None, what: str = "") -> BinaryIO:
    """A binary stream for ``path`` (``-`` or None: stdin); ``InvalidInput`` if unreadable
    (``cannot read WHAT PATH``)."""
    if path in (None, "-"):
        return stdin_binary()
    assert path is not None
    if path == "":
        raise InvalidInput("the input path is empty", hint="name a file, or - for standard input")
    try:
        return open(path, "rb")  # noqa: SIM115 (the caller closes it)
    except OSError as exc:
        name = f"{what} {path}" if what else path
        raise InvalidInput(f"cannot read {name}: {exc.strerror or exc}", hint="check the path") from None


def checked_read(stream: BinaryIO, path: str | None) -> Callable[[int], bytes]:
    """``stream.read``, with a read error an ``InvalidInput`` naming the file (or stdin)."""
    where = "standard input" if path in (None, "-") else path

    def read(size: int) -> bytes:
        from .._nonblocking import read_upto

        try:
            return read_upto(stream, size)  # a non-blocking stdin is waited for, never cut short
        except OSError as exc:
            raise InvalidInput(f"cannot read {where}: {exc.strerror or exc}", hint="check the input") from None

    return read


def read_bounded(path: str | None, limit: int, what: str = "") -> tuple[bytes, bool]:
    """The first ``limit`` bytes of ``path`` (or stdin) and whether it holds more: never more
    than ``limit + 1`` bytes are read, whatever the file (``/dev/zero`` too)."""
    from .._nonblocking import read_upto

    stream = open_input(path, what)
    try:
        data = read_upto(stream, limit + 1)  # a non-blocking stdin is waited for, never cut short
    except OSError as exc:
        where = "standard input" if path in (None, "-") else path
        raise InvalidInput(f"cannot read {where}: {exc.strerror or exc}") from None
    finally:
        if path not in (None, "-"):
            stream.close()
    return data[:limit], len(data) > limit


BLOCK_HINT = "split it (e.g. into a UnixFS DAG) or raise max_block_bytes under [limits.decode] in config.toml"
"""What to do about an input that becomes one block and is over ``limits.decode.max_block_bytes``."""

DOCUMENT_HINT = ("split it into documents that link to each other, or raise max_block_bytes under [limits.decode] "
                 "in config.toml")
"""What to do about a document (``dag put``, ``encode``) whose block would be over the same limit."""


@contextlib.contextmanager
def reading_document(codec: str) -> Iterator[None]:
    """A document the user gave (``encode``, ``dag put``) that does not decode is the user's to
    fix: ``InvalidBlock``'s own hint speaks of blocks fetched from elsewhere. Subclasses (a
    guest's error) keep theirs."""
    from ..errors import InvalidBlock

    try:
        yield
    except InvalidBlock as exc:
        if type(exc) is not InvalidBlock:
            raise
        raise InvalidBlock(exc.message, hint=f"fix the input: it is read as {codec}") from None


def read_input(path: str | None, limit: int, what: str, *, hint: str,
               error: type[InvalidInput] = InvalidInput) -> bytes:
    """All bytes of ``path`` (or stdin); more than ``limit`` bytes is ``error`` naming ``what``
    with ``hint``: each caller says what fits its input (a block can be split, a token cannot)."""
    data, more = read_bounded(path, limit)
    if more:
        raise error(f"the {what} is over the {limit}-byte limit", hint=hint)
    return data


def read_module_file(path: str, cap: int) -> bytes:
    """A Wasm module file's bytes (``-``: stdin), ``ModuleTooLarge`` past ``cap`` bytes (the
    home's ``limits.sandbox.max_module_bytes``: ``_runtime.home_limits``)."""
    from ..errors import ModuleTooLarge

    data, more = read_bounded(path, cap, "module")
    if more:
        raise ModuleTooLarge(f"{path} is over the {cap}-byte module cap")
    return data


def write_stdout(data: bytes | memoryview) -> None:
    """Write bytes to stdout; on a closed pipe, silence stdout and re-raise BrokenPipeError; a
    full disk is ``OutputError`` naming standard output (``streaming_stdout``)."""
    with streaming_stdout() as out:
        sys.stdout.flush()
        view = memoryview(data)
        while view:  # a write interrupted by the reader going away returns short: loop
            written = out.write(view)
            if written is None:
                raise BlockingIOError("stdout is non-blocking and full")
            view = view[written:]


@contextlib.contextmanager
def streaming_stdout() -> Iterator[BinaryIO]:
    """Standard output for a command that streams to it (``car export``, ``dag export``,
    ``bao encode -``), flushed at the end (a non-blocking one waited for while full). As
    ``write_stdout``: a closed pipe silences stdout and re-raises ``BrokenPipeError``; a full
    disk is ``OutputError`` naming standard output. Only writes may happen inside: any
    ENOSPC/EFBIG/EDQUOT raised there is taken for the output's."""
    from .._nonblocking import flush_all

    out = stdout_binary()
    try:
        yield cast(BinaryIO, WholeWrites(out))
        flush_all(out)
    except BrokenPipeError:
        reader_went_away()
        raise
    except OSError as exc:
        if exc.errno not in _FULL:
            raise
        raise _stdout_full(exc) from None


class WholeWrites:
    """``stream`` whose ``write`` hands over every byte or raises (``write_all``), returning
    their number; everything else is the stream's. Unbuffered (``PYTHONUNBUFFERED``, ``-u``),
    ``sys.stdout.buffer`` is a raw file whose write meeting a full disk returns a short count
    without an error: a caller that ignored it lost the rest silently and exited 0."""

    def __init__(self, stream: Any) -> None:
        self._stream = stream

    def write(self, data: Any) -> int:
        from .._nonblocking import write_all

        view = memoryview(data)
        write_all(self._stream, view)
        return view.nbytes

    def writelines(self, lines: Any) -> None:
        for line in lines:
            self.write(line)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._stream, name)


def _stdout_full(exc: OSError) -> OutputError:
    from ..store._size_limit import efbig_limit, raise_limit_hint

    silence_stdout()  # what is still buffered cannot be written at exit either
    if (limit := efbig_limit(exc)) is not None:
        return OutputError(f"cannot write standard output: {exc.strerror or exc}",
                           hint=f"{raise_limit_hint(limit)}, or send it elsewhere")
    return OutputError(f"cannot write standard output: {exc.strerror or exc}",
                       hint="free space where the output goes, or send it elsewhere")


def silence_stdout() -> None:
    """Point stdout at /dev/null so the interpreter's final flush cannot fail again."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())
    os.close(devnull)


_reader_gone = False
"""Whether a write to standard output met a closed pipe in this process (``reader_went_away``)."""


def reader_went_away() -> None:
    """Standard output's reader went away (a write met EPIPE): remember it, and silence stdout."""
    global _reader_gone
    _reader_gone = True
    silence_stdout()


def stdout_reader_gone() -> bool:
    """Whether standard output's reader went away: a write here met a closed pipe
    (``reader_went_away``), or descriptor 1 is a pipe or socket whose other end is closed (a
    ``BrokenPipeError`` from a write that bypassed these helpers). A broken pipe elsewhere (a
    node's connection, a FIFO named by ``-o``) is none of these."""
    if _reader_gone:
        return True
    try:
        mode = os.fstat(1).st_mode
    except OSError:
        return False
    if not (stat.S_ISFIFO(mode) or stat.S_ISSOCK(mode)):
        return False
    poller = select.poll()
    poller.register(1, 0)  # POLLERR and POLLHUP are reported whatever is asked
    return any(events & (select.POLLERR | select.POLLHUP) for _fd, events in poller.poll(0))


def write_line(text: str) -> None:
    """One line of text output, control characters stripped (it may carry untrusted names);
    a name's bytes that are not UTF-8 (surrogate escapes) are written as the bytes they are."""
    from ._text import clean

    write_stdout((clean(text) + "\n").encode("utf-8", "surrogateescape"))


def write_lines(texts: Iterable[str], *, batch: int = 1024) -> None:
    """Lines of plain text (CIDs and the like, not cleaned: see ``write_line`` for untrusted
    names) to stdout, ``batch`` lines per write, so a long listing streams without one write per
    line or one string of it all."""
    lines: list[str] = []
    for text in texts:
        lines.append(text + "\n")
        if len(lines) >= batch:
            write_stdout("".join(lines).encode())
            lines.clear()
    if lines:
        write_stdout("".join(lines).encode())


# --- outputs named by -o ---------------------------------------------------------------------


_FULL = frozenset({errno.ENOSPC, errno.EFBIG, errno.EDQUOT})
"""Errors only a write can meet (no space, over the file size limit, over the quota): raised
inside an output's block, they are the output's, even from a write that went to its descriptor
(``os.pwrite``) rather than through ``write``."""


def _cannot_write(path: str, exc: OSError) -> OutputError:
    from ..store._size_limit import efbig_limit, raise_limit_hint

    if (limit := efbig_limit(exc)) is not None:
        return OutputError(f"cannot write {path}: {exc.strerror or exc}",
                           hint=f"{raise_limit_hint(limit)}, or choose another output path")
    hint = ("free space (or raise the file size limit) where it goes, or choose another output path"
            if exc.errno in _FULL else "check the output path")
    return OutputError(f"cannot write {path}: {exc.strerror or exc}", hint=hint)


class _Output:
    """A binary output whose failed writes are ``OutputError`` naming the output; everything
    else (seek, tell, read, fileno...) is the underlying file's. ``seekable`` is False for a
    device, FIFO or socket: they are written in order."""

    def __init__(self, raw: Any, path: str, seekable: bool) -> None:
        self._raw = raw
        self._path = path
        self._seekable = seekable

    def write(self, data: Any) -> int:
        try:
            return int(WholeWrites(self._raw).write(data))
        except OSError as exc:
            raise _cannot_write(self._path, exc) from None

    def writelines(self, lines: Any) -> None:
        for line in lines:
            self.write(line)

    def flush(self) -> None:
        try:
            self._raw.flush()
        except OSError as exc:
            raise _cannot_write(self._path, exc) from None

    def seekable(self) -> bool:
        return self._seekable and bool(self._raw.seekable())

    def __getattr__(self, name: str) -> Any:
        return getattr(self._raw, name)


def output_target(path: str) -> tuple[str, os.stat_result | None]:
    """Check an output path before anything is read or written: the file to write (a symlink
    followed) and its ``stat`` (None: it does not exist yet). ``InvalidInput`` for an empty path,
    a folder, or a parent folder that does not exist."""
    if path == "":
        raise InvalidInput("the output path is empty", hint="name the file to write")
    target = os.path.realpath(path)
    refuse_the_store(path, target)
    try:
        st: os.stat_result | None = os.stat(target)
    except FileNotFoundError:
        st = None
        with contextlib.suppress(OSError):  # /dev/stdout on a pipe: its real path ('.../pipe:[N]') names nothing
            special = os.stat(path)
            if not stat.S_ISREG(special.st_mode) and not stat.S_ISDIR(special.st_mode):
                return path, special  # opened as it is named, never replaced
    except OSError as exc:
        raise _cannot_write(path, exc) from None
    if st is not None and stat.S_ISDIR(st.st_mode):
        raise InvalidInput(f"cannot write {path}: it is a directory", hint="name a file, not a folder")
    if st is None:
        parent = os.path.dirname(target)
        if not os.path.isdir(parent):
            shown = os.path.dirname(path.rstrip("/")) or parent
            raise InvalidInput(f"cannot write {path}: the folder {shown} does not exist",
                               hint="create the folder first, or choose another output path")
    return target, st


STORE_SUFFIXES = ("", "-wal", "-shm", "-journal")
"""The home's store database and SQLite's files beside it."""


def home_root() -> str | None:
    """The real path of the home this command uses, or None when its path names nothing."""
    from ..errors import AutocodecError
    from ..home import Home

    try:
        return os.path.realpath(Home.resolve().root)
    except AutocodecError:
        return None


def refuse_the_store(path: str, target: str) -> None:
    """``InvalidInput`` when the output ``target`` (a real path) is the home's store database
    or one of SQLite's files beside it: writing it would replace every block, pin and trust
    record of the home with the output (``car export -o ~/.autocodec/store.sqlite``)."""
    root = home_root()
    if root is None:
        return
    for suffix in STORE_SUFFIXES:
        store = os.path.join(root, "store.sqlite" + suffix)
        same = target == store
        with contextlib.suppress(OSError):
            same = same or os.path.samefile(target, store)  # a hard link to it
        if same:
            raise InvalidInput(f"cannot write {path}: it is the home's block store ({store})",
                               hint="choose an output path outside the home folder")


def refuse_an_input(path: str | None, inputs: Iterable[str | None]) -> None:
    """``InvalidInput`` when the output ``path`` is the same regular file as one of the command's
    ``inputs`` (a hard or symbolic link to it too), as ``cp a a`` refuses: the output, renamed into
    place at the end, would replace what was read from (a bao outboard over its content, a
    re-delegation over its only proof). Standard output, devices and FIFOs are never refused."""
    if path in (None, "", "-"):
        return
    try:
        out = os.stat(path)
    except OSError:
        return  # a new file: no input is it
    if not stat.S_ISREG(out.st_mode):
        return
    for name in inputs:
        if name in (None, "", "-"):
            continue
        with contextlib.suppress(OSError):
            if os.path.samestat(out, os.stat(name)):
                raise InvalidInput(f"cannot write {path}: it is the input {name}, which the output would replace",
                                   hint="choose another output path")


def refuse_the_home(path: str) -> None:
    """``InvalidInput`` when the output ``path`` is the home folder or inside it: what a command
    writes there as a tree (``get``: names a DAG chooses) could replace the home's own files."""
    root = home_root()
    target = os.path.realpath(path)
    if root is not None and (target == root or target.startswith(root.rstrip(os.sep) + os.sep)):
        raise InvalidInput(f"cannot write {path}: it is in the home folder {root}",
                           hint="choose an output path outside the home folder")


def _open_special(path: str, target: str, st: os.stat_result) -> Any:
    """A device or FIFO opened for writing (a socket: connected to), never replaced."""
    try:
        if stat.S_ISSOCK(st.st_mode):
            import socket

            sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            try:
                sock.connect(target)
            except OSError:
                sock.close()
                raise
            stream = sock.makefile("wb")
            sock.close()  # the file object keeps the connection open
            return stream
        return open(target, "wb")  # noqa: SIM115 (the caller closes it)
    except OSError as exc:
        raise _cannot_write(path, exc) from None


@contextlib.contextmanager
def open_output(path: str, *, readable: bool = False, mode: int | None = None) -> Iterator[BinaryIO]:
    """The output ``path`` for the length of the block (module docstring): a regular file is
    replaced atomically when the block completes, and left untouched if it raises.
    ``readable``: the temporary file is opened for reading too (an encoder that reads back).
    ``mode``: the file's mode, whatever the file it replaces had (a private key's 0600; the
    temporary file is 0600 until then); None: the replaced file's, else 0666 less the umask."""
    target, st = output_target(path)
    if st is not None and not stat.S_ISREG(st.st_mode):
        raw = _open_special(path, target, st)
        out = _Output(raw, path, seekable=False)
        try:
            yield cast(BinaryIO, out)
            out.flush()
        finally:
            try:
                raw.close()
            except OSError:
                pass  # a failed flush was reported above; an error leaving the block stands
        return
    from pathlib import Path

    from .._partfiles import create, sweep

    folder, name = os.path.split(target)
    if mode is None:
        mode = stat.S_IMODE(st.st_mode) if st is not None else 0o666 & ~_umask()
    try:
        sweep(Path(folder or "."), f".{name[:96]}.", ".part")  # what killed writers of this output left
        fd, temp_path = create(Path(folder or "."), f".{name[:96]}.", ".part")  # locked while written
        temp = str(temp_path)
    except OSError as exc:
        raise _cannot_write(path, exc) from None
    try:
        raw = os.fdopen(fd, "w+b" if readable else "wb")
        with _closed(raw):
            out = _Output(raw, path, seekable=True)
            try:
                yield cast(BinaryIO, out)
            except OSError as exc:
                if exc.errno in _FULL:
                    raise _cannot_write(path, exc) from None
                raise
            out.flush()
            try:
                os.fchmod(raw.fileno(), mode)
                os.fsync(raw.fileno())
            except OSError as exc:
                raise _cannot_write(path, exc) from None
        try:
            os.replace(temp, target)
        except OSError as exc:
            raise _cannot_write(path, exc) from None
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temp)
        raise


@contextlib.contextmanager
def _closed(raw: BinaryIO) -> Iterator[None]:
    """Close ``raw`` when the block ends. After an error its close is quiet: on a full disk it
    flushes the bytes that could not be written again and fails again, which would hide the
    error the block raised (the file is closed all the same)."""
    try:
        yield
    except BaseException:
        with contextlib.suppress(OSError):
            raw.close()
        raise
    raw.close()


def _umask() -> int:
    """The process's umask, read without changing it where the kernel tells it (Linux 4.7+):
    setting it to read it back would race with files other threads create meanwhile."""
    try:
        with open("/proc/self/status", encoding="ascii", errors="replace") as status:
            for line in status:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError, IndexError):
        pass
    mask = os.umask(0)
    os.umask(mask)
    return mask


class _Abandoned(Exception):
    """Thrown into an unfinished ``open_output`` so it removes its temporary file."""


class LazyOutput:
    """An output opened only at its first write, or by ``finish``: a command that fails before
    it has anything to write leaves an existing file as it was. A regular file (or a new one) is
    written as ``open_output`` writes it, beside it, and put in place by ``finish`` only: a
    command that fails, or is interrupted, after its first write leaves the file as it was too,
    and nothing beside it. ``-`` is standard output; devices, FIFOs and sockets are written
    through, symlinks followed (``open_output``)."""

    def __init__(self, path: str | None) -> None:
        self.path = None if path in (None, "-") else path
        self._raw: Any = None
        self._placing: contextlib.AbstractContextManager[BinaryIO] | None = None
        if self.path is not None:
            output_target(self.path)  # an empty path, a folder, a missing folder: refused up front

    def _open(self) -> Any:
        if self._raw is None:
            if self.path is None:
                self._raw = WholeWrites(stdout_binary())
            else:
                placing = open_output(self.path)
                self._raw = placing.__enter__()
                self._placing = placing
        return self._raw

    def write(self, data: Any) -> int:
        raw = self._open()
        try:
            return int(raw.write(data))
        except OSError as exc:
            raise self._failed(exc) from None

    def flush(self) -> None:
        if self._raw is None:
            return
        try:
            self._raw.flush()
        except OSError as exc:
            raise self._failed(exc) from None

    def _failed(self, exc: OSError) -> BaseException:
        """What a failed write or flush raises: a file's own errors are already typed
        (``open_output``); standard output that is full is ``OutputError`` as in
        ``streaming_stdout``, a closed pipe re-raised with stdout silenced."""
        if self.path is None and isinstance(exc, BrokenPipeError):
            reader_went_away()
        elif self.path is None and exc.errno in _FULL:
            return _stdout_full(exc)
        return exc

    def finish(self) -> None:
        """The command succeeded: create the output even if nothing was written, flush it, and
        put a file in place (``InvalidInput`` if that fails)."""
        self._open()
        self.flush()
        placing, self._placing = self._placing, None
        if placing is not None:
            placing.__exit__(None, None, None)

    def close(self) -> None:
        """Without ``finish`` first: the file written so far is removed, the output left as it was."""
        placing, self._placing = self._placing, None
        if placing is not None:
            abandoned = _Abandoned()
            with contextlib.suppress(_Abandoned, OSError):
                placing.__exit__(_Abandoned, abandoned, None)
