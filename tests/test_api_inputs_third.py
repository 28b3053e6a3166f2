"""The third sweep of the public API for arguments of the wrong type or shape (after
``tests/test_api_inputs.py`` and ``tests/test_api_inputs_more.py``): each is a typed
``AutocodecError`` naming the argument, never a bare ``TypeError``/``ValueError``/``AttributeError``
from deep inside, nor a value read as something else."""

from __future__ import annotations

from pathlib import Path

import pytest

import autocodec
from autocodec.errors import InvalidCID, InvalidInput
from autocodec.store import BlockStore

CID_X = autocodec.cid_for(b"x", "raw")


@pytest.mark.parametrize("blocks", ["", b"", "ab", 5, None, {CID_X: b"x"}, (CID_X, b"x"), [CID_X],
                                    [(CID_X,)], [(CID_X, b"x", 1)], [[CID_X, b"x"], "ab"]],
                         ids=["empty-str", "empty-bytes", "str", "int", "none", "dict", "one-pair", "cids",
                              "short", "long", "text-item"])
def test_put_many_and_decode_many_take_pairs(blocks: object, tmp_path: Path) -> None:
    """``put_many("")`` stored nothing and returned 0 (an empty str iterates as no pairs), a dict
    or a lone pair was a TypeError (``cannot unpack non-iterable CID``), a short or long item a
    ValueError; ``Runtime.decode_many`` the same, and it took no generator (``len()``)."""
    with autocodec.Runtime(tmp_path / "home", default_set=False) as rt:
        for call in (rt.store.put_many, rt.decode_many):
            with pytest.raises(InvalidInput, match=f"{call.__name__} needs (an iterable of )?.CID, bytes. pairs"):
                call(blocks)  # type: ignore[arg-type]
        assert rt.store.put_many(iter([[CID_X, b"x"]])) == 1
        assert rt.decode_many((pair for pair in [(str(CID_X), b"x"), (5, b"x")]))[0] == b"x"


@pytest.mark.parametrize("bad", ["3", "x", 1.5, float("nan"), True, None, -1, 2**63, 2**70])
def test_inserted_since_takes_whole_numbers(bad: object, tmp_path: Path) -> None:
    """``inserted_since("3")`` and ``(1.5)`` were taken (``int()``) and handed back as the new mark,
    a str that is no number was a ValueError and 2**70 an OverflowError from sqlite."""
    with BlockStore.open(tmp_path / "home") as store:
        store.put(CID_X, b"x")
        assert store.inserted_since(0, 0) == (1, [CID_X])
        for args in ((bad,), (0, bad)):
            with pytest.raises(InvalidInput, match="inserted_since's (mark|limit) needs a whole number"):
                store.inserted_since(*args)  # type: ignore[arg-type]


@pytest.fixture(scope="module")
def verifier() -> object:
    from autocodec.bao import Verifier
    from autocodec.bench._data import module_bytes
    from autocodec.loader import Sandbox

    return Verifier(Sandbox().load(module_bytes("bao")))


@pytest.mark.parametrize("bad", [1.5, float("nan"), -1, "3", None, True])
def test_a_bao_range_is_whole_numbers(bad: object, verifier: object) -> None:
    """``bao.covered(1.5, 10, 100)`` returned ``(1.5, 11.5)``, NaN ``(nan, 100)`` and -1
    ``(-1, 9)``: ranges no chunk boundary bounds, handed on to slices and servers; a str was a
    TypeError. ``iter_slice`` yielded the header before meeting it."""
    import io

    from autocodec import bao

    assert bao.covered(5, 10, 100) == (5, 15)
    encoded = io.BytesIO()
    bao.encode(verifier, io.BytesIO(bytes(3000)), encoded)  # type: ignore[arg-type]
    for call in (lambda: bao.covered(bad, 10, 100), lambda: bao.covered(0, bad, 100),  # type: ignore[arg-type]
                 lambda: next(bao.iter_slice(bad, 1, io.BytesIO(encoded.getvalue()))),  # type: ignore[arg-type]
                 lambda: bao.iter_decode(verifier, bytes(32), io.BytesIO(), start=bad)):  # type: ignore[arg-type]
        with pytest.raises(InvalidInput, match="needs a whole number"):
            call()


