"""Where the CLI writes and what it reads: ``-o`` outputs that are devices, FIFOs, symlinks,
folders or empty; closed standard streams; failures that must leave nothing behind; and the
one-line messages for bad arguments. Each case runs the command in a subprocess on a throw-away
home (``run_cli``)."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from tests import _homes
from tests._cli import run_cli

home = _homes.initialised_home  # after autocodec init, per test (tests/_homes.py)

REPO = Path(__file__).resolve().parents[1]
GIT_RAW = REPO / "wasm-src" / "git-raw" / "git-raw.wasm"


def _one_line_error(proc: subprocess.CompletedProcess[bytes], code: int = 1) -> str:
    err = proc.stderr.decode()
    assert proc.returncode == code, err
    assert "Traceback" not in err and err.count("\n") == 1, err
    return err


def _leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if ".part" in p.name or p.name.startswith(".") or "tmp" in p.name)


@pytest.fixture()
def file_cid(home: Path, tmp_path: Path) -> str:
    (tmp_path / "hello.txt").write_bytes(b"hello\n")
    return run_cli(home, "add", "-Q", str(tmp_path / "hello.txt")).stdout.decode().strip()


def _broken_dir(home: Path, tmp_path: Path) -> str:
    """A two-file directory whose second file's block is missing from the store."""
    folder = tmp_path / "src"
    folder.mkdir()
    (folder / "a").write_bytes(b"one\n")
    (folder / "b").write_bytes(b"two\n")
    lines = run_cli(home, "add", "-r", "-q", str(folder)).stdout.decode().split()
    run_cli(home, "block", "rm", lines[1])
    return lines[-1]


def _closed(stream: str, home: Path, *args: str, stdin: bytes | None = None) -> subprocess.CompletedProcess[bytes]:
    """``autocodec ARGS`` with standard input (``<&-``) or output (``>&-``) closed."""
    redirect = {"stdin": "<&-", "stdout": ">&-"}[stream]
    env = {**os.environ, "AUTOCODEC_HOME": str(home)}
    return subprocess.run(["sh", "-c", f'exec "$@" {redirect}', "sh", sys.executable, "-m", "autocodec", *args],
                          env=env, stdout=None if stream == "stdout" else subprocess.PIPE,
                          stderr=subprocess.PIPE, timeout=120)


def _through_fifo(fifo: Path, home: Path, *args: str) -> tuple[subprocess.CompletedProcess[bytes], bytes | None]:
    """Run ``autocodec ARGS`` while a thread reads ``fifo``; what the thread read (None: nothing
    was ever written to the FIFO)."""
    got: dict[str, bytes] = {}

    def read() -> None:
        with open(fifo, "rb") as stream:
            got["data"] = stream.read()

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    proc = run_cli(home, *args, check=False)
    reader.join(10)
    if reader.is_alive() and stat.S_ISFIFO(os.stat(fifo).st_mode):  # nobody opened it: unblock the reader
        os.close(os.open(fifo, os.O_WRONLY | os.O_NONBLOCK))
        reader.join(10)
    return proc, got.get("data")


# --- 1. outputs that are not regular files --------------------------------------------------------


def test_a_fifo_output_is_written_through_not_replaced(home: Path, tmp_path: Path, file_cid: str) -> None:
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    proc, data = _through_fifo(fifo, home, "car", "export", file_cid, "-o", str(fifo))
    assert proc.returncode == 0, proc.stderr
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode)
    assert data is not None and b"roots" in data[:16] and data.endswith(b"hello\n\x18\x06")  # a CARv1
    proc, data = _through_fifo(fifo, home, "get", file_cid, "-o", str(fifo))
    assert proc.returncode == 0, proc.stderr
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode) and data == b"hello\n"
    assert _leftovers(tmp_path) == []


def test_dev_null_stays_a_device(home: Path, file_cid: str) -> None:
    for args in (["car", "export", file_cid, "-o", os.devnull], ["get", file_cid, "-o", os.devnull]):
        proc = run_cli(home, *args, check=False)
        assert stat.S_ISCHR(os.lstat(os.devnull).st_mode), args
        assert proc.returncode == 0, (args, proc.stderr)


def test_a_symlinked_output_is_followed_and_kept(home: Path, tmp_path: Path, file_cid: str) -> None:
    real = tmp_path / "real.car"
    real.write_bytes(b"old")
    link = tmp_path / "link.car"
    link.symlink_to(real.name)
    run_cli(home, "car", "export", file_cid, "-o", str(link))
    assert link.is_symlink() and os.readlink(link) == "real.car"
    assert b"roots" in real.read_bytes()[:16]
    dev = tmp_path / "null-link"
    dev.symlink_to(os.devnull)
    run_cli(home, "car", "export", file_cid, "-o", str(dev))
    assert dev.is_symlink() and stat.S_ISCHR(os.lstat(os.devnull).st_mode)
    assert _leftovers(tmp_path) == []


