"""A forked child can check a module DAG's CID even when a parent thread held ``_dag_lock``.

``Sandbox.load``'s CID check (``_sandbox._check_cid``) takes ``_dag_lock`` around its memo of
module DAG roots. A fork copies the lock as it is; the thread that held it does not exist in
the child, so the lock stayed held there and the child's first check of a dag-pb CID hung for
ever. The loader re-creates its module locks in a forked child (``_compile``, ``_threads``);
``_dag_lock`` now too.
"""

from __future__ import annotations

import hashlib
import os
import select
import signal
import threading

import pytest

from autocodec.cid import CID
from autocodec.errors import HashMismatch
from autocodec.loader import _sandbox
from autocodec.modcid import DAG_PB

pytestmark = pytest.mark.skipif(not hasattr(os, "fork"), reason="needs os.fork")

HANG_GUARD_S = 60  # far past the few milliseconds the child's check takes: only a hang gets here


def _check_in_child() -> str:
    """The child's outcome: the real check of a dag-pb CID that does not name the bytes takes
    ``_dag_lock`` (twice: lookup, then remembering the root) before refusing them."""
    wasm = b"\0asm\1\0\0\0"
    cid = CID.build(DAG_PB, bytes([0x12, 0x20]) + hashlib.sha256(b"other bytes").digest())
    try:
        _sandbox._check_cid(cid, wasm, hashlib.sha256(wasm).digest())
    except HashMismatch:
        return "refused"
    return "accepted"


def test_a_child_forked_while_another_thread_holds_the_dag_lock_can_take_it() -> None:
    held, done = threading.Event(), threading.Event()

    def holder() -> None:
        with _sandbox._dag_lock:
            held.set()
            done.wait(HANG_GUARD_S)

    thread = threading.Thread(target=holder, daemon=True)
    thread.start()
    assert held.wait(HANG_GUARD_S)
    read, write = os.pipe()
    try:
        pid = os.fork()
        if pid == 0:  # the child: never return into pytest
            outcome = "error"
            try:
                outcome = _check_in_child()
            finally:
                os.write(write, outcome.encode())
                os._exit(0)
    finally:
        done.set()  # the parent's holder lets go; the child has no such thread
    os.close(write)
    try:
        ready, _, _ = select.select([read], [], [], HANG_GUARD_S)
        if not ready:
            os.kill(pid, signal.SIGKILL)
        got = os.read(read, 64).decode() if ready else "hung on _dag_lock"
    finally:
        os.close(read)
        os.waitpid(pid, 0)
        thread.join()
    assert got == "refused"
