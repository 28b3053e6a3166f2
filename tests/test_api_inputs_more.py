"""More of the public API given arguments of the wrong type or shape (the sweep after
``tests/test_api_inputs.py``): each is a typed ``AutocodecError`` naming the argument, or the
value the caller meant, never a bare ``TypeError``/``AttributeError`` or a silently wrong result."""

from __future__ import annotations

from array import array
from pathlib import Path

import pytest


import autocodec
from autocodec.bench._data import module_bytes
from autocodec.loader import Sandbox

BLOCK = b"blob 1\x00z"


def test_a_memoryview_of_wider_items_is_taken_as_its_bytes(tmp_path: Path) -> None:
    """``len()`` of ``memoryview(array('I', [1, 2]))`` is 2 (items), not 8 (bytes): the adapters
    handed the guest 2 bytes, so ``Hasher.digest`` returned the digest of other bytes, silently."""
    words = memoryview(array("I", [0x626F6C62, 0x00312000]))
    raw = words.tobytes()
    sandbox = Sandbox()
    hasher = sandbox.load(module_bytes("blake3")).hasher()
    codec = sandbox.load(module_bytes("git-raw")).codec()
    git = memoryview(array("H", b"blob 3\x00xyz"))  # 10 bytes, 5 items
    assert hasher.digest(words) == hasher.digest(raw)
    assert hasher.digest(words, 40) == hasher.digest(raw, 40)
    assert codec.decode(git) == codec.decode(git.tobytes())
    with autocodec.Runtime(tmp_path / "home") as rt:
        assert rt.hash(words, "keccak-256") == rt.hash(raw, "keccak-256")
        assert rt.hash_many([words], "keccak-256") == [rt.hash(raw, "keccak-256")]
        cid = rt.put(git.tobytes(), "git-raw", "sha1")
        assert rt.decode_block(cid, git) == rt.decode(cid)


@pytest.mark.parametrize("bad", [5, 0, True, "key", None, 1.5, -1, 2**70, [1]])
@pytest.mark.parametrize("at", [0, 1, 2], ids=["public_key", "message", "signature"])
def test_the_builtin_ed25519_check_takes_bytes_only(bad: object, at: int) -> None:
    """``autocodec.verify_signature("ed25519-pub", 5, ...)`` read five zero bytes as the key and
    returned False, as it did for a message or signature of any type; a str, -1 or 2**70 as the key
    was a TypeError, ValueError or OverflowError."""
    from autocodec.errors import InvalidInput

    args: list[object] = [bytes(32), b"m", bytes(64)]
    assert autocodec.verify_signature("ed25519-pub", *args) is False  # type: ignore[arg-type]
    args[at] = bad
    with pytest.raises(InvalidInput, match="verify_signature needs bytes"):
        autocodec.verify_signature("ed25519-pub", *args)  # type: ignore[arg-type]


@pytest.mark.parametrize("bad", [5, 0, b"", [1], True, "bafkqaaa", None])
def test_a_car_writer_writes_cids_only(bad: object) -> None:
    """``CarWriter.write(5, data)`` wrote five zero bytes where the section's CID belongs, and
    roots that were no CIDs went into the header as CBOR ints or text: a CAR no reader takes,
    written without a word. Both are an ``InvalidCID`` now, before anything is written."""
    import io

    from autocodec.errors import InvalidCID, InvalidInput
    from autocodec.store import CarReader, CarWriter

    cid = autocodec.cid_for(b"x", "raw")
    out = io.BytesIO()
    writer = CarWriter(out, [cid])
    header = out.getvalue()
    with pytest.raises(InvalidCID, match="CarWriter.write needs a CID"):
        writer.write(bad, b"x")  # type: ignore[arg-type]
    assert out.getvalue() == header
    for roots in ([bad], [cid, bad]):
        with pytest.raises(InvalidCID, match="each of CarWriter's roots needs a CID"):
            CarWriter(io.BytesIO(), roots)  # type: ignore[list-item]
    with pytest.raises(InvalidInput, match="roots are a list of CIDs"):
        CarWriter(io.BytesIO(), cid)  # type: ignore[arg-type]
    if not isinstance(bad, (bytes, list)):
        with pytest.raises(InvalidInput, match="CarWriter.write needs bytes"):
            writer.write(cid, bad)  # type: ignore[arg-type]
    writer.write(cid, memoryview(b"x"))
    assert list(CarReader(io.BytesIO(out.getvalue()))) == [(cid, b"x")]


def test_car_streams_of_the_wrong_kind_are_named(tmp_path: Path) -> None:
    """A path, bytes or None given where a CAR reader, writer, import or export takes a file
    object was an ``AttributeError`` ('str' object has no attribute 'read')."""
    import io

    from autocodec.errors import InvalidInput
    from autocodec.store import BlockStore, CarReader, CarWriter, export_car, import_car

    cid = autocodec.cid_for(b"x", "raw")
    with BlockStore.open(tmp_path / "home") as store:
        store.put(cid, b"x")
        calls = {
            "CarReader needs a binary file object open for reading, not str .open the file first":
                lambda: CarReader("x.car"),  # type: ignore[arg-type]
            "CarReader needs .* reading, not bytes .wrap bytes in io.BytesIO": lambda: CarReader(b"..."),  # type: ignore[arg-type]
            "CarReader's limits needs Limits, not int": lambda: CarReader(io.BytesIO(), limits=5),  # type: ignore[arg-type]
            "CarWriter needs .* writing, not PosixPath": lambda: CarWriter(tmp_path / "out.car", [cid]),  # type: ignore[arg-type]
            "import_car's source .* not bytes": lambda: import_car(store, b"..."),  # type: ignore[arg-type]
            "import_car's source .* not NoneType": lambda: import_car(store, None),  # type: ignore[arg-type]
            "export_car needs .* writing, not str": lambda: export_car(store, cid, "out.car"),  # type: ignore[arg-type]
            "export_car's source is a Runtime or a BlockStore, not str":
                lambda: autocodec.export_car(str(tmp_path / "home"), cid, io.BytesIO()),  # type: ignore[arg-type]
        }
        for message, call in calls.items():
            with pytest.raises(InvalidInput, match=message):
                call()
    assert not (tmp_path / "out.car").exists()


