"""The command line where a demanding user finds its edges (review of autocodec/cli/): a home
path that names a file, and Ctrl-C arriving while the command line is being read. Each case
checks the one line a refusal prints, its exit status and that no traceback is shown."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

import pytest

from tests import _kubo_pair
from tests._cli import refusal_line, run_cli

kubo = _kubo_pair.kubo  # a Kubo repo per module (tests/_kubo_pair.py)

CID = "QmT78zSuBmuS4z925WZfrqQ1qHaJ56DQaTfyMUF7F8ff5o"  # `hello world\n`, as `ipfs add` writes it

FILE_HOME_COMMANDS = [
    ("cat", CID),
    ("block", "stat", CID),
    ("ls", CID),
    ("refs", "local"),
    ("block", "ls"),
    ("pin", "ls"),
    ("key", "list"),
    ("key", "show", "k"),
    ("resolve", "codec", "0x71"),
    ("receipt", "ls"),
]


@pytest.mark.parametrize("args", FILE_HOME_COMMANDS, ids=" ".join)
def test_a_home_that_is_a_file_is_named_as_one(tmp_path: Path, args: tuple[str, ...]) -> None:
    """A home path naming a file: every reading command says so and asks for a folder. Before,
    `cat` said the home "is not an autocodec home, so it holds no blocks" and to create it with
    `autocodec init` (which then refuses: a file), and `key list` said the file "does not exist"."""
    home = tmp_path / "home"
    home.write_bytes(b"not a folder")
    proc = run_cli(home, *args, check=False)
    line = refusal_line(proc.returncode, proc.stdout, proc.stderr.decode())
    assert line == f"autocodec: StoreError: the home {home} is a file, not a folder " \
                   "(point --home or $AUTOCODEC_HOME at a folder)", line
    assert home.read_bytes() == b"not a folder"


@pytest.mark.parametrize("kind", ["under a file", "dangling link", "link loop"])
@pytest.mark.parametrize("args", [("cat", CID), ("key", "list"), ("pin", "ls")], ids=" ".join)
def test_a_home_no_init_could_make_is_named_as_such(tmp_path: Path, kind: str, args: tuple[str, ...]) -> None:
    """A home path under a file, or a symbolic link to nothing or a loop: before, reading
    commands said it "does not exist" and to create it with `autocodec init`, which then
    failed (`Not a directory`, `File exists`)."""
    (tmp_path / "f").write_bytes(b"x")
    if kind == "under a file":
        home, why = tmp_path / "f" / "home", f"is inside {tmp_path / 'f'}, a file"
    else:
        home, why = tmp_path / "home", "is a symbolic link to nothing (or a loop of links)"
        home.symlink_to(tmp_path / ("absent" if kind == "dangling link" else "home"))
    proc = run_cli(home, *args, check=False)
    line = refusal_line(proc.returncode, proc.stdout, proc.stderr.decode())
    assert line == f"autocodec: StoreError: the home {home} {why} (point --home or $AUTOCODEC_HOME at a folder)", line


def test_a_missing_home_still_says_it_does_not_exist(tmp_path: Path) -> None:
    home = tmp_path / "absent"
    proc = run_cli(home, "cat", CID, check=False)
    line = refusal_line(proc.returncode, proc.stdout, proc.stderr.decode())
    assert line.startswith(f"autocodec: BlockNotFound: {home} does not exist, so it holds no blocks"), line
    assert not home.exists()


def _subparser(parser: argparse.ArgumentParser, name: str) -> argparse.ArgumentParser:
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            return action.choices[name]  # type: ignore[no-any-return]
    raise AssertionError(f"no command {name}")


@pytest.mark.parametrize("command", ["add", "cat", "dag"])
def test_ctrl_c_while_the_command_line_is_read_is_an_interrupt(monkeypatch: pytest.MonkeyPatch,
                                                                command: str) -> None:
    """Ctrl-C that lands while a command's options are read (Python 3.11's intermixed parsing
    formats the usage first) unwinds as a KeyboardInterrupt, which `main` reports as
    `autocodec: interrupted`. Before, argparse's clean-up raised AttributeError ('save_nargs')
    in its place: a traceback (seen sending SIGINT 0.15 s after `autocodec add` started). The
    Ctrl-C is delivered at that point by making the usage's formatting raise it."""
    from autocodec.cli._app import build_parser

    words = {"add": ["add", "x"], "cat": ["cat", CID], "dag": ["dag", "get", CID]}[command]
    parser = build_parser(words)
    inner = _subparser(parser, command)
    if command == "dag":
        inner = _subparser(inner, "get")

    def ctrl_c() -> str:
        raise KeyboardInterrupt

    monkeypatch.setattr(inner, "format_usage", ctrl_c)
    monkeypatch.setattr(inner, "usage", None)
    with pytest.raises(KeyboardInterrupt):
        parser.parse_known_args(words)


