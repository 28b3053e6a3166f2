"""The core CLI: init, block, encode, decode, car; in-process for speed, subprocess for exit paths."""

from __future__ import annotations

import io
import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from autocodec import CID
from autocodec.builtin import cid_for, decode, encode
from autocodec.cli import main
from autocodec.store import BlockStore, CarReader

from .conftest import CODEC_FIXTURES, REPO

FIXTURES_CAR = CODEC_FIXTURES / "fixtures.car"


class Run:
    def __init__(self, code: int, out: bytes, err: bytes) -> None:
        self.code, self.out, self.err = code, out, err.decode()

    @property
    def text(self) -> str:
        return self.out.decode()


@pytest.fixture
def fresh_cli(home: Path, capsysbinary: pytest.CaptureFixture[bytes], monkeypatch: pytest.MonkeyPatch):
    """Run ``autocodec ARGS`` in-process with optional stdin bytes, on a home not yet created."""

    def run(*args: str, stdin: bytes = b"") -> Run:
        monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(stdin)))
        try:
            code = main(list(args))
        except SystemExit as exc:  # argparse usage errors
            code = int(exc.code or 0)
        captured = capsysbinary.readouterr()
        return Run(code, captured.out, captured.err)

    return run


@pytest.fixture
def cli(fresh_cli):  # type: ignore[no-untyped-def]
    """``fresh_cli`` on a home initialised with builtins only (no extension set pinned)."""
    assert fresh_cli("init", "--no-default-set").code == 0
    return fresh_cli


def one_line_error(run: Run, kind: str) -> None:
    assert run.code == 1, (run.code, run.err)
    lines = run.err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"autocodec: {kind}:"), run.err
    assert "Traceback" not in run.err


def test_init_is_idempotent_and_pins_the_default_set(fresh_cli, home: Path) -> None:  # type: ignore[no-untyped-def]
    first = fresh_cli("init")
    assert first.code == 0 and "new store" in first.text
    assert first.text.splitlines()[1].startswith("pinned extension set autocodec-default v")  # says what it pinned
    assert (home / "store.sqlite").exists() and (home / "keys").is_dir()
    again = fresh_cli("init")
    assert again.code == 0 and "existing store" in again.text
    assert fresh_cli("pin", "ls").text.startswith("autocodec-default")


def test_init_without_the_default_set(fresh_cli) -> None:  # type: ignore[no-untyped-def]
    first = fresh_cli("init", "--no-default-set").text
    assert "new store" in first and first.splitlines()[1].startswith("no extension set pinned")
    assert "existing store, 0 blocks" in fresh_cli("init").text  # an existing home is left as it is
    assert fresh_cli("block", "ls").text == ""


