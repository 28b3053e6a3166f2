"""The command line in a hostile environment: a file size limit met mid-write (RLIMIT_FSIZE,
SIGXFSZ ignored, so writes fail with EFBIG as on a full disk), Ctrl-C and SIGKILL part-way,
a store file replaced by a folder, a store held locked by another process, arguments whose
bytes are not UTF-8. Each case runs the real command in a child process and checks for one
line on stderr, the exit status, and that nothing half-written is left where it can be seen."""

from __future__ import annotations

import os
import resource
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from tests import _homes
from tests._cli import run_cli

home = _homes.initialised_home  # after autocodec init, per test (tests/_homes.py)


def _limited(max_bytes: int) -> Callable[[], None]:
    """A ``preexec_fn``: files may grow to ``max_bytes``; a write past it fails with EFBIG."""

    def apply() -> None:
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (max_bytes, max_bytes))

    return apply


def _cli(home: Path, *args: str, max_bytes: int | None = None, stdin: bytes | None = None,
         timeout: float = 120) -> subprocess.CompletedProcess[bytes]:
    env = {**os.environ, "AUTOCODEC_HOME": str(home)}
    return subprocess.run([sys.executable, "-m", "autocodec", *args], env=env, capture_output=True, input=stdin,
                          timeout=timeout, preexec_fn=None if max_bytes is None else _limited(max_bytes))


