"""Kubo v0.43.1's global ``--enc`` and ``--cid-base`` and its ``--mhtype``, side by side with the
real ``ipfs`` binary (``tests/_kubo.py``, offline):

- the JSON forms (``--enc=json``) of refs, block stat/put, dag put/resolve/import, resolve,
  key gen/list/rename/rm and name publish/resolve: Kubo's bytes (all were usage errors here);
- the commands whose output Kubo does not change with ``--enc=json`` or ``--cid-base`` (cat, ls,
  block get/rm, dag get/export, cid format/base32) take them and print the same bytes;
- ``block put --mhtype``: go-multihash names spelled exactly, as Kubo (numbers and other letter
  cases were taken).

The commands of this program alone refuse ``--enc=json`` and ``--cid-base`` in one line
(``test_a_global_option_without_effect_is_refused_in_one_line``, in process, no Kubo).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests._kubo import KuboRepo
from tests._cli_same import same
from tests import _kubo_pair
from tests._kubo_pair import Ours

kubo, ours = _kubo_pair.kubo, _kubo_pair.ours  # a Kubo repo and a home per module (tests/_kubo_pair.py)


@pytest.fixture(scope="module")
def dag(kubo: KuboRepo, ours: Ours, tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """The same UnixFS folder, DAG-CBOR document and CAR in both stores."""
    folder = tmp_path_factory.mktemp("tree") / "d"
    (folder / "sub").mkdir(parents=True)
    (folder / "a.txt").write_bytes(b"hello\n")
    (folder / "sub" / "<b>&.txt").write_bytes(b"world\n")
    root = kubo.ipfs("add", "-r", "-Q", folder).stdout.decode().strip()
    assert ours.out("add", "-r", "-Q", str(folder)).decode().strip() == root
    doc = b'{"a":{"b":[1,2]}}'
    cbor = kubo.ipfs("dag", "put", input=doc).stdout.decode().strip()
    assert ours.out("dag", "put", stdin=doc).decode().strip() == cbor
    car = folder.parent / "a.car"
    car.write_bytes(kubo.ipfs("dag", "export", root).stdout)
    leaf = kubo.ipfs("resolve", f"/ipfs/{root}/a.txt").stdout.decode().strip().removeprefix("/ipfs/")
    return {"root": root, "cbor": cbor, "car": str(car), "leaf": leaf, "folder": str(folder)}


JSON_FORMS = [
    "refs {root}", "refs -r -e {root}", "refs -r --format=<linkname><dst> {root}", "refs -r --cid-base=base36 {root}",
    "block stat {leaf}", "block stat --cid-base=base36 {leaf}", "dag resolve {cbor}/a/b/1",
    "dag resolve --cid-base=base36 {root}/sub", "dag resolve /ipfs/{root}/a.txt", "resolve /ipfs/{root}/sub",
    "resolve --cid-base=base36 /ipfs/{root}/a.txt", "dag import --stats {car}", "dag import --silent --stats {car}",
    "dag import --cid-base=base36 {car}", "dag import --pin-roots=false {car}", "dag stat --cid-base=z {root}",
]


@pytest.mark.slow
@pytest.mark.parametrize("enc", ["json", "text"])
@pytest.mark.parametrize("command", JSON_FORMS)
def test_json_forms_are_kubos(kubo: KuboRepo, ours: Ours, dag: dict[str, str], command: str, enc: str) -> None:
    """Each command's ``--enc=json`` is Kubo's compact JSON (a CID under ``{"/": ...}`` in its
    default base whatever ``--cid-base`` says; ``--silent`` quiets only the text), and
    ``--enc=text`` its text. Both were usage errors (exit 2)."""
    same(kubo, ours, *command.format(**dag).split(), f"--enc={enc}")


@pytest.mark.slow
@pytest.mark.parametrize("enc", ["json", "text"])
@pytest.mark.parametrize("flags", [(), ("--cid-base=base36",), ("--store-codec=dag-json",), ("--format=v0",)],
                         ids=" ".join)
def test_puts_in_json_are_kubos(kubo: KuboRepo, ours: Ours, flags: tuple[str, ...], enc: str) -> None:
    """``block put`` is ``{"Key", "Size"}`` (Key in ``--cid-base``), ``dag put`` ``{"Cid": {"/": ...}}``."""
    if "--store-codec=dag-json" not in flags:
        data = b"\x0a\x02hi" if "--format=v0" in flags else b"block\n"
        same(kubo, ours, "block", "put", *flags, f"--enc={enc}", stdin=data)
    if "--format=v0" not in flags:
        same(kubo, ours, "dag", "put", *flags, f"--enc={enc}", stdin=b'{"put":[1]}')


IGNORED = ["add -r -n {folder}", "cat {leaf}", "ls {root}", "block get {leaf}", "dag get {cbor}", "dag export {leaf}", "cid format {leaf}",
           "cid base32 {leaf}"]


@pytest.mark.slow
@pytest.mark.parametrize("option", ["--enc=json", "--cid-base=base36"])
@pytest.mark.parametrize("command", IGNORED)
def test_global_options_are_taken_where_kubo_ignores_them(kubo: KuboRepo, ours: Ours, dag: dict[str, str],
                                                          command: str, option: str) -> None:
    """A script written for Kubo may pass ``--enc`` and ``--cid-base`` to any command; where
    Kubo's output does not change, ours does not either (they were usage errors)."""
    if option.startswith("--cid-base") and command.startswith("ls"):
        pytest.skip("ls uses --cid-base (tests/test_cli_kubo3.py and test_ls_kubo)")
    same(kubo, ours, *command.format(**dag).split(), option)


