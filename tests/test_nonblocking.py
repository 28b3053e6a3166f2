"""Input on a non-blocking descriptor (O_NONBLOCK set by a parent) is read to its real end.

A non-blocking pipe answers "no data yet" (``None`` from ``read``) whenever its writer pauses;
the CAR reader took that for the end of the file, so a CAR whose writer paused between two
sections imported as complete with the blocks after the pause missing (exit 0), and ``block
put`` stored the bytes written before the pause as the whole block.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import subprocess
import sys
import termios
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from autocodec.builtin import cid_for
from autocodec.store import BlockStore, CarReader, CarWriter
from autocodec._nonblocking import flush_all, read_upto

BLOCKS = 40


def _car() -> tuple[bytes, int, list[bytes]]:
    """A CAR of BLOCKS raw blocks, the offset where its section 10 starts, and the blocks' CIDs."""
    import io

    out = io.BytesIO()
    writer = CarWriter(out, [])
    cut = 0
    cids = []
    for i in range(BLOCKS):
        if i == 10:
            cut = out.tell()
        data = i.to_bytes(2, "big") * 300
        cid = cid_for(data, "raw")
        cids.append(bytes(cid))
        writer.write(cid, data)
    return out.getvalue(), cut, cids


@pytest.fixture
def nonblocking_pipe() -> Iterator[tuple[int, int]]:
    r, w = os.pipe()
    fcntl.fcntl(r, fcntl.F_SETFL, fcntl.fcntl(r, fcntl.F_GETFL) | os.O_NONBLOCK)
    yield r, w
    for fd in (r, w):
        try:
            os.close(fd)
        except OSError:
            pass


def _write_later(w: int, data: bytes) -> threading.Timer:
    """Write the rest and close, a moment after the reader has drained what it was given."""

    def finish() -> None:
        os.write(w, data)
        os.close(w)

    timer = threading.Timer(0.3, finish)
    timer.start()
    return timer


def test_car_reader_waits_for_a_paused_writer_on_a_nonblocking_pipe(nonblocking_pipe: tuple[int, int]) -> None:
    r, w = nonblocking_pipe
    car, cut, cids = _car()
    os.write(w, car[:cut])  # the first 10 sections, ending exactly at a section boundary
    with os.fdopen(os.dup(r), "rb") as stream:
        reader = CarReader(stream)
        seen = []
        timer = None
        for n, (cid, _data) in enumerate(reader, 1):
            seen.append(bytes(cid))
            if n == 10:  # everything written so far was read: the writer pauses, then goes on
                timer = _write_later(w, car[cut:])
        assert timer is not None
        timer.join()
    assert seen == cids


def test_read_upto_waits_for_a_paused_writer_on_a_nonblocking_pipe(nonblocking_pipe: tuple[int, int]) -> None:
    r, w = nonblocking_pipe
    os.write(w, b"first half;")
    with os.fdopen(os.dup(r), "rb") as stream:
        timer = _write_later(w, b"second half")
        got = read_upto(stream, 1 << 20)
        timer.join()
    assert got == b"first half;second half"


def _pending(fd: int) -> int:
    """Bytes written to a pipe and not read yet (Linux answers FIONREAD on either end)."""
    buf = fcntl.ioctl(fd, termios.FIONREAD, b"\0\0\0\0")
    return int.from_bytes(buf, sys.byteorder)


def _run_with_paused_nonblocking_stdin(home: Path, args: list[str], first: bytes, rest: bytes
                                       ) -> subprocess.CompletedProcess[bytes]:
    r, w = os.pipe()
    fcntl.fcntl(r, fcntl.F_SETFL, fcntl.fcntl(r, fcntl.F_GETFL) | os.O_NONBLOCK)
    proc = subprocess.Popen([sys.executable, "-m", "autocodec", *args], stdin=r, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, env={**os.environ, "AUTOCODEC_HOME": str(home)})
    os.close(r)
    try:
        os.write(w, first)
        deadline = time.monotonic() + 60  # not an assertion: a bound on waiting for the child to read
        while _pending(w) and proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.02)
        time.sleep(0.3)  # the child has drained the pipe; its next read finds it empty
        try:
            os.write(w, rest)
        except BrokenPipeError:  # the old reader had already ended
            pass
    finally:
        os.close(w)
    out, err = proc.communicate(timeout=120)
    return subprocess.CompletedProcess(proc.args, proc.returncode, out, err)


