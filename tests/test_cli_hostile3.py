"""The command line under signals, broken standard streams and odd environments, third round:
each case runs the real ``autocodec`` in a child process and checks for one line on stderr, the
exit status, and that nothing half-written is left behind (see also test_cli_hostile_env.py)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests import _homes
from tests._cli import run_cli

home = _homes.initialised_home  # after autocodec init, per test (tests/_homes.py)


def _popen(home: Path, *args: str, cwd: Path | None = None) -> subprocess.Popen[bytes]:
    env = {**os.environ, "AUTOCODEC_HOME": str(home)}
    return subprocess.Popen([sys.executable, "-m", "autocodec", *args], env=env, stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=cwd)


def _wait_for(ready: object, what: str) -> None:
    """Poll ``ready()`` until it is true (a minute at most: a start-up, not a measured time)."""
    deadline = time.monotonic() + 60
    while not ready() and time.monotonic() < deadline:  # type: ignore[operator]
        time.sleep(0.05)
    assert ready(), f"never saw {what}"  # type: ignore[operator]


# --- SIGTERM: unwinds as Ctrl-C does, one line, killed by it ----------------------------------------


def test_sigterm_mid_bao_decode_leaves_no_output_and_says_so(home: Path, tmp_path: Path) -> None:
    """A command stopped by SIGTERM (``kill``, a service manager, ``timeout``) removes its
    half-written output as for Ctrl-C and says so in one line, then dies by SIGTERM; long ago it died by the
    signal with nothing said and its ``.NAME.*.part`` file left for a later run to sweep."""
    content = tmp_path / "content.bin"
    content.write_bytes(os.urandom(2_000_000))
    encoding = tmp_path / "content.bao"
    run_cli(home, "bao", "encode", str(content), str(encoding))
    digest = run_cli(home, "bao", "hash", str(content)).stdout.decode().strip()
    work = tmp_path / "work"
    work.mkdir()
    proc = _popen(home, "bao", "decode", digest, "-", str(work / "out.bin"))
    assert proc.stdin is not None
    proc.stdin.write(encoding.read_bytes()[:1_500_000])  # the rest never comes: it waits on stdin
    proc.stdin.flush()
    _wait_for(lambda: os.listdir(work), "the output's temporary file")
    time.sleep(0.3)
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=60)
    assert (proc.returncode, err.decode()) == (-signal.SIGTERM, "autocodec: terminated\n")  # killed by it
    assert os.listdir(work) == []


def test_sigterm_mid_add_from_stdin_is_one_line_and_the_store_stays_whole(home: Path) -> None:
    """``add`` waiting on a pipe and stopped by SIGTERM: one line, killed by it, nothing printed as
    added, and every block the store holds still checks."""
    proc = _popen(home, "add", "-Q")
    assert proc.stdin is not None
    proc.stdin.write(os.urandom(1_000_000))
    proc.stdin.flush()
    time.sleep(0.5)  # let it read and store what it was given; then it waits for more
    proc.send_signal(signal.SIGTERM)
    out, err = proc.communicate(timeout=60)
    assert (proc.returncode, out, err.decode()) == (-signal.SIGTERM, b"", "autocodec: terminated\n")
    assert run_cli(home, "block", "check").returncode == 0


def test_sigterm_ignored_by_the_parent_stays_ignored(home: Path) -> None:
    """``nohup``-style: a SIGTERM the parent set to be ignored is still ignored (the command
    finishes and prints its CID), as it was before SIGTERM was handled."""
    env = {**os.environ, "AUTOCODEC_HOME": str(home)}
    proc = subprocess.Popen([sys.executable, "-m", "autocodec", "add", "-Q"], env=env, stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            preexec_fn=lambda: signal.signal(signal.SIGTERM, signal.SIG_IGN))
    assert proc.stdin is not None
    proc.stdin.write(b"hello\n")
    proc.stdin.flush()
    time.sleep(0.5)
    proc.send_signal(signal.SIGTERM)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, err
    assert out.decode().strip() == run_cli(home, "add", "-Q", "-n", stdin=b"hello\n").stdout.decode().strip()


# --- a full disk met by small buffered writes: the output is named ---------------------------------


def _limited(max_bytes: int) -> None:
    """``preexec_fn``: files may grow to ``max_bytes``; a write past it fails with EFBIG (as
    ENOSPC on a full disk)."""
    import resource

    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    resource.setrlimit(resource.RLIMIT_FSIZE, (max_bytes, max_bytes))


def test_car_export_of_small_blocks_past_the_size_limit_names_the_output(home: Path, tmp_path: Path) -> None:
    """Blocks smaller than the write buffer reach the file when the buffer flushes; the flush
    that fails is retried by the file's close, whose bare ``OSError`` ('OSError: File too large',
    no file named, no hint; the same on a full tmpfs) hid the ``OutputError`` naming the CAR."""
    tree = tmp_path / "tree"
    tree.mkdir()
    for i in range(300):
        (tree / f"f{i}").write_bytes(os.urandom(100))
    root = run_cli(home, "add", "-Q", "-r", str(tree)).stdout.decode().strip()
    work = tmp_path / "work"
    work.mkdir()
    env = {**os.environ, "AUTOCODEC_HOME": str(home)}
    car = work / "x.car"
    proc = subprocess.run([sys.executable, "-m", "autocodec", "car", "export", root, "-o", str(car)], env=env,
                          capture_output=True, timeout=120, preexec_fn=lambda: _limited(40_000))
    err = proc.stderr.decode()
    assert proc.returncode == 1 and err.count("\n") == 1, err
    assert err.startswith(f"autocodec: OutputError: cannot write {car}: File too large ("), err
    assert os.listdir(work) == []


# --- errors of a named kind, never the bare root class ---------------------------------------------


def test_pin_without_a_source_is_an_invalid_input_not_the_bare_root_error(home: Path) -> None:
    """``pin add /ipns/NAME`` with no gateway or node, and ``pin update`` of a set pinned from
    the store: the user's invocation lacks something, an ``InvalidInput``; they printed the
    root class, 'AutocodecError: ...', which names no kind of problem."""
    name = "/ipns/k51qzi5uqu5dlvj2baxnqndepeb86cbk3ng7n3i46uzyxzyqj2xjonzllnv0v8"
    index = run_cli(home, "pin", "ls").stdout.decode().split("\t")[2]
    run_cli(home, "pin", "add", index)  # now pinned from the store, which has no update channel
    for args, said in ((["pin", "add", name], "an IPNS name needs a gateway or a node"),
                       (["pin", "update"], "which has no update channel")):
        proc = run_cli(home, *args, check=False)
        err = proc.stderr.decode()
        assert proc.returncode == 1 and err.count("\n") == 1, err
        assert err.startswith("autocodec: InvalidInput: ") and said in err, err


# --- the home removed mid-command, or named by a path that cannot be expanded ----------------------


def test_a_home_removed_while_add_runs_fails_instead_of_reporting_success(home: Path) -> None:
    """``rm -rf`` of the home while ``add`` runs: SQLite writes on into the unlinked file, so
    every write succeeds and the blocks are lost with it; ``add`` said 'added' and exited 0
    (the CID it printed is in no home). Now a ``StoreError`` saying so, exit 1."""
    import shutil

    proc = _popen(home, "add", "-Q")
    assert proc.stdin is not None
    proc.stdin.write(os.urandom(600_000))
    proc.stdin.flush()
    _wait_for(lambda: (home / "store.sqlite-wal").exists(), "the store opened")
    shutil.rmtree(home)
    _, err = proc.communicate(b"more", timeout=60)
    assert proc.returncode == 1, err
    # the store refuses the next write (212d506), or the command's end check finds the file changed
    assert err.decode().startswith("autocodec: StoreError: ") and "removed or replaced while" in err.decode(), err
    assert err.count(b"\n") == 1


@pytest.mark.parametrize("how", ["env", "option"])
def test_a_home_under_an_unknown_users_tilde_is_one_line(tmp_path: Path, how: str) -> None:
    """``~nosuchuser/x`` as the home: Python's expanduser raised RuntimeError, a traceback.
    Commands that need no home still run when it comes from the environment (a given --home
    is checked first, as an empty one is)."""
    env = {**os.environ, "AUTOCODEC_HOME": "~nosuchuser-h3/x" if how == "env" else str(tmp_path / "h")}
    option = ["--home", "~nosuchuser-h3/x"] if how == "option" else []
    for args in (["add", "-Q", "-"], ["block", "ls"], ["init"]):
        proc = subprocess.run([sys.executable, "-m", "autocodec", *option, *args], env=env, input=b"x",
                              capture_output=True, timeout=60)
        err = proc.stderr.decode()
        assert proc.returncode == 1 and err.count("\n") == 1, err
        assert err.startswith("autocodec: ConfigError: cannot expand '~nosuchuser-h3'"), err
    if how == "env":
        proc = subprocess.run([sys.executable, "-m", "autocodec", "cid", "bases"], env=env, capture_output=True,
                              timeout=60)
        assert proc.returncode == 0 and b"base32" in proc.stdout, proc.stderr


# --- outputs that would replace the home's own store ----------------------------------------------


def test_an_output_onto_the_homes_store_is_refused_and_the_store_kept(home: Path, tmp_path: Path) -> None:
    """``car export -o HOME/store.sqlite`` (or a hard or symbolic link to it): the CAR replaced
    the store, every block, pin and trust record of the home gone, and the command exited 0.
    Now refused before anything is written."""
    (tmp_path / "f").write_bytes(b"hello\n")
    cid = run_cli(home, "add", "-Q", str(tmp_path / "f")).stdout.decode().strip()
    store = home / "store.sqlite"
    (tmp_path / "hard").hardlink_to(store)
    (tmp_path / "soft").symlink_to(store)
    before = run_cli(home, "block", "ls").stdout
    for out in (store, tmp_path / "hard", tmp_path / "soft"):
        proc = run_cli(home, "car", "export", cid, "-o", str(out), check=False)
        err = proc.stderr.decode()
        assert proc.returncode == 1 and err.count("\n") == 1, err
        assert f"cannot write {out}: it is the home's block store" in err, err
    assert run_cli(home, "block", "ls").stdout == before
    assert run_cli(home, "block", "check").returncode == 0


def test_get_into_the_home_folder_is_refused(home: Path, tmp_path: Path) -> None:
    """A folder whose DAG holds a ``store.sqlite`` entry, got into the home: it replaced the
    store with the DAG's file (exit 0, the home unreadable after); a file got onto the store
    did the same. Now any output in the home folder is refused, before anything is written."""
    tree = tmp_path / "evil"
    tree.mkdir()
    (tree / "store.sqlite").write_bytes(b"pwned\n")
    root = run_cli(home, "add", "-Q", "-r", str(tree)).stdout.decode().strip()
    file_cid = run_cli(home, "add", "-Q", str(tree / "store.sqlite")).stdout.decode().strip()
    for args in (["get", root, "-o", str(home)], ["get", file_cid, "-o", str(home / "store.sqlite")],
                 ["get", "-a", root, "-o", str(home / "x.tar")]):
        proc = run_cli(home, *args, check=False)
        err = proc.stderr.decode()
        assert proc.returncode == 1 and err.count("\n") == 1, err
        assert "is in the home folder" in err, err
    assert run_cli(home, "block", "check").returncode == 0
    assert (home / "store.sqlite").read_bytes()[:16] == b"SQLite format 3\x00"


# --- adding the home's own store ------------------------------------------------------------------


def test_adding_what_holds_the_homes_store_is_refused(tmp_path: Path) -> None:
    """``add HOME/store.sqlite``, ``add -r HOME`` (or a folder above a home that is not hidden,
    or one that is with -H), ``add < HOME/store.sqlite``: each block stored grew the file being
    read, so the add never reached its end (a 200 MB store grew past 7 GB in a minute, until
    the disk was full). Refused before anything is added; a hidden home below a folder added
    without -H is skipped as Kubo skips hidden files, and -n writes nothing, so both still run."""
    top = tmp_path / "top"
    (top / "sub").mkdir(parents=True)
    (top / "sub" / "x").write_bytes(b"x\n")
    hidden, plain = top / ".ac", top / "plain"
    for home in (hidden, plain):
        run_cli(home, "init", "--no-default-set")
    refused: list[tuple[Path, list[str], Path | None]] = [
        (hidden, ["add", str(hidden / "store.sqlite")], None),
        (hidden, ["add", "-r", str(hidden)], None),
        (hidden, ["add", "-r", "-H", str(top)], None),
        (plain, ["add", "-r", str(top)], None),
        (plain, ["add"], plain / "store.sqlite"),  # the store file itself on stdin
    ]
    for home, args, stdin in refused:
        with open(stdin or os.devnull, "rb") as source:
            proc = subprocess.run([sys.executable, "-m", "autocodec", "--home", str(home), *args],
                                  stdin=source, capture_output=True, timeout=60)
        err = proc.stderr.decode()
        assert proc.returncode == 1 and err.count("\n") == 1, (args, err)
        assert "holds this home's block store" in err, (args, err)
    for home, args in ((hidden, ["add", "-Q", "-r", str(top / "sub")]), (hidden, ["add", "-Q", "-r", str(top)]),
                       (plain, ["add", "-Q", "-n", "-r", str(top)])):
        assert run_cli(home, *args[:-1], args[-1], timeout=60).stdout.strip()


# --- add --mode: the number is a Go FileMode, as in Kubo ------------------------------------------


@pytest.mark.parametrize(("mode", "kubo"), [
    ("99999999", "Qmc1Pr1NXC3TrnuY2PXXH8pYkB9YajeWDs93qV4TGzgUBo"),  # 0x5F5E0FF: 0o377, setuid, setgid, sticky
    ("0x800000", "QmbLGNv3okwa1AbqS7Lnb7eQdVRtnPhHRhrUrNZ4bP7Qyx"),  # Go's ModeSetuid alone: 0o4000
    ("0x400000", "QmYQE7fYhaTUrD4qjwYbCZb8J7jnR8BCqrFAdGJycrJgwc"),  # ModeSetgid
    ("0x100000", "QmSq2p55V7im2BS9XjxibV64BRzs35Bdm7gpQCgZMZr711"),  # ModeSticky
    ("4294967295", "QmXJAL4fmtu69AAjUsuvNDi1WXNe4LqiuAfAcJw2gwprVJ"),  # every bit: 0o7777
    ("04755", "QmbR37qLCAUiv5TK6ViX6R3k3yAu1scLzeDkB1UjaCYw3o"),  # 0o4000 is no Go mode bit: 0o755
])
def test_add_mode_reads_gos_setuid_setgid_and_sticky_bits_as_kubo(tmp_path: Path, mode: str, kubo: str) -> None:
    """``ipfs add --mode N`` hands N to boxo as a Go os.FileMode, whose setuid, setgid and sticky
    are bits 23, 22 and 20; Kubo 0.43.1 stores them as 0o4000, 0o2000, 0o1000 (the CIDs here are
    its output for a file holding 'hello\\n'). Ours kept 0o777 only: other CIDs, or none at all
    for a mode of setuid alone."""
    (tmp_path / "f").write_bytes(b"hello\n")
    home = tmp_path / "home"
    out = run_cli(home, "add", "-Q", "-n", "--mode", mode, str(tmp_path / "f")).stdout.decode().strip()
    assert out == kubo


# --- refs --max-depth: Kubo's 32-bit Go integer ----------------------------------------------------


def test_refs_max_depth_is_read_as_kubos_32_bit_integer(home: Path, tmp_path: Path) -> None:
    """Kubo 0.43.1 reads ``refs --max-depth`` with strconv.ParseInt(v, 0, 32): ``0x2`` and
    ``010`` are numbers (ours refused them), `` 2`` and anything past 32 bits are refused (ours
    took them, the latter as no limit)."""
    tree = tmp_path / "t"
    (tree / "a" / "b").mkdir(parents=True)
    (tree / "a" / "b" / "f").write_bytes(b"deep\n")
    root = run_cli(home, "add", "-Q", "-r", str(tree)).stdout.decode().strip()
    two = run_cli(home, "refs", "-r", "--max-depth", "2", root).stdout
    assert len(two.splitlines()) == 2
    assert run_cli(home, "refs", "-r", "--max-depth", "0x2", root).stdout == two
    assert run_cli(home, "refs", "-r", "--max-depth", "02", root).stdout == two
    for value in (" 2", "2147483648", "-2147483649", "9223372036854775807"):
        proc = run_cli(home, "refs", "-r", "--max-depth", value, root, check=False)
        assert proc.returncode == 1 and not proc.stdout, (value, proc.stderr)
        assert f'strconv.ParseInt: parsing "{value}": ' in proc.stderr.decode(), proc.stderr


def test_a_home_whose_name_is_too_long_is_a_store_error(tmp_path: Path) -> None:
    """A home path with a component past the file system's name limit: Python's Path.exists
    raises for it (it says False only for a missing file), and the commands printed a bare
    'OSError: File name too long (...)' with no hint."""
    home = tmp_path / ("h" * 300)
    for args in (["init"], ["add", "-Q", "-"], ["block", "ls"], ["resolve", "codec", "dag-pb"]):
        proc = run_cli(home, *args, check=False, stdin=b"x")
        err = proc.stderr.decode()
        assert proc.returncode == 1 and err.count("\n") == 1, (args, err)
        assert err.startswith(f"autocodec: StoreError: cannot use the home {home}: File name too long ("), err


# --- standard input: a terminal is told about, and dag import reads it as Kubo ---------------------


@pytest.mark.parametrize("args", [["block", "put"], ["dag", "import"], ["hash"]])
def test_a_command_waiting_on_a_terminal_says_so(home: Path, args: list[str]) -> None:
    """Given no file and a terminal for stdin, ``block put``, ``dag import``, ``hash``... waited
    without a word (only ``add`` said it reads stdin); Kubo 0.43.1 says 'Reading from
    /dev/stdin; send Ctrl-d to stop.' for all its commands that read it."""
    import pty

    leader, follower = pty.openpty()
    try:
        os.write(leader, b"\x04")  # Ctrl-D: the end of the terminal's input
        env = {**os.environ, "AUTOCODEC_HOME": str(home)}
        proc = subprocess.run([sys.executable, "-m", "autocodec", *args], env=env, stdin=follower,
                              capture_output=True, timeout=60)
    finally:
        os.close(follower)
        os.close(leader)
    lines = proc.stderr.decode().splitlines()
    assert lines and lines[0] == "autocodec: reading from standard input; send Ctrl-D to stop.", proc.stderr
    assert "Traceback" not in proc.stderr.decode()


def test_dag_import_without_a_file_reads_stdin_as_kubo(home: Path, tmp_path: Path) -> None:
    """``dag import < x.car`` works in Kubo 0.43.1; ours was a usage error (FILE required)."""
    (tmp_path / "f").write_bytes(b"hello\n")
    cid = run_cli(home, "add", "-Q", str(tmp_path / "f")).stdout.decode().strip()
    car = run_cli(home, "dag", "export", cid).stdout
    other = tmp_path / "other"
    run_cli(other, "init", "--no-default-set")
    proc = run_cli(other, "dag", "import", stdin=car)
    assert proc.stdout.decode() == f"Pinned root\t{cid}\tsuccess\n"