def _popen(home: Path, *args: str) -> subprocess.Popen[bytes]:
    env = {**os.environ, "AUTOCODEC_HOME": str(home)}
    return subprocess.Popen([sys.executable, "-m", "autocodec", *args], env=env, stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def _one_line(proc: subprocess.CompletedProcess[bytes], code: int = 1) -> str:
    err = proc.stderr.decode(errors="replace")
    assert proc.returncode == code, err
    assert "Traceback" not in err and err.count("\n") == 1, err
    return err


@pytest.fixture()
def encoded(tmp_path: Path, home: Path) -> tuple[str, Path, bytes]:
    """(Bao hash, combined encoding, content) of 2 MB of random bytes."""
    content = os.urandom(2_000_000)
    (tmp_path / "content.bin").write_bytes(content)
    run_cli(home, "bao", "encode", str(tmp_path / "content.bin"), str(tmp_path / "content.bao"))
    digest = run_cli(home, "bao", "hash", str(tmp_path / "content.bin")).stdout.decode().strip()
    return digest, tmp_path / "content.bao", content


# --- streamed outputs (bao decode, slice) cut short: no file that looks whole ----------------------


def test_bao_decode_cut_short_by_the_size_limit_leaves_no_output(home: Path, tmp_path: Path,
                                                                 encoded: tuple[str, Path, bytes]) -> None:
    digest, encoding, content = encoded
    work = tmp_path / "work"
    work.mkdir()
    new, old = work / "new.bin", work / "old.bin"
    old.write_bytes(b"keep")
    for out in (new, old):
        err = _one_line(_cli(home, "bao", "decode", digest, str(encoding), str(out), max_bytes=1_000_000))
        assert f"cannot write {out}: File too large" in err
    assert not new.exists()  # was: the first 1,000,000 bytes, exit 1, under the name asked for
    assert old.read_bytes() == b"keep"
    err = _one_line(_cli(home, "bao", "slice", "0", "2000000", str(encoding), str(new), max_bytes=1_000_000))
    assert "File too large" in err
    assert sorted(os.listdir(work)) == ["old.bin"]  # no temporary file left either
    run_cli(home, "bao", "decode", digest, str(encoding), str(new))  # and without the limit, all of it
    assert new.read_bytes() == content


def test_bao_decode_interrupted_leaves_no_output(home: Path, tmp_path: Path, encoded: tuple[str, Path, bytes]) -> None:
    digest, encoding, _ = encoded
    work = tmp_path / "work"
    work.mkdir()
    proc = _popen(home, "bao", "decode", digest, "-", str(work / "out.bin"))
    assert proc.stdin is not None
    proc.stdin.write(encoding.read_bytes()[:1_500_000])  # verified bytes are written; the rest never comes
    proc.stdin.flush()
    deadline = time.monotonic() + 60
    while not os.listdir(work) and time.monotonic() < deadline:  # the output (or its temporary file) exists
        time.sleep(0.05)
    time.sleep(0.3)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == -signal.SIGINT, err  # killed by it, after the cleanup
    assert err.decode() == "autocodec: interrupted\n"
    assert os.listdir(work) == []  # was: out.bin, about a megabyte of a 2 MB content


# --- writes to the home and to outputs past the size limit: typed, one line -----------------------


def test_outputs_past_the_size_limit_are_output_errors(home: Path, tmp_path: Path) -> None:
    """A file, a folder or a CAR that the disk (here the file size limit) cannot take is an
    ``OutputError`` naming it, not ``InvalidInput`` (nothing was wrong with the input), and
    nothing half-written is left under its name."""
    tree = tmp_path / "tree"
    tree.mkdir()
    (tree / "big").write_bytes(os.urandom(1_500_000))
    cid = run_cli(home, "add", "-Q", "-r", str(tree)).stdout.decode().strip()
    work = tmp_path / "work"
    work.mkdir()
    for args, shown in ((["get", f"{cid}/big", "-o", str(work / "f")], work / "f"),
                        (["get", cid, "-o", str(work / "d")], work / "d" / "big"),
                        (["car", "export", cid, "-o", str(work / "x.car")], work / "x.car")):
        err = _one_line(_cli(home, *args, max_bytes=1_000_000))
        assert f"OutputError: cannot write {shown}: File too large" in err, (args, err)
        assert os.listdir(work) == [], (args, os.listdir(work))


def test_bao_encode_and_add_past_the_size_limit_are_typed(home: Path, tmp_path: Path,
                                                          encoded: tuple[str, Path, bytes]) -> None:
    source = tmp_path / "content.bin"
    out = tmp_path / "work" / "x.bao"
    out.parent.mkdir()
    err = _one_line(_cli(home, "bao", "encode", str(source), str(out), max_bytes=1_000_000))
    assert f"OutputError: cannot write {out}: File too large" in err  # was: "OSError: File too large"
    assert os.listdir(out.parent) == []
    err = _one_line(_cli(home, "bao", "add", str(source), max_bytes=1_000_000))
    assert "FileSizeLimit: cannot store a blob in" in err and "File too large" in err  # was StorageFull (free disk space)
    assert [p.name for p in (home / "bao").iterdir()] == []
    cid = run_cli(home, "bao", "add", str(source)).stdout.decode().strip()  # the rerun succeeds
    assert run_cli(home, "cat", cid).stdout == source.read_bytes()


def test_store_writes_past_the_size_limit_leave_a_consistent_store(home: Path, tmp_path: Path) -> None:
    big, block = tmp_path / "big.bin", tmp_path / "block.bin"
    big.write_bytes(os.urandom(6_000_000))
    block.write_bytes(os.urandom(4 << 20))  # the largest block the store takes (limits.decode.max_block_bytes)
    size = sum(p.stat().st_size for p in home.iterdir() if p.is_file())
    assert size + 1_000_000 < 4 << 20  # each write needs more than the room left (an empty home: 2.9 MB, 64 KiB pages)
    for args in (["add", "-Q", str(big)], ["block", "put", "--allow-big-block", str(block)]):
        err = _one_line(_cli(home, *args, max_bytes=size + 1_000_000))
        assert "FileSizeLimit: " in err, err  # a StoreError saying to raise the limit, not to free disk space
    assert run_cli(home, "block", "check").stdout.decode().endswith("blocks intact\n")
    cid = run_cli(home, "add", "-Q", str(big)).stdout.decode().strip()
    assert run_cli(home, "cat", cid).stdout == big.read_bytes()


# --- a damaged home ----------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["store.sqlite", "store.sqlite-wal"])
def test_a_store_file_that_is_a_folder_is_named(home: Path, tmp_path: Path, name: str) -> None:
    for suffix in ("", "-wal", "-shm"):
        (home / f"store.sqlite{suffix}").unlink(missing_ok=True)
    if name != "store.sqlite":
        (home / "store.sqlite").write_bytes(b"")  # the database is there; its WAL is in the way
    (home / name).mkdir()
    (tmp_path / "f").write_bytes(b"x")
    for args in (["block", "ls"], ["add", str(tmp_path / "f")]):
        err = _one_line(_cli(home, *args))
        # was: "unable to open database file (check ... writable and has free space)"
        assert f"StoreError: cannot open the store: {home / name} is a folder" in err, err
        assert "move" in err


def test_a_store_locked_by_another_process_fails_after_the_busy_timeout(home: Path, tmp_path: Path) -> None:
    (home / "config.toml").write_text("[limits.store]\nbusy_timeout_ms = 300\n")
    (tmp_path / "f").write_bytes(b"locked out\n")
    holder = sqlite3.connect(home / "store.sqlite", isolation_level=None)
    try:
        holder.execute("BEGIN IMMEDIATE")
        holder.execute("CREATE TABLE IF NOT EXISTS holder_test (x)")
        started = time.monotonic()
        err = _one_line(_cli(home, "add", "-Q", str(tmp_path / "f"), timeout=60))
        assert time.monotonic() - started < 30
        assert "locked by another process" in err and "busy_timeout_ms" in err
        assert run_cli(home, "block", "ls").returncode == 0  # readers go on beside the writer
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    run_cli(home, "add", "-Q", str(tmp_path / "f"))


# --- SIGKILL part-way through a long write, then the rerun --------------------------------------


@pytest.mark.slow
def test_car_import_killed_part_way_then_rerun(home: Path, tmp_path: Path) -> None:
    content = tmp_path / "content.bin"
    content.write_bytes(os.urandom(40_000_000))
    cid = run_cli(home, "add", "-Q", str(content)).stdout.decode().strip()
    car = tmp_path / "content.car"
    run_cli(home, "car", "export", cid, "-o", str(car))
    target = tmp_path / "target"
    run_cli(target, "init")
    data = car.read_bytes()
    proc = _popen(target, "car", "import", "-")
    assert proc.stdin is not None and proc.stderr is not None
    proc.stdin.write(data[: len(data) // 2])
    proc.stdin.flush()
    deadline = time.monotonic() + 120  # the import is under way once a block is stored (no progress
    while not run_cli(target, "block", "ls").stdout:  # line to wait for: on a pipe the first comes after 5 s)
        assert time.monotonic() < deadline and proc.poll() is None, "car import stored nothing"
        time.sleep(0.2)
    time.sleep(0.5)
    proc.kill()
    proc.wait(timeout=30)
    assert proc.returncode == -signal.SIGKILL
    # every stored block's bytes hash to its CID; some were stored before the kill
    assert run_cli(target, "block", "check").stdout.decode().startswith("all ")
    run_cli(target, "car", "import", str(car))  # no lock or partial state stops the rerun
    assert run_cli(target, "cat", cid).stdout == content.read_bytes()


# --- arguments ---------------------------------------------------------------------------------


@pytest.mark.parametrize("args", [["set", "export", "bad\udcff", "-o", "OUT"], ["run", "bad\udcff", "f"]])
def test_an_argument_that_is_not_utf8_is_one_line(home: Path, tmp_path: Path, args: list[str]) -> None:
    args = [str(tmp_path / "out") if a == "OUT" else a for a in args]
    err = _one_line(_cli(home, *args))  # subprocess passes the surrogate on as the byte 0xff
    assert "InvalidInput: 'bad\\udcff' is not UTF-8 text" in err  # was: a UnicodeEncodeError traceback
    assert not (tmp_path / "out").exists()


# --- Ctrl-C while the command line loads --------------------------------------------------------

_SIGINT_WHILE_LOADING = """
import os, signal, sys
from autocodec.cli import _app

build = _app.build_parser

def interrupted_build(argv):
    parser = build(argv)
    os.kill(os.getpid(), signal.SIGINT)  # Ctrl-C lands while the parser is being made
    for _ in range(1000):  # the handler runs at the next bytecode boundaries
        pass
    return parser

_app.build_parser = interrupted_build
sys.exit(_app.main(sys.argv[1:]))
"""


def test_ctrl_c_while_the_command_line_loads_is_one_line(home: Path, tmp_path: Path) -> None:
    (tmp_path / "f").write_bytes(b"x")
    env = {**os.environ, "AUTOCODEC_HOME": str(home)}
    proc = subprocess.run([sys.executable, "-c", _SIGINT_WHILE_LOADING, "add", "-Q", str(tmp_path / "f")], env=env,
                          capture_output=True, timeout=60)
    assert proc.returncode == -signal.SIGINT, proc.stderr.decode()  # was: a KeyboardInterrupt traceback
    assert proc.stderr == b"autocodec: interrupted\n"
    assert proc.stdout == b""


def test_init_cut_short_by_the_size_limit_reports_the_write_error(tmp_path: Path) -> None:
    home = tmp_path / "home"
    err = _one_line(_cli(home, "init", max_bytes=100_000))  # met while a wing's schema is created
    assert err.startswith("autocodec: FileSizeLimit: ") and "disk I/O error" in err  # a StoreError
    assert "rollback" not in err  # was: "cannot rollback - no transaction is active" (SQLite had rolled back)
    run_cli(home, "init")  # the rerun completes the home
    (tmp_path / "f").write_bytes(b"x")
    run_cli(home, "add", "-Q", str(tmp_path / "f"))


def test_module_new_cut_short_by_the_size_limit_leaves_no_folder(home: Path, tmp_path: Path) -> None:
    work = tmp_path / "work"
    work.mkdir()
    err = _one_line(_cli(home, "module", "new", "--lang", "c", "--kind", "codec", str(work / "m"), max_bytes=100))
    # was: "OSError: File too large", and a folder with some of the files
    assert f"ModuleBuildError: cannot write the module folder {work / 'm'}: File too large" in err
    assert os.listdir(work) == []
    (work / "m").mkdir()  # an empty folder is filled, as before
    run_cli(home, "module", "new", "--lang", "c", "--kind", "codec", str(work / "m"))
    assert sorted(os.listdir(work / "m")) == ["README.md", "module.c", "module.json", "vectors.json"]
    assert os.listdir(work) == ["m"]


@pytest.mark.parametrize("value", ["-1", "nan", "inf", "1e400", "0"])
def test_bao_cat_refuses_a_timeout_a_socket_cannot_take(home: Path, value: str) -> None:
    blake3_cid = "bafkr4ieojr6bxgo37viopkkrqx7k2xxbish2sbfc7xlxr2xv6ln72yu2te"  # BLAKE3 of b"hello\n"
    proc = _cli(home, "bao", "cat", blake3_cid, "--gateway", "http://127.0.0.1:1", "--timeout", value)
    err = proc.stderr.decode()
    assert proc.returncode == 1 and "Traceback" not in err, err  # was: a ValueError/OverflowError traceback
    assert "is not a timeout" in err


@pytest.mark.parametrize(("setting", "said"), [
    ("[limits.fetch]\ndeadline_s = nan", "must be a finite number"),
    ("[limits.fetch]\ndeadline_s = inf", "must be a finite number"),
    ("[limits.fetch]\ndeadline_s = 1e300", "must be at most"),
    ("[limits.store]\nbusy_timeout_ms = 99999999999999999999", "must be at most"),
])
def test_config_limits_that_no_clock_can_keep_are_refused(home: Path, setting: str, said: str) -> None:
    (home / "config.toml").write_text(setting + "\n")
    dead = "/ip4/127.0.0.1/tcp/1"  # refused at once: the fetch would have used the deadline
    err = _one_line(_cli(home, "cat", "bafkreigh2akiscaildcqabsyg3dfr6chu3fgpregiymsck7e7aqa4s52zy", "--node", dead))
    # was: accepted; deadline_s = inf or 1e300 then ended a fetch in an OverflowError traceback
    assert "ConfigError" in err and said in err


@pytest.mark.parametrize("folder", ["keys", "cache", "cache/compiled"])
def test_a_home_folder_replaced_by_a_file_is_named(home: Path, folder: str) -> None:
    shutil.rmtree(home / folder)
    (home / folder).write_bytes(b"not a folder")
    for args in (["key", "list"], ["resolve", "codec", "dag-cbor"]):
        err = _one_line(_cli(home, *args))
        # was: "cannot create the home HOME: File exists (choose a home folder in a writable place)"
        assert f"StoreError: the home {home} is damaged: {home / folder} is not a folder" in err
        assert f"move {home / folder} aside" in err


def test_bao_add_into_a_folder_made_read_only_part_way_is_typed(home: Path) -> None:
    """The blob's temporary file exists when its folder turns read-only: the rename fails, and so
    does removing the temporary file; the error is the store's, not the clean-up's."""
    drop: list[str] = []
    if os.geteuid() == 0:  # root writes anywhere: drop the capability that lets it
        setpriv = shutil.which("setpriv")
        if setpriv is None:
            pytest.skip("needs setpriv to write as root without CAP_DAC_OVERRIDE")
        drop = [setpriv, "--bounding-set=-dac_override,-dac_read_search", "--inh-caps=-dac_override,-dac_read_search"]
    folder = home / "bao"
    folder.mkdir()
    env = {**os.environ, "AUTOCODEC_HOME": str(home)}
    proc = subprocess.Popen([*drop, sys.executable, "-m", "autocodec", "bao", "add", "-"], env=env,
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert proc.stdin is not None
    try:
        proc.stdin.write(os.urandom(1_000_000))
        proc.stdin.flush()
        deadline = time.monotonic() + 60
        while not any(folder.iterdir()) and time.monotonic() < deadline:
            time.sleep(0.05)
        folder.chmod(0o555)
        proc.stdin.write(os.urandom(1_000_000))
        proc.stdin.close()
        err = proc.stderr.read().decode() if proc.stderr else ""
        proc.wait(timeout=60)
    finally:
        folder.chmod(0o755)
    assert proc.returncode == 1 and "Traceback" not in err and err.count("\n") == 1, err
    # was: "PermissionError: Permission denied (HOME/bao/tmpXXXX.part)" from the failed clean-up
    assert f"StoreError: cannot store a blob in {folder}: Permission denied" in err


@pytest.mark.parametrize("args", [["block", "ls"], ["cid", "bases"], ["cat", "CID"], ["add", "FILE"],
                                  ["car", "export", "CID", "-o", "-"], ["dag", "export", "CID"], ["bao", "encode", "FILE", "-"],
                                  ["bao", "encode", "FILE", "--outboard", "-"]])
def test_standard_output_on_a_full_disk_is_named(home: Path, tmp_path: Path, args: list[str]) -> None:
    if not os.path.exists("/dev/full"):
        pytest.skip("needs /dev/full")
    (tmp_path / "f").write_bytes(b"some bytes\n")
    cid = run_cli(home, "add", "-Q", str(tmp_path / "f")).stdout.decode().strip()
    args = [cid if a == "CID" else str(tmp_path / "f") if a == "FILE" else a for a in args]
    env = {**os.environ, "AUTOCODEC_HOME": str(home)}
    with open("/dev/full", "wb") as full:  # every write: ENOSPC
        proc = subprocess.run([sys.executable, "-m", "autocodec", *args], env=env, stdout=full,
                              stderr=subprocess.PIPE, timeout=120)
    err = _one_line(proc)
    assert "OutputError: cannot write standard output: No space left on device" in err  # was: "OSError: No space..."


def test_a_blob_writer_killed_mid_add_leaves_nothing_the_next_add_keeps(home: Path, tmp_path: Path) -> None:
    """``bao add`` killed (SIGKILL) mid-way leaves its ``.part`` file; a later ``add`` removes it
    once it is old enough, but never the ``.part`` of a writer still alive (it holds a lock),
    however old its file looks."""
    folder = home / "bao"
    env = {**os.environ, "AUTOCODEC_HOME": str(home)}

    def start() -> subprocess.Popen[bytes]:
        before = set(folder.glob("*.part")) if folder.exists() else set()
        proc = subprocess.Popen([sys.executable, "-m", "autocodec", "bao", "add", "-"], env=env,
                                stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        assert proc.stdin is not None
        proc.stdin.write(os.urandom(1_000_000))
        proc.stdin.flush()
        deadline = time.monotonic() + 60
        while not (set(folder.glob("*.part")) - before if folder.exists() else set()) and time.monotonic() < deadline:
            time.sleep(0.05)
        return proc

    def aged(part: Path) -> None:
        old = time.time() - 3600
        os.utime(part, (old, old))

    killed = start()
    (dead,) = folder.glob("*.part")
    killed.kill()
    killed.wait(timeout=60)
    aged(dead)
    alive = start()
    try:
        (live,) = set(folder.glob("*.part")) - {dead}
        aged(live)
        (tmp_path / "small").write_bytes(b"x" * 5000)
        run_cli(home, "bao", "add", str(tmp_path / "small"))  # sweeps what a dead writer left, only that
        assert not dead.exists() and live.exists()
        out, err = alive.communicate(os.urandom(10_000), timeout=60)
    finally:
        if alive.poll() is None:
            alive.kill()
    assert alive.returncode == 0, err.decode()
    cid = out.decode().strip()
    assert (folder / f"{cid}.bao").exists() and not list(folder.glob("*.part"))