def test_block_put_get_stat_rm(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    data = b"hello autocodec\n"
    put = cli("block", "put", stdin=data)
    assert put.code == 0
    cid = CID.parse(put.text.strip())
    assert cid == cid_for(data, "raw") and put.text.strip().startswith("bafk")
    source = tmp_path / "block.bin"
    source.write_bytes(data)
    assert cli("block", "put", str(source)).text.strip() == str(cid)
    get = cli("block", "get", str(cid))
    assert get.code == 0 and get.out == data
    stat = cli("block", "stat", str(cid))
    assert stat.code == 0
    assert stat.text == f"Key: {cid}\nSize: {len(data)}\n"  # Kubo's lines (test_refs_kubo compares them)
    rm = cli("block", "rm", str(cid))
    assert rm.code == 0 and rm.text.strip() == f"removed {cid}"
    one_line_error(cli("block", "get", str(cid)), "BlockNotFound")
    one_line_error(cli("block", "rm", str(cid)), "BlockNotFound")


def test_block_put_codec_and_hash_options(cli) -> None:  # type: ignore[no-untyped-def]
    block = encode({"x": [1, 2]}, "dag-cbor")
    put = cli("block", "put", "--codec", "0x71", "--hash", "sha2-512", stdin=block)
    assert put.code == 0
    assert CID.parse(put.text.strip()) == cid_for(block, "dag-cbor", "sha2-512")
    one_line_error(cli("block", "put", "--codec", "dag-cbor", stdin=b"\xa1\x61"), "InvalidBlock")
    one_line_error(cli("block", "put", "--hash", "no-such-hash", stdin=b"x"), "UnknownHash")
    one_line_error(cli("block", "put", "--codec", "no-such-codec", stdin=b"x"), "UnknownCodec")
    one_line_error(cli("block", "put", "--hash", "keccak-256", stdin=b"x"), "UnknownHash")


def test_encode_then_decode_prints_dag_json_links(cli) -> None:  # type: ignore[no-untyped-def]
    leaf = cli("block", "put", stdin=b"leaf").text.strip()
    doc = '{ "name": "doc", "sizes": [1, 2.5, -3],\n  "leaf": {"/": "%s"}, "bin": {"/": {"bytes": "AQID"}} }' % leaf
    enc = cli("encode", "--codec", "dag-cbor", stdin=doc.encode())
    assert enc.code == 0, enc.err
    cid = CID.parse(enc.text.strip())
    assert cid.codec == 0x71
    out = cli("decode", str(cid))
    assert out.code == 0
    assert out.text == '{"bin":{"/":{"bytes":"AQID"}},"leaf":{"/":"%s"},"name":"doc","sizes":[1,2.5,-3]}\n' % leaf
    assert json.loads(out.text)["leaf"] == {"/": leaf}
    raw = cli("decode", str(cid), "--output", "dag-cbor")
    assert raw.out == cli("block", "get", str(cid)).out
    assert decode(raw.out, "dag-cbor")["leaf"] == CID.parse(leaf)
    one_line_error(cli("decode", str(cid), "--output", "json"), "EncodeError")
    plain = cli("encode", "--codec", "json", stdin=b'{"a": [true, null]}')
    assert cli("decode", plain.text.strip(), "-o", "json").text == '{\n\t"a": [\n\t\ttrue,\n\t\tnull\n\t]\n}\n'  # Kubo's
    one_line_error(cli("encode", "--codec", "dag-cbor", stdin=b"{not json"), "InvalidBlock")


def test_decode_errors_are_one_line(cli) -> None:  # type: ignore[no-untyped-def]
    one_line_error(cli("decode", "not-a-cid"), "InvalidCID")
    one_line_error(cli("decode", str(cid_for(b"absent", "dag-cbor"))), "BlockNotFound")
    git = cli("block", "put", "--codec", "git-raw", "--hash", "sha1", stdin=b"blob 1\x00x")
    assert git.code == 0  # an unknown codec is stored (no decoder to validate), but not decodable
    one_line_error(cli("decode", git.text.strip()), "UnknownCodec")


def test_usage_errors_exit_1_as_kubo(cli) -> None:  # type: ignore[no-untyped-def]
    """A command line not understood exits 1 with one line, as Kubo 0.43.1's; a command group
    without its action prints its help and exits 0, as ``ipfs`` and ``ipfs dag`` do."""
    for args in (("decode", "bafy", "--output", "yaml"), ("encode",), ("block", "frobnicate"), ("--bogus",)):
        usage = cli(*args)  # encode: --codec is required
        assert usage.code == 1 and usage.out == b"", args
        assert usage.err.count("\n") == 1 and ": error: " in usage.err and "--help`)" in usage.err, usage.err
    for args in ((), ("block",)):
        bare = cli(*args)
        assert bare.code == 0 and bare.err == "" and bare.text.startswith("usage: autocodec"), args


def test_missing_input_file_is_one_line(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    one_line_error(cli("block", "put", str(tmp_path / "absent")), "InvalidInput")
    one_line_error(cli("car", "import", str(tmp_path / "absent.car")), "InvalidInput")


def test_car_export_import_round_trip(cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    leaf = cli("block", "put", stdin=b"leaf").text.strip()
    root = cli("encode", "--codec", "dag-cbor", stdin=b'{"l": {"/": "%s"}}' % leaf.encode()).text.strip()
    car = tmp_path / "out.car"
    exp = cli("car", "export", root, "-o", str(car))
    assert exp.code == 0 and "exported 2 blocks" in exp.err
    reader = CarReader(io.BytesIO(car.read_bytes()))
    assert reader.roots == [CID.parse(root)] and len(list(reader)) == 2
    to_stdout = cli("car", "export", root, "-o", "-")
    assert to_stdout.out == car.read_bytes()
    assert "exported 1 block (" in cli("car", "export", leaf, "-o", str(tmp_path / "leaf.car")).err  # was: 1 blocks

    monkeypatch.setenv("AUTOCODEC_HOME", str(tmp_path / "second"))
    imp = cli("car", "import", str(car))
    assert imp.code == 0 and imp.text.strip() == root and "imported 2 blocks" in imp.err
    assert cli("block", "get", leaf).out == b"leaf"
    assert cli("car", "import", "-q", "-", stdin=car.read_bytes()).code == 0
    bad = tmp_path / "bad.car"
    bad.write_bytes(car.read_bytes()[:-3])
    one_line_error(cli("car", "import", str(bad)), "InvalidCar")
    one_line_error(cli("car", "export", str(cid_for(b"nope", "raw")), "-o", str(tmp_path / "x.car")), "BlockNotFound")
    assert not (tmp_path / "x.car").exists() and not (tmp_path / "x.car.part").exists()


@pytest.mark.skipif(not FIXTURES_CAR.exists(), reason="../shared/codec-fixtures is not present")
def test_car_import_fixtures_reports_progress(cli, home: Path) -> None:  # type: ignore[no-untyped-def]
    imp = cli("car", "import", str(FIXTURES_CAR))
    assert imp.code == 0 and imp.text == ""  # fixtures.car has no roots
    assert "import:" in imp.err and "(100%)" in imp.err and "imported 273 blocks" in imp.err
    with BlockStore.open(home) as store:
        assert len(store) == 273
        some = next(c for c in store if c.codec == 0x71)
    assert cli("decode", str(some)).code == 0


# --- real processes: exit codes, no tracebacks, broken pipes --------------------------------


def autocodec(home: Path, *args: str, stdin: bytes = b"") -> subprocess.CompletedProcess[bytes]:
    env = {**os.environ, "AUTOCODEC_HOME": str(home)}
    return subprocess.run([sys.executable, "-m", "autocodec", *args], input=stdin, capture_output=True, env=env,
                          cwd=REPO, timeout=60)


@pytest.mark.slow
def test_subprocess_exit_codes_and_one_line_errors(home: Path) -> None:
    ok = autocodec(home, "block", "put", stdin=b"via a process")
    assert ok.returncode == 0 and ok.stdout.decode().strip() == str(cid_for(b"via a process", "raw"))
    bad = autocodec(home, "block", "get", "bafyNOTACID")
    assert bad.returncode == 1 and bad.stdout == b""
    assert len(bad.stderr.decode().strip().splitlines()) == 1 and b"Traceback" not in bad.stderr
    usage = autocodec(home, "block", "frobnicate")
    assert usage.returncode == 1 and b"Traceback" not in usage.stderr


@pytest.mark.slow
def test_broken_pipe_is_quiet(home: Path) -> None:
    big = os.urandom(3 * 1024 * 1024)
    cid = autocodec(home, "block", "put", "--allow-big-block", stdin=big).stdout.decode().strip()
    env = {**os.environ, "AUTOCODEC_HOME": str(home)}
    proc = subprocess.Popen([sys.executable, "-m", "autocodec", "block", "get", cid], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, env=env, cwd=REPO)
    assert proc.stdout is not None and proc.stderr is not None
    assert proc.stdout.read(10) == big[:10]
    proc.stdout.close()
    err = proc.stderr.read()
    assert proc.wait(timeout=30) == -signal.SIGPIPE  # killed by SIGPIPE, as Kubo is (test_cli_leftovers)
    assert b"Traceback" not in err and b"Exception ignored" not in err, err


@pytest.mark.slow
def test_car_export_to_a_closed_pipe_is_quiet(home: Path) -> None:
    cid = autocodec(home, "block", "put", stdin=os.urandom(2 * 1024 * 1024)).stdout.decode().strip()
    env = {**os.environ, "AUTOCODEC_HOME": str(home)}
    proc = subprocess.Popen([sys.executable, "-m", "autocodec", "car", "export", cid, "-o", "-"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, cwd=REPO)
    assert proc.stdout is not None and proc.stderr is not None
    assert len(proc.stdout.read(5)) == 5
    proc.stdout.close()
    err = proc.stderr.read()
    assert proc.wait(timeout=30) == -signal.SIGPIPE  # killed by SIGPIPE, as Kubo is (test_cli_leftovers)
    assert b"Traceback" not in err and b"Exception ignored" not in err, err


def test_decode_pretty(cli) -> None:  # type: ignore[no-untyped-def]
    cid = cli("encode", "--codec", "dag-cbor", stdin=b'{"b": [1], "a": {"/": {"bytes": "AQ"}}}').text.strip()
    pretty = cli("decode", cid, "--pretty")
    assert pretty.code == 0
    assert pretty.text == '{\n  "a": {\n    "/": {\n      "bytes": "AQ"\n    }\n  },\n  "b": [\n    1\n  ]\n}\n'


def test_block_ls_and_check(cli, home: Path) -> None:  # type: ignore[no-untyped-def]
    import sqlite3

    a = cli("block", "put", stdin=b"a").text.strip()
    b = cli("encode", "--codec", "dag-cbor", stdin=b'{"x": 1}').text.strip()
    assert sorted(cli("block", "ls").text.split()) == sorted([a, b])
    assert cli("block", "ls", "--codec", "dag-cbor").text.split() == [b]
    assert cli("block", "check").text.strip() == "all 2 blocks intact"
    conn = sqlite3.connect(home / "store.sqlite")
    with conn:
        conn.execute("UPDATE blocks SET data = ? WHERE cid = ?", (b"b", bytes(CID.parse(a))))
    conn.close()
    check = cli("block", "check")
    assert check.text.strip() == f"corrupt {a}"
    one_line_error(check, "StoreCorrupt")
    one_line_error(cli("block", "get", a), "StoreCorrupt")
