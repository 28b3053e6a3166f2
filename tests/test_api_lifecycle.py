"""Lifecycles of the public objects: use after close, close twice, ``with`` after close, use in a
forked child, generators abandoned half way, and the application's own code failing mid-call."""

from __future__ import annotations

import io
import os
import sqlite3
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from autocodec import builtin
from autocodec.cid import CID
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


# --- UCAN helpers given wrong types -----------------------------------------------------------


def _ucan_wrong_types() -> list[tuple[str, Callable[[], object]]]:
    from autocodec.verify import ucan

    statement = ["==", ".a", 1]
    return [
        ("select(5)", lambda: ucan.select(5, {})),  # type: ignore[arg-type]
        ("select([1])", lambda: ucan.select([1], {})),  # type: ignore[list-item]
        ("matches(None)", lambda: ucan.matches(None, {})),  # type: ignore[arg-type]
        ("matches('abc')", lambda: ucan.matches("abc", {})),  # type: ignore[arg-type]
        ("matches([[]])", lambda: ucan.matches([[]], {})),
        ("matches([['==']])", lambda: ucan.matches([["=="]], {})),
        ("matches like 5", lambda: ucan.matches([["like", ".a", 5]], {"a": "x"})),
        ("matches budget=5", lambda: ucan.matches([statement], {"a": 1}, budget=5)),  # type: ignore[arg-type]
        ("EvalBudget('x')", lambda: ucan.EvalBudget("x")),  # type: ignore[arg-type]
        ("failing_statement(5)", lambda: ucan.failing_statement(5, {})),  # type: ignore[arg-type]
        ("failing_statement([5])", lambda: ucan.failing_statement([5], {})),
        ("glob_match(5, 'a')", lambda: ucan.glob_match(5, "a")),  # type: ignore[arg-type]
        ("glob_match('a', None)", lambda: ucan.glob_match("a", None)),  # type: ignore[arg-type]
        ("command_covers(5, '/a')", lambda: ucan.command_covers(5, "/a")),  # type: ignore[arg-type]
        ("command_covers('/a', 5)", lambda: ucan.command_covers("/a", 5)),  # type: ignore[arg-type]
        ("seal(5, ...)", lambda: ucan.seal(5, ucan.DELEGATION_TAG, {})),  # type: ignore[arg-type]
    ]


@pytest.mark.parametrize("case", range(len(_ucan_wrong_types())))
def test_ucan_helpers_given_wrong_types_raise_a_typed_error(case: int) -> None:
    from autocodec.errors import AutocodecError

    label, call = _ucan_wrong_types()[case]
    with pytest.raises(AutocodecError):  # each was a TypeError, AttributeError or IndexError
        call()


def test_ucan_helpers_answer_right_arguments_and_select_takes_a_selectors_text() -> None:
    from autocodec.verify import ucan

    assert ucan.select(".a[1]", {"a": [1, 2]}) == 2
    assert ucan.select(ucan.parse_selector(".a"), {"a": 3}) == 3
    assert ucan.matches([["like", ".a", "x*"]], {"a": "xyz"}, budget=ucan.EvalBudget(10))
    assert ucan.failing_statement([["==", ".a", 1]], {"a": 2}) == ["==", ".a", 1]
    assert ucan.glob_match("a\\*", "a*") and ucan.command_covers("/a", "/a/b")


# --- closed streams -------------------------------------------------------------------------


def _closed() -> io.BytesIO:
    stream = io.BytesIO(b"\0" * 64)
    stream.close()
    return stream


def _closed_stream_entries() -> list[tuple[str, Callable[[BlockStore], object]]]:
    from autocodec import bao
    from autocodec.builtin import cid_for
    from autocodec.store import CarReader, CarWriter, export_car, import_car
    from autocodec.unixfs import DEFAULT_CHUNKER, iter_chunks

    return [
        ("CarReader", lambda _: CarReader(_closed())),
        ("CarWriter", lambda _: CarWriter(_closed(), [])),
        ("import_car", lambda store: import_car(store, _closed())),
        ("export_car", lambda store: export_car(store, cid_for(b"", "raw"), _closed())),
        ("iter_chunks", lambda _: list(iter_chunks(_closed(), DEFAULT_CHUNKER))),
        ("bao.iter_slice", lambda _: bao.iter_slice(0, 1, _closed())),
    ]


