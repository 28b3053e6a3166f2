"""Lifecycles of the public objects: use after close, close twice, ``with`` after close, use in a
forked child, generators abandoned half way, and the application's own code failing mid-call."""

from __future__ import annotations

import os
import sqlite3
import threading
from collections.abc import Callable
from pathlib import Path

import pytest

from autocodec.errors import StoreError
from autocodec.registry import Runtime
from autocodec.store import BlockStore
from autocodec.verify import TrustStore

needs_fork = pytest.mark.skipif(not hasattr(os, "fork"), reason="os.fork is POSIX only")


def _in_child(work: Callable[[], str]) -> str:
    """What ``work()`` returns (or the type and text of what it raises) in a forked child, which
    ends within 10 s whatever it does."""
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - runs in the child
        os.close(read)
        try:
            import signal

            signal.alarm(10)
            try:
                said = work()
            except BaseException as exc:  # noqa: BLE001 - reported to the parent
                said = f"{type(exc).__name__}: {exc}"
            os.write(write, said.encode())
        finally:
            os._exit(0)
    os.close(write)
    with os.fdopen(read, "rb") as pipe:
        said = pipe.read().decode()
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0, said
    return said


def _raises_store_error(call: Callable[[], object]) -> str:
    try:
        call()
    except StoreError as exc:
        return f"StoreError: {exc}"
    return "no error"


# --- closed objects -------------------------------------------------------------------------


def test_a_closed_blockstore_refuses_with_and_close_twice_is_harmless(tmp_path: Path) -> None:
    store = BlockStore.open(tmp_path / "home")
    with store:
        pass
    store.close()
    assert store.closed
    with pytest.raises(StoreError, match="closed"), store:
        pass  # pragma: no cover - the with statement is refused
    with pytest.raises(StoreError, match="closed"):
        len(store)


def test_a_closed_runtime_refuses_with_and_start_refresh(tmp_path: Path) -> None:
    rt = Runtime(tmp_path / "home", default_set=False)
    rt.close()
    rt.close()
    with pytest.raises(StoreError, match="runtime is closed"), rt:
        pass  # pragma: no cover
    with pytest.raises(StoreError, match="runtime is closed"):
        rt.start_refresh(3600)  # was a refresher thread on closed databases
    assert rt.refresher is None


def test_a_trust_store_whose_database_is_closed_refuses_with(tmp_path: Path) -> None:
    trust = TrustStore.open(tmp_path / "home")
    trust.close()
    trust.close()
    with pytest.raises(StoreError, match="closed"), trust:
        pass  # pragma: no cover


# --- fork -----------------------------------------------------------------------------------


@needs_fork
def test_a_store_opened_before_a_fork_refuses_in_the_child(tmp_path: Path) -> None:
    with Runtime(tmp_path / "home", default_set=False) as rt:
        cid = rt.put(b"before the fork", "raw")

        def child() -> str:
            said = [_raises_store_error(lambda: rt.get(cid)),
                    _raises_store_error(lambda: rt.put(b"from the child", "raw")),
                    _raises_store_error(lambda: rt.trust.epoch()),
                    _raises_store_error(lambda: len(rt.store))]
            rt.close()  # harmless: the parent's connection is not closed from here
            return "\n".join(said)

        said = _in_child(child).splitlines()
        assert len(said) == 4 and all(line.startswith("StoreError") for line in said), said
        assert "os.fork()" in said[0]
        assert rt.get(cid) == b"before the fork"  # the parent's store goes on
        rt.put(b"after the fork", "raw")
        assert len(rt.store) == 2
    db = sqlite3.connect(tmp_path / "home" / "store.sqlite")
    try:
        assert db.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        assert db.execute("SELECT count(*) FROM blocks").fetchone() == (2,)
    finally:
        db.close()


@needs_fork
def test_a_store_whose_lock_a_parent_thread_held_at_the_fork_refuses_in_the_child(tmp_path: Path) -> None:
    with BlockStore.open(tmp_path / "home") as store:
        held, release = threading.Event(), threading.Event()

        def hold() -> None:
            with store.transaction():
                held.set()
                release.wait(10)

        thread = threading.Thread(target=hold)
        thread.start()
        try:
            held.wait(10)
            said = _in_child(lambda: _raises_store_error(lambda: len(store)))  # was a hang on the lock
        finally:
            release.set()
            thread.join()
        assert said.startswith("StoreError") and "os.fork()" in said
        assert len(store) == 0