@pytest.mark.parametrize("bad", [None, 5, "x", 1.5, [1]], ids=["none", "int", "str", "float", "list"])
def test_unixfs_add_bytes_takes_bytes_only(bad: object, tmp_path: Path) -> None:
    """``unixfs.add_bytes(store, None)`` stored an empty file and returned its CID (``BytesIO(None)``
    is empty); an int or a str was a ``TypeError`` from ``io.BytesIO``."""
    from autocodec import unixfs
    from autocodec.errors import InvalidInput
    from autocodec.store import BlockStore

    with BlockStore.open(tmp_path / "home") as store:
        with pytest.raises(InvalidInput, match="add_bytes needs bytes"):
            unixfs.add_bytes(store, bad)  # type: ignore[arg-type]
        assert len(store) == 0
        assert unixfs.add_bytes(store, memoryview(array("H", b"ab"))) == unixfs.add_bytes(store, b"ab")


def test_paths_and_limits_of_the_wrong_type_are_named(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A path argument of another type was a TypeError from pathlib, an empty one named the
    current folder; a limits argument of another type was accepted and met later as an
    AttributeError (``'int' object has no attribute 'max_block_bytes'``)."""
    from autocodec import Limits, unixfs
    from autocodec.errors import InvalidInput
    from autocodec.store import BlockStore, export_car_file

    monkeypatch.chdir(tmp_path)
    cid = autocodec.cid_for(b"x", "raw")
    with BlockStore.open(tmp_path / "home") as store:
        store.put(cid, b"x")
        calls = {
            "the home folder path needs str or PathLike, not int": lambda: BlockStore.open(5),  # type: ignore[arg-type]
            "Sandbox's cache_dir needs a path .* not int": lambda: Sandbox(cache_dir=5),  # type: ignore[arg-type]
            "Sandbox's cache_dir needs a path, not an empty string": lambda: Sandbox(cache_dir=""),  # type: ignore[arg-type]
            "Sandbox's limits needs SandboxLimits, not Limits": lambda: Sandbox(Limits()),  # type: ignore[arg-type]
            "Sandbox.load's limits needs SandboxLimits, not int":
                lambda: Sandbox().load(module_bytes("blake3"), limits=5),  # type: ignore[arg-type]
            "export_car_file needs a path .* not NoneType": lambda: export_car_file(store, cid, None),  # type: ignore[arg-type]
            "add_path needs a path .* not int": lambda: unixfs.add_path(store, 5),  # type: ignore[arg-type]
            "add_path needs a path, not an empty string": lambda: unixfs.add_path(store, ""),
            "add_stream needs a binary file object open for reading, not bytes":
                lambda: unixfs.Adder(store).add_stream(b"x"),  # type: ignore[arg-type]
            "decode's limits needs DecodeLimits, not int": lambda: autocodec.decode(b"\xa0", "dag-cbor", limits=5),  # type: ignore[arg-type]
            "encode's limits needs DecodeLimits, not Limits": lambda: autocodec.encode({}, "dag-cbor", limits=Limits()),  # type: ignore[arg-type]
        }
        for message, call in calls.items():
            with pytest.raises(InvalidInput, match=message):
                call()
        assert len(store) == 1
    assert autocodec.decode(b"\xa0", "dag-cbor", limits=Limits().decode) == {}
    assert sorted(p.name for p in tmp_path.iterdir()) == ["home"]


@pytest.mark.parametrize("interval", [-1, float("nan"), "60", True, 2**70, [60]])
def test_a_refresh_interval_is_a_positive_number_of_seconds(interval: object, tmp_path: Path) -> None:
    """``start_refresh(-1)`` refreshed without pause (a wait of -1 s returns at once), and a str,
    a list or 2**70 started a thread that died of a TypeError or OverflowError on its first wait."""
    from autocodec.errors import InvalidInput

    with autocodec.Runtime(tmp_path / "home", default_set=False) as rt:
        with pytest.raises(InvalidInput, match="interval_s is a number of seconds above 0"):
            rt.start_refresh(interval)  # type: ignore[arg-type]
        assert rt.refresher is None


def test_verify_block_takes_a_cid_or_its_text(tmp_path: Path) -> None:
    """``Runtime.verify_block`` took no CID text (an AttributeError, where ``decode_block`` and
    ``links`` parse it) and was an AttributeError for an int."""
    from autocodec.errors import HashMismatch, InvalidCID

    cid = autocodec.cid_for(b"x", "raw")
    with autocodec.Runtime(tmp_path / "home", default_set=False) as rt:
        rt.verify_block(str(cid), b"x")
        with pytest.raises(HashMismatch):
            rt.verify_block(str(cid), b"y")
        with pytest.raises(InvalidCID):
            rt.verify_block(5, b"x")  # type: ignore[arg-type]