TWICE = [  # an option given twice, and the name the refusal gives it (Kubo's)
    (["add", "--pin=false", "--pin=true", "-"], "pin"),
    (["add", "-q", "--quiet", "-"], "quiet"),
    (["add", "--raw-leaves", "--raw-leaves=false", "-"], "raw-leaves"),
    (["cat", "--offset=1", "--offset=2", CID], "offset"),
    (["refs", "-r", "-r", CID], "recursive"),
    (["dag", "get", "--output-codec=dag-json", "--output-codec=dag-cbor", CID], "output-codec"),
    (["--enc=json", "version", "--enc=text"], "encoding"),
    (["--cid-base=base32", "--cid-base=base58btc", "cid", "format", CID], "cid-base"),
    (["--timeout=1s", "--timeout=2s", "version"], "timeout"),
    (["--offline", "--offline", "version"], "offline"),
    (["version", "-n", "-n"], "number"),
]


@pytest.mark.parametrize(("args", "name"), TWICE, ids=lambda a: " ".join(a) if isinstance(a, list) else a)
def test_an_option_given_twice_is_refused_as_by_kubo(kubo: Any, tmp_path: Path, args: list[str], name: str) -> None:
    """Kubo 0.43.1 refuses any option given twice, in any of its spellings: `Error: multiple
    values for option "pin"`, exit 1, nothing done. Before, ours let the last one win silently
    (`add --pin=false --pin=true` added and pinned; exit 0 for all eleven lines here)."""
    theirs = kubo.ipfs(*args, input=b"x", check=False)
    said = f'multiple values for option "{name}"'
    assert theirs.returncode == 1 and said.encode() in theirs.stderr, theirs.stderr
    proc = run_cli(tmp_path / "home", *args, check=False, stdin=b"x")
    line = refusal_line(proc.returncode, proc.stdout, proc.stderr.decode(), usage=True)
    assert f": error: {said}: give it once (see" in line, line  # Kubo's words, then what to do
    assert not (tmp_path / "home").exists()


@pytest.mark.parametrize("args", [
    ["-v", "-v", "version"],  # a count
    ["-vv", "cid", "format", "-v", "1", CID],  # the global -v and cid format's own -v
    ["cat", "--gateway", "http://127.0.0.1:9", "--gateway", "http://127.0.0.1:9", "--offline=false", CID],
], ids=" ".join)
def test_repeatable_options_are_still_taken(home: Path, args: list[str]) -> None:
    proc = run_cli(home, *args, check=False)
    assert b"more than once" not in proc.stderr, proc.stderr


