"""Local ``--module`` files: Wasm codecs and hashers serving the block commands (real wasmtime)."""

from __future__ import annotations

import hashlib
import io
import sys
from pathlib import Path

import pytest

from autocodec import CID
from autocodec.builtin import cid_for
from autocodec.cli import main
from autocodec.store import BlockStore, CarReader

from .conftest import WASM_SRC


def module(name: str) -> str:
    path = WASM_SRC / name / f"{name}.wasm"
    if not path.exists():
        pytest.skip(f"{path.relative_to(WASM_SRC.parent)} is not built yet")
    return str(path)


@pytest.fixture
def cli(home: Path, capsysbinary: pytest.CaptureFixture[bytes], monkeypatch: pytest.MonkeyPatch):
    def run(*args: str, stdin: bytes = b"") -> tuple[int, bytes, str]:
        monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(stdin)))
        code = main(list(args))
        captured = capsysbinary.readouterr()
        return code, captured.out, captured.err.decode()

    assert run("init", "--no-default-set")[0] == 0  # builtins only: extensions come from --module
    return run


def git_objects() -> tuple[bytes, bytes]:
    """A git blob and a tree listing it (git's object format: "<type> <len>\\0<body>")."""
    blob = b"blob 6\x00hello\n"
    entry = b"100644 hello.txt\x00" + hashlib.sha1(blob).digest()
    tree = b"tree %d\x00" % len(entry) + entry
    return blob, tree


