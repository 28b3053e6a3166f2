"""On/off options' Go-style ``=VALUE`` read in one place (``Parser._parse_optional``), beside Kubo 0.43.1.

Kubo's command line (go-ipfs-cmds) reads ``--offline=1``, ``-p=0``, ``--pin=`` as on/off values
(lowercased, then Go's ``strconv.ParseBool``; empty is true) only where it reads options: after
``--`` every word is an argument, so ``ipfs add -- --offline=0`` adds the file of that name.
autocodec rewrote the ``BooleanOptionalAction`` spellings over the whole command line first, so
``add -- --offline=0`` hashed a file named ``--no-offline`` and ``dag stat -- -p=0`` named
``--no-progress`` in its error.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from autocodec.cli._app import main

from . import _kubo_pair
from ._kubo import KuboRepo

CONTENT = {"--offline=0": b"a file named as an option\n", "--no-offline": b"another file\n",
           "-p=0": b"a short option's name\n", "--no-progress": b"yet another\n", "a.txt": b"a\n"}


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    root = tmp_path / "in"
    root.mkdir()
    for name, data in CONTENT.items():
        (root / name).write_bytes(data)
    return root


def _add_hash(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str]:
    status = main(["add", "--only-hash", "-Q", *argv])
    return status, capsys.readouterr().out


@pytest.mark.parametrize("name", ["--offline=0", "-p=0"])
def test_words_after_double_dash_are_not_rewritten(folder: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                   capsys: pytest.CaptureFixture[str], name: str) -> None:
    monkeypatch.chdir(folder)
    monkeypatch.setenv("AUTOCODEC_HOME", str(tmp_path / "home"))
    (folder / "copy").write_bytes(CONTENT[name])
    expected = _add_hash(capsys, "copy")
    assert expected[0] == 0 and expected[1].strip()
    assert _add_hash(capsys, "--", name) == expected


@pytest.mark.parametrize(("argv", "value"), [(["--offline=yes", "version"], '"yes"'),
                                             (["dag", "stat", "-p=on", "bafkqaaa"], '"on"'),
                                             (["add", "--pin=NO", "-"], '"no"')])
def test_a_bad_value_is_one_usage_line_for_either_kind(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                       capsys: pytest.CaptureFixture[str], argv: list[str],
                                                       value: str) -> None:
    monkeypatch.setenv("AUTOCODEC_HOME", str(tmp_path / "home"))
    with pytest.raises(SystemExit) as ended:
        main(argv)
    err = capsys.readouterr().err
    assert ended.value.code == 1 and err.count("\n") == 1
    assert f"strconv.ParseBool: parsing {value}: invalid syntax" in err and "Traceback" not in err  # Kubo's words


@pytest.mark.parametrize("argv", [["--offl", "version"], ["add", "--only-h", "-Q", "-"],
                                  ["dag", "stat", "--prog=false", "bafkqaaa"]])
def test_a_prefix_of_a_long_option_is_not_that_option(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                     capsys: pytest.CaptureFixture[str], argv: list[str]) -> None:
    monkeypatch.setenv("AUTOCODEC_HOME", str(tmp_path / "home"))
    with pytest.raises(SystemExit) as ended:
        main(argv)
    err = capsys.readouterr().err
    assert ended.value.code == 1 and err.count("\n") == 1 and "unknown option" in err, err


# Beside the real ``ipfs``: the table measured for this change (docs in the module docstring).

ROWS = [
    *[["--offline=" + v, "version", "-n"] for v in ["1", "0", "t", "F", "TRUE", "fAlSe", "", "yes", " 1"]],
    ["version", "-n", "--offline=0"], ["version", "--offline=yes"],
    ["--offline", "--offline=0", "version", "-n"], ["--offline=1", "--offline=1", "version", "-n"],
    ["--no-offline=true", "version"],
    ["dag", "stat", "-p=0", "CID"], ["dag", "stat", "-p=", "CID"], ["dag", "stat", "-p=yes", "CID"],
    ["dag", "stat", "--progress=F", "CID"], ["dag", "stat", "-p=0", "-p=1", "CID"],
    ["dag", "stat", "--no-progress=true", "CID"], ["dag", "stat", "--", "-p=0"],
    ["dag", "stat", "--timeout", "-p=0", "CID"], ["dag", "stat", "-p=0", "--timeout=10s", "CID"],
    ["dag", "export", "-p=0", "CID"],
    ["add", "--only-hash", "-Q", "--pin=", "a.txt"], ["add", "--only-hash", "-Q", "--pin=yes", "a.txt"],
    ["add", "--only-hash", "-Q", "--no-pin=true", "a.txt"], ["add", "--only-hash", "-Q", "--pin", "--pin=false", "a.txt"],
    ["add", "--only-hash", "-Q", "--", "--offline=0"], ["add", "--only-hash", "-Q", "--", "-p=0"],
    ["add", "--only-hash", "-Q", "a.txt", "--", "--offline=0"], ["add", "--only-hash", "-Q", "--chunker", "--pin=0", "a.txt"],
    ["add", "--only-hash", "-Q", "a.txt", "--offline=T"], ["add", "--only-hash", "-Q", "-w=tRuE", "a.txt"],
    # a long option is never taken by a prefix of its name (argparse's allow_abbrev; Kubo: unknown option)
    ["--offl", "version", "-n"], ["--time", "10s", "version", "-n"], ["add", "--only-h", "-Q", "a.txt"],
    ["add", "--only-hash", "-Q", "--cid-ver=1", "a.txt"], ["dag", "stat", "--prog=false", "CID"],
]


kubo = _kubo_pair.kubo  # a fresh offline repo for the module


@pytest.fixture(scope="module")
def both(kubo: KuboRepo, tmp_path_factory: pytest.TempPathFactory) -> _kubo_pair.Shared:
    """A folder of files named as options, a home, and the CID of a block Kubo and the home both hold."""
    return _kubo_pair.shared_block(kubo, tmp_path_factory, CONTENT)


@pytest.mark.slow
@pytest.mark.ipfs
@pytest.mark.parametrize("argv", ROWS, ids=[" ".join(row) for row in ROWS])
def test_on_off_spellings_as_kubo(kubo: KuboRepo, both: _kubo_pair.Shared, argv: list[str]) -> None:
    theirs, ours = _kubo_pair.run_row(kubo, both, argv)
    _kubo_pair.same_outcome(argv, theirs, ours)
    assert b"--no-progress'" not in ours.stderr  # a word after -- is named as given