def test_bao_entries_name_a_wrong_argument(verifier: object, tmp_path: Path) -> None:
    """A verifier or stream of the wrong type was an AttributeError (``'int' object has no
    attribute 'encoder'``), ``group_log="x"`` or ``1.5`` a TypeError, ``decode(root=5)`` and
    ``blake3_cid(5)`` TypeErrors, ``root_of(5)`` an AttributeError; ``BlobStore(5)`` was accepted
    and failed at its first use."""
    import io

    from autocodec import bao

    data = io.BytesIO(b"x")
    root = bao.bao_hash(verifier, io.BytesIO(b"x"))  # type: ignore[arg-type]
    calls = {
        "bao_hash needs a Verifier .autocodec.bao.verifier.*, not int": lambda: bao.bao_hash(5, data),  # type: ignore[arg-type]
        "bao_hash needs .* reading, not bytes .wrap bytes in io.BytesIO": lambda: bao.bao_hash(verifier, b"x"),  # type: ignore[arg-type]
        "encode's group_log needs a whole number, not str":
            lambda: bao.encode(verifier, data, io.BytesIO(), group_log="x"),  # type: ignore[arg-type]
        "encode_to's group_log needs a whole number, not float":
            lambda: bao.encode_to(verifier, data, io.BytesIO(), group_log=1.5),  # type: ignore[arg-type]
        "encode's output needs .* writing, not bytes": lambda: bao.encode(verifier, data, b""),  # type: ignore[arg-type]
        "decode's root needs bytes, not int": lambda: bao.decode(verifier, 5, data, print),  # type: ignore[arg-type]
        "decode's write needs a callable": lambda: bao.decode(verifier, root, data, None),  # type: ignore[arg-type]
        "decode needs a Verifier": lambda: bao.iter_decode(None, root, data),  # type: ignore[arg-type]
        "blake3_cid needs bytes, not int": lambda: bao.blake3_cid(5),  # type: ignore[arg-type]
        "blake3_cid needs a 32-byte Bao root hash, not 3 bytes": lambda: bao.blake3_cid(b"abc"),
        "a Bao stream's name needs a CID, not int": lambda: bao.root_of(5),  # type: ignore[arg-type]
        "BlobStore's root folder needs a path .* not int": lambda: bao.BlobStore(5),  # type: ignore[arg-type]
    }
    for message, call in calls.items():
        with pytest.raises(InvalidInput, match=message):
            call()
    assert data.tell() == 0  # nothing was read before the refusal
    assert bao.root_of(bao.blake3_cid(bytearray(root))) == root
    assert bao.BlobStore(str(tmp_path)).root == tmp_path


@pytest.mark.parametrize("base", ["base99", "", ["base32"], None, 5, b"base32"])
def test_a_cid_in_an_unknown_base_is_an_invalid_input(base: object) -> None:
    """``CID.encode("base99")`` was a ValueError and ``CID.encode(["base32"])`` a TypeError
    (``unhashable type: 'list'``); both are an ``InvalidInput`` whose hint lists the bases."""
    assert CID_X.encode("base36").startswith("k")
    with pytest.raises(InvalidInput, match="unknown multibase") as caught:
        CID_X.encode(base)  # type: ignore[arg-type]
    assert "base58btc" in caught.value.hint


