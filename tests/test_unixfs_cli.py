"""``autocodec add`` / ``autocodec cat`` end to end (in-process; one subprocess for a pipe)."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path

import pytest

from autocodec.cli import main
from autocodec.loader import xorshift_bytes

from .conftest import FIXTURES, REPO

REFERENCE = json.loads((FIXTURES / "unixfs" / "reference.json").read_text())


@pytest.fixture
def cli(home: Path, capsysbinary: pytest.CaptureFixture[bytes], monkeypatch: pytest.MonkeyPatch):
    def run(*args: str, stdin: bytes = b"") -> tuple[int, bytes, str]:
        monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(stdin)))
        code = main(list(args))
        out, err = capsysbinary.readouterr()
        return code, out, err.decode()

    return run


def test_add_then_cat_matches_reference(cli, tmp_path: Path) -> None:
    case = next(c for c in REFERENCE["files"] if c["options"] == {"chunker": "size-1024"})
    data = xorshift_bytes(case["input"]["seed"], case["input"]["length"])
    path = tmp_path / "data.bin"
    path.write_bytes(data)
    code, out, err = cli("add", "--chunker", "size-1024", str(path))
    assert code == 0, err
    assert out.decode() == f"added {case['cid']} data.bin\n"
    code, out, _ = cli("cat", case["cid"])
    assert code == 0 and out == data


def test_add_options(cli, tmp_path: Path) -> None:
    path = tmp_path / "hello.txt"
    path.write_bytes(b"hello world\n")
    assert cli("add", "-q", "--cid-version", "1", str(path))[1] == b"bafkreifjjcie6lypi6ny7amxnfftagclbuxndqonfipmb64f2km2devei4\n"
    assert cli("add", "-Q", "--cid-version", "1", "--no-raw-leaves", str(path))[1].startswith(b"bafybei")
    assert cli("add", "-Q", "--raw-leaves", str(path))[1] == b"bafkreifjjcie6lypi6ny7amxnfftagclbuxndqonfipmb64f2km2devei4\n"
    code, out, _ = cli("add", "-Q", "-", stdin=b"hello world\n")
    assert out == b"QmT78zSuBmuS4z925WZfrqQ1qHaJ56DQaTfyMUF7F8ff5o\n"


@pytest.mark.parametrize("chunker", ["buzhash", "fastcdc-2048-8192-32768"])
def test_content_defined_chunkers_round_trip(cli, tmp_path: Path, chunker: str) -> None:
    data = xorshift_bytes(5, 1_500_000)
    path = tmp_path / "big"
    path.write_bytes(data)
    code, out, err = cli("add", "-Q", "--chunker", chunker, str(path))
    assert code == 0, err
    assert cli("cat", out.decode().strip())[1] == data


def test_a_chunker_module_is_named_by_its_module_name(cli, tmp_path: Path) -> None:
    """``--chunker NAME[:key=N,...]`` takes any chunker module of the pinned sets by its name
    (a published chunker was usable from the API only: the CLI knew size, rabin, buzhash and
    fastcdc). The shipped FastCDC module by name cuts as ``fastcdc-MIN-AVG-MAX`` does; a name no
    pinned set lists, malformed parameters and parameters the module refuses are one typed line."""
    path = tmp_path / "big"
    path.write_bytes(xorshift_bytes(9, 300_000))
    by_family = cli("add", "-Q", "--chunker", "fastcdc-1024-4096-16384", str(path))
    by_module = cli("add", "-Q", "--chunker", "chunker-fastcdc:min=1024,avg=4096,max=16384", str(path))
    assert by_module[0] == 0 and by_module[1] == by_family[1], by_module[2]
    assert cli("add", "-Q", "--chunker", "chunker-buzhash", str(path))[1] == cli("add", "-Q", "--chunker", "buzhash",
                                                                               str(path))[1]
    for chunker, error in (("no-such-chunker", "UnknownChunker"), ("chunker-fastcdc:avg", "InvalidInput"),
                           ("chunker-fastcdc:min=1,min=2", "InvalidInput"), ("chunker-fastcdc", "InvalidInput"),
                           ("Bad_Name", "UnknownChunker")):
        code, out, err = cli("add", "-Q", "--chunker", chunker, str(path))
        assert code == 1 and out == b"" and err.startswith(f"autocodec: {error}: ") and err.count("\n") == 1, err
    assert "refused its parameters" in cli("add", "-Q", "--chunker", "chunker-fastcdc", str(path))[2]


def test_add_recursive_matches_reference(cli, tmp_path: Path) -> None:
    tree = REFERENCE["trees"][0]
    for rel, text in tree["files"].items():
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_bytes(text.encode())
    code, out, err = cli("add", "-r", str(tmp_path / "d"))
    assert code == 0, err
    printed = {}
    for line in out.decode().splitlines():
        word, cid, name = line.split(" ", 2)
        assert word == "added"
        printed[name] = cid
    assert printed == tree["entries"]


@pytest.mark.parametrize(
    "args,error",
    [
        (["add", "--chunker", "rabin-1-2-3", "X"], "rabin min must be greater than 16"),  # boxo's words
        (["add", "--chunker", "karp-1-2-3", "X"], "UnknownChunker"),
        (["add", "--hash", "blake2b-256", "--cid-version", "0", "X"], "CIDv0 only supports sha2-256"),
        (["add", "--chunker", "size-0", "X"], "InvalidInput"),
        (["add", "DIR"], "is a directory, use the '-r' flag"),  # Kubo's words
        (["add", "MISSING"], "InvalidInput"),
        (["cat", "not-a-cid"], "InvalidCID"),
        (["cat", "QmUNLLsPACCz1vLxQVkXqqLX5R1X345qqfHbsf67hvA3Nn"], "BlockNotFound"),
    ],
)
def test_errors_are_one_line(cli, tmp_path: Path, args: list[str], error: str) -> None:
    (tmp_path / "X").write_bytes(b"x")
    (tmp_path / "DIR").mkdir()
    args = [str(tmp_path / a) if a in ("X", "DIR", "MISSING") else a for a in args]
    code, out, err = cli(*args)
    assert code == 1 and out == b""
    assert error in err and err.count("\n") == 1 and "Traceback" not in err


def test_cat_of_directory_is_an_error(cli, tmp_path: Path) -> None:
    (tmp_path / "d").mkdir()
    (tmp_path / "d" / "f").write_bytes(b"f")
    root = cli("add", "-Q", "-r", str(tmp_path / "d"))[1].decode().strip()
    code, _, err = cli("cat", root)
    assert code == 1 and "not a file" in err


@pytest.mark.slow
def test_cat_into_a_closed_pipe(home: Path, tmp_path: Path) -> None:
    data = xorshift_bytes(9, 3_000_000)
    (tmp_path / "f").write_bytes(data)
    env = {"AUTOCODEC_HOME": str(home), "PATH": "/usr/bin:/bin"}
    exe = [sys.executable, "-m", "autocodec"]
    cid = subprocess.run([*exe, "add", "-Q", str(tmp_path / "f")], env=env, cwd=REPO, capture_output=True, check=True).stdout.decode().strip()
    proc = subprocess.run(f"{' '.join(exe)} cat {cid} | head -c 10", shell=True, env=env, cwd=REPO, capture_output=True)
    assert proc.stdout == data[:10]
    assert b"Traceback" not in proc.stderr


def test_cat_a_path_inside_a_directory(cli, tmp_path: Path) -> None:
    (tmp_path / "d" / "sub").mkdir(parents=True)
    (tmp_path / "d" / "sub" / "f.txt").write_bytes(b"inside\n")
    root = cli("add", "-Q", "-r", str(tmp_path / "d"))[1].decode().strip()
    code, out, err = cli("cat", f"{root}/sub/f.txt")
    assert code == 0 and out == b"inside\n", err
    code, _, err = cli("cat", f"{root}/sub/missing")
    assert code == 1 and "NotFound" in err and err.count("\n") == 1


def test_wrap_with_directory(cli, tmp_path: Path) -> None:
    tree = REFERENCE["trees"][0]
    for rel, text in tree["files"].items():
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_bytes(text.encode())
    # wrapping d/a and d/b gives the directory {a, b}: the same node as a folder holding them
    code, out, err = cli("add", "-w", str(tmp_path / "d" / "a"), str(tmp_path / "d" / "b"))
    assert code == 0, err
    lines = out.decode().splitlines()
    assert lines[:2] == [f"added {tree['entries']['d/a']} a", f"added {tree['entries']['d/b']} b"]
    (tmp_path / "ab").mkdir()
    for name in ("a", "b"):
        (tmp_path / "ab" / name).write_bytes((tmp_path / "d" / name).read_bytes())
    # Kubo's line for the wrapping folder has an empty name: "added CID " (trailing space)
    assert lines[2] == "added " + cli("add", "-Q", "-r", str(tmp_path / "ab"))[1].decode().strip() + " "
    # stdin wrapped: under its CID, as Kubo names unnamed stdin (test_unixfs_kubo compares it with Kubo)
    code, out, err = cli("add", "-w", "-", stdin=b"x")
    lines = out.decode().splitlines()
    assert code == 0 and len(lines) == 2 and lines[0].split()[1] == lines[0].split()[2], (out, err)


def test_add_with_an_extension_hasher(cli, tmp_path: Path) -> None:
    blake3 = pytest.importorskip("blake3")
    from autocodec.cid import CID
    from autocodec.store import BlockStore

    data = xorshift_bytes(21, 700_000)
    (tmp_path / "f").write_bytes(data)
    # blake3 is no builtin: the BLAKE3 Wasm hasher of the pinned default set serves it
    code, out, err = cli("add", "-Q", "--hash", "blake3", "--chunker", "buzhash", str(tmp_path / "f"))
    assert code == 0, err
    root = CID.parse(out.decode().strip())
    assert root.version == 1 and root.hash_code == 0x1E  # a non-sha2-256 hash implies CIDv1
    code, out, err = cli("cat", str(root))
    assert code == 0 and out == data, err
    with BlockStore.open() as store:
        block = store.get(root)
    assert root.digest == blake3.blake3(block).digest()
    code, out, err = cli("add", "-Q", "--hash", "sha2-512", str(tmp_path / "f"))
    assert code == 0 and CID.parse(out.decode().strip()).hash_code == 0x13, err
    code, _, err = cli("add", "--hash", "no-such-hash", str(tmp_path / "f"))
    assert code == 1 and "UnknownHash" in err
