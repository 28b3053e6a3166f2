"""A forked child can take the loader's module locks even when a parent thread held them.

A fork copies a lock as it is; the thread that held it does not exist in the child, so the lock
stayed held there for ever. ``Sandbox.load``'s CID check (``_sandbox._check_cid``) takes
``_dag_lock`` around its memo of module DAG roots: the child's first check of a dag-pb CID hung.
Loading a resettable module and pooling its instance after a call take ``_idle_lock``: the
child's first such load hung (the bulk pool's own fork holds that lock across the fork,
``_pool._loader_quiet``; a plain ``os.fork`` from another thread's program did not). The loader
re-creates its module locks in a forked child (``_compile``, ``_threads``); these two now too.
"""

from __future__ import annotations

import hashlib
import os
import select
import signal
import threading
from collections.abc import Callable
from pathlib import Path

import pytest

from autocodec.cid import CID
from autocodec.errors import HashMismatch
from autocodec.loader import Sandbox, _sandbox
from autocodec.modcid import DAG_PB

pytestmark = pytest.mark.skipif(not hasattr(os, "fork"), reason="needs os.fork")

HANG_GUARD_S = 60  # far past the milliseconds the child's work takes: only a hang gets here
KECCAK = Path(__file__).resolve().parents[1] / "wasm-src" / "keccak-256" / "keccak-256.wasm"
KECCAK_ABC = "4e03657aea45a94fc7d47ba826c8d667c0d1e6e33a64a036ec44f58fa12d6c45"  # Keccak-256("abc"), Ethereum's


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


def _fork_while_held(name: str, in_child: Callable[[], str]) -> str:
    """What ``in_child`` returns in a child forked while another thread holds ``_sandbox.<name>``
    (``hung on <name>`` when the guard fires first)."""
    held, done = threading.Event(), threading.Event()

    def holder() -> None:
        with getattr(_sandbox, name):
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
                outcome = in_child()
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
        got = os.read(read, 256).decode() if ready else f"hung on {name}"
    finally:
        os.close(read)
        os.waitpid(pid, 0)
        thread.join()
    return got


def test_a_child_forked_while_another_thread_holds_the_dag_lock_can_take_it() -> None:
    assert _fork_while_held("_dag_lock", _check_in_child) == "refused"


def test_a_child_forked_while_another_thread_holds_the_idle_lock_loads_and_pools(tmp_path: Path) -> None:
    wasm = KECCAK.read_bytes()
    assert Sandbox(cache_dir=tmp_path).load(wasm).reusable  # compiled here: the child only reads the artifact

    def load_and_pool() -> str:
        """A new module (a resettable one joins ``_holding`` under ``_idle_lock``) and one call,
        whose reset instance goes to the idle list (judged under ``_idle_lock``)."""
        loaded = Sandbox(cache_dir=tmp_path).load(wasm)
        digest = loaded.run("ac_hash", b"abc").hex()
        return f"{digest} idle={len(loaded._idle)} held={loaded._held}"

    assert _fork_while_held("_idle_lock", load_and_pool) == f"{KECCAK_ABC} idle=1 held=1"
