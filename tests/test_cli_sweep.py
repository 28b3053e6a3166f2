"""A sweep of every command under hostile arguments: values of the wrong kind, empty and
special paths, outputs that cannot be written. Each refusal is exit 1 (a usage error too, as
Kubo 0.43.1) with one line on stderr (``autocodec COMMAND: error:`` for a usage error), no
traceback, nothing on stdout and no output file left behind."""

from __future__ import annotations

import os
import resource
import subprocess
import sys
from pathlib import Path

import pytest

from tests import _homes
from tests._cli import refusal_line, run_cli

home = _homes.initialised_home  # after autocodec init, per test (tests/_homes.py)

GIT_RAW = Path(__file__).resolve().parents[1] / "wasm-src" / "git-raw" / "git-raw.wasm"


def _refused(proc: subprocess.CompletedProcess[bytes], usage: bool = False) -> str:
    """The one line a refusal printed; asserts its shape (``refusal_line``)."""
    return refusal_line(proc.returncode, proc.stdout, proc.stderr.decode(errors="replace"), usage)


@pytest.fixture()
def content(tmp_path: Path) -> Path:
    path = tmp_path / "content.bin"
    path.write_bytes(b"hello\n")
    return path


# --- bao ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("value", ["x", "", "1.5", "\udcff"])
@pytest.mark.parametrize("where", ["--start", "START", "COUNT"])
def test_bao_offsets_that_are_not_numbers_are_named(home: Path, tmp_path: Path, value: str, where: str) -> None:
    digest = "00" * 32
    args = {"--start": ["decode", "--start", value, digest, "in.bao", "out.bin"],
            "START": ["slice", value, "1", "in.bao", "out.bin"],
            "COUNT": ["decode-slice", digest, "0", value, "in.bao", "out.bin"]}[where]
    line = _refused(run_cli(home, "bao", *args, check=False), usage=True)
    assert "is not a whole number of bytes" in line and "_count" not in line


def test_bao_encode_to_an_empty_outboard_path_is_refused(home: Path, content: Path) -> None:
    line = _refused(run_cli(home, "bao", "encode", "--outboard", "", str(content), check=False))
    assert "output path is empty" in line


@pytest.mark.parametrize("command", ["slice", "decode"])
def test_bao_an_empty_outboard_input_is_refused_not_ignored(home: Path, tmp_path: Path, content: Path,
                                                            command: str) -> None:
    """``--outboard ""`` was read as no outboard: INPUT (the content) was parsed as an encoding."""
    outboard = tmp_path / "content.obao"
    run_cli(home, "bao", "encode", "--outboard", str(outboard), str(content))
    digest = run_cli(home, "bao", "hash", str(content)).stdout.decode().strip()
    out = tmp_path / "out.bin"
    head = ["slice", "0", "6"] if command == "slice" else ["decode", digest]
    line = _refused(run_cli(home, "bao", *head, "--outboard", "", str(content), str(out), check=False))
    assert "input path is empty" in line
    assert not out.exists()


# --- inputs without end: read up to their cap, never whole -----------------------------------------


def _heap_limited() -> None:
    """A ``preexec_fn``: at most 1 GiB of heap, so a command reading ``/dev/zero`` whole fails
    fast (MemoryError) instead of taking the machine's memory."""
    resource.setrlimit(resource.RLIMIT_DATA, (1 << 30, 1 << 30))


def _endless(home: Path, *args: str) -> subprocess.CompletedProcess[bytes]:
    """``autocodec ARGS`` with ``/dev/zero`` on stdin, its heap limited (``_heap_limited``)."""
    env = {**os.environ, "AUTOCODEC_HOME": str(home)}
    with open("/dev/zero", "rb") as zero:
        return subprocess.run([sys.executable, "-m", "autocodec", *args], env=env, stdin=zero, capture_output=True,
                              preexec_fn=_heap_limited, timeout=60)


@pytest.mark.parametrize(("args", "said"), [
    (["publish", "--key", "k", "/dev/zero"], "module cap"),
    (["add", "--module", "/dev/zero", "CONTENT"], "module cap"),
    (["run", "--pipeline", "/dev/zero"], "is over 1048576 bytes"),
    (["run", "--pipeline", "-"], "is over 1048576 bytes"),
    (["cid", "format"], "a line of standard input is over"),
    (["cid", "base32"], "a line of standard input is over"),
    (["cid", "inspect"], "a line of standard input is over"),
])
def test_an_input_without_end_is_refused_at_its_cap(home: Path, content: Path, args: list[str], said: str) -> None:
    """Each read the whole file (or stdin's first line) into memory: ``/dev/zero`` took gigabytes
    until the kernel killed the command, and Ctrl-C did not stop it."""
    if args[0] == "publish":
        run_cli(home, "key", "gen", "k")
    args = [str(content) if a == "CONTENT" else a for a in args]
    assert said in _refused(_endless(home, *args))


# --- empty paths: refused, never read as "." or as "not given" --------------------------------------


def test_run_pipeline_from_an_empty_path_is_refused_as_input(home: Path) -> None:
    """It was a ConfigError about the current folder ('cannot read pipeline file .')."""
    line = _refused(run_cli(home, "run", "--pipeline", "", check=False))
    assert "InvalidInput: the input path is empty" in line