@pytest.mark.parametrize("case", range(len(_closed_stream_entries())))
def test_a_closed_file_object_is_refused_by_name(case: int, tmp_path: Path) -> None:
    from autocodec.errors import InvalidInput

    label, call = _closed_stream_entries()[case]
    with BlockStore.open(tmp_path / "home") as store, pytest.raises(InvalidInput, match="closed"):
        call(store)  # was ValueError: I/O operation on closed file


def test_a_car_stream_closed_while_in_use_is_an_invalid_input() -> None:
    from autocodec.builtin import cid_for
    from autocodec.errors import InvalidInput
    from autocodec.store import CarReader, CarWriter

    cid = cid_for(b"block", "raw")
    out = io.BytesIO()
    writer = CarWriter(out, [cid])
    writer.write(cid, b"block")
    car = out.getvalue()
    out.close()
    with pytest.raises(InvalidInput, match="output stream was closed"):
        writer.write(cid, b"block")
    source = io.BufferedReader(io.BytesIO(car), buffer_size=len(car) // 2)
    reader = CarReader(source)  # reads the header only
    source.close()
    with pytest.raises(InvalidInput, match="input stream was closed"):
        list(reader)


# --- generators check their arguments when called -------------------------------------------


def test_generators_refuse_a_wrong_argument_when_called_not_at_the_first_piece(tmp_path: Path) -> None:
    from autocodec import bao, unixfs
    from autocodec.builtin import cid_for
    from autocodec.errors import InvalidCID, InvalidInput, NotFound

    blobs = bao.BlobStore(tmp_path / "blobs")
    absent = bao.blake3_cid(bytes(32))
    with pytest.raises(InvalidInput):
        bao.iter_slice(-1, 10, io.BytesIO(b""))
    with pytest.raises(InvalidInput):
        unixfs.cat(object(), cid_for(b"x", "raw"))  # no get
    with pytest.raises(InvalidCID):
        unixfs.cat({}, 5)  # type: ignore[arg-type]
    with pytest.raises(InvalidInput):
        unixfs.cat({}, cid_for(b"x", "raw"), limits=5)  # type: ignore[arg-type]
    with pytest.raises(NotFound):
        blobs.verified(object(), absent)  # type: ignore[arg-type]
    with pytest.raises(NotFound):
        blobs.serve_stream(absent)
    with pytest.raises(InvalidCID):
        blobs.verified(object(), cid_for(b"x", "raw"))  # type: ignore[arg-type]


# --- the application's own code failing mid-call --------------------------------------------


def test_put_many_keeps_the_blocks_before_the_callers_iterable_failed(tmp_path: Path) -> None:
    from autocodec.builtin import cid_for

    def blocks(failure: Exception) -> Iterator[tuple[CID, bytes]]:
        for i in range(5):
            data = b"block %d" % i
            yield cid_for(data, "raw"), data
        raise failure

    with BlockStore.open(tmp_path / "home") as store:
        with pytest.raises(ValueError, match="the application's"):
            store.put_many(blocks(ValueError("the application's")))
        assert len(store) == 5  # were dropped (an AutocodecError kept them): a cut wherever a batch ended
        store.put(cid_for(b"after", "raw"), b"after")  # the store goes on
        assert len(store) == 6


def test_a_closed_runtime_frees_its_modules_at_once_not_at_the_next_garbage_collection(tmp_path: Path) -> None:
    """The store and the fetcher a Runtime makes held its ``verify_block`` as a bound method: a
    reference cycle, so a closed and dropped runtime kept its compiled modules (each a
    ``memfd:wasm-memory-image`` descriptor) until the cyclic collector ran; a process making a
    runtime per job could run out of descriptors between collections. With the collector off,
    30 runtimes that each decode through a Wasm codec leave no descriptor behind."""
    import gc
    import weakref

    with Runtime(tmp_path / "home") as rt:
        cid = rt.put(b"blob 3\x00abc", codec="git-raw", hash="sha1")

    def fds() -> int:
        return len(os.listdir("/proc/self/fd"))

    was = gc.isenabled()
    gc.disable()
    try:
        before = fds()
        for _ in range(30):
            rt = Runtime(tmp_path / "home")
            assert rt.decode(cid) is not None
            rt.close()
            gone = weakref.ref(rt)
            del rt
            assert gone() is None
        assert fds() == before
    finally:
        if was:
            gc.enable()


def test_a_store_whose_runtime_is_gone_refuses_by_name(tmp_path: Path) -> None:
    rt = Runtime(tmp_path / "home")
    store = rt.store
    del rt
    with pytest.raises(StoreError, match="the Runtime that made this store or fetcher is gone"):
        store.put(builtin.cid_for(b"x", "raw"), b"x")
    store.close()
