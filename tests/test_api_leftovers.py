"""Small defects the public-API sweeps left: each test here failed on the code before its fix.

UCAN selectors and policy hints, Bao streams closed in the middle of a call, BlobStore.add's
name in its errors, BlockStore.put_many's failed batch, Chunker.boundaries from two threads,
LoadedModule.close.
"""

from __future__ import annotations

import copy
import hashlib
import io
import pickle
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from autocodec import CID, bao
from autocodec.config import Limits, StoreLimits
from autocodec.errors import InvalidInput, StoreError
from autocodec.loader import Sandbox
from autocodec.loader._verifier import Verifier
from autocodec.store import BlockStore
from autocodec.verify import SigningKey
from autocodec.verify.ucan import (
    DELEGATION_TAG,
    InvalidToken,
    check_policy,
    delegate,
    failing_statement,
    parse_selector,
    seal,
    select,
    validate_delegation,
)
from tests._closing_stream import ClosesAfter

from .conftest import WASM_SRC

# --- UCAN: what select gives for a selector that does not resolve ------------------------


def test_select_gives_the_public_absent_for_a_selector_that_does_not_resolve() -> None:
    # The spec (ucan-wg/delegation, "Selectors"): ".to[99]" fails to resolve, ".to[99]?" is
    # null. select gave a private object() for the first, which a caller could only compare
    # with by importing a private name.
    from autocodec.verify.ucan import ABSENT, Absent

    args = {"to": ["bob"], "cc": None}
    assert select(".to[99]", args) is ABSENT
    assert select(".missing", args) is ABSENT
    assert select(".to.key", args) is ABSENT  # a key step into a list: the wrong kind
    assert select(".to[99]?", args) is None
    assert select(".cc", args) is None  # a key holding null resolves: never ABSENT
    assert select(parse_selector(".to[0]"), args) == "bob"
    assert isinstance(ABSENT, Absent) and repr(ABSENT) == "ABSENT"
    assert copy.deepcopy(ABSENT) is ABSENT and pickle.loads(pickle.dumps(ABSENT)) is ABSENT


# --- UCAN: a malformed policy's hint is about the policy ----------------------------------


@pytest.mark.parametrize("policy", [
    "not a list",
    [["?!", ".a", 1]],
    [["==", "a", 1]],  # a selector without its leading dot
    [["<", ".fuel", "many"]],
])
def test_a_malformed_policy_on_its_own_gets_a_hint_about_the_policy(policy: object) -> None:
    # The hint was InvalidToken's: "give a UCAN 1.0 token: a DAG-CBOR envelope, ...", about
    # bytes nobody gave.
    for check in (check_policy, lambda p: failing_statement(p, {})):
        with pytest.raises(InvalidToken) as err:
            check(policy)
        assert "DAG-CBOR" not in err.value.hint and "policy" in err.value.hint, err.value.hint
        assert err.value.name == "InvalidToken"  # the UCAN error name the CLI and executor report


def test_a_malformed_selector_given_to_select_gets_the_policy_hint() -> None:
    with pytest.raises(InvalidToken) as err:
        select("to[0]", {})
    assert "DAG-CBOR" not in err.value.hint


def test_a_delegation_with_a_malformed_policy_names_the_delegation_and_asks_its_issuer() -> None:
    # Inside a token the policy is not the reader's to rewrite: the error names the
    # delegation and asks for a valid one (it said "give a DAG-CBOR envelope").
    key, now = SigningKey.generate(), int(time.time())
    good = delegate(key, SigningKey.generate().did, "/wasm", now=now)
    bad = seal(key, DELEGATION_TAG, {**good.payload, "pol": [["?!", ".a", 1]]})
    with pytest.raises(InvalidToken) as err:
        validate_delegation(bad, now)
    assert str(bad.cid) in err.value.message and "'?!'" in err.value.message
    assert "DAG-CBOR" not in err.value.hint and "delegat" in err.value.hint


# --- Bao: a source closed in the middle of a call -----------------------------------------

BAO_WASM = WASM_SRC / "bao" / "bao.wasm"


@pytest.fixture(scope="module")
def verifier() -> Verifier:
    return Verifier(Sandbox().load(BAO_WASM.read_bytes()))


