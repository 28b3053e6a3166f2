"""``autocodec bao`` beside the reference Bao CLI, run for real on the same inputs.

The reference is ``bao`` from the crate bao_bin 0.13.1 (oconnor663/bao), built by
tools/setup.d/63-bao-bin.sh into .cache/cargo/bin. Every case runs through both command lines;
they must agree on the exit status class (0 or not), the bytes on standard output and the files
written. Where the reference fails and ours refuses too, standard output must hold the same
verified bytes. The deliberate differences are the ones docs/bao.md ("The reference `bao`
command") lists: a named OUTPUT of ours appears only when the command succeeds (the reference
truncates it first and leaves the verified part), error words are ours and go to standard
error, and ours also streams where the reference insists on a real file.

Our side runs in one interpreter (tests/_cli_batch.py: ``autocodec.cli.main`` with real file
descriptors) so the hundreds of cases take seconds; a few also run as separate processes.
"""

from __future__ import annotations

import os
import random
import subprocess
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from ._cli import run_cli
from ._cli_batch import run_cases

ROOT = Path(__file__).resolve().parents[1]
REF = ROOT / ".cache" / "cargo" / "bin" / "bao"

KIB = 1024
SIZES = [0, 1, 1023, 1024, 1025, 2048, 4097, 16 * KIB - 1, 16 * KIB, 16 * KIB + 1, KIB * KIB + 7]
HEADER = 8


def _reference() -> Path:
    if REF.is_file() and os.access(REF, os.X_OK):
        return REF
    if os.environ.get("CI"):
        pytest.fail("the reference bao CLI was not built by the setup (tools/setup.d/63-bao-bin.sh)")
    pytest.skip("the reference bao CLI is not built here: run `bash tools/setup.d/63-bao-bin.sh` (needs cargo)")


@dataclass
class Case:
    """One command line, ``bao ARGS``; ``{in}`` is the inputs' folder, ``{out}`` each tool's own."""

    group: str
    args: list[str]
    stdin: str | None = None
    outputs: list[str] = field(default_factory=list)
    twin: list[str] | None = None

    def argv(self, inputs: Path, out: Path, args: list[str] | None = None) -> list[str]:
        return [a.replace("{in}", str(inputs)).replace("{out}", str(out)) for a in args or self.args]


@dataclass
class Ran:
    status: int
    stdout: bytes
    stderr: bytes
    files: dict[str, bytes | None]
    twin: Ran | None = None


def _content(size: int) -> bytes:
    return random.Random(size).randbytes(size)


MAX = (1 << 64) - 1
"""The largest START or COUNT either CLI takes (a u64)."""


def _edges(size: int) -> list[int]:
    """``--start`` values: chunk edges either side, the last byte, the end and past it, 2^63 and
    2^64-1."""
    return sorted({0, 1023, 1024, 1025, max(size - 1, 0), size, size + 1, size + 5000, 1 << 63, MAX})


