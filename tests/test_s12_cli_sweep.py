"""The CLI-wide hostile-input sweep (helper s12): the defects it found, each pinned, and the sweep
itself in small form (every command of the parser, every positional argument, a few hostile values).

Found: ``hash --module FILE`` and ``serve --module FILE`` read the module file whole, past the
home's module cap (``--module /dev/zero`` grew until the kernel killed the process, or was a
``MemoryError`` traceback under ``ulimit -v``), where every other ``--module`` command stops at the
cap; and an input a command reads whole that outgrows the memory it may have (``add
--ignore-rules-path /dev/zero`` under ``ulimit -v``) was a traceback, now one line. Endless inputs
run under an address-space limit here, so the old code fails fast instead of exhausting memory.
"""

from __future__ import annotations

import os
import resource
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from tests import _homes
from tests._cli import refusal_line

home = _homes.initialised_home  # after autocodec init, per test (tests/_homes.py)

_ADDRESS_SPACE = 1 << 30  # bytes: far above what these commands need, far below what /dev/zero gives


def _limited() -> Callable[[], None]:
    def apply() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (_ADDRESS_SPACE, _ADDRESS_SPACE))

    return apply


def _cli(home: Path, *args: str, limit: bool = True, timeout: float = 120) -> subprocess.CompletedProcess[bytes]:
    env = {**os.environ, "AUTOCODEC_HOME": str(home)}
    return subprocess.run([sys.executable, "-m", "autocodec", *args], env=env, capture_output=True,
                          stdin=subprocess.DEVNULL, timeout=timeout, preexec_fn=_limited() if limit else None)


def _line(proc: subprocess.CompletedProcess[bytes]) -> str:
    return refusal_line(proc.returncode, proc.stdout, proc.stderr.decode(errors="replace"))


@pytest.fixture()
def content(tmp_path: Path) -> Path:
    path = tmp_path / "content.bin"
    path.write_bytes(b"hello\n")
    return path


# --- the defects found ----------------------------------------------------------------------------


def test_hash_module_is_read_under_the_module_cap(home: Path, content: Path) -> None:
    """Was a ``MemoryError`` traceback (unlimited: killed by the kernel), the file read whole."""
    line = _line(_cli(home, "hash", "--module", "/dev/zero", str(content)))
    assert line.startswith("autocodec: ModuleTooLarge: /dev/zero is over the ") and "-byte module cap" in line


@pytest.mark.slow
def test_serve_module_is_read_under_the_module_cap_before_serving(home: Path) -> None:
    """Was a ``MemoryError`` traceback (unlimited: no answer until the kernel killed it)."""
    line = _line(_cli(home, "serve", "--port", "0", "--module", "/dev/zero"))
    assert line.startswith("autocodec: ModuleTooLarge: /dev/zero is over the ")


def test_hash_module_files_are_checked_as_the_other_commands_check_them(home: Path, tmp_path: Path,
                                                                        content: Path) -> None:
    """A module under the cap but not a module: the loader's refusal, one line (as before), and
    a real one still serves its hasher."""
    line = _line(_cli(home, "hash", "--module", str(content), str(content)))
    assert line.startswith("autocodec: ModuleRejected: ")
    blake3 = Path(__file__).resolve().parents[1] / "wasm-src" / "blake3" / "blake3.wasm"
    proc = _cli(home, "hash", "--module", str(blake3), "--hash", "blake3", str(content), limit=False)  # Wasm reserves
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.decode().startswith("1e20")


def test_out_of_memory_is_one_line(home: Path, content: Path) -> None:
    """An ignore-rules file read whole (as Kubo reads it) that outgrows the process's memory."""
    line = _line(_cli(home, "add", "--ignore-rules-path", "/dev/zero", str(content)))
    assert line == "autocodec: MemoryError: out of memory (give the command a smaller input, or more memory)"


# --- an output that is one of the command's inputs (found: the input replaced, exit 0) ------------


@pytest.fixture()
def bao_files(home: Path, tmp_path: Path) -> dict[str, str]:
    """Content, its combined encoding, outboard, a slice, and the Bao hash; the files' names."""
    content = tmp_path / "c.bin"
    content.write_bytes(os.urandom(5000))
    names = {"IN": str(content), "ENC": str(tmp_path / "c.bao"), "OB": str(tmp_path / "c.obao"),
             "SL": str(tmp_path / "c.slice")}
    for args in (["encode", names["IN"], names["ENC"]], ["encode", "--outboard", names["OB"], names["IN"]],
                 ["slice", "0", "10", names["ENC"], names["SL"]]):
        assert _cli(home, "bao", *args, limit=False).returncode == 0
    names["H"] = _cli(home, "bao", "hash", names["IN"], limit=False).stdout.decode().strip()
    (tmp_path / "link.bin").symlink_to(content)
    names["LINK"] = str(tmp_path / "link.bin")
    return names


