"""Three refusals in the words Kubo 0.43.1 (and Go) use, beside the real ``ipfs``.

Measured with the ``ipfs`` built in the checkout on an offline ``--profile test`` repo:

- every integer option below is read by go-ipfs-cmds with ``strconv.ParseInt(v, 0, 32)``
  (``add --cid-version``, ``--inline-limit``, ``--max-file-links``, ``refs --max-depth``, ``key
  gen --size``, ``get -l``, ``block put --mhlen``) or ``ParseInt(v, 0, 64)`` (``cat -o``, ``cat
  -l``; 2147483648 is an offset there), and a bad one is ``Error: strconv.ParseInt: parsing "x":
  invalid syntax``, or ``...: value out of range`` past the option's bits. Ours said ``'x' is
  not a 32-bit integer (Go syntax: ...)`` (64-bit for ``cat``) for both;
- a rabin chunker's malformed size is ``strconv.Atoi: parsing "xyz": invalid syntax`` (the value
  once; ours repeated the whole chunker value and then the part), and ``rabin-1-xyz-3`` is ``rabin
  min must be greater than 16``: boxo checks MIN before it reads AVG (ours read all three first);
- ``module build`` on a folder this user may not read said ``cannot read D/module.json: [Errno
  13] Permission denied: 'D/module.json'`` (the path twice, Python's repr).

Go's own texts (``strconv`` of the Go in /usr/local/go) for the ``_goint`` rows were printed by a
small Go program over the same strings; 40,000 random strings agreed with ``_goint`` when written.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from autocodec._goint import atoi_refusal, base0_refusal, parse_base0

from . import _kubo_pair
from ._cli import main_here, refusal_line
from ._kubo import KuboRepo

BIG = "99999999999999999999"  # past 64 bits


# --- Go's strconv, as Go words it -----------------------------------------------------------------

@pytest.mark.parametrize(("text", "bits", "said"), [
    ("x", 32, 'strconv.ParseInt: parsing "x": invalid syntax'),
    ("", 32, 'strconv.ParseInt: parsing "": invalid syntax'),
    ("-", 64, 'strconv.ParseInt: parsing "-": invalid syntax'),
    ("2147483648", 32, 'strconv.ParseInt: parsing "2147483648": value out of range'),
    ("-2147483649", 32, 'strconv.ParseInt: parsing "-2147483649": value out of range'),
    ("9223372036854775808", 64, 'strconv.ParseInt: parsing "9223372036854775808": value out of range'),
    (BIG + "x", 64, f'strconv.ParseInt: parsing "{BIG}x": value out of range'),  # Go stops at the overflow
    ("4294967296x", 32, 'strconv.ParseInt: parsing "4294967296x": value out of range'),
    ("2147483648x", 32, 'strconv.ParseInt: parsing "2147483648x": invalid syntax'),  # fits uint32 first
    ("1_" + "9" * 30 + "_", 64, f'strconv.ParseInt: parsing "1_{"9" * 30}_": value out of range'),
    ("1__0", 32, 'strconv.ParseInt: parsing "1__0": invalid syntax'),
    ("0x", 32, 'strconv.ParseInt: parsing "0x": invalid syntax'),
    ("é\t\"", 32, 'strconv.ParseInt: parsing "é\\t\\"": invalid syntax'),
])
def test_base0_refusals_are_gos(text: str, bits: int, said: str) -> None:
    assert parse_base0(text, bits, signed=True) is None
    assert base0_refusal(text, bits, signed=True) == said


@pytest.mark.parametrize(("text", "value"), [
    ("-2147483648", -(1 << 31)), ("2147483647", (1 << 31) - 1), ("0x_1f", 31), ("010", 8), ("1_0", 10),
    ("0" * 100 + "7", 7),  # Go reads any number of leading zeros (ours refused past 80 characters)
])
def test_what_go_reads_is_read(text: str, value: int) -> None:
    assert parse_base0(text, 32, signed=True) == value and base0_refusal(text, 32, signed=True) is None


def test_unsigned_and_atoi_are_named_as_go_names_them() -> None:
    assert base0_refusal("-1", 32, signed=False) == 'strconv.ParseUint: parsing "-1": invalid syntax'
    assert atoi_refusal("0x10") == 'strconv.Atoi: parsing "0x10": invalid syntax'
    assert atoi_refusal("+5") is None and atoi_refusal(BIG) == f'strconv.Atoi: parsing "{BIG}": value out of range'


# --- our parser alone --------------------------------------------------------------------------

OPTIONS: list[tuple[list[str], int]] = [
    # (argv with V for the value, the option's bits in Kubo)
    (["add", "-Q", "--cid-version", "V", "a.txt"], 32),
    (["add", "-Q", "--inline-limit", "V", "a.txt"], 32),
    (["add", "-Q", "--max-file-links", "V", "a.txt"], 32),
    (["refs", "--max-depth", "V", "CID"], 32),
    (["key", "gen", "--size", "V", "k1"], 32),
    (["get", "-l", "V", "CID"], 32),
    (["block", "put", "--mhlen", "V"], 32),
    (["cat", "-o", "V", "CID"], 64),
    (["cat", "-l", "V", "CID"], 64),
]
CASES = [(argv, value, reason) for argv, bits in OPTIONS
         for value, reason in (("x", "invalid syntax"), ("-x", "invalid syntax"),
                               ("2147483648" if bits == 32 else "9223372036854775808", "value out of range"))]


def _line(argv: list[str], value: str) -> list[str]:
    return [value if word == "V" else word for word in argv]


@pytest.mark.parametrize(("argv", "value", "reason"), CASES, ids=[" ".join(_line(a, v)) for a, v, _ in CASES])
def test_a_malformed_integer_is_refused_in_gos_words(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                     capsys: pytest.CaptureFixture[str], argv: list[str],
                                                     value: str, reason: str) -> None:
    monkeypatch.setenv("AUTOCODEC_HOME", str(tmp_path / "home"))
    status, out, err = main_here(capsys, *_line(argv, value))
    line = refusal_line(status if isinstance(status, int) else -1, out.encode(), err, usage=True)
    assert f': strconv.ParseInt: parsing "{value}": {reason} (see `autocodec ' in line, line


def test_a_long_rabin_size_is_named_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                         capsys: pytest.CaptureFixture[str]) -> None:
    """10,000 characters: the line held them twice (20,097 bytes); Kubo's holds them once."""
    monkeypatch.setenv("AUTOCODEC_HOME", str(tmp_path / "home"))
    (tmp_path / "a.txt").write_bytes(b"a\n")
    monkeypatch.chdir(tmp_path)
    value = "x" * 10_000
    status, out, err = main_here(capsys, "add", "-Q", "--chunker", f"rabin-{value}", "a.txt")
    line = refusal_line(status if isinstance(status, int) else -1, out.encode(), err)
    assert line.count(value) == 1 and f'strconv.Atoi: parsing "{value}": invalid syntax' in line, line[:200]
    assert len(line) < 10_200, len(line)