def test_unixfs_entries_name_a_wrong_argument(tmp_path: Path) -> None:
    """``parse_chunker(5)`` and ``Adder(store, AddOptions(chunker=5))`` were AttributeErrors
    (``'int' object has no attribute 'partition'``), ``resolve(store, 5)`` one too, a store of the
    wrong type (a path, say) an AttributeError at its first block, ``iter_chunks`` with bytes
    for its reader an AttributeError at the first chunk."""
    import io

    from autocodec import unixfs
    from autocodec.errors import InvalidPath

    with BlockStore.open(tmp_path / "home") as store:
        cid = unixfs.add_bytes(store, b"hello")
        spec = unixfs.parse_chunker("size-2")
        calls = {
            "a chunker is named by text such as size-262144, not int": lambda: unixfs.parse_chunker(5),  # type: ignore[arg-type]
            "a chunker is named by text .* not NoneType": lambda: unixfs.Adder(store, unixfs.AddOptions(chunker=None)),  # type: ignore[arg-type]
            "Adder's options needs AddOptions, not dict": lambda: unixfs.Adder(store, {"chunker": "size-2"}),  # type: ignore[arg-type]
            "Adder needs a BlockStore, not str .open it first":
                lambda: unixfs.add_bytes(str(tmp_path / "home"), b"x"),  # type: ignore[arg-type]
            "cat needs a BlockStore .or a Runtime., not PosixPath": lambda: next(unixfs.cat(tmp_path, cid)),  # type: ignore[arg-type]
            "resolve needs a BlockStore": lambda: unixfs.resolve(None, cid),
            "iter_chunks needs a binary file object open for reading, not bytes": lambda: unixfs.iter_chunks(b"ab", spec),  # type: ignore[arg-type]
            "iter_chunks needs a ChunkerSpec .parse_chunker.text.., not str":
                lambda: unixfs.iter_chunks(io.BytesIO(b"ab"), "size-2"),  # type: ignore[arg-type]
        }
        for message, call in calls.items():
            with pytest.raises(InvalidInput, match=message):
                call()
        with pytest.raises(InvalidPath, match="resolve needs a CID or a path .str., not int"):
            unixfs.resolve(store, 5)  # type: ignore[arg-type]
        assert unixfs.resolve(store, f"/ipfs/{cid}") == cid
        assert list(unixfs.iter_chunks(io.BytesIO(b"abc"), spec)) == [b"ab", b"c"]


def test_car_transfers_name_a_store_of_the_wrong_type(tmp_path: Path) -> None:
    """``import_car(5, f)`` was an AttributeError (``'int' object has no attribute 'limits'``), a
    Runtime one at its first block (it has no ``put_many``); ``export_car`` with a path for its
    store an AttributeError (``'str' object has no attribute 'get'``)."""
    import io

    from autocodec.store import export_car, export_car_file, import_car

    with autocodec.Runtime(tmp_path / "home", default_set=False) as rt:
        rt.store.put(CID_X, b"x")
        car = io.BytesIO()
        export_car(rt.store, CID_X, car)
        calls = {
            "import_car needs a BlockStore, not int": lambda: import_car(5, io.BytesIO(car.getvalue())),  # type: ignore[arg-type]
            "import_car needs a BlockStore, not Runtime .give a Runtime's own: runtime.store.":
                lambda: import_car(rt, io.BytesIO(car.getvalue())),  # type: ignore[arg-type]
            "export_car needs a BlockStore .or a Runtime., not str .open it first":
                lambda: export_car(str(tmp_path / "home"), CID_X, io.BytesIO()),  # type: ignore[arg-type]
            "export_car_file needs a BlockStore .or a Runtime., not NoneType":
                lambda: export_car_file(None, CID_X, tmp_path / "out.car"),  # type: ignore[arg-type]
        }
        for message, call in calls.items():
            with pytest.raises(InvalidInput, match=message):
                call()
        assert import_car(rt.store, io.BytesIO(car.getvalue())).blocks == 1
    assert sorted(p.name for p in tmp_path.iterdir()) == ["home"]


