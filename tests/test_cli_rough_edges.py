"""What a new user hit (issue 17): one-line errors, no side-effect homes, hints that fit,
examples in every help, lazy start-up, useful progress, safe text output."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import zlib
from pathlib import Path

import pytest

from autocodec.cli import main
from autocodec.cli._app import build_parser
from autocodec.cli._text import clean

from ._cli import run_cli


def _one_line_error(proc: subprocess.CompletedProcess[bytes], code: int = 1) -> str:
    err = proc.stderr.decode()
    assert proc.returncode == code, err
    assert "Traceback" not in err and err.count("\n") == 1, err
    return err


@pytest.fixture()
def cli(home: Path, capsysbinary: pytest.CaptureFixture[bytes]):  # type: ignore[no-untyped-def]
    def run(*args: str) -> tuple[int, bytes, str]:
        code = main(list(args))
        out, err = capsysbinary.readouterr()
        return code, out, err.decode()

    return run


@pytest.mark.parametrize("args", [["--port", "99999"], ["--port", "x"], ["--workers", "0"],
                                  ["--refresh-interval", "-5"], ["--refresh-interval", "0"]])
def test_serve_refuses_bad_options_as_usage_errors(tmp_path: Path, args: list[str]) -> None:
    proc = run_cli(tmp_path / "home", "serve", *args, check=False)
    assert proc.returncode == 1 and b"Traceback" not in proc.stderr and b"serving on" not in proc.stderr


@pytest.mark.slow
def test_serve_on_a_busy_port_or_unknown_host_is_one_line(tmp_path: Path) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = str(busy.getsockname()[1])
        err = _one_line_error(run_cli(tmp_path / "home", "serve", "--port", port, check=False))
    assert "ConfigError" in err and port in err and "serving on" not in err
    err = _one_line_error(run_cli(tmp_path / "home", "serve", "--host", "nonexistent.invalid", check=False))
    assert "nonexistent.invalid" in err


def test_homes_that_cannot_be_created_are_one_line(tmp_path: Path) -> None:
    err = _one_line_error(subprocess.run([sys.executable, "-m", "autocodec", "--home", "/proc/autocodec-x", "init"],
                                         capture_output=True))
    assert "StoreError" in err and "/proc/autocodec-x" in err
    afile = tmp_path / "afile"
    afile.write_text("not a folder")
    err = _one_line_error(run_cli(afile, "init", check=False))
    assert "is a file" in err


def test_read_only_commands_do_not_create_a_home(tmp_path: Path) -> None:
    home = tmp_path / "x" / "y"
    cid = "bafyreihltcnuuyqp2jm24aqydpnlj7b6w3ogwrplomrjtg5rifv44mmjey"
    for args in (["decode", cid], ["dag", "get", f"{cid}/a"], ["block", "stat", cid], ["cat", cid]):
        err = _one_line_error(run_cli(home, *args, check=False))
        assert "does not exist" in err and "autocodec init" in err, args
    for args in (["pin", "ls"], ["resolve", "codec", "git-raw"], ["block", "ls"]):
        err = _one_line_error(run_cli(home, *args, check=False))
        assert "ConfigError" in err and "does not exist" in err, args
    assert "InvalidCID" in _one_line_error(run_cli(home, "decode", "not-a-cid", check=False))
    assert not (tmp_path / "x").exists()
    run_cli(home, "init")
    assert (home / "store.sqlite").exists()


def test_run_without_arguments_is_a_usage_error(tmp_path: Path) -> None:
    proc = run_cli(tmp_path / "home", "run", check=False)
    assert proc.returncode == 1 and b"give MODULE and FUNCTION" in proc.stderr


def test_missing_block_hints_fit_the_command(cli) -> None:  # type: ignore[no-untyped-def]
    assert cli("init", "--no-default-set")[0] == 0
    missing = "bafkreifjjcie6lypi6ny7amxnfftagclbuxndqonfipmb64f2km2devei4"
    code, _, err = cli("block", "stat", missing)
    assert code == 1 and "BlockNotFound" in err and "--node" not in err and "local store only" in err
    code, _, err = cli("decode", missing)
    assert code == 1 and "--node ADDR or --gateway URL" in err
    code, _, err = cli("car", "export", missing, "-o", "-")
    assert code == 1 and "--node" not in err


def test_resolve_chunker_accepts_add_spellings(cli) -> None:  # type: ignore[no-untyped-def]
    assert cli("init")[0] == 0
    for spelling in ("fastcdc", "fastcdc-16384-65536-262144", "buzhash", "chunker-fastcdc"):
        code, out, _ = cli("resolve", "chunker", spelling)
        assert code == 0 and b"extension" in out and b"chunker-" in out, spelling
    code, out, _ = cli("resolve", "chunker", "size-1024")
    assert code == 0 and b"builtin" in out
    for refused in ("size-0", "fastcdc-1-2-3", "size-x"):  # what add refuses, resolve refuses alike
        code, _, err = cli("resolve", "chunker", refused)
        assert code == 1 and err.count("\n") == 1, (refused, err)


def test_wrong_kind_of_input_says_what_it_is(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    assert cli("init")[0] == 0
    code, out, _ = cli("dag", "put", "--input-codec", "dag-json")  # stdin is empty under capture
    doc = tmp_path / "doc.json"
    doc.write_bytes(b'{"a": 1}')
    code, out, _ = cli("dag", "put", str(doc))
    assert code == 0
    cid = out.decode().strip()
    code, _, err = cli("cat", cid)
    assert code == 1 and "dag-cbor block, not a UnixFS file" in err
    car = tmp_path / "data.car"
    assert cli("car", "export", cid, "-o", str(car))[0] == 0
    code, _, err = cli("pin", "add", str(car))
    assert code == 1 and "not an extension set bundle" in err and "dag import" in err
    body = b"hello\n"
    loose = tmp_path / "loose"
    loose.write_bytes(zlib.compress(b"blob %d\x00" % len(body) + body))
    code, _, err = cli("block", "put", "--codec", "git-raw", "--hash", "sha1", str(loose))
    assert code == 1 and "zlib-compressed" in err


def test_every_command_help_has_examples() -> None:
    parser = build_parser([])
    sub = next(a for a in parser._actions if a.__class__.__name__ == "_SubParsersAction")
    assert parser.epilog and "examples:" in parser.epilog
    own = {"add", "cat", "bench", "block", "car", "dag", "decode", "encode", "hash", "init", "key", "module",
           "pin", "publish", "receipt", "resolve", "run", "serve", "set", "trust"}
    for name, command in sub.choices.items():
        if name in own:
            assert command.epilog and "examples:" in command.epilog, name


def test_decode_of_a_builtin_block_starts_without_the_extension_stack(tmp_path: Path) -> None:
    home = tmp_path / "home"
    cid = run_cli(home, "dag", "put", stdin=b'{"a": [1, 2]}').stdout.decode().strip()
    probe = ("import sys; from autocodec.cli import main; main(['decode', sys.argv[1]]); "
             "print(sorted(m for m in ('wasmtime', 'structlog', 'cryptography', 'autocodec.registry', "
             "'autocodec.loader', 'urllib3', 'http.client') if m in sys.modules), file=sys.stderr)")
    proc = subprocess.run([sys.executable, "-c", probe, cid], capture_output=True,
                          env={**os.environ, "AUTOCODEC_HOME": str(home)}, timeout=120)
    assert proc.returncode == 0 and proc.stdout == b'{"a":[1,2]}\n'
    assert proc.stderr.decode().strip() == "[]"


def test_untrusted_text_loses_its_control_characters() -> None:
    assert clean("ok\tname\n") == "ok\tname\n"
    assert clean("\x1b[31mred\x1b[0m\x07\x08\x9b2J\u202eevil") == "[31mred[0m2Jevil"


def test_progress_shows_rate_and_eta_on_a_terminal(monkeypatch: pytest.MonkeyPatch,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    import time

    from autocodec import progress

    monkeypatch.setattr(sys.stderr, "isatty", lambda: True)
    clock = iter([100.0, 101.0, 102.0])
    monkeypatch.setattr(time, "monotonic", lambda: next(clock))
    report = progress.stderr_progress("add", min_interval_s=0)
    report(1024 * 1024, 4 * 1024 * 1024)
    report(4 * 1024 * 1024, 4 * 1024 * 1024)
    err = capsys.readouterr().err
    assert "1.0 MiB / 4.0 MiB (25%), 1.0 MiB/s, ETA 3s" in err
    assert "(100%), 2.0 MiB/s" in err and err.endswith("\n")


def test_progress_counts_one_thing_in_the_singular(capsys: pytest.CaptureFixture[str]) -> None:
    from autocodec import progress

    report = progress.stderr_progress("pin", min_interval_s=0)
    report(1, 1, "modules")  # pin add of a set of one module said "1 modules / 1 modules"
    report(2, 2, "modules")
    err = capsys.readouterr().err
    assert "pin: 1 module / 1 module" in err and "pin: 2 modules / 2 modules" in err, err


def test_cid_base_on_output(cli, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    import io

    from autocodec import CID

    assert cli("init", "--no-default-set")[0] == 0
    for base, prefix in (("base36", "k"), ("base58btc", "z"), ("base16", "f"), ("base32upper", "B")):
        monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(b'{"a": 1}')))
        code, out, _ = cli("block", "put", "--codec", "dag-json", "--cid-base", base)
        assert code == 0 and out.decode().startswith(prefix), base
        assert CID.parse(out.decode().strip()).codec == 0x0129
        code, listed, _ = cli("block", "ls", "--cid-base", base)
        assert out in listed.splitlines(keepends=True)
        assert cli("decode", out.decode().strip())[1] == b'{"a":1}\n'


def test_decode_accepts_paths_and_any_multibase(cli, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    import io

    from autocodec import CID

    assert cli("init", "--no-default-set")[0] == 0
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(b'{"x": [1, {"y": "z"}]}')))
    leaf = cli("dag", "put")[1].decode().strip()
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(b'{"l": {"/": "%s"}}' % leaf.encode())))
    root = CID.parse(cli("dag", "put")[1].decode().strip())
    for text in (str(root), root.encode("base36"), root.encode("base64url"), root.encode("base58btc")):
        for prefix in ("", "/ipfs/", "ipfs://"):
            code, out, err = cli("decode", f"{prefix}{text}/l/x/1/y")
            assert (code, out) == (0, b'"z"\n'), (prefix, text, err)
    code, out, err = cli("decode", "--pretty", f"{root}/l/x")
    assert code == 0 and out.startswith(b"[\n")
    code, _, err = cli("decode", f"{root}/l/nope")
    assert code == 1 and "PathNotFound" in err and err.count("\n") == 1