@pytest.mark.parametrize(("chunker", "said"), [
    ("rabin-1-xyz-3", "rabin min must be"),
    ("rabin-16-avg:x-99", 'strconv.Atoi: parsing "x": invalid syntax'),
    ("rabin-16-32-" + BIG, f'strconv.Atoi: parsing "{BIG}": value out of range'),
    ("rabin-foo:1-2-3", "first label must be min"),
    ("rabin-16-x:1-3", "second label must be avg"),
    ("rabin-16-32-y:5", "final label must be max"),
])
def test_rabin_refusals(chunker: str, said: str) -> None:
    from autocodec.errors import InvalidInput
    from autocodec.unixfs._chunk import parse_chunker

    with pytest.raises(InvalidInput) as caught:
        parse_chunker(chunker)
    assert said in caught.value.message, caught.value.message


# --- a folder this user may not read -------------------------------------------------------------

def _without_read_permission() -> list[str]:
    """A prefix under which file permissions apply: none for an ordinary user; for root,
    ``setpriv`` without the capabilities that pass over them."""
    if os.geteuid() != 0:
        return []
    if shutil.which("setpriv") is None:
        pytest.skip("root without setpriv: file permissions cannot be made to apply")
    return ["setpriv", "--inh-caps=-all", "--bounding-set=-all"]