_DATA = bytes(range(256)) * 600  # 150 chunks: one stream, no tiles


def _closed_midway(verifier: Verifier) -> dict[str, Callable[[], object]]:
    """Each Bao entry point reading a stream that is closed after its first read."""
    encoded, outboard = io.BytesIO(), io.BytesIO()
    root = bao.encode(verifier, io.BytesIO(_DATA), encoded)
    bao.encode(verifier, io.BytesIO(_DATA), outboard, outboard=True)
    piece = io.BytesIO()
    bao.extract_slice(5000, 70000, io.BytesIO(encoded.getvalue()), piece.write)
    enc, ob, sl = encoded.getvalue(), outboard.getvalue(), piece.getvalue()

    def drop(_: object) -> None:
        return None

    return {
        "bao_hash": lambda: bao.bao_hash(verifier, ClosesAfter(_DATA, 1)),
        "encode": lambda: bao.encode(verifier, ClosesAfter(_DATA, 1), io.BytesIO()),
        "decode": lambda: bao.decode(verifier, root, ClosesAfter(enc, 1), drop),
        "decode one thread": lambda: list(bao.iter_decode(verifier, root, ClosesAfter(enc, 1), threads=1)),
        "decode outboard's content": lambda: bao.decode(verifier, root, ClosesAfter(_DATA, 1), drop,
                                                        outboard=io.BytesIO(ob)),
        "decode outboard": lambda: bao.decode(verifier, root, io.BytesIO(_DATA), drop, outboard=ClosesAfter(ob, 1)),
        "decode slice": lambda: bao.decode(verifier, root, ClosesAfter(sl, 1), drop, start=5000, count=70000,
                                           slice_input=True),
        "extract_slice": lambda: bao.extract_slice(5000, 70000, ClosesAfter(enc, 1), drop),
        "extract_slice header": lambda: bao.extract_slice(0, 1, ClosesAfter(enc, 0), drop),
        "extract_slice outboard": lambda: bao.extract_slice(5000, 70000, io.BytesIO(ob), drop,
                                                            data=ClosesAfter(_DATA, 1)),
    }


@pytest.mark.parametrize("entry", ["bao_hash", "encode", "decode", "decode one thread", "decode outboard's content",
                                   "decode outboard", "decode slice", "extract_slice", "extract_slice header",
                                   "extract_slice outboard"])
def test_a_bao_source_closed_in_the_middle_of_a_call_is_invalid_input(verifier: Verifier, entry: str) -> None:
    # Each gave io's raw "ValueError: I/O operation on closed file" from its read loop, where a
    # stream closed before the call is InvalidInput (need_stream).
    with pytest.raises(InvalidInput) as err:
        _closed_midway(verifier)[entry]()
    assert "closed" in err.value.message, err.value.message


def test_a_closed_source_says_it_was_closed_midway_with_need_streams_hint(verifier: Verifier) -> None:
    closed = io.BytesIO(_DATA)
    closed.close()
    with pytest.raises(InvalidInput) as before:
        bao.bao_hash(verifier, closed)
    with pytest.raises(InvalidInput) as during:
        bao.bao_hash(verifier, ClosesAfter(_DATA, 1))
    assert during.value.hint == before.value.hint
    assert "was closed while the call was reading it" in during.value.message


def test_blobstore_add_and_fetch_name_themselves_for_a_closed_source(verifier: Verifier, tmp_path: Path) -> None:
    # BlobStore.add said "encode needs an open file object" (and fetch "decode ..."): names the
    # caller never called.
    closed = io.BytesIO(_DATA)
    closed.close()
    store = bao.BlobStore(tmp_path / "blobs")
    with pytest.raises(InvalidInput, match=r"^BlobStore\.add needs an open file object"):
        store.add(verifier, closed)
    with pytest.raises(InvalidInput, match=r"^BlobStore\.add needs a Verifier"):
        store.add(object(), io.BytesIO(_DATA))  # type: ignore[arg-type]
    assert not (tmp_path / "blobs").exists()  # refused before anything was made
    cid = bao.BlobStore(tmp_path / "other").add(verifier, io.BytesIO(_DATA))
    with pytest.raises(InvalidInput, match=r"^fetch needs an open file object"):
        bao.fetch(verifier, cid, closed, lambda _: None)