# --- 2. closed standard streams -----------------------------------------------------------------


@pytest.mark.parametrize("args", [
    ["add", "-"], ["block", "put"], ["dag", "put"], ["encode", "--codec", "dag-cbor"], ["hash"], ["bao", "hash"],
    ["bao", "encode", "-", "OUT"], ["car", "import", "-"], ["dag", "import", "-"], ["module", "inspect", "-"],
])
def test_a_closed_stdin_is_one_line(home: Path, tmp_path: Path, args: list[str]) -> None:
    args = [str(tmp_path / "out.bao") if a == "OUT" else a for a in args]
    err = _one_line_error(_closed("stdin", home, *args))
    assert "standard input is closed" in err
    assert not (tmp_path / "out.bao").exists()


@pytest.mark.parametrize("args", [["block", "ls"], ["cat", "CID"], ["car", "export", "CID", "-o", "-"]])
def test_a_closed_stdout_is_one_line(home: Path, file_cid: str, args: list[str]) -> None:
    args = [file_cid if a == "CID" else a for a in args]
    err = _one_line_error(_closed("stdout", home, *args))
    assert "standard output is closed" in err


# --- 3, 4. empty and folder outputs; nothing left behind ----------------------------------------------


def test_an_empty_output_path_is_one_line(home: Path, tmp_path: Path, file_cid: str) -> None:
    """(``get -o ""`` is no ``-o``, as in Kubo: ``test_get_kubo``.)"""
    err = _one_line_error(run_cli(home, "car", "export", file_cid, "-o", "", check=False))
    assert "empty" in err
    assert not (Path.cwd() / file_cid).exists()


@pytest.fixture()
def published_set(home: Path) -> str:
    if not GIT_RAW.exists():
        pytest.skip("wasm-src/git-raw/git-raw.wasm is not built")
    run_cli(home, "key", "gen", "ann")
    manifest = run_cli(home, "publish", str(GIT_RAW), "--key", "ann").stdout.decode().strip()
    run_cli(home, "set", "init", "s1", "--key", "ann")
    run_cli(home, "set", "add", "s1", manifest)
    run_cli(home, "set", "publish", "s1")
    return "s1"


def test_set_export_to_a_folder_is_refused_and_leaves_nothing(home: Path, tmp_path: Path, published_set: str) -> None:
    folder = tmp_path / "dir1"
    folder.mkdir()
    err = _one_line_error(run_cli(home, "set", "export", published_set, "-o", str(folder), check=False))
    assert f"cannot write {folder}: it is a directory" in err and ".part" not in err
    assert _leftovers(tmp_path) == [] and list(folder.iterdir()) == []
    real = tmp_path / "bundle.car"
    (tmp_path / "link.car").symlink_to(real.name)
    run_cli(home, "set", "export", published_set, "-o", str(tmp_path / "link.car"))
    assert (tmp_path / "link.car").is_symlink() and b"roots" in real.read_bytes()[:16]
    assert _leftovers(tmp_path) == []


def test_car_export_to_a_folder_says_so(home: Path, tmp_path: Path, file_cid: str) -> None:
    err = _one_line_error(run_cli(home, "car", "export", file_cid, "-o", str(tmp_path), check=False))
    assert "it is a directory" in err
    assert _leftovers(tmp_path) == []


# --- 5. bao decode keeps OUTPUT until verified bytes exist ---------------------------------------


def test_bao_decode_that_fails_at_once_keeps_the_output(home: Path, tmp_path: Path) -> None:
    content = os.urandom(100_000)
    (tmp_path / "med.bin").write_bytes(content)
    run_cli(home, "bao", "encode", str(tmp_path / "med.bin"), str(tmp_path / "med.bao"))
    out = tmp_path / "out"
    out.write_bytes(b"keep")
    err = _one_line_error(run_cli(home, "bao", "decode", "11" * 32, str(tmp_path / "med.bao"), str(out), check=False))
    assert "VerificationFailed" in err
    assert out.read_bytes() == b"keep"
    new = tmp_path / "new"
    _one_line_error(run_cli(home, "bao", "decode", "11" * 32, str(tmp_path / "med.bao"), str(new), check=False))
    assert not new.exists()


# --- 9. positionals after options (the reference bao tool's order) ------------------------------


def test_bao_decode_takes_positionals_after_options(home: Path, tmp_path: Path) -> None:
    content = os.urandom(70_000)
    (tmp_path / "med.bin").write_bytes(content)
    run_cli(home, "bao", "encode", str(tmp_path / "med.bin"), "--outboard", str(tmp_path / "med.obao"))
    digest = run_cli(home, "bao", "hash", str(tmp_path / "med.bin")).stdout.decode().strip()
    out = tmp_path / "out"
    run_cli(home, "bao", "decode", digest, "--outboard", str(tmp_path / "med.obao"), str(tmp_path / "med.bin"), str(out))
    assert out.read_bytes() == content