def test_codec_module_decodes_and_walks_links(cli, home: Path, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    git = module("git-raw")
    blob, tree = git_objects()
    code, out, err = cli("block", "put", "--codec", "git-raw", "--hash", "sha1", "--module", git, stdin=blob)
    assert code == 0, err
    blob_cid = CID.parse(out.decode().strip())
    assert blob_cid == cid_for(blob, "git-raw", "sha1")
    assert blob_cid.digest == hashlib.sha1(blob).digest()  # the git object id
    code, out, err = cli("block", "put", "--codec", "git-raw", "--hash", "sha1", "--module", git, stdin=tree)
    tree_cid = out.decode().strip()
    code, out, err = cli("decode", tree_cid, "--module", git)
    assert code == 0, err
    assert out.decode() == '{"hello.txt":{"hash":{"/":"%s"},"mode":"100644"}}\n' % blob_cid

    car = tmp_path / "tree.car"
    assert cli("car", "export", tree_cid, "-o", str(car), "--module", git)[0] == 0
    assert [c for c, _ in CarReader(io.BytesIO(car.read_bytes()))] == [CID.parse(tree_cid), blob_cid]
    assert cli("car", "export", tree_cid, "-o", str(car))[0] == 0  # without the module: not walked
    assert len(list(CarReader(io.BytesIO(car.read_bytes())))) == 1

    code, _, err = cli("decode", tree_cid)
    assert code == 1 and "UnknownCodec" in err


def test_codec_module_refuses_a_malformed_block(cli, home: Path) -> None:  # type: ignore[no-untyped-def]
    code, out, err = cli("block", "put", "--codec", "git-raw", "--hash", "sha1", "--module", module("git-raw"),
                         stdin=b"tree 5\x00garbage-that-is-not-a-tree")
    assert code == 1 and err.startswith("autocodec: ") and len(err.strip().splitlines()) == 1
    with BlockStore.open(home) as store:
        assert len(store) == 0


def test_keccak_hasher_module(cli, home: Path) -> None:  # type: ignore[no-untyped-def]
    keccak = pytest.importorskip("Crypto.Hash.keccak")
    mod = module("keccak-256")
    data = b"hashed by a wasm module"
    code, out, err = cli("block", "put", "--hash", "keccak-256", "--module", mod, stdin=data)
    assert code == 0, err
    cid = CID.parse(out.decode().strip())
    assert cid.hash_code == 0x1B and cid.digest == keccak.new(digest_bits=256, data=data).digest()
    assert cli("block", "get", str(cid))[1] == data  # reading needs no hasher (stored checksum)
    code, _, err = cli("block", "put", "--hash", "keccak-256", stdin=data)
    assert code == 1 and "UnknownHash" in err


def test_blake3_hasher_module(cli) -> None:  # type: ignore[no-untyped-def]
    blake3 = pytest.importorskip("blake3")
    data = bytes(range(256)) * 40
    code, out, err = cli("block", "put", "--hash", "blake3", "--module", module("blake3"), stdin=data)
    assert code == 0, err
    assert CID.parse(out.decode().strip()).digest == blake3.blake3(data).digest()


def test_bad_module_arguments_are_one_line_errors(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    code, _, err = cli("block", "put", "--module", str(tmp_path / "absent.wasm"), "--codec", "git-raw", stdin=b"x")
    assert code == 1 and "cannot read module" in err
    junk = tmp_path / "junk.wasm"
    junk.write_bytes(b"\x00asm but not really")
    code, _, err = cli("block", "put", "--module", str(junk), "--codec", "git-raw", stdin=b"x")
    assert code == 1 and "ModuleRejected" in err and len(err.strip().splitlines()) == 1
    git = module("git-raw")
    copy = tmp_path / "copy.wasm"
    copy.write_bytes(Path(git).read_bytes())
    assert cli("block", "put", "--codec", "git-raw", "--module", git, "--module", git, stdin=b"blob 0\x00")[0] == 0
    code, _, err = cli("block", "put", "--codec", "git-raw", "--module", git, "--module", str(copy),
                       stdin=b"blob 0\x00")
    assert code == 1 and "two modules declare" in err


def test_builtin_codecs_are_not_shadowed_by_a_module(cli) -> None:  # type: ignore[no-untyped-def]
    mod = module("dag-cbor")  # a Wasm dag-cbor codec: the builtin still answers first
    code, out, _ = cli("encode", "--codec", "dag-cbor", "--module", mod, stdin=b'{"a": 1}')
    assert code == 0
    code, out, err = cli("decode", out.decode().strip(), "--module", mod)
    assert code == 0 and out == b'{"a":1}\n'


def test_car_import_verifies_extension_hashes_with_a_module(cli, home: Path, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    keccak = pytest.importorskip("Crypto.Hash.keccak")
    mod = module("keccak-256")
    from autocodec.cid import encode_varint
    from autocodec.store import CarWriter

    data = b"an ethereum-style block"
    digest = keccak.new(digest_bits=256, data=data).digest()
    cid = CID.build(0x55, encode_varint(0x1B) + encode_varint(32) + digest)
    car = tmp_path / "keccak.car"
    with car.open("wb") as out:
        CarWriter(out, [cid]).write(cid, data)
    code, _, err = cli("car", "import", "-q", str(car))
    assert code == 1 and "UnknownHash" in err
    code, out, err = cli("car", "import", "-q", str(car), "--module", mod)
    assert code == 0 and out.decode().strip() == str(cid), err
    with car.open("wb") as out_file:  # same CID, other bytes: refused by the module's digest
        CarWriter(out_file, [cid]).write(cid, data + b"!")
    with BlockStore.open(home) as store:
        store.delete(cid)
    code, _, err = cli("car", "import", "-q", str(car), "--module", mod)
    assert code == 1 and "HashMismatch" in err


def test_decode_rehashes_with_the_module_and_catches_a_rewritten_checksum(cli, home: Path) -> None:  # type: ignore[no-untyped-def]
    import sqlite3

    mod = module("keccak-256")
    code, out, err = cli("encode", "--codec", "dag-cbor", "--hash", "keccak-256", "--module", mod,
                         stdin=b'{"v": 1}')
    assert code == 0, err
    cid = out.decode().strip()
    assert cli("decode", cid)[1] == b'{"v":1}\n'  # no hasher at hand: the stored checksum vouches
    forged = bytes.fromhex("a1617602")  # {"v": 2}, with a matching sha2-256 checksum
    conn = sqlite3.connect(home / "store.sqlite")
    with conn:
        conn.execute("UPDATE blocks SET data = ?, checksum = ?", (forged, hashlib.sha256(forged).digest()))
    conn.close()
    code, _, err = cli("decode", cid, "--module", mod)
    assert code == 1 and "HashMismatch" in err
    code, _, err = cli("block", "get", cid, "--module", mod)
    assert code == 1 and "HashMismatch" in err


def test_a_new_home_decodes_extension_formats_through_the_pinned_default_set(
    home: Path, capsysbinary: pytest.CaptureFixture[bytes], monkeypatch: pytest.MonkeyPatch
) -> None:
    """No init, no --module: the first command creates the home, which pins the shipped set."""
    keccak = pytest.importorskip("Crypto.Hash.keccak")
    blob, tree = git_objects()
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(tree)))
    assert main(["block", "put", "--codec", "git-raw", "--hash", "sha1"]) == 0
    tree_cid = capsysbinary.readouterr().out.decode().strip()
    assert main(["decode", tree_cid]) == 0
    assert b'"mode":"100644"' in capsysbinary.readouterr().out
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(b"k")))
    assert main(["block", "put", "--hash", "keccak-256"]) == 0
    cid = CID.parse(capsysbinary.readouterr().out.decode().strip())
    assert cid.digest == keccak.new(digest_bits=256, data=b"k").digest()


def test_publish_finds_the_vectors_module_test_finds(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    # `module build lines -o lines.wasm` leaves lines/vectors.json beside lines.wasm's name:
    # module test found them there, publish (no --vectors) said "no test vectors" (looked beside)
    git = Path(module("git-raw"))
    (tmp_path / "git-raw").mkdir()
    wasm = tmp_path / "git-raw.wasm"
    wasm.write_bytes(git.read_bytes())
    (tmp_path / "git-raw" / "vectors.json").write_bytes((git.parent / "vectors.json").read_bytes())
    assert cli("module", "test", str(wasm))[0] == 0
    assert cli("key", "gen", "k")[0] == 0
    code, out, err = cli("publish", str(wasm), "--key", "k")
    assert code == 0, err
    assert CID.parse(out.decode().strip()).codec == 0x71
    (tmp_path / "git-raw" / "vectors.json").unlink()
    code, _, err = cli("publish", str(wasm), "--key", "k")
    assert code == 1 and "no test vectors for git-raw.wasm" in err and len(err.strip().splitlines()) == 1
