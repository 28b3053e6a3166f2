"""Arguments of the wrong type to the public API are typed errors (``InvalidInput``,
``InvalidCID``), never converted into something else: ``bytes(5)`` is five zero bytes, and
``CID(5)`` or ``decode(5, ...)`` used to read them as a CID or a block."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

import autocodec
from autocodec import CID, bao
from autocodec.errors import InvalidCID, InvalidInput
from autocodec.store import BlockStore

BLOCK = b"blob 1\x00z"


@pytest.mark.parametrize("raw", [5, "bafkqaaa", None, 1.5, [1, 2]])
def test_a_cid_is_made_from_bytes_only(raw: object) -> None:
    with pytest.raises(InvalidCID, match="binary form"):
        CID(raw)  # type: ignore[arg-type]


@pytest.mark.parametrize("data", [5, "blob 1\x00z", None, [98, 108]])
def test_an_extension_decode_takes_bytes_only(data: object, tmp_path: Path) -> None:
    with autocodec.Runtime(tmp_path / "home") as rt:
        assert autocodec.decode(bytearray(BLOCK), "git-raw", runtime=rt) == autocodec.decode(BLOCK, "git-raw", runtime=rt)
        with pytest.raises(InvalidInput, match="decode needs bytes"):
            autocodec.decode(data, "git-raw", runtime=rt)  # type: ignore[arg-type]


def test_the_block_store_names_blocks_by_cid_and_takes_bytes(tmp_path: Path) -> None:
    store = BlockStore.open(tmp_path / "home")
    cid = autocodec.cid_for(b"x", "raw")
    for call in (lambda: store.get(str(cid)), lambda: store.has(str(cid)), lambda: store.stat(None),
                 lambda: store.delete(bytes(cid)), lambda: store.put(str(cid), b"x"),
                 lambda: store.put_many([(str(cid), b"x")])):
        with pytest.raises(InvalidCID, match="named by a CID"):
            call()  # type: ignore[no-untyped-call]
    for data in (None, "x", 5):
        with pytest.raises(InvalidInput, match="needs bytes"):
            store.put(cid, data)  # type: ignore[arg-type]
    assert not store.has(cid)
    store.put(cid, memoryview(b"x"))
    assert store.get(cid) == b"x"


def test_one_gateway_or_module_given_as_a_string_is_one_not_its_characters(tmp_path: Path) -> None:
    with autocodec.Runtime(tmp_path / "home", gateways="http://127.0.0.1:9", default_set=False) as rt:
        assert rt.settings.gateways == ("http://127.0.0.1:9",)


@pytest.mark.parametrize("leaf", [0, 3, -1, 1.0])
def test_a_slice_leaf_that_is_no_power_of_two_is_refused(leaf: object) -> None:
    with pytest.raises(InvalidInput, match="power of two"):
        bao.extract_slice(0, 10, io.BytesIO(bytes(8)), lambda b: None, leaf=leaf)  # type: ignore[arg-type]


def test_an_empty_home_path_is_refused_not_the_current_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from autocodec.errors import ConfigError

    monkeypatch.chdir(tmp_path)
    with pytest.raises(ConfigError, match="home folder path is empty"):
        autocodec.Runtime("")
    assert list(tmp_path.iterdir()) == []  # nothing created in the current folder


def test_the_bulk_api_checks_its_arguments_before_spreading_work() -> None:
    """A str item used to reach a worker as a TypeError reported as a misbehaving module."""
    from autocodec import bulk
    from autocodec.bench._data import module_bytes
    from autocodec.loader import Sandbox

    sandbox = Sandbox()
    codec, hasher = sandbox.load(module_bytes("git-raw")).codec(), sandbox.load(module_bytes("blake3")).hasher()
    for call in (lambda: bulk.links_many(codec, ["abc"] * 2500, 2), lambda: bulk.decode_many(codec, [BLOCK, None]),
                 lambda: bulk.digest_many(hasher, ["abc"])):
        with pytest.raises(InvalidInput, match="needs bytes"):
            call()
    for call in (lambda: bulk.decode_many("git-raw", [BLOCK]), lambda: bulk.digest_many(codec, [b"x"]),  # type: ignore[arg-type]
                 lambda: bulk.links_many(None, [BLOCK])):  # type: ignore[arg-type]
        with pytest.raises(InvalidInput, match="of a loaded module"):
            call()
    with pytest.raises(InvalidInput, match="workers"):
        bulk.decode_many(codec, [BLOCK], "2")  # type: ignore[arg-type]
    assert bulk.decode_many(codec, [bytearray(BLOCK)]) == [BLOCK]


@pytest.mark.parametrize("text", ["bafy", "f0", "bafyx!"])
def test_a_cut_short_or_mistyped_cid_says_so(text: str) -> None:
    """The base decoder's own words ("Incorrect padding") were the whole message."""
    with pytest.raises(InvalidCID, match="cut short or mistyped"):
        CID.parse(text)