@pytest.mark.slow
def test_dag_import_of_a_paused_nonblocking_stdin_imports_every_block(tmp_path: Path) -> None:
    car, cut, cids = _car()
    home = tmp_path / "home"
    done = _run_with_paused_nonblocking_stdin(home, ["dag", "import", "--stats", "--no-pin-roots", "-"],
                                              car[:cut], car[cut:])
    assert done.returncode == 0, done.stderr.decode()
    assert done.stdout.decode().startswith(f"Imported {BLOCKS} blocks")
    with BlockStore.open(home) as store:
        assert all(store.has(cid_for(i.to_bytes(2, "big") * 300, "raw")) for i in range(BLOCKS))
    assert len(cids) == BLOCKS


@pytest.mark.slow
def test_block_put_of_a_paused_nonblocking_stdin_stores_the_whole_input(tmp_path: Path) -> None:
    home = tmp_path / "home"
    done = _run_with_paused_nonblocking_stdin(home, ["block", "put"], b"first half;", b"second half")
    assert done.returncode == 0, done.stderr.decode()
    assert done.stdout.decode().strip() == str(cid_for(b"first half;second half", "raw"))


def test_car_writer_waits_while_a_nonblocking_output_is_full(nonblocking_pipe: tuple[int, int]) -> None:
    """The writer raised BlockingIOError as soon as the pipe (64 KiB) was full."""
    r, w = nonblocking_pipe
    fcntl.fcntl(r, fcntl.F_SETFL, fcntl.fcntl(r, fcntl.F_GETFL) & ~os.O_NONBLOCK)
    fcntl.fcntl(w, fcntl.F_SETFL, fcntl.fcntl(w, fcntl.F_GETFL) | os.O_NONBLOCK)
    blocks = [(cid_for(d, "raw"), d) for d in (i.to_bytes(4, "big") * 4096 for i in range(64))]  # 1 MiB
    got = bytearray()

    def drain() -> None:
        with os.fdopen(os.dup(r), "rb") as stream:
            while chunk := stream.read(65536):
                got.extend(chunk)

    with os.fdopen(os.dup(w), "wb") as out:
        os.close(w)
        writer = CarWriter(out, [])
        reader_thread = threading.Timer(0.3, drain)  # starts after the pipe has filled up
        reader_thread.start()
        for cid, data in blocks:
            writer.write(cid, data)
        flush_all(out)
    reader_thread.join()
    import io

    assert [(bytes(c), d) for c, d in CarReader(io.BytesIO(bytes(got)))] == [(bytes(c), d) for c, d in blocks]


def _run_with_slow_nonblocking_stdout(home: Path, args: list[str]) -> tuple[int, bytes, bytes]:
    r, w = os.pipe()
    fcntl.fcntl(w, fcntl.F_SETFL, fcntl.fcntl(w, fcntl.F_GETFL) | os.O_NONBLOCK)
    proc = subprocess.Popen([sys.executable, "-m", "autocodec", *args], stdout=w, stderr=subprocess.PIPE,
                            env={**os.environ, "AUTOCODEC_HOME": str(home)})
    os.close(w)
    with os.fdopen(r, "rb") as stream:
        # Read nothing until the child has filled the pipe and stopped: what it holds no longer
        # grows (for 0.3 s) while the child runs. "Full" is not 64 KiB: the pipe's 16 pages fill
        # up with partial ones first (about 52 KB here), so waiting for 65536 bytes ran into the
        # 60 s bound every time. It must hold at least half of 64 KiB too, so a child merely
        # descheduled early (under load) is not taken for one that met a full pipe.
        deadline = time.monotonic() + 60  # not an assertion: a bound on waiting for the pipe to fill
        held, still_since = 0, time.monotonic()
        while proc.poll() is None and time.monotonic() < deadline:
            now, pending = time.monotonic(), _pending(stream.fileno())
            if pending != held:
                held, still_since = pending, now
            elif held >= 32768 and now - still_since >= 0.3:
                break
            time.sleep(0.02)
        out = stream.read()
    err = proc.stderr.read() if proc.stderr else b""
    return proc.wait(timeout=120), out, err