def test_runtime_module_calls_name_a_wrong_argument(tmp_path: Path) -> None:
    """``module_codec`` given a trusted module's CID as text failed deep inside (``verify_cid
    needs a CID, not str``, where ``decode`` and ``get`` take text), ``module_codec([1])`` and ``recent_blocks([1])``
    were TypeErrors (unhashable), ``recent_blocks("git-raw")`` quietly held nothing, and
    ``add_local_module(5)`` or ``(None)`` a TypeError from pathlib."""
    from autocodec.errors import UnknownCodec

    with autocodec.Runtime(tmp_path / "home") as rt:
        module = rt.resolve("codec", "git-raw").module
        assert module is not None
        assert type(rt.module_codec(str(module))) is type(rt.module_codec(module))
        with pytest.raises(InvalidCID):
            rt.module_codec([1])  # type: ignore[arg-type]
        rt.decode(rt.put(b"blob 1\x00z", "git-raw", "sha1"))
        assert rt.recent_blocks("git-raw") == rt.recent_blocks(0x78) != []  # git-raw is 0x78
        with pytest.raises(UnknownCodec):
            rt.recent_blocks([1])  # type: ignore[arg-type]
        for bad in (5, None, ""):
            with pytest.raises(InvalidInput, match="add_local_module .a module file or its bytes. needs a path"):
                rt.add_local_module(bad)  # type: ignore[arg-type]


def test_the_trust_store_reads_cids_in_any_base_and_names_a_wrong_argument(tmp_path: Path) -> None:
    """The trust store keys its rows by a CID's text: a pinned set or a module named by a CID in
    another base (or by ``5``) was read as one nothing is stored under, so ``manifests_of`` said
    ``[]``, ``decide_module`` ``None`` and ``unpin`` ``SetNotFound`` for a set that is pinned. A
    kind or key of another type found nothing silently; a target, a code range list or ranges of
    another type was an AttributeError or TypeError; ``revoke(now="x")`` was stored as the time."""
    from autocodec.errors import SetNotFound
    from autocodec.verify import parse_ranges

    with autocodec.Runtime(tmp_path / "home") as rt:
        trust = rt.trust
        set_id = trust.sets()[0].set_id
        module = rt.resolve("codec", "git-raw").module
        assert module is not None
        manifests = trust.manifests_of(set_id)
        assert manifests and trust.manifests_of(set_id.encode("base36")) == manifests
        decision = trust.decide_module(module.encode("base58btc"))
        assert decision is not None and decision.module == module
        with pytest.raises(InvalidCID, match="decide_module needs a CID, not int"):
            trust.decide_module(5)  # type: ignore[arg-type]
        with pytest.raises(InvalidCID, match="unpin needs a CID, not list"):
            trust.unpin([set_id])  # type: ignore[arg-type]
        calls = {
            "a module kind is one of codec, .* not 'codecs'": lambda: trust.resolve("codecs", 0x78),
            "a module kind is one of .* not 5": lambda: trust.listed(5),  # type: ignore[arg-type]
            "looked up by its code .int. or name .str., not list": lambda: trust.resolve("codec", [0x78]),  # type: ignore[arg-type]
            "a trust target is a publisher's DID or a CID, not int": lambda: trust.revoke(5),  # type: ignore[arg-type]
            "a trust target .* not NoneType": lambda: trust.allow(None),  # type: ignore[arg-type]
            "revoke's reason is text, not int": lambda: trust.revoke(str(module), 5),  # type: ignore[arg-type]
            "revoke's now needs a whole number, not str": lambda: trust.revoke(str(module), now="x"),  # type: ignore[arg-type]
            "a code range list is text .* not int": lambda: parse_ranges(5),  # type: ignore[arg-type]
            "allow's ranges needs an iterable of .LO, HI. code pairs, not str":
                lambda: trust.allow("did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK", "0x78"),  # type: ignore[arg-type]
        }
        for message, call in calls.items():
            with pytest.raises(InvalidInput, match=message):
                call()
        assert trust.revoked() == frozenset() and trust.allowed() == []
        trust.unpin(set_id.encode("base36"))
        with pytest.raises(SetNotFound):
            trust.state(set_id)