@pytest.mark.parametrize("command", [["block", "put"], ["dag", "put"], ["dag", "import"]], ids=" ".join)
@pytest.mark.parametrize("bad", ["missing", "zfolder"])
def test_a_bad_file_argument_stops_the_command_before_any_is_stored(kubo: Any, tmp_path: Path, command: list[str],
                                                                   bad: str) -> None:
    """Kubo 0.43.1 looks at every file argument before the command runs: `block put a.txt
    missing` stores nothing and prints nothing (`Error: lstat missing: ...`, exit 1). Before,
    ours stored a.txt and printed its CID, then failed on the second (`dag import` read a.txt as
    a CAR first and failed on that instead)."""
    (tmp_path / "zfolder").mkdir()
    good = tmp_path / "a.txt"
    good.write_bytes(b'{"review": "cli edges"}')  # a block or document; for dag import not a CAR
    args = [*command, str(good), str(tmp_path / bad)]
    theirs = kubo.ipfs(*args, check=False)
    assert theirs.returncode == 1 and not theirs.stdout, theirs.stderr
    home = tmp_path / "home"
    run_cli(home, "init", "--no-default-set")
    proc = run_cli(home, *args, check=False)
    line = refusal_line(proc.returncode, proc.stdout, proc.stderr.decode())
    reason = "No such file or directory" if bad == "missing" else "Is a directory"
    assert line == f"autocodec: InvalidInput: cannot read {tmp_path / bad}: {reason} (check the path)", line
    assert run_cli(home, "refs", "local").stdout == b""


@pytest.mark.parametrize(("args", "ours_out"), [
    (["--type=ed25519"], "did:key:z6Mk"),
    (["-t", "ed25519", "-s", "256"], "did:key:z6Mk"),
    (["--size=-1"], "did:key:z6Mk"),
    (["--type=foo"], "autocodec key gen: error: argument --type/-t: unrecognized key type: foo"),
    (["--type=Ed25519"], "autocodec key gen: error: argument --type/-t: unrecognized key type: Ed25519"),
    (["--size=100"], "autocodec: InvalidInput: invalid key size 100: ed25519 keys are always 256 bits"),
    (["--type=rsa"], "autocodec: UnsupportedKeyType: cannot make a key of type rsa"),
], ids=lambda a: " ".join(a) if isinstance(a, list) else None)
def test_key_gen_takes_kubos_type_and_size(kubo: Any, tmp_path: Path, args: list[str], ours_out: str) -> None:
    """`ipfs key gen --type=ed25519 NAME` (Kubo 0.43.1: `--type`/`-t`, `--size`/`-s`) was a
    usage error here (`unrecognized arguments`): a Kubo script naming the type it wants failed.
    Kubo's refusals are kept (its words); an rsa key, which Kubo makes, is refused by type."""
    theirs = kubo.ipfs("key", "gen", *args, f"k{abs(hash(tuple(args)))}", check=False)
    proc = run_cli(tmp_path / "home", "key", "gen", *args, "k", check=False)
    if ours_out.startswith("did:"):
        assert theirs.returncode == 0 and proc.returncode == 0, (theirs.stderr, proc.stderr)
        assert proc.stdout.decode().startswith(ours_out)
        return
    line = refusal_line(proc.returncode, proc.stdout, proc.stderr.decode(), usage=": error: " in ours_out)
    assert line.startswith(ours_out), line
    assert theirs.returncode == (0 if "rsa" in args[0] else 1), theirs.stderr
    assert not (tmp_path / "home" / "keys" / "k.pem").exists()


def test_block_check_of_an_empty_store(tmp_path: Path) -> None:
    """`block check` on a home with no block (`init --no-default-set`): every block (none) is
    intact, exit 0. Since e722b8d it was an IndexError traceback (the store's check windows
    read the first row of an empty list)."""
    home = tmp_path / "home"
    run_cli(home, "init", "--no-default-set")
    proc = run_cli(home, "block", "check", check=False)
    assert (proc.returncode, proc.stdout, proc.stderr) == (0, b"all 0 blocks intact\n", b""), proc.stderr


HELLO_DIR = {"a": b"a\n", "sub/b": b"b\n"}