@pytest.mark.parametrize("data", [5, "blob 1\x00z", None, [98, 108], -1, 2**70])
def test_the_runtimes_bytes_arguments_take_bytes_only(data: object, tmp_path: Path) -> None:
    """Found by the library-embedding sweep: through an extension (keccak-256, git-raw, bip340)
    ``rt.hash_many([5])`` hashed five zero bytes and ``verify_signature`` read them as a key;
    a str, a huge or negative int were a TypeError, ValueError or OverflowError from the
    adapter glue, and ``rt.links`` took no CID string (AttributeError)."""
    with autocodec.Runtime(tmp_path / "home") as rt:
        cid = rt.put(BLOCK, "git-raw", "sha1")
        assert rt.links(str(cid), BLOCK) == rt.links(cid, BLOCK) == []
        assert rt.hash_many([memoryview(b"x")], "keccak-256") == [rt.hash(b"x", "keccak-256")]
        calls = {
            "hash": lambda: rt.hash(data, "keccak-256"),  # type: ignore[arg-type]
            "hash_many": lambda: rt.hash_many([b"ok", data], "keccak-256"),  # type: ignore[list-item]
            "hash_stream": lambda: rt.hash_stream([b"ok", data], "keccak-256"),  # type: ignore[list-item]
            "hash_many (builtin)": lambda: rt.hash_many([data], "sha2-256"),  # type: ignore[list-item]
            "verify_signature": lambda: rt.verify_signature("secp256k1-pub", data, b"m", bytes(64)),  # type: ignore[arg-type]
            "decode_block": lambda: rt.decode_block(cid, data),  # type: ignore[arg-type]
            "links": lambda: rt.links(cid, data),  # type: ignore[arg-type]
            "cid_for": lambda: rt.cid_for(data, "raw", "keccak-256"),  # type: ignore[arg-type]
        }
        for name, call in calls.items():
            with pytest.raises(InvalidInput, match=f"{name.split()[0]} needs bytes|hash needs bytes"):
                call()  # type: ignore[no-untyped-call]
        with pytest.raises(InvalidCID):
            rt.links(5, BLOCK)  # type: ignore[arg-type]


@pytest.mark.parametrize("options", [{"limits": "x"}, {"node": 5}, {"gateways": 5}, {"gateways": [5]},
                                     {"settings": {}}, {"home": 5}],
                         ids=["limits", "node", "gateways", "a-gateway", "settings", "home"])
def test_runtime_options_of_the_wrong_type_are_named(options: dict[str, object], tmp_path: Path) -> None:
    """A Runtime option of the wrong type was an AttributeError or TypeError from deep inside
    (``'str' object has no attribute 'store'``); it is an ``InvalidInput`` naming the option."""
    kwargs: dict[str, object] = {"home": tmp_path / "home", "default_set": False, **options}
    name = next(iter(options))
    with pytest.raises(InvalidInput, match=f"Runtime's {name}|each of Runtime's gateways"):
        autocodec.Runtime(**kwargs)  # type: ignore[arg-type]


