"""Input on a non-blocking descriptor (O_NONBLOCK set by a parent) is read to its real end.

A non-blocking pipe answers "no data yet" (``None`` from ``read``) whenever its writer pauses;
the CAR reader took that for the end of the file, so a CAR whose writer paused between two
sections imported as complete with the blocks after the pause missing (exit 0), and ``block
put`` stored the bytes written before the pause as the whole block.
"""

from __future__ import annotations

import fcntl
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
from autocodec.store._readable import read_upto

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