# --- BlockStore.put_many: a failed batch write is one error ---------------------------------


def test_put_many_whose_batch_write_fails_raises_that_error_once(tmp_path: Path) -> None:
    # The handler that keeps the blocks verified before a failure wrote the failed batch again:
    # the same StoreError twice in the chain, and a second wait for the lock.
    limits = Limits(store=StoreLimits(busy_timeout_ms=50, batch_blocks=2))
    store = BlockStore.open(tmp_path / "home", limits=limits)
    blocks = [(CID.build(0x55, b"\x12\x20" + hashlib.sha256(b).digest()), b) for b in (b"a", b"b", b"c")]
    other = sqlite3.connect(store.path, isolation_level=None)
    try:
        other.execute("BEGIN IMMEDIATE")  # another writer holds the lock past the busy timeout
        with pytest.raises(StoreError) as err:
            store.put_many(blocks)
        other.execute("ROLLBACK")
    finally:
        other.close()
    chain, exc = [], err.value.__context__
    while exc is not None:
        chain.append(exc)
        exc = exc.__context__
    assert not any(isinstance(e, StoreError) for e in chain), chain
    assert store.put_many(blocks) == 3 and store.get(blocks[2][0]) == b"c"
    store.close()


# --- Chunker.boundaries: one iterator, two threads ----------------------------------------


def test_a_boundaries_iterator_pulled_by_two_threads_is_refused_as_invalid_input() -> None:
    # A second thread's next() while the first was inside gave the generator's own
    # "ValueError: generator already executing", not an AutocodecError.
    chunker = Sandbox().load((WASM_SRC / "chunker-fixed" / "chunker-fixed.wasm").read_bytes()).chunker({"size": 4})
    inside, go_on = threading.Event(), threading.Event()

    def buffers() -> Iterator[bytes]:
        inside.set()
        go_on.wait(10)  # the first thread stays inside the iterator meanwhile
        yield b"0123456789"

    ends = chunker.boundaries(buffers())
    first: list[int] = []
    puller = threading.Thread(target=lambda: first.append(next(ends)))
    puller.start()
    assert inside.wait(10)
    try:
        with pytest.raises(InvalidInput, match="two threads"):
            next(ends)
    finally:
        go_on.set()
        puller.join(10)
    assert first == [4] and list(ends) == [8, 10]  # the first thread's iterator went on unharmed


# --- LoadedModule.close: what close means ----------------------------------------------------


def test_a_closed_loaded_module_has_no_idle_instances_and_stays_usable() -> None:
    # Documents a contract, not a fix: close only drops idle instances, and LoadedModule.instance
    # closes every module holding some when the pool is full, modules still in use. A close
    # that made the module refuse would break that; this test says so first.
    loaded = Sandbox().load((WASM_SRC / "blake3" / "blake3.wasm").read_bytes())
    hasher = loaded.hasher()
    digest = hasher.digest(b"x")
    assert loaded._idle or not loaded.reusable  # the call's reset instance waits for the next one
    loaded.close()
    loaded.close()
    assert loaded._idle == []
    assert hasher.digest(b"x") == digest and loaded.hasher().digest(b"x") == digest


def test_a_bao_source_closed_in_the_middle_of_a_tiled_decode_is_invalid_input(verifier: Verifier) -> None:
    """The tiles' in-order reads (``_tiles._read_full_view``, a stream that is no regular file)
    still gave io's raw ValueError where the one-stream path gives InvalidInput (noticed by
    helper 69). 8 MiB: tiles on two threads."""
    data = bytes(range(251)) * (8 * 1024 * 1024 // 251)
    encoded = io.BytesIO()
    root = bao.encode(verifier, io.BytesIO(data), encoded)
    with pytest.raises(InvalidInput) as err:
        list(bao.iter_decode(verifier, root, ClosesAfter(encoded.getvalue(), 3), threads=2))
    assert "was closed while the call was reading it" in err.value.message, err.value.message
