"""The public API shared by threads: one ``Runtime``, module adapter, stream or store used from
several threads at once gives each thread the serial result (or a typed error), and never
crashes the process, deadlocks or leaks descriptors."""

from __future__ import annotations

import os
import sqlite3
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

import autocodec
from autocodec import bao
from autocodec.errors import AutocodecError, GuestFault, InvalidInput, NotTrusted, StoreError
from autocodec.registry import Runtime

THREADS = 4
JOIN_S = 60


def _together(work: Callable[[int], None], threads: int = THREADS) -> list[BaseException]:
    """Run ``work(t)`` on ``threads`` threads started together; what each raised (joined with a
    timeout: a thread still running is a deadlock)."""
    start = threading.Barrier(threads)
    raised: list[BaseException] = []

    def run(t: int) -> None:
        start.wait()
        try:
            work(t)
        except BaseException as exc:  # noqa: BLE001 - reported to the test
            raised.append(exc)

    pool = [threading.Thread(target=run, args=(t,), daemon=True) for t in range(threads)]
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join(JOIN_S)
        assert not thread.is_alive(), "a thread did not finish: deadlock"
    return raised


def _fds() -> int:
    return len(os.listdir("/proc/self/fd"))


@pytest.fixture
def rt(tmp_path: Path) -> Any:
    runtime = Runtime(tmp_path / "home")
    yield runtime
    runtime.close()


# --- streams holding one guest instance ----------------------------------------------------------


def test_a_hash_stream_shared_by_threads_hashes_every_update_whole(rt: Runtime) -> None:
    """Two threads in one wasmtime Store aborted the process (a Rust panic in its trap handler);
    a shared stream now takes its updates one at a time, as a hashlib object does."""
    hasher = rt.extension("hasher", "keccak-256")
    piece = bytes(range(256)) * 4
    for _ in range(3):
        stream = hasher.stream()

        def update(t: int, stream: Any = stream) -> None:
            for _ in range(100):
                stream.update(piece)

        assert _together(update) == []
        assert stream.final() == hasher.digest(piece * 100 * THREADS)  # every update, each one whole


def test_final_racing_updates_is_the_digest_or_a_typed_refusal(rt: Runtime) -> None:
    hasher = rt.extension("hasher", "keccak-256")
    stream = hasher.stream()
    digests: list[bytes] = []

    def use(t: int) -> None:
        for _ in range(50):
            try:
                if t == 0:
                    digests.append(stream.final())
                else:
                    stream.update(b"abc")
            except InvalidInput as exc:  # after final: never an AttributeError from inside
                assert "already finalised" in str(exc)

    assert _together(use) == []
    assert len(digests) == 1


def test_a_verifier_stream_entered_by_two_threads_is_refused_not_a_crash(rt: Runtime) -> None:
    """Streams other than hashes are one thread's at a time: a second thread entering the
    guest is ``InvalidInput`` and the stream is broken (``GuestFault`` after), the process
    lives on."""
    verifier = bao.verifier(rt)
    refused: list[AutocodecError] = []
    for _ in range(5):
        encoder = verifier.encoder()

        def update(t: int, encoder: Any = encoder) -> None:
            for _ in range(200):
                try:
                    encoder.update(b"x" * 4096)
                except (InvalidInput, GuestFault) as exc:
                    refused.append(exc)

        assert _together(update) == []
    assert any(isinstance(exc, InvalidInput) and "two threads at once" in str(exc) for exc in refused)
    hashes = []
    for _ in range(2):  # a stream of its own is untouched by the broken ones
        own = verifier.encoder(3 * 4096)
        nodes = b"".join(own.update(b"x" * 4096) for _ in range(3))
        hashes.append((nodes, own.final()))
    assert hashes[0] == hashes[1]


def test_one_instance_refuses_a_second_thread_inside_a_call(rt: Runtime) -> None:
    instance = rt.extension("hasher", "keccak-256")._loaded.instance()
    instance.call("ac_hash_init")
    instance._inside.acquire()  # another thread is inside a guest call
    try:
        with pytest.raises(InvalidInput, match="two threads at once"):
            instance.call("ac_hash_update", b"abc")
    finally:
        instance._inside.release()
    with pytest.raises(GuestFault, match="failed earlier"):
        instance.call("ac_hash_update", b"abc")


# --- the runtime and its stores --------------------------------------------------------------------