# --- lifetimes: finite, and short enough for a document's expiry ------------------------------------


@pytest.mark.parametrize("days", ["inf", "1e309", "nan", str(2**70)])
@pytest.mark.parametrize("command", ["publish", "set init"])
def test_a_lifetime_that_is_not_a_finite_number_of_days_is_refused(home: Path, days: str, command: str) -> None:
    """``inf`` was an OverflowError traceback; 2^70 an InvalidDocument telling the user to ask
    the document's publisher (themselves) for a valid one; ``nan`` 'has already expired'."""
    run_cli(home, "key", "gen", "k")
    tail = [str(GIT_RAW)] if command == "publish" else ["s1"]
    line = _refused(run_cli(home, *command.split(), "--key", "k", "--expires-days", days, *tail, check=False))
    assert "InvalidInput: a lifetime of" in line and ("not a number of days" in line or "longer than" in line)


@pytest.mark.parametrize("args", [["add", "-r", ""], ["add", "CONTENT", ""]])
def test_add_of_an_empty_path_is_refused_not_the_current_folder(home: Path, tmp_path: Path, content: Path,
                                                                args: list[str]) -> None:
    """``Path("")`` is ``.``: ``add -r ""`` added the current folder, ``add ""`` said it was a folder."""
    args = [str(content) if a == "CONTENT" else a for a in args]
    proc = subprocess.run([sys.executable, "-m", "autocodec", *args], env={**os.environ, "AUTOCODEC_HOME": str(home)},
                          capture_output=True, cwd=tmp_path, timeout=60)
    assert "a path to add is empty" in _refused(proc)


def test_publish_with_an_empty_vectors_path_is_refused_not_defaulted(home: Path) -> None:
    run_cli(home, "key", "gen", "k")
    line = _refused(run_cli(home, "publish", "--key", "k", "--vectors", "", str(GIT_RAW), check=False))
    assert "the --vectors path is empty" in line


def test_name_publish_to_an_empty_output_is_refused_before_publishing(home: Path) -> None:
    """``-o ""`` was skipped as if not given: the record was published and written nowhere."""
    run_cli(home, "key", "gen", "k")
    path = "/ipfs/bafkreifzjut3te2nhyekklss27nh3k72ysco7y32koao5eei66wof36n5e"
    line = _refused(run_cli(home, "name", "publish", "--key", "k", "-o", "", path, check=False))
    assert "the output path is empty" in line
    record = home / "rec"
    other = "/ipfs/bafkqaaa"  # another value: a record of ``path`` kept by the refusal would push it to sequence 1
    first = run_cli(home, "name", "publish", "--key", "k", "-o", str(record), other).stdout.decode()
    assert first.startswith("Published to ")
    name = first.split()[2].rstrip(":")
    fields = run_cli(home, "name", "inspect", "--verify", name, str(record)).stdout.decode().splitlines()
    assert "Sequence: 0" in [" ".join(line.split()) for line in fields]  # the refusal used no sequence number


@pytest.mark.parametrize("output", ["", "missing/folder/revocation"])
def test_ucan_revoke_to_an_unwritable_output_records_nothing(home: Path, tmp_path: Path, output: str) -> None:
    """The revocation was recorded, then the output failed: exit 1, yet the delegation revoked."""
    run_cli(home, "key", "gen", "k")
    did = run_cli(home, "key", "show", "k").stdout.decode().strip()
    token = tmp_path / "dlg"
    run_cli(home, "ucan", "delegate", "--key", "k", "--to", did, "--cmd", "/wasm/run", "-o", str(token))
    out = str(tmp_path / output) if output else ""
    _refused(run_cli(home, "ucan", "revoke", "--key", "k", "-o", out, str(token), check=False))
    assert run_cli(home, "ucan", "revoked").stdout == b""


# --- help and version text on a full disk -----------------------------------------------------------


@pytest.mark.parametrize("args", [["--version"], ["--help"], ["dag", "--help"], ["bao", "decode", "--help"]])
def test_help_and_version_on_a_full_disk_are_one_line(tmp_path: Path, args: list[str]) -> None:
    """argparse ignores a failed write: nothing was printed, and the exit status was 0."""
    with open("/dev/full", "wb") as full:
        proc = subprocess.run([sys.executable, "-m", "autocodec", *args], stdout=full, stderr=subprocess.PIPE,
                              env={**os.environ, "AUTOCODEC_HOME": str(tmp_path / "home")}, timeout=60)
    assert "cannot write standard output" in _refused(proc)


@pytest.mark.parametrize("command", ["update", "repair"])
def test_pin_update_or_repair_of_an_empty_name_is_refused_not_every_set(home: Path, command: str) -> None:
    """``pin update ""`` and ``pin repair ""`` acted on every pinned set (an empty name read as
    none given); they are refused, and a set named by its CID in another base is found."""
    said = _refused(run_cli(home, "pin", command, "", check=False))
    assert "a pinned set is named by its name or CID" in said, said
    listed = run_cli(home, "pin", "ls").stdout.decode()
    from autocodec.cid import CID

    index = next(CID.parse(word) for word in listed.split() if word.startswith("bafy"))
    other_base = index.encode("base58btc")
    assert "autocodec-default" in run_cli(home, "pin", command, other_base).stdout.decode()