@pytest.mark.parametrize("bad", [5, "ab" * 16, None, [1] * 32])
def test_ed25519_keys_take_bytes(bad: object) -> None:
    """``did_of(5)``, ``PublicKey(5)``, ``SigningKey.from_seed("...")``, ``SigningKey.sign(5)``
    and a message of another type to ``PublicKey.verify`` were TypeErrors (``object of type
    'int' has no len()``, ``Cannot convert ... to a buffer``). A signature of another type stays
    False: documents carry signatures, and one bad entry must not stop a threshold count."""
    from autocodec.verify import PublicKey, SigningKey, did_of

    key = SigningKey.from_seed(bytes(range(32)))
    assert did_of(bytearray(key.public.raw)) == key.did
    signature = key.sign(memoryview(b"m"))
    assert key.public.verify(signature, bytearray(b"m")) and not key.public.verify(bad, b"m")  # type: ignore[arg-type]
    calls = {
        "an Ed25519 public key needs bytes": lambda: did_of(bad),  # type: ignore[arg-type]
        "an Ed25519 public key needs bytes ": lambda: PublicKey(bad),  # type: ignore[arg-type]
        "SigningKey.from_seed needs bytes": lambda: SigningKey.from_seed(bad),  # type: ignore[arg-type]
        "SigningKey.sign needs bytes": lambda: key.sign(bad),  # type: ignore[arg-type]
        "PublicKey.verify's message needs bytes": lambda: key.public.verify(signature, bad),  # type: ignore[arg-type]
    }
    for message, call in calls.items():
        with pytest.raises(InvalidInput, match=message.strip()):
            call()
    with pytest.raises(InvalidInput, match="an Ed25519 seed is 32 bytes, not 3"):
        SigningKey.from_seed(b"abc")


def test_a_key_ring_takes_a_folder_and_bytes_passphrases(tmp_path: Path) -> None:
    """``KeyRing(5)`` was a TypeError from pathlib; a str passphrase was a ValueError from
    cryptography ("Password must be 1 or more bytes") to ``generate`` and ``to_pem``, and
    ``load`` said "wrong passphrase?" for the right one given as text; ``generate(name, b"")``
    stored the key unencrypted without a word."""
    from autocodec.verify import KeyRing, SigningKey

    ring = KeyRing(tmp_path / "keys")
    ring.generate("k", bytearray(b"pw"))
    calls = {
        "KeyRing's folder needs a path .* not int": lambda: KeyRing(5),  # type: ignore[arg-type]
        "generate's passphrase needs bytes, not str .encode text first": lambda: ring.generate("a", "pw"),  # type: ignore[arg-type]
        "an empty passphrase would leave the key unencrypted": lambda: ring.generate("b", b""),
        "to_pem's passphrase needs bytes, not int": lambda: SigningKey.generate().to_pem(5),  # type: ignore[arg-type]
        "load's passphrase needs bytes, not str": lambda: ring.load("k", "pw"),  # type: ignore[arg-type]
    }
    for message, call in calls.items():
        with pytest.raises(InvalidInput, match=message):
            call()
    assert ring.load("k", b"pw").did == ring.did("k")
    assert sorted(p.name for p in (tmp_path / "keys").iterdir()) == ["k.did", "k.pem"]


def test_a_nan_fetch_deadline_is_refused_not_ignored() -> None:
    """``Deadline(nan)`` never expired (every comparison with NaN is False) and
    ``operation_deadline(nan)`` was set aside for each fetch's own bound: a bound the caller
    asked for silently did not apply. A str was a TypeError."""
    from autocodec.sources import Deadline, operation_deadline

    assert Deadline(-1).expired() and not Deadline(30).expired()
    for bad in (float("nan"), "30", None, True):
        with pytest.raises(InvalidInput, match="a fetch deadline needs a number of seconds"):
            Deadline(bad)  # type: ignore[arg-type]
        with pytest.raises(InvalidInput, match="a fetch deadline needs a number of seconds"):
            with operation_deadline(bad):  # type: ignore[arg-type]
                pass