def _world(rt: Runtime) -> dict[str, Any]:
    blob = b"blob 6\x00hello\n"
    git = rt.put(blob, "git-raw", "sha1")
    root = rt.put(autocodec.encode({"readme": git, "tags": ["a", "b"]}, "dag-cbor"), "dag-cbor")
    return {"blob": blob, "git": git, "root": root, "keccak": rt.put(b"k", "raw", "keccak-256")}


def _ops(rt: Runtime, w: dict[str, Any], i: int) -> list[Any]:
    codec = rt.extension("codec", "git-raw")
    hasher = rt.extension("hasher", "keccak-256")
    root = w["root"]
    return [
        rt.decode(root), rt.decode(w["git"]), rt.decode(f"{root}/tags/1"), rt.get(f"{root}/readme"),
        rt.resolve(f"/ipfs/{root}/readme").cid, [cid for cid, _ in rt.walk(root)], rt.links(w["git"], w["blob"]),
        rt.hash(b"%d" % (i % 3), "keccak-256"), rt.hash(b"y", "blake3"), rt.decode(w["keccak"]),
        codec.decode(w["blob"]), repr(codec.decode_many([w["blob"], b"junk"])), codec.links(w["blob"]),
        hasher.digest_many([b"a", b"%d" % (i % 3)]), rt.put(b"p%d" % (i % 3), "raw"),
        rt.resolve("codec", "git-raw").source,
    ]


def test_a_runtime_shared_by_threads_gives_each_the_serial_results(rt: Runtime) -> None:
    w = _world(rt)
    serial = [_ops(rt, w, i) for i in range(3)]
    before = _fds()

    def work(t: int) -> None:
        for i in range(40):
            assert _ops(rt, w, i) == serial[i % 3]

    assert _together(work) == []
    assert _fds() == before
    rt.close()
    with sqlite3.connect(rt.home.db_path) as db:
        assert db.execute("PRAGMA integrity_check").fetchall() == [("ok",)]


def test_close_while_threads_are_mid_call_is_a_store_error_for_them(tmp_path: Path) -> None:
    rt = Runtime(tmp_path / "home")
    w = _world(rt)
    serial = _ops(rt, w, 0)
    started = threading.Barrier(THREADS + 1)
    seen: list[str] = []

    def work(t: int) -> None:
        started.wait()
        for _ in range(200):
            try:
                assert _ops(rt, w, 0) == serial
            except StoreError as exc:
                seen.append(str(exc))

    pool = [threading.Thread(target=work, args=(t,), daemon=True) for t in range(THREADS)]
    for thread in pool:
        thread.start()
    started.wait()
    rt.close()
    for thread in pool:
        thread.join(JOIN_S)
        assert not thread.is_alive()
    assert seen and all("closed" in s for s in seen)


def test_a_revocation_reaches_every_thread_and_is_never_undone(tmp_path: Path) -> None:
    rt = Runtime(tmp_path / "home", poll_s=0.0)
    w = _world(rt)
    module = rt.resolve("codec", "git-raw").module
    expected = rt.decode(w["git"])
    revoked = threading.Event()

    def work(t: int) -> None:
        refused = False
        for _ in range(300):
            if t == 0 and _ == 20:
                rt.trust.revoke(str(module))
                revoked.set()
            if _ == 280:  # a thread scheduled ahead of thread 0 still decodes after the revocation
                assert revoked.wait(JOIN_S)
            try:
                assert rt.decode(w["git"]) == expected
                assert not refused, "a thread decoded with the module after it saw it refused"
            except NotTrusted:
                refused = True
        assert refused, "the revocation never reached this thread"

    try:
        assert _together(work) == []
    finally:
        rt.close()


def test_blockstore_writes_and_reads_from_threads_keep_the_database_whole(rt: Runtime) -> None:
    store = rt.store
    others = len(store)  # the default set's blocks
    blocks = [(rt.cid_for(bytes([i]) * (100 + i), "raw"), bytes([i]) * (100 + i)) for i in range(40)]

    def work(t: int) -> None:
        for i in range(60):
            cid, data = blocks[(t * 7 + i) % 40]
            store.put(cid, data)
            if store.has(cid):
                try:
                    assert store.get(cid) == data
                except AutocodecError as exc:  # deleted by another thread meanwhile
                    assert "not in the store" in str(exc)
            if i % 10 == t:
                store.delete(blocks[i % 40][0])
                store.put_many(blocks[t::THREADS])
                assert others <= len(list(store.cids())) <= others + 40

    assert _together(work) == []
    store.put_many(blocks)
    assert all(store.get(cid) == data for cid, data in blocks)
    assert store.check() == []
    rt.close()
    with sqlite3.connect(rt.home.db_path) as db:
        assert db.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