@pytest.mark.parametrize(("args", "kept"), [
    (["encode", "--outboard", "IN", "IN"], "IN"),  # was: the content replaced by its tree, exit 0
    (["encode", "--outboard", "LINK", "IN"], "IN"),
    (["encode", "IN", "IN"], "IN"),
    (["decode", "H", "ENC", "ENC"], "ENC"),
    (["decode", "H", "--outboard", "OB", "IN", "OB"], "OB"),
    (["slice", "0", "10", "ENC", "ENC"], "ENC"),
    (["slice", "--outboard", "OB", "0", "10", "IN", "IN"], "IN"),
    (["decode-slice", "H", "0", "10", "SL", "SL"], "SL"),
])
def test_bao_refuses_an_output_that_is_its_input(home: Path, bao_files: dict[str, str], args: list[str],
                                                 kept: str) -> None:
    before = Path(bao_files[kept]).read_bytes()
    line = _line(_cli(home, "bao", *[bao_files.get(a, a) for a in args], limit=False))
    assert "which the output would replace (choose another output path)" in line
    assert Path(bao_files[kept]).read_bytes() == before


def test_ucan_refuses_to_write_a_token_over_its_proof(home: Path, tmp_path: Path) -> None:
    """``delegate --proof P -o P`` replaced the only copy of the proof the new token needs;
    ``revoke -o`` onto an input is refused before the revocation is recorded."""
    for name in ("alice", "bob"):
        assert _cli(home, "key", "gen", name, limit=False).returncode == 0
    alice, bob = (_cli(home, "key", "show", n, limit=False).stdout.decode().strip() for n in ("alice", "bob"))
    proof, other = tmp_path / "bob.ucan", tmp_path / "back.ucan"
    assert _cli(home, "ucan", "delegate", "--key", "alice", "--to", bob, "--cmd", "/wasm/run", "-o", str(proof),
                limit=False).returncode == 0
    before = proof.read_bytes()
    (tmp_path / "hard.ucan").hardlink_to(proof)
    for out in (proof, tmp_path / "hard.ucan"):
        line = _line(_cli(home, "ucan", "delegate", "--key", "bob", "--to", alice, "--cmd", "/wasm/run",
                          "--proof", str(proof), "-o", str(out), limit=False))
        assert f"cannot write {out}: it is the input {proof}" in line
    assert proof.read_bytes() == before
    assert _cli(home, "ucan", "delegate", "--key", "bob", "--to", alice, "--cmd", "/wasm/run", "--proof", str(proof),
                "-o", str(other), limit=False).returncode == 0
    line = _line(_cli(home, "ucan", "revoke", str(other), "--key", "bob", "--proof", str(proof), "-o", str(proof),
                      limit=False))
    assert "which the output would replace" in line and proof.read_bytes() == before
    assert _cli(home, "ucan", "revoked", limit=False).stdout == b""  # nothing recorded


def test_module_build_refuses_to_write_over_a_source(home: Path, tmp_path: Path) -> None:
    """``module build DIR -o DIR/module.c`` left the Wasm where the C source was, exit 0."""
    folder = tmp_path / "m"
    assert _cli(home, "module", "new", str(folder), "--lang", "c", "--kind", "codec", "--name", "t",
                "--code", "0x300001", limit=False).returncode == 0
    for name in ("module.c", "module.json"):
        before = (folder / name).read_bytes()
        line = _line(_cli(home, "module", "build", str(folder), "-o", str(folder / name), limit=False))
        assert f"it is a file of the module folder {folder}" in line
        assert (folder / name).read_bytes() == before


# --- a quick failure on a non-terminal stderr is one line (found: a progress line first) ----------


def test_a_failing_pin_add_or_car_import_is_one_line_on_a_pipe(tmp_path: Path) -> None:
    """The progress reporter wrote its first line at once on a non-terminal: pin add of a set
    CAR with one bit flipped in a module printed 'fetching modules: 1 module / 29 modules (3%)'
    before its HashMismatch; car import of a cut CAR 'import: ... (55%)' before InvalidCar."""
    home = tmp_path / "home"
    assert _cli(home, "init", "--no-default-set", limit=False).returncode == 0
    shipped = Path(__file__).resolve().parents[1] / "autocodec" / "registry" / "default-set.car"
    car = bytearray(shipped.read_bytes())
    car[-1000] ^= 1  # inside the last section: module bytes or vectors, not the index
    tampered = tmp_path / "tampered.car"
    tampered.write_bytes(bytes(car))
    line = _quick_failure_line(home, "pin", "add", str(tampered))
    assert line.startswith("autocodec: HashMismatch: "), line
    content = tmp_path / "big.bin"
    content.write_bytes(os.urandom(12 << 20))
    cid = _cli(home, "add", "-Q", str(content), limit=False).stdout.decode().strip()
    whole = tmp_path / "big.car"
    assert _cli(home, "car", "export", cid, "-o", str(whole), limit=False).returncode == 0
    cut = tmp_path / "cut.car"
    cut.write_bytes(whole.read_bytes()[: 10 << 20])
    fresh = tmp_path / "fresh"
    assert _cli(fresh, "init", "--no-default-set", limit=False).returncode == 0
    line = _quick_failure_line(fresh, "car", "import", str(cut))
    assert line.startswith("autocodec: InvalidCar: truncated CAR"), line