@pytest.mark.slow
def test_key_and_name_json_are_kubos(kubo: KuboRepo, ours: Ours, tmp_path: Path) -> None:
    """One key in both (made here, imported by Kubo): key gen/list/rename/rm and name
    publish/resolve in JSON print what Kubo prints for it."""
    made = json.loads(ours.out("key", "gen", "--enc=json", "k4"))
    ours.out("key", "export", "k4", "-o", str(tmp_path / "k4.key"))
    assert json.loads(kubo.ipfs("key", "import", "--enc=json", "k4", tmp_path / "k4.key").stdout) == made
    theirs = json.loads(kubo.ipfs("key", "list", "--enc=json").stdout)["Keys"]
    assert json.loads(ours.out("key", "list", "--enc=json")) == {"Keys": [k for k in theirs if k["Name"] != "self"]}
    root = "/ipfs/bafkqaaa"
    published = kubo.ipfs("name", "publish", "--allow-offline", "--key=k4", "--enc=json", root).stdout
    assert ours.out("name", "publish", "--key=k4", "--enc=json", root) == published
    resolved = kubo.ipfs("name", "resolve", "--offline", "--enc=json", made["Id"]).stdout
    assert ours.out("name", "resolve", "--enc=json", made["Id"]) == resolved
    same(kubo, ours, "key", "rename", "--enc=json", "k4", "k5")
    same(kubo, ours, "key", "rm", "--enc=json", "k5")


@pytest.mark.slow
@pytest.mark.parametrize("mhtype", ["sha2-256", "SHA2-256", "0x12", "18", "blake3", "Blake3", "dbl-sha2-256",
                                    "keccak-256", "nope", "", "0x300001"])
def test_block_put_reads_mhtype_as_kubo(kubo: KuboRepo, ours: Ours, mhtype: str) -> None:
    """``--mhtype`` is a go-multihash name spelled exactly (Kubo's ``unrecognized multihash
    function``); numbers and other letter cases were taken. A private-use code (0x300001) is
    refused by both here because no extension hashes it; with one, ours takes it."""
    if mhtype == "0x300001":  # Kubo: unrecognized; here: read, and no hasher serves it
        code, _out, err = ours.run("block", "put", f"--mhtype={mhtype}", stdin=b"mh\n")
        assert code == 1 and b"no builtin hasher for 0x300001" in err
        return
    same(kubo, ours, "block", "put", f"--mhtype={mhtype}", stdin=b"mh\n")


@pytest.mark.parametrize("args", [("encode", "--codec=raw", "--enc=json"), ("block", "ls", "--enc=json"),
                                  ("decode", "--cid-base=base36", "bafkqaaa"), ("key", "show", "--enc=json", "x")])
def test_a_global_option_without_effect_is_refused_in_one_line(args: tuple[str, ...], tmp_path: Path,
                                                               capsys: pytest.CaptureFixture[str]) -> None:
    """On a command of this program alone, ``--enc=json`` or ``--cid-base`` would change nothing
    that was asked: one line that says so, exit 1 (a usage error, as Kubo 0.43.1 exits for one)."""
    from autocodec.cli._app import main

    assert main(["--home", str(tmp_path / "home"), *args]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "has no effect on `autocodec " in err, err


def test_enc_values_are_read_as_kubo_reads_them(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """``--enc=`` is text; an unknown encoding is Kubo's ``invalid encoding: X``."""
    from autocodec.cli._app import main

    assert main(["--home", str(tmp_path / "h"), "cid", "base32", "--enc=", "bafkqaaa"]) == 0
    assert capsys.readouterr().out == "bafkqaaa\n"
    with pytest.raises(SystemExit):
        main(["cid", "base32", "--enc=bogus", "bafkqaaa"])
    assert "invalid encoding: bogus" in capsys.readouterr().err