def test_module_build_of_an_unreadable_folder_says_so_once(tmp_path: Path) -> None:
    locked = tmp_path / "lockdir"
    locked.mkdir()
    (locked / "module.json").write_text("{}")
    locked.chmod(0)
    try:
        proc = subprocess.run([*_without_read_permission(), sys.executable, "-m", "autocodec", "module", "build",
                               "lockdir"], cwd=tmp_path, env={**os.environ, "AUTOCODEC_HOME": str(tmp_path / "h")},
                              capture_output=True, timeout=120)
    finally:
        locked.chmod(0o755)
    line = refusal_line(proc.returncode, proc.stdout, proc.stderr.decode())
    assert "cannot read lockdir/module.json: Permission denied (" in line, line
    assert line.count("lockdir") == 1 and "Errno" not in line, line


def test_an_unreadable_build_json_says_so_once(tmp_path: Path) -> None:
    """``_tree``'s reader, in a child subject to file permissions."""
    (tmp_path / "build.json").write_text("{}")
    (tmp_path / "build.json").chmod(0)
    code = ("import sys; from pathlib import Path; from autocodec.modkit._errors import InvalidModuleSource\n"
            "from autocodec.modkit._tree import load_layout\n"
            "try: load_layout(Path(sys.argv[1]))\n"
            "except InvalidModuleSource as exc: print(exc.message)\n")
    proc = subprocess.run([*_without_read_permission(), sys.executable, "-c", code, str(tmp_path)],
                          capture_output=True, timeout=120, text=True)
    assert proc.stdout == f"cannot read {tmp_path / 'build.json'}: Permission denied\n", (proc.stdout, proc.stderr)


# --- beside the real ``ipfs`` --------------------------------------------------------------------

SAME = _kubo_pair.SAME
KUBO_CASES = [(argv, value, reason) for argv, value, reason in CASES if value != "-x"] + [
    (["add", "-Q", "--cid-version", "V", "a.txt"], BIG, "value out of range"),
    (["cat", "-l", "V", "CID"], BIG, "value out of range"),
]
RABIN_ROWS = [
    (["add", "-Q", "--chunker", "rabin-xyz", "a.txt"], 'strconv.Atoi: parsing "xyz": invalid syntax', SAME),
    (["add", "-Q", "--chunker", f"rabin-{BIG}", "a.txt"], f'strconv.Atoi: parsing "{BIG}": value out of range', SAME),
    (["add", "-Q", "--chunker", "rabin-min:x-2-3", "a.txt"], 'strconv.Atoi: parsing "x": invalid syntax', SAME),
    (["add", "-Q", "--chunker", "rabin-1-xyz-3", "a.txt"], "rabin min must be greater than 16", SAME),
    (["add", "-Q", "--chunker", "rabin-foo:1-2-3", "a.txt"], "first label must be min", SAME),
    (["add", "-Q", "--chunker", "rabin-16-32-y:5", "a.txt"], "final label must be max", SAME),
    (["add", "-Q", "--chunker", "rabin-" + "x" * 3000, "a.txt"], f'strconv.Atoi: parsing "{"x" * 3000}"', SAME),
]

kubo, both = _kubo_pair.kubo, _kubo_pair.both  # a fresh offline repo; a.txt in a folder and a home


@pytest.mark.slow
@pytest.mark.ipfs
@pytest.mark.parametrize(("argv", "value", "reason"), KUBO_CASES,
                         ids=[" ".join(_line(a, v)) for a, v, _ in KUBO_CASES])
def test_integer_words_as_kubo(kubo: KuboRepo, both: _kubo_pair.Shared, argv: list[str], value: str,
                               reason: str) -> None:
    line = _line(argv, value)
    theirs, ours = _kubo_pair.run_row(kubo, both, line)
    said = f'strconv.ParseInt: parsing "{value}": {reason}'
    _kubo_pair.same_words(line, theirs, ours, said, SAME)
    assert theirs.stderr.decode().startswith(f"Error: {said}\n"), theirs.stderr
    assert f"{said} (see" in ours.stderr.decode(), ours.stderr


@pytest.mark.slow
@pytest.mark.ipfs
@pytest.mark.parametrize(("argv", "kubo_says", "we_say"), RABIN_ROWS, ids=[r[0][3][:40] for r in RABIN_ROWS])
def test_rabin_words_as_kubo(kubo: KuboRepo, both: _kubo_pair.Shared, argv: list[str], kubo_says: str,
                             we_say: str | None) -> None:
    theirs, ours = _kubo_pair.run_row(kubo, both, argv)
    _kubo_pair.same_words(argv, theirs, ours, kubo_says, we_say)
    value = argv[3].removeprefix("rabin-")
    assert ours.stderr.decode().count(value) <= 1, ours.stderr[:200]