def _ranges(size: int) -> list[tuple[int, int]]:
    """(start, count) pairs: empty, chunk edges, unaligned, across chunks and past the end, and
    the u64 extremes (a START + COUNT past 2^64 must not wrap)."""
    return sorted({(0, 0), (0, 1), (0, size + 10), (1023, 2), (1024, 1024), (1025, 5000), (3000, 1),
                   (size // 2, 1025), (max(size - 1, 0), 1), (size, 0), (size, 1), (size + 5000, 10),
                   (0, MAX), (1, MAX), (max(size - 1, 0), MAX), (size, MAX), (1 << 63, 5), (MAX, 0), (MAX, 1),
                   (MAX, MAX)})


def _cases(sizes: list[int], hashes: dict[int, str]) -> list[Case]:
    cases: list[Case] = []
    for s in sizes:
        c, e, o, h = f"{{in}}/c{s}", f"{{in}}/e{s}", f"{{in}}/o{s}", hashes[s]
        cases += [Case("hash", ["hash", c]), Case("hash", ["hash"], stdin=c), Case("hash", ["hash", "-"], stdin=c),
                  Case("encode", ["encode", c, "{out}/enc"], outputs=["enc"]),
                  Case("encode", ["encode", c, "--outboard", "{out}/ob"], outputs=["ob"]),
                  Case("encode", ["encode", "-", "{out}/enc"], stdin=c, outputs=["enc"]),
                  Case("decode", ["decode", h, e]), Case("decode", ["decode", h, e, "{out}/d"], outputs=["d"]),
                  Case("decode", ["decode", h], stdin=e), Case("decode", ["decode", h, "-", "-"], stdin=e),
                  Case("decode", ["decode", h, c, "--outboard", o]),
                  Case("decode", ["decode", h, c, "{out}/d", "--outboard", o], outputs=["d"]),
                  Case("decode", ["decode", h, "-", "--outboard", o], stdin=c)]
        for start in _edges(s):
            cases += [Case("decode-range", ["decode", h, e, f"--start={start}"]),
                      Case("decode-range", ["decode", h, c, "--outboard", o, f"--start={start}"])]
        for count in (0, 1, 1024, 1025, s + 1, MAX):
            cases += [Case("decode-range", ["decode", h, e, f"--count={count}"]),
                      Case("decode-range", ["decode", h, e, "{out}/d", "--start=1024", f"--count={count}"],
                           outputs=["d"])]
        for start, count in _ranges(s):
            sl = f"{{in}}/s{s}_{start}_{count}"
            cases += [Case("slice", ["slice", str(start), str(count), e]),
                      Case("slice", ["slice", str(start), str(count), c, "{out}/sl", "--outboard", o], outputs=["sl"]),
                      Case("decode-slice", ["decode-slice", h, str(start), str(count), sl]),
                      Case("decode-slice", ["decode-slice", h, str(start), str(count), "-", "{out}/d"], stdin=sl,
                           outputs=["d"])]
    files = [f"{{in}}/c{s}" for s in sizes]
    cases += [Case("hash-many", ["hash", *files]), Case("hash-many", ["hash", files[0], "{in}/missing", files[-1]]),
              Case("hash-many", ["hash", "{in}", files[1]]), Case("hash-many", ["hash", "{in}/missing"])]
    return cases


def _streaming_cases(sizes: list[int], hashes: dict[int, str]) -> list[Case]:
    """Where the reference wants a real file ("input/output must be a real file") and ours
    streams (docs/bao.md): ours must write what the reference writes for ``twin``, the same
    command with files (an encoding's file ``{out}/x``)."""
    cases = []
    for s in sizes:
        c, e, o, h = f"{{in}}/c{s}", f"{{in}}/e{s}", f"{{in}}/o{s}", hashes[s]
        cases += [Case("streaming", ["encode", c, "-"], twin=["encode", c, "{out}/x"], outputs=["x"]),
                  Case("streaming", ["encode", c, "--outboard", "-"], twin=["encode", c, "--outboard", "{out}/x"],
                       outputs=["x"]),
                  Case("streaming", ["decode", h, "--start=1025", "--count=3000"], stdin=e,
                       twin=["decode", h, e, "--start=1025", "--count=3000"]),
                  Case("streaming", ["decode", h, "-", "--outboard", o, "--start=1024"], stdin=c,
                       twin=["decode", h, c, "--outboard", o, "--start=1024"]),
                  Case("streaming", ["slice", "1024", "2000"], stdin=e, twin=["slice", "1024", "2000", e]),
                  Case("streaming", ["slice", "1024", "2000", "-", "--outboard", o], stdin=c,
                       twin=["slice", "1024", "2000", c, "--outboard", o])]
    return cases


def _corruptions(size: int, enc: bytes, ob: bytes) -> dict[str, tuple[bytes, bytes]]:
    """Damaged (combined, outboard) pairs for a size of more than one chunk: a flipped byte in the
    first parent node, in the first and the last chunk, a truncated and an extended encoding."""
    def flip(data: bytes, at: int) -> bytes:
        return data[:at] + bytes([data[at] ^ 1]) + data[at + 1:]

    out = {"parent": (flip(enc, HEADER), flip(ob, HEADER)),
           "chunk0": (flip(enc, HEADER + 64 * 2 + 5) if size > 2048 else flip(enc, HEADER + 64 + 5), ob),
           "lastchunk": (flip(enc, len(enc) - 1), ob),
           "truncated": (enc[:-1], ob[:-1]),
           "extended": (enc + b"\0", ob + b"\0")}
    return out


class World:
    """Inputs, the cases and both tools' runs of them (once per module)."""

    def __init__(self, base: Path, ref: Path) -> None:
        self.base, self.ref = base, ref
        self.inputs = base / "in"
        self.inputs.mkdir()
        self.hashes: dict[int, str] = {}
        for s in SIZES:
            self._prepare(s)
        self.cases = _cases(SIZES, self.hashes) + _streaming_cases(SIZES, self.hashes) + self._corrupt_cases()
        with ThreadPoolExecutor(1) as pool:  # the reference's runs beside our one batch process
            theirs = pool.map(self._run_ref, range(len(self.cases)), self.cases)
            self.ours = self._run_ours()
            self.theirs = list(theirs)

    def _tool(self, *args: str, stdin: bytes | None = None) -> bytes:
        return subprocess.run([str(self.ref), *args], input=stdin, capture_output=True, check=True).stdout

    def _prepare(self, s: int) -> None:
        c = self.inputs / f"c{s}"
        c.write_bytes(_content(s))
        self.hashes[s] = self._tool("hash", str(c)).decode().strip()
        self._tool("encode", str(c), str(self.inputs / f"e{s}"))
        self._tool("encode", str(c), "--outboard", str(self.inputs / f"o{s}"))
        for start, count in _ranges(s):
            (self.inputs / f"s{s}_{start}_{count}").write_bytes(
                self._tool("slice", str(start), str(count), str(self.inputs / f"e{s}")))

    def _corrupt_cases(self) -> list[Case]:
        cases = []
        for s in (1025, 4097, 16 * KIB + 1, KIB * KIB + 7):
            enc, ob = (self.inputs / f"e{s}").read_bytes(), (self.inputs / f"o{s}").read_bytes()
            h = self.hashes[s]
            for what, (bad_e, bad_o) in _corruptions(s, enc, ob).items():
                e, o = f"{{in}}/bad_{what}_e{s}", f"{{in}}/bad_{what}_o{s}"
                (self.inputs / e[5:]).write_bytes(bad_e)
                (self.inputs / o[5:]).write_bytes(bad_o)
                c = f"{{in}}/c{s}"
                cases += [Case("corrupt", ["decode", h, e]), Case("corrupt", ["decode", h, e, "{out}/d"], outputs=["d"]),
                          Case("corrupt", ["decode", h], stdin=e),
                          Case("corrupt", ["decode", h, c, "--outboard", o]),
                          Case("corrupt", ["decode", h, c, "{out}/d", "--outboard", o], outputs=["d"]),
                          Case("corrupt", ["decode", h, e, "--start=2048", "--count=3000"]),
                          Case("corrupt", ["decode", h, e, f"--start={s - 1}"]),
                          Case("corrupt", ["decode-slice", h, "0", str(s), e]),
                          Case("corrupt", ["decode-slice", h, "1024", "2000", e]),
                          Case("corrupt", ["decode", h, e, "--count=3000"]),
                          Case("corrupt", ["decode", h, e, "--count=0"]),
                          Case("corrupt", ["decode", h, e, "--start=1500", "--count=0"]),
                          Case("corrupt", ["decode", h, e, f"--start={s + 100}", "--count=0"]),
                          Case("corrupt", ["decode", h, c, "--outboard", o, f"--start={s // 2}", "--count=0"]),
                          Case("slice-of-bad", ["slice", "0", str(s), c, "--outboard", o]),
                          Case("slice-of-bad", ["slice", "1024", "3000", e])]
            good = (self.inputs / f"s{s}_1024_1024").read_bytes()
            for what, bad in (("flip", good[:len(good) // 2] + bytes([good[len(good) // 2] ^ 1]) + good[len(good) // 2 + 1:]),
                              ("cut", good[:-1]), ("long", good + b"\0")):
                name = f"bad_{what}_s{s}"
                (self.inputs / name).write_bytes(bad)
                cases += [Case("corrupt", ["decode-slice", h, "1024", "1024", f"{{in}}/{name}"]),
                          Case("corrupt", ["decode-slice", h, "1024", "1024", "-", "{out}/d"], stdin=f"{{in}}/{name}",
                               outputs=["d"])]
        return cases

    def _outdir(self, who: str, i: int) -> Path:
        path = self.base / who / str(i)
        path.mkdir(parents=True)
        return path

    def _collect(self, case: Case, out: Path, status: int, stdout: bytes, stderr: bytes) -> Ran:
        files = {name: (out / name).read_bytes() if (out / name).exists() else None for name in case.outputs}
        return Ran(status, stdout, stderr, files)

    def _run_ref(self, i: int, case: Case) -> Ran:
        out = self._outdir("ref", i)
        ran = self._ref_once(case, out, case.args)
        if case.twin is not None:
            ran.twin = self._ref_once(case, self._outdir("ref-twin", i), case.twin)
        return ran

    def _ref_once(self, case: Case, out: Path, args: list[str]) -> Ran:
        stdin = case.stdin.replace("{in}", str(self.inputs)) if case.stdin else os.devnull
        with open(stdin, "rb") as f:
            proc = subprocess.run([str(self.ref), *case.argv(self.inputs, out, args)], stdin=f, capture_output=True,
                                  env={**os.environ, "RUST_BACKTRACE": "0"})
        return self._collect(case, out, proc.returncode, proc.stdout, proc.stderr)

    def _run_ours(self) -> list[Ran]:
        batch, dirs = [], []
        for i, case in enumerate(self.cases):
            out = self._outdir("ours", i)
            dirs.append(out)
            batch.append({"argv": ["bao", *case.argv(self.inputs, out)],
                          "stdin": case.stdin.replace("{in}", str(self.inputs)) if case.stdin else None,
                          "stdout": str(out / ".stdout"), "stderr": str(out / ".stderr")})
        statuses = run_cases(batch, self.base, {**os.environ, "AUTOCODEC_HOME": str(self.base / "home")})
        return [self._collect(case, out, st, (out / ".stdout").read_bytes(), (out / ".stderr").read_bytes())
                for case, out, st in zip(self.cases, dirs, statuses)]


def _disagreement(case: Case, ref: Ran, ours: Ran) -> str | None:
    """Why ``ours`` differs from ``ref`` beyond docs/bao.md's deliberate differences, or None."""
    if ref.twin is not None:  # docs/bao.md: ours streams where the reference wants a file
        if ref.status == 0 or "must be a real file" not in ref.stderr.decode(errors="replace"):
            return f"the reference no longer refuses this ({ref.status}): compare it directly"
        written = ref.twin.files.get("x") if ref.twin.files else ref.twin.stdout
        if ref.twin.status != 0 or ours.status != 0 or ours.stdout != written:
            return f"exit {ours.status}, {len(ours.stdout)} bytes; with files the reference exits " \
                   f"{ref.twin.status}, {len(written or b'')} bytes"
        return None
    if ref.status == 0 and ours.status != 0 and not ours.stdout and _empty_range_with_start(case):
        return None  # docs/bao.md: an empty range checks the way down to START's chunk
    if (ref.status == 0) != (ours.status == 0):
        return f"exit {ours.status}, the reference {ref.status} ({ref.stderr.decode(errors='replace').strip()!r}; " \
               f"ours {ours.stderr.decode(errors='replace').strip()!r})"
    ref_out = ref.stdout
    if case.group == "hash-many":  # the reference prints its error lines on stdout; ours on stderr
        ref_out = b"".join(line for line in ref.stdout.splitlines(True) if not line.startswith(b"bao: "))
    if case.group == "slice-of-bad" and ref.status != 0 and ref_out.startswith(ours.stdout):
        return None  # a slice is not verified by either: ours may refuse a short outboard sooner
    if ours.stdout != ref_out:
        return f"stdout {len(ours.stdout)} bytes, the reference {len(ref_out)} (first difference at " \
               f"{next((i for i, (a, b) in enumerate(zip(ours.stdout, ref_out)) if a != b), min(len(ours.stdout), len(ref_out)))})"
    for name, theirs in ref.files.items():
        mine = ours.files[name]
        if ref.status == 0 and mine != theirs:
            return f"{name}: {None if mine is None else len(mine)} bytes, the reference {len(theirs or b'')}"
        if ref.status != 0 and mine is not None:
            return f"{name} exists after a refusal ({len(mine)} bytes)"
    return None


def _empty_range_with_start(case: Case) -> bool:
    """``decode --start=N --count=0``, N not 0 (the reference's seek reads the
    way down to N's chunk lazily and may not reach damage there; ours checks all of it)."""
    return case.args[0] == "decode" and "--count=0" in case.args and any(
        a.startswith("--start=") and a != "--start=0" for a in case.args) and case.group == "corrupt"


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> World:
    return World(tmp_path_factory.mktemp("bao-ref"), _reference())


GROUPS = ["hash", "hash-many", "encode", "decode", "decode-range", "slice", "decode-slice", "streaming", "corrupt",
          "slice-of-bad"]


@pytest.mark.parametrize("group", GROUPS)
def test_both_clis_agree(world: World, group: str) -> None:
    problems = []
    for case, ref, ours in zip(world.cases, world.theirs, world.ours):
        if case.group == group and (why := _disagreement(case, ref, ours)):
            problems.append(f"bao {' '.join(case.args)}{' < ' + case.stdin if case.stdin else ''}: {why}")
    assert not problems, f"{len(problems)} disagreements:\n" + "\n".join(problems[:40])
    assert any(c.group == group for c in world.cases)


# Ours alone (no reference needed): the fixes the comparison above found, each failing before it.

def _encoded(size: int, home: Path, files: Path) -> tuple[str, bytes, bytes]:
    content = _content(size)
    (files / "c").write_bytes(content)
    run_cli(home, "bao", "encode", str(files / "c"), str(files / "e"))
    digest = run_cli(home, "bao", "hash", str(files / "c")).stdout.decode().strip()
    return digest, content, (files / "e").read_bytes()


def test_decode_with_a_count_stops_reading_at_the_end_of_the_range(home: Path, tmp_path: Path) -> None:
    """The reference's ``decode --count`` stops reading there; ours read on and refused a
    truncation past the range (exit 1), where the reference writes the range and exits 0."""
    digest, content, enc = _encoded(16 * KIB + 1, home, tmp_path)
    (tmp_path / "short").write_bytes(enc[:-1])
    for args, want in ((["--start=2048", "--count=3000"], content[2048:5048]), (["--count=3000"], content[:3000]),
                       (["--start=16000", "--count=0"], b""), (["--count=0"], b"")):
        proc = run_cli(home, "bao", "decode", digest, str(tmp_path / "short"), *args, check=False)
        assert (proc.returncode, proc.stdout) == (0, want), (args, proc.stderr)
    proc = run_cli(home, "bao", "decode", digest, str(tmp_path / "short"), "--start=16000", "--count=1000", check=False)
    assert proc.returncode == 1 and proc.stdout == content[16000:16384]  # the range reaches the damage


def test_hash_of_several_files_goes_on_past_one_it_cannot_read(home: Path, tmp_path: Path) -> None:
    """As the reference (and b2sum): each readable input is hashed, each other one is a line on
    standard error, exit 1. Ours stopped at the first."""
    digest, _, _ = _encoded(1025, home, tmp_path)
    c = str(tmp_path / "c")
    proc = run_cli(home, "bao", "hash", c, str(tmp_path / "missing"), str(tmp_path), c, check=False)
    assert proc.returncode == 1
    assert proc.stdout.decode() == f"{digest}  {c}\n{digest}  {c}\n"
    lines = proc.stderr.decode().splitlines()
    assert len(lines) == 2 and all(line.startswith("autocodec: InvalidInput: cannot read ") for line in lines), lines