@pytest.fixture(scope="module")
def both(kubo: Any, tmp_path_factory: pytest.TempPathFactory) -> tuple[Any, Path, str, str]:
    """Kubo's repo and our home holding the same file and folder (added by each): the file's
    and the folder's CIDs."""
    root = tmp_path_factory.mktemp("stdin")
    (root / "h.txt").write_bytes(b"hello world\n")
    for name, data in HELLO_DIR.items():
        (root / "d" / name).parent.mkdir(parents=True, exist_ok=True)
        (root / "d" / name).write_bytes(data)
    home = root / "home"
    run_cli(home, "init", "--no-default-set")
    file_cid = run_cli(home, "add", "-Q", str(root / "h.txt")).stdout.decode().strip()
    dir_cid = run_cli(home, "add", "-Q", "-r", str(root / "d")).stdout.decode().strip()
    assert kubo.ipfs("add", "-Q", root / "h.txt").stdout.decode().strip() == file_cid
    assert kubo.ipfs("add", "-Q", "-r", root / "d").stdout.decode().strip() == dir_cid
    return kubo, home, file_cid, dir_cid


STDIN_CASES = [  # the command line, and stdin with F (the file's CID) and D (the folder's)
    (["cat"], "F\n"), (["cat"], "F\nF\n"), (["cat"], "F"), (["cat", "-o", "2"], "F\n"),
    (["block", "get"], "F\n"), (["block", "stat"], "F\r\n"), (["refs"], "D\n"), (["refs", "-r"], "D\nD\n"),
    (["ls"], "D\n"), (["dag", "get"], "F\nD\n"), (["dag", "stat", "--progress=false"], "F\n"),
    (["dag", "resolve"], "D/sub\n"), (["resolve"], "/ipfs/D/sub\n"), (["dag", "export"], "F\n"),
    (["--enc=json", "dag", "resolve"], "D/sub\n"),
    (["cat"], ""), (["cat"], "\n"), (["cat"], "F F\n"), (["block", "stat"], "nope\n"),
]


@pytest.mark.parametrize(("args", "stdin"), STDIN_CASES, ids=lambda v: " ".join(v) if isinstance(v, list) else repr(v))
def test_a_missing_argument_is_read_from_stdin_as_kubo(both: tuple[Any, Path, str, str], args: list[str],
                                                      stdin: str) -> None:
    """`echo CID | ipfs cat` prints the file: Kubo 0.43.1 reads a missing argument of these
    commands from stdin, a line each. Before, ours was a usage error (`the following arguments
    are required`) for all of them. Both exit alike and print the same bytes; a refusal is one
    line here."""
    kubo, home, file_cid, dir_cid = both
    data = stdin.replace("F", file_cid).replace("D", dir_cid).encode()
    theirs = kubo.ipfs(*args, input=data, check=False)
    ours = run_cli(home, *args, stdin=data, check=False)
    assert (ours.returncode, ours.stdout) == (theirs.returncode, theirs.stdout), (ours.stderr, theirs.stderr)
    if ours.returncode:
        refusal_line(ours.returncode, ours.stdout, ours.stderr.decode(), usage=stdin == "")


def test_get_reads_its_missing_argument_from_stdin(both: tuple[Any, Path, str, str], tmp_path: Path) -> None:
    _kubo, home, file_cid, _dir = both
    out = tmp_path / "out"
    proc = run_cli(home, "get", "-o", str(out), stdin=f"{file_cid}\n".encode())
    assert proc.stdout == f"Saving file(s) to {out}\n".encode() and out.read_bytes() == b"hello world\n"


def test_stdin_arguments_are_bounded_by_timeout(home: Path) -> None:
    """A stdin that never ends (a writer that keeps it open) is read under --timeout, as every
    read of stdin is: one Timeout line, exit 1, not a hang."""
    import subprocess
    import sys

    writer = subprocess.Popen(["sleep", "30"], stdout=subprocess.PIPE)
    try:
        proc = subprocess.run([sys.executable, "-m", "autocodec", "--timeout=1s", "cat"], stdin=writer.stdout,
                              capture_output=True, timeout=20, env={**__import__("os").environ,
                                                                    "AUTOCODEC_HOME": str(home)})
    finally:
        writer.kill()
        writer.wait()
    line = refusal_line(proc.returncode, proc.stdout, proc.stderr.decode())
    assert line.startswith("autocodec: Timeout: timed out: the command ran longer than --timeout 1s allows"), line
