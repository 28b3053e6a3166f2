"""The last command-line differences from Kubo v0.43.1, side by side with the real ``ipfs``
binary (``tests/_kubo.py``, offline, no daemon):

- ``dag import`` of a CAR whose root cannot be pinned (a block under it is missing): in JSON
  every root with its ``PinErrorMsg`` and exit 0; in text Kubo's ``pinning root "CID" FAILED``
  and exit 1; ``--silent`` text: nothing, exit 0 in Kubo, the error and exit 1 here (docs/bounds.md);
- ``cid format|base32|inspect`` of a text holding a character its base's decoder refuses (a
  space around a CID, ``b ``): go-multibase's decoders' words;
- ``add --progress`` with ``--silent``, ``-q`` or ``-Q``: a progress report on stderr, as Kubo;
- ``version`` (``--number``, ``--commit``, ``--repo``, ``--all``, ``--enc=json``): Kubo's shapes,
  this program's values.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests import _kubo_pair
from tests._kubo import KuboRepo
from tests._cli_same import same
from tests._kubo_pair import Ours

kubo, ours = _kubo_pair.kubo, _kubo_pair.ours  # a Kubo repo and a home per module (tests/_kubo_pair.py)


def _car(path: Path, roots: list[object], blocks: list[tuple[object, bytes]]) -> str:
    """A CARv1 at ``path`` with these roots and blocks; returns the path."""
    from autocodec import builtin
    from autocodec.cid import CID, encode_varint

    header = builtin.encode({"roots": roots, "version": 1}, "dag-cbor")
    out = encode_varint(len(header)) + header
    for cid, data in blocks:
        assert isinstance(cid, CID)
        section = bytes(cid) + data
        out += encode_varint(len(section)) + section
    path.write_bytes(out)
    return str(path)


@pytest.fixture(scope="module")
def partial_cars(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """``one``: a CAR whose only root links to a block nobody holds; ``two``: that root and a
    complete one (a raw block)."""
    from autocodec import builtin

    folder = tmp_path_factory.mktemp("partial")
    missing = builtin.cid_for(b"a block no CAR holds", "raw")
    data = builtin.encode({"gone": missing}, "dag-cbor")
    root = builtin.cid_for(data, "dag-cbor")
    leaf = b"a complete root"
    whole = builtin.cid_for(leaf, "raw")
    return {"one": _car(folder / "one.car", [root], [(root, data)]),
            "two": _car(folder / "two.car", [root, whole], [(root, data), (whole, leaf)])}


@pytest.mark.slow
@pytest.mark.parametrize("flags", [(), ("--cid-base=base36",), ("--stats",), ("--silent",), ("--silent", "--stats"),
                                   ("--enc=json",), ("--enc=json", "--stats"), ("--enc=json", "--silent", "--stats")],
                         ids=" ".join)
def test_dag_import_reports_a_root_it_cannot_pin_as_kubo(kubo: KuboRepo, ours: Ours, partial_cars: dict[str, str],
                                                         flags: tuple[str, ...]) -> None:
    """Kubo reports each root: in JSON with ``PinErrorMsg`` (``block was not found locally
    (offline): ipld: could not find CID``) and exit 0; in text the first root it cannot pin ends
    the command (``pinning root "CID" FAILED: ...``, exit 1); ``--silent`` text reports nothing,
    exit 0, where ours fails as without ``--silent`` (on purpose: docs/bounds.md). Ours stopped
    with an error in every case (exit 1, the root quoted 'CID'). Kubo lists roots in Go's map
    order, so JSON lines are compared as sets and text uses one root."""
    if "--silent" in flags and "--enc=json" not in flags:
        code, out, err = ours.run("dag", "import", *flags, partial_cars["one"])
        theirs = kubo.ipfs("dag", "import", *flags, partial_cars["one"], check=False)
        assert (theirs.returncode, theirs.stdout) == (0, b"")
        assert (code, out) == (1, b"") and err.decode().startswith("autocodec: ") and "FAILED" in err.decode(), err
        return
    same(kubo, ours, "dag", "import", *flags, partial_cars["one"])
    theirs = kubo.ipfs("dag", "import", *flags, partial_cars["two"], check=False)
    code, out, _err = ours.run("dag", "import", *flags, partial_cars["two"])
    assert code == theirs.returncode
    if "--enc=json" in flags:
        assert sorted(out.splitlines()) == sorted(theirs.stdout.splitlines())
        assert (out.splitlines()[-1] == theirs.stdout.splitlines()[-1]) or "--stats" not in flags  # Stats last


VERSION_FLAGS = [(), ("--number",), ("-n",), ("--commit",), ("--repo",), ("--all",), ("--all", "--number"),
                 ("--commit", "--repo"), ("--number", "--repo"), ("--number", "--commit"), ("--cid-base=base36",),
                 ("--enc=text",), ("--number=false",)]


@pytest.mark.slow
@pytest.mark.parametrize("flags", VERSION_FLAGS, ids=" ".join)
def test_version_prints_kubos_shapes_with_our_values(kubo: KuboRepo, ours: Ours, flags: tuple[str, ...]) -> None:
    """``autocodec version`` prints what ``ipfs version`` prints for the same options, each value
    ours (Kubo's version, repo version and Go version become autocodec's, its store schema
    version and Python's; the system is the same machine's). There was no ``version`` command."""
    theirs_info = json.loads(kubo.ipfs("version", "--enc=json").stdout)
    mine_info = json.loads(ours.out("version", "--enc=json"))
    labels = {"Kubo version:": "Autocodec version:", "ipfs version": "autocodec version",
              "Golang version:": "Python version:"}
    values = {theirs_info[k]: mine_info[k] for k in ("Version", "Repo", "System")}
    values[theirs_info["Golang"]] = mine_info["Python"]
    expected = []
    for line in kubo.ipfs("version", *flags).stdout.decode().splitlines():
        label, space, value = line.rpartition(" ")
        expected.append(f"{labels.get(label, label)}{space}{values[value]}\n")
    assert ours.out("version", *flags).decode() == "".join(expected)


@pytest.mark.slow
@pytest.mark.parametrize("flags", [(), ("--number",), ("--all", "--repo")], ids=" ".join)
def test_version_json_has_kubos_keys(kubo: KuboRepo, ours: Ours, flags: tuple[str, ...]) -> None:
    """``--enc=json`` is Kubo's whole object whatever the other options say: its five keys in
    its order (``Commit`` empty as in Kubo's build, ``Golang`` empty: no Go here), then
    ``Python``; ``System`` is Go's ``GOARCH/GOOS`` of this machine, as Kubo's."""
    theirs = json.loads(kubo.ipfs("version", "--enc=json", *flags).stdout)
    raw = ours.out("version", "--enc=json", *flags)
    mine = json.loads(raw)
    assert list(mine) == [*theirs, "Python"] and raw.endswith(b"}\n") and b" " not in raw
    assert (mine["System"], mine["Commit"], mine["Golang"]) == (theirs["System"], theirs["Commit"], "")


def test_version_reads_no_home(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """``version`` neither needs nor creates the home."""
    from autocodec import __version__
    from autocodec.cli._app import main

    assert main(["--home", str(tmp_path / "none"), "version", "-n"]) == 0
    assert capsys.readouterr().out == f"{__version__}\n" and not (tmp_path / "none").exists()


CID = "bafkreibjop3jwhnm6vavsr2ngvjedlyj3n6jjpbfl4s4xkddoi6mwcryza"
BAD_CIDS = ["b ", f"{CID} ", f"{CID} x", "bafy re", "B ", "z ", "f ", "F0155 ", "k ", "K2jvsl x", "m ", "u-_ x",
            "vafy x", "bafy\t", "m\n ", "b1 ", "z0", "f0g", "k'", "QmYwAPJzv5CZsnA625s3Xf2nemtYgPpHdWEz79ojWnPb d"]


@pytest.mark.slow
@pytest.mark.parametrize("command", ["format", "base32", "inspect"])
@pytest.mark.parametrize("text", BAD_CIDS, ids=repr)
def test_cid_commands_say_a_bad_character_as_kubo(kubo: KuboRepo, ours: Ours, command: str, text: str) -> None:
    """A CID text holding a character its multibase's decoder refuses (a space around it, a
    digit the base has not) is refused in the decoder's words, as Kubo: ``illegal base32 data at
    input byte N`` (base32 and base64; the index after the prefix), ``invalid base58 digit
    (' ')``, ``invalid base36 character (' ')``, ``encoding/hex: invalid byte: U+0020 ' '``, and
    go-multihash's ``input isn't valid multihash`` for a 46-character ``Qm...``. Ours said
    ``invalid cid: 'b '`` for a space at either end, and its own words for the others."""
    theirs = kubo.ipfs("cid", command, text, check=False)
    code, out, err = ours.run("cid", command, text)
    assert (code, out) == (theirs.returncode, theirs.stdout) == (1, b"")
    kubo_lines, our_lines = theirs.stderr.decode().splitlines(), err.decode().splitlines()
    assert our_lines[:-1] == kubo_lines[:-1], (kubo_lines, our_lines)  # format/base32: the entry's own line
    assert kubo_lines[-1].removeprefix("Error: ") in our_lines[-1], (kubo_lines, our_lines)


@pytest.mark.slow
@pytest.mark.parametrize("flags", [("--silent", "--progress"), ("--silent", "--progress=true"), ("--silent",),
                                   ("--silent", "--progress=false"), ("-Q", "--progress"), ("-q", "--progress"),
                                   ("--progress",), ("-w", "--silent", "-p")], ids=" ".join)
def test_add_progress_is_shown_when_asked_as_kubo(kubo: KuboRepo, ours: Ours, tmp_path: Path,
                                                  flags: tuple[str, ...]) -> None:
    """A given ``--progress`` writes progress on stderr whatever ``--silent``, ``-q`` or ``-Q``
    say, as Kubo (its bar; ours, our report lines), and stdout is Kubo's; without it nothing is
    written on stderr when stderr is not a terminal. ``--silent --progress`` wrote nothing."""
    import random

    big = tmp_path / "big.bin"
    big.write_bytes(random.Random(94).randbytes(300_000))
    theirs = kubo.ipfs("add", *flags, big)
    code, out, err = ours.run("add", *flags, str(big))
    assert (code, out) == (0, theirs.stdout)
    assert bool(err) == bool(theirs.stderr) and b"Traceback" not in err, (theirs.stderr[:200], err)