def _quick_failure_line(home: Path, *args: str) -> str:
    """The refusal of a command expected to fail well within the first 5 s: the one line its
    stderr holds. On a machine so loaded that it ran past them, a progress line may rightly come
    first: then the last line is checked (the rule under test is about quick failures)."""
    started = time.monotonic()
    proc = _cli(home, *args, limit=False)
    if time.monotonic() - started < 4.5:
        return _line(proc)
    assert proc.returncode == 1
    return proc.stderr.decode(errors="replace").strip().splitlines()[-1]


# --- the sweep: every command of the parser, each argument, hostile values ----------------------


def _commands() -> list[tuple[list[str], list[str], list[str]]]:
    """(command words, positional argument names, options that take a value) of every command."""
    import argparse

    from autocodec.cli._commands import build_parser

    found: list[tuple[list[str], list[str], list[str]]] = []

    def walk(parser: argparse.ArgumentParser, words: list[str]) -> None:
        subs = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
        if subs:
            for name, child in subs[0].choices.items():
                walk(child, [*words, name])
            return
        positionals = [a.dest for a in parser._actions if not a.option_strings]
        options = [next(o for o in a.option_strings if o.startswith("--")) for a in parser._actions
                   if a.option_strings and a.nargs is None and type(a).__name__ in ("_StoreAction", "_AppendAction")
                   and any(o.startswith("--") and "=" not in o for o in a.option_strings)]
        found.append((words, positionals, options))

    walk(build_parser(None), [])
    return found


_KUBO_LISTS = {("cid", "format"), ("cid", "base32")}  # a line per bad entry, then the error, as Kubo 0.43.1
_SKIPPED = {"serve", "bench"}  # serve runs until stopped (its options: test_cli_rough_edges); bench measures


def _baseline(name: str, content: str, cid: str, tmp: Path) -> str:
    """A value that lets the command reach the argument under test: a file, a CID, a key..."""
    files = {"paths", "files", "inputs", "file", "input", "module", "record", "token", "vectors", "manifest"}
    if name in files:
        return content
    if name in {"cid", "ref", "root", "roots", "target", "path", "cids", "to"}:
        return cid
    return {"output": str(tmp / "out.bin"), "dir": str(tmp / "new"), "hash": "00" * 32, "name": "k",
            "old": "k", "new": "k2", "kind": "codec", "code": "dag-cbor", "start": "0", "count": "1"}.get(name, "x")


@pytest.mark.slow
def test_every_argument_of_every_command_given_hostile_values(home: Path, tmp_path: Path,
                                                               monkeypatch: pytest.MonkeyPatch,
                                                               capsys: pytest.CaptureFixture[str]) -> None:
    """Each command, in this process (offline), with each positional argument and each option
    that takes a value in turn given a hostile value (the others a value that works): exit 0 or
    1, never an exception; a refusal is one line. The full sweep (a process per case, more
    values: /dev/full, FIFOs, 100 kB) found the defects pinned above."""
    monkeypatch.setenv("AUTOCODEC_HOME", str(home))
    monkeypatch.chdir(tmp_path)
    content = tmp_path / "content.bin"
    content.write_bytes(b"hello\n")
    cid = _cli(home, "add", "-Q", str(content), limit=False).stdout.decode().strip()
    assert _cli(home, "key", "gen", "k", limit=False).returncode == 0
    folder = tmp_path / "folder"
    folder.mkdir()
    (tmp_path / "dangling").symlink_to(tmp_path / "nowhere")
    values = ["", str(folder), str(tmp_path / "dangling"), "-1", str(2**64), "a\x1b[2Jb"]  # non-UTF-8: in a process (its stderr)
    commands = [c for c in _commands() if c[0][0] not in _SKIPPED]
    assert len(commands) > 70
    bad, runs = [], 0
    try:
        runs = _sweep(capsys, commands, values, str(content), cid, tmp_path, bad)
    finally:  # --offline is for the rest of the process (sources.go_offline): not for later tests
        from autocodec.sources import _http

        _http._OFFLINE.clear()
    assert runs > 1500 and not bad, bad


def _sweep(capsys: pytest.CaptureFixture[str], commands: list[tuple[list[str], list[str], list[str]]],
           values: list[str], content: str, cid: str, tmp_path: Path, bad: list[object]) -> int:
    from tests._cli import main_here

    runs = 0
    for words, positionals, options in commands:
        base = [_baseline(p, content, cid, tmp_path) for p in positionals]
        cases = [[*base[:i], v, *base[i + 1:]] for i in range(len(base)) for v in values]
        cases += [[o, v, *base] for o in options if o not in ("--enc", "--cid-base") for v in values]
        for case in cases:
            argv = ["--offline", *words, *case]
            status, out, err = main_here(capsys, *argv)
            runs += 1
            lines = err.splitlines()
            if status not in (0, 1) or "Traceback" in err or (
                    status == 1 and len(lines) != 1 and tuple(words) not in _KUBO_LISTS):
                bad.append((argv, status, err[-300:]))
    return runs