@pytest.mark.parametrize("wasm", ["\0asm", 5, -1, 2**70, None], ids=["str", "int", "negative", "huge", "none"])
def test_inspect_module_takes_bytes_only(wasm: object) -> None:
    """``inspect_module(5)`` read five zero bytes (a 'bad magic' refusal); -1, 2**70 and a str
    were a ValueError, OverflowError or TypeError."""
    with pytest.raises(InvalidInput, match="a module needs bytes"):
        autocodec.inspect_module(wasm)  # type: ignore[arg-type]


@pytest.mark.parametrize("data", [5, "blob 1\x00z", None, [98, 108]], ids=["int", "str", "none", "list"])
def test_a_loaded_modules_adapters_take_bytes_only(data: object) -> None:
    """The adapters of ``Sandbox().load(...)`` are public (the bulk API takes them): an int
    given to ``Hasher.digest_many`` was hashed as that many zero bytes, ``Codec.decode_many([5])``
    decoded five zero bytes (a ``GuestError`` about the block), and a str or an int elsewhere
    was a ``TypeError`` from the glue. Each is an ``InvalidInput`` naming the call."""
    from autocodec.bench._data import module_bytes
    from autocodec.loader import Sandbox

    sandbox = Sandbox()
    codec = sandbox.load(module_bytes("git-raw")).codec()
    hasher = sandbox.load(module_bytes("blake3")).hasher()
    chunker = sandbox.load(module_bytes("chunker-fastcdc")).chunker({"min": 64, "avg": 256, "max": 1024})
    crypto = sandbox.load(module_bytes("bip340")).crypto()
    key_type = next(iter(crypto.codes))
    assert hasher.digest_many([bytearray(b"x"), memoryview(b"y")]) == [hasher.digest(b"x"), hasher.digest(b"y")]
    assert codec.decode_many([bytearray(BLOCK)]) == [codec.decode(BLOCK)]
    calls = {
        "Codec.decode": lambda: codec.decode(data),
        "Codec.links": lambda: codec.links(data),
        "Codec.decode_many": lambda: codec.decode_many([BLOCK, data]),
        "Hasher.digest": lambda: hasher.digest(data),
        "Hasher.digest ": lambda: hasher.digest(data, 40),
        "Hasher.digest_many": lambda: hasher.digest_many([b"ok", data]),
        "Hasher.digest_many ": lambda: hasher.digest_many([data, b"ok"]),
        "HashStream.update": lambda: hasher.stream().update(data),
        "Chunker.boundaries": lambda: list(chunker.boundaries([b"ok", data])),
        "Crypto.verify": lambda: crypto.verify(key_type, data, b"m", bytes(64)),
        "Crypto.verify ": lambda: crypto.verify(key_type, bytes(32), data, bytes(64)),
    }
    for name, call in calls.items():
        with pytest.raises(InvalidInput, match=f"{name.strip()} needs bytes"):
            call()


@pytest.mark.parametrize("bad", [5, "abc", None])
def test_bulk_digests_on_threads_refuse_an_item_of_another_type(bad: object) -> None:
    """``bulk.digest_many`` with a hasher whose batches run off the GIL spreads the inputs over
    threads without looking at each first (each thread's ``Hasher.digest_many`` checks its share):
    an item of another type anywhere, on one thread or two, is still an ``InvalidInput``."""
    from autocodec import bulk
    from autocodec.bench._data import module_bytes
    from autocodec.loader import Sandbox

    hasher = Sandbox().load(module_bytes("blake3")).hasher()  # threads with the C runner, else processes
    inputs: list[object] = [b"x" * 1024] * 3000
    for workers in (None, 1, 2):
        for at in (0, 1500, 2999):
            with pytest.raises(InvalidInput, match="needs bytes"):
                bulk.digest_many(hasher, [*inputs[:at], bad, *inputs[at + 1:]], workers)  # type: ignore[list-item]
    mixed = [bytearray(b"a"), memoryview(b"b"), b"c"] * 1000
    assert bulk.digest_many(hasher, mixed, 2) == [hasher.digest(bytes(x)) for x in mixed]