# --- 6. get: nothing left on failure; messages ---------------------------------------------------


def test_get_that_fails_leaves_nothing(home: Path, tmp_path: Path) -> None:
    root = _broken_dir(home, tmp_path)
    work = tmp_path / "work"
    work.mkdir()
    for args in (["-o", str(work / "out")], ["-a", "-o", str(work / "out")], ["-o", str(work / "x" / "y" / "out")]):
        _one_line_error(run_cli(home, "get", root, *args, check=False))
        assert sorted(os.listdir(work)) == [], args


def test_get_output_messages(home: Path, tmp_path: Path, file_cid: str) -> None:
    err = _one_line_error(run_cli(home, "get", file_cid, "-o", "/nonexist/x", check=False))
    assert "the folder /nonexist does not exist" in err and "FileNotFoundError" not in err
    folder = tmp_path / "d"
    folder.mkdir()
    (folder / "f").write_bytes(b"x")
    dir_cid = run_cli(home, "add", "-r", "-Q", str(folder)).stdout.decode().strip()
    regular = tmp_path / "a.tar"
    regular.write_bytes(b"data")
    err = _one_line_error(run_cli(home, "get", dir_cid, "-o", str(regular), check=False))
    assert "symlink" not in err and "regular file" in err
    assert regular.read_bytes() == b"data"


# --- 7, 8. arguments and messages -----------------------------------------------------------------


def test_an_empty_home_is_refused(home: Path) -> None:
    err = _one_line_error(run_cli(home, "--home", "", "block", "ls", check=False))
    assert "--home" in err and "empty" in err


def test_messages_say_what_is_wrong(home: Path, tmp_path: Path) -> None:
    err = _one_line_error(run_cli(home, "pin", "add", "nonexist", check=False))
    assert "neither an existing file nor a CID" in err
    if os.path.exists("/proc/self/mem"):
        err = _one_line_error(run_cli(home, "hash", "/proc/self/mem", check=False))
        assert "/proc/self/mem" in err
    err = run_cli(home, "module", "new", "--lang", "c", "--kind", "codec", "--code", "abc", str(tmp_path / "m"),
                  check=False).stderr.decode()
    assert "<lambda>" not in err and "'abc' is not a code number" in err
    (tmp_path / "f").write_bytes(b"x")
    for option, value in (("--mode", "99999999999"), ("--mtime-nsecs", "-1")):
        err = _one_line_error(run_cli(home, "add", option, value, "--mtime", "1", str(tmp_path / "f"), check=False))
        assert f'strconv.ParseUint: parsing "{value}": ' in err, option  # Go's words, as Kubo's
    err = run_cli(home, "name", "publish", "--key", "nokey", "--lifetime", "-1h", "/ipfs/bafkqaaa",
                  check=False).stderr.decode()
    assert "expected one argument" not in err and "Traceback" not in err
    proc = run_cli(home, "block", "put", "--cid-version", "0", str(tmp_path / "f"), check=False)
    assert proc.returncode == 1 and proc.stderr.decode().startswith("autocodec block put: error: ")


# --- set add says which entry a manifest takes the place of ---------------------------------------


def test_set_add_says_on_stderr_which_entry_it_replaces(home: Path, published_set: str) -> None:
    listed = run_cli(home, "set", "show", published_set).stdout.decode().splitlines()
    first = listed[1].split("\t")[2]  # "codec\tgit-raw\tMANIFEST"
    again = run_cli(home, "set", "add", published_set, first)  # the same manifest: nothing replaced
    assert again.stderr == b"" and again.stdout.decode().startswith("codec\tgit-raw\t")
    newer = run_cli(home, "publish", str(GIT_RAW), "--key", "ann", "--version", "9.0.0").stdout.decode().strip()
    added = run_cli(home, "set", "add", published_set, newer)
    # what is staged, the code named as `set show` names it (it was the decimal code, 120)
    assert added.stdout.decode() == f"codec\tgit-raw\t{newer}\n"
    assert added.stderr.decode() == f"codec git-raw: replaces {first} in the next version\n"


def test_a_lazy_output_to_a_full_standard_output_is_an_output_error(monkeypatch: pytest.MonkeyPatch) -> None:
    """``LazyOutput`` on standard output (streamed ``bao decode``...) meets a full disk as
    ``streaming_stdout`` does: ``OutputError`` naming standard output, not a bare ``OSError``."""
    import io as _io

    from autocodec.cli._io import LazyOutput
    from autocodec.errors import OutputError

    with open("/dev/full", "wb", buffering=0) as full:
        monkeypatch.setattr(sys, "stdout", _io.TextIOWrapper(_io.BufferedWriter(_io.FileIO(os.dup(full.fileno()), "wb"))))
        out = LazyOutput("-")
        with pytest.raises(OutputError, match="cannot write standard output: No space left on device"):
            out.write(b"x" * 100_000)
            out.finish()