@pytest.mark.slow
@pytest.mark.parametrize("command", [["dag", "export"], ["car", "export", "-o", "-"]])
def test_export_to_a_slow_nonblocking_stdout_writes_the_whole_car(tmp_path: Path, command: list[str]) -> None:
    from autocodec.builtin import encode

    home = tmp_path / "home"
    with BlockStore.open(home) as store:
        leaves = []
        for i in range(64):
            data = i.to_bytes(4, "big") * 4096
            leaves.append(cid_for(data, "raw"))
            store.put(leaves[-1], data)
        root_data = encode({"leaves": leaves}, "dag-cbor")
        root = cid_for(root_data, "dag-cbor")
        store.put(root, root_data)
    args = [*command[:2], str(root), *command[2:]]
    code, out, err = _run_with_slow_nonblocking_stdout(home, args)
    assert code == 0, err.decode()
    import io

    assert [c for c, _ in CarReader(io.BytesIO(out))] == [root, *leaves]


@pytest.mark.slow
@pytest.mark.parametrize("chunker", ["size-262144", "buzhash"])  # the fixed reader and the Wasm chunker's
def test_add_of_a_paused_nonblocking_stdin_adds_the_whole_input(tmp_path: Path, chunker: str) -> None:
    """``add -`` took "nothing yet" for the end of stdin: the file was cut where the writer paused."""
    data = bytes(range(256)) * 4096  # 1 MiB: more than one chunk either way
    cut = 300_000
    home = tmp_path / "home"
    done = _run_with_paused_nonblocking_stdin(home, ["add", "-Q", "--chunker", chunker, "-"], data[:cut], data[cut:])
    assert done.returncode == 0, done.stderr.decode()
    whole = subprocess.run([sys.executable, "-m", "autocodec", "add", "-Q", "--only-hash", "--chunker", chunker, "-"],
                           input=data, capture_output=True, env={**os.environ, "AUTOCODEC_HOME": str(home)}, check=True)
    assert done.stdout == whole.stdout


@pytest.mark.slow
def test_hash_of_a_paused_nonblocking_stdin_hashes_the_whole_input(tmp_path: Path) -> None:
    """``hash -`` read "nothing yet" as a None chunk and failed, or hashed a cut input."""
    home = tmp_path / "home"
    done = _run_with_paused_nonblocking_stdin(home, ["hash", "--digest", "-"], b"first half;", b"second half")
    assert done.returncode == 0, done.stderr.decode()
    assert done.stdout.decode().split()[0] == hashlib.sha256(b"first half;second half").hexdigest(), done.stdout


@pytest.mark.slow
@pytest.mark.parametrize("args", [["bao", "hash"], ["bao", "hash", "-"], ["cid", "format", "-b", "base16"]])
def test_commands_reading_stdin_themselves_wait_for_a_paused_writer(tmp_path: Path, args: list[str]) -> None:
    """Every command's standard input (``stdin_binary``) reads a non-blocking descriptor as a
    blocking one: ``bao hash`` hashed the part before the pause, ``cid format`` dropped the
    lines after it, both with exit 0."""
    home = tmp_path / "home"
    if args[0] == "cid":
        first = b"bafkreigh2akiscaildcqabsyg3dfr6chu3fgpregiymsck7e7aqa4s52zy\n"
        rest = b"bafkqaaa\n"
    else:
        first, rest = b"x" * 70_000, b"y" * 5000
    done = _run_with_paused_nonblocking_stdin(home, args, first, rest)
    assert done.returncode == 0, done.stderr.decode()
    whole = subprocess.run([sys.executable, "-m", "autocodec", *args], input=first + rest, capture_output=True,
                           env={**os.environ, "AUTOCODEC_HOME": str(home)}, check=True)
    assert done.stdout == whole.stdout and done.stdout