def test_sources_name_a_wrong_argument(tmp_path: Path) -> None:
    """A gateway URL, node address or node secret of another type was an AttributeError from its
    first ``strip``; ``limits=5`` to a source was accepted and failed at its first fetch;
    ``CarSource("")`` named the current folder and ``CarSource(5)`` was a TypeError; ``obey(5)``
    made every later fetch of the thread an AttributeError; ``Fetcher`` with a store, sources
    or a source of the wrong type failed at the first ``get``."""
    from autocodec.sources import (CarSource, Fetcher, GatewaySource, NodeSource, cancellable, node_url, obey,
                                   public_node)

    with BlockStore.open(tmp_path / "home") as store:
        calls = {
            "a gateway URL needs text .str., not int": lambda: GatewaySource(5),  # type: ignore[arg-type]
            "GatewaySource's limits needs FetchLimits, not int":
                lambda: GatewaySource("http://127.0.0.1:9", limits=5),  # type: ignore[arg-type]
            "a node address needs text .str., not NoneType": lambda: NodeSource(None),  # type: ignore[arg-type]
            "a node secret needs text .str., not bytes": lambda: NodeSource("http://127.0.0.1:9", auth=b"bearer:x"),  # type: ignore[arg-type]
            "NodeSource's limits needs FetchLimits, not Limits":
                lambda: NodeSource("http://127.0.0.1:9", limits=autocodec.Limits()),  # type: ignore[arg-type]
            "a node address needs text .str., not int": lambda: node_url(5),  # type: ignore[arg-type]
            "a node address needs text .str., not list": lambda: public_node(["http://127.0.0.1:9"]),  # type: ignore[arg-type]
            "CarSource needs a path, not an empty string": lambda: CarSource(""),
            "CarSource needs a path .* not int": lambda: CarSource(5),  # type: ignore[arg-type]
            "cancellable needs a Cancel, not int": lambda: cancellable(5).__enter__(),  # type: ignore[arg-type]
            "obey needs a Cancel, not NoneType": lambda: obey(None),  # type: ignore[arg-type]
            "Fetcher needs a BlockStore, not str": lambda: Fetcher(str(tmp_path / "home")),  # type: ignore[arg-type]
            "Fetcher's sources needs an iterable of block sources, not GatewaySource":
                lambda: Fetcher(store, GatewaySource("http://127.0.0.1:9")),  # type: ignore[arg-type]
            "each of Fetcher's sources needs a get.cid. method .* not str": lambda: Fetcher(store, ["http://127.0.0.1:9"]),  # type: ignore[list-item]
            "Fetcher's max_concurrent needs a whole number": lambda: Fetcher(store, (), max_concurrent="4"),  # type: ignore[arg-type]
        }
        for message, call in calls.items():
            with pytest.raises(InvalidInput, match=message):
                call()
        store.put(CID_X, b"x")
        assert Fetcher(store, [GatewaySource("http://127.0.0.1:9")], max_concurrent=2).get(CID_X) == b"x"


@pytest.mark.parametrize("field, bad", [("module", 5), ("func", 5), ("func", ""), ("fuel", "x"), ("fuel", 1.5),
                                        ("fuel", 0), ("fuel", True), ("memory", 1000), ("issuer", 5),
                                        ("issuer", "bob")])
def test_an_invocation_is_checked_when_made(field: str, bad: object) -> None:
    """``Invocation(5, "f")``, a func that is no name, a fuel or memory of another type or out
    of shape, or an issuer that is no DID was accepted: ``.block()`` gave the CID of an
    invocation no executor accepts (``Invocation.decode`` of its own bytes refused them). A
    module given as CID text is parsed."""
    from autocodec.ipvm import Invocation

    fields: dict[str, object] = {"module": CID_X, "func": "f", field: bad}
    with pytest.raises(InvalidInput, match=f"Invocation's {field}"):
        Invocation(**fields)  # type: ignore[arg-type]
    made = Invocation(str(CID_X), "f", [1])  # type: ignore[arg-type]
    assert made.module == CID_X and Invocation.decode(made.block()[1]) == made
