"""``pin ls --enc=json`` in Kubo 0.43.1's form, beside Kubo run offline. A pinned set is a
recursive pin of its signed index, so one set is compared with one recursive pin in Kubo under
the same name, the CIDs swapped: byte for byte, with and without ``--stream`` and ``--names``.
Before, ours refused ``--enc=json`` (``it has no JSON form``). The blocks a set keeps are its
indirect pins (tests/test_cli_pin_indirect_kubo.py); Kubo's empty folder has none, so these
compare the recursive pins alone (an indirect one has no name: ``-n`` leaves them all out)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests._cli import run_cli
from tests._kubo import KuboRepo, require_kubo

SET_NAME = "autocodec-default"


@pytest.fixture(scope="module")
def kubo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[KuboRepo]:
    require_kubo()
    repo = KuboRepo.create(tmp_path_factory.mktemp("pinjson") / "kubo")
    repo.ipfs("pin", "add", "--name", SET_NAME, "QmUNLLsPACCz1vLxQVkXqqLX5R1X345qqfHbsf67hvA3Nn")  # the empty folder
    yield repo


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    home = tmp_path_factory.mktemp("pinjson") / "home"
    run_cli(home, "init")  # pins the shipped set, named autocodec-default
    return home


def _one_cid(home: Path) -> str:
    cids = run_cli(home, "pin", "ls", "-q", "--type=recursive").stdout.decode().split()
    assert len(cids) == 1, cids
    return cids[0]


FORMS = [[], ["--stream"], ["--names"], ["--names", "--stream"], ["-q"], ["--type=recursive", "-s", "--names=true"],
         ["-n", "default"], ["--name=nothing"],
         ["--type=direct"], ["--type=indirect", "--stream", "-n", "default"]]


@pytest.mark.parametrize("options", FORMS, ids=lambda o: " ".join(o) or "plain")
def test_pin_ls_json_is_kubos(kubo: KuboRepo, home: Path, options: list[str]) -> None:
    kubo_options = options if any(o.startswith("--type") for o in options) else ["--type=recursive", *options]
    theirs = kubo.ipfs("pin", "ls", "--enc=json", *kubo_options).stdout
    ours = run_cli(home, "pin", "ls", "--enc=json", *kubo_options).stdout  # was: refused, exit 1
    ours = ours.replace(_one_cid(home).encode(), b"QmUNLLsPACCz1vLxQVkXqqLX5R1X345qqfHbsf67hvA3Nn")
    assert ours == theirs


def test_pin_ls_json_in_another_base(kubo: KuboRepo, home: Path) -> None:
    theirs = kubo.ipfs("pin", "ls", "--enc=json", "--type=recursive", "--cid-base=base36").stdout
    assert theirs.startswith(b'{"Keys":{"k')
    ours = run_cli(home, "--cid-base=base36", "pin", "ls", "--enc=json", "--type=recursive").stdout
    assert ours.startswith(b'{"Keys":{"k') and ours.endswith(b'":{"Type":"recursive","Name":""}}}\n')


def test_pin_ls_text_quiet_is_the_cids(home: Path) -> None:
    assert run_cli(home, "pin", "ls", "-q").stdout.decode().startswith("bafy")
    assert run_cli(home, "pin", "ls", "--type", "direct").stdout == b""


def test_pin_rm_and_add_json_are_kubos(kubo: KuboRepo, tmp_path: Path) -> None:
    """``{"Pins":[CID]}`` for a set unpinned and pinned again (Kubo's for a CID unpinned and pinned)."""
    empty = "QmUNLLsPACCz1vLxQVkXqqLX5R1X345qqfHbsf67hvA3Nn"
    theirs_rm = kubo.ipfs("pin", "rm", "--enc=json", empty).stdout
    theirs_add = kubo.ipfs("pin", "add", "--name", SET_NAME, "--enc=json", empty).stdout
    home = tmp_path / "home"
    run_cli(home, "init")
    index = _one_cid(home).encode()
    bundle = str(Path(__file__).resolve().parents[1] / "autocodec" / "registry" / "default-set.car")
    ours_rm = run_cli(home, "pin", "rm", SET_NAME, "--enc=json").stdout  # was: refused, exit 1
    ours_add = run_cli(home, "pin", "add", bundle, "--enc=json").stdout
    assert (ours_rm.replace(index, empty.encode()), ours_add.replace(index, empty.encode())) == (theirs_rm, theirs_add)


def test_init_takes_enc_as_kubo(kubo: KuboRepo, tmp_path: Path) -> None:
    """``ipfs init --enc=json`` writes its text as without it; ours was refused."""
    proc = run_cli(tmp_path / "home", "init", "--no-default-set", "--enc=json")
    assert proc.stdout.startswith(b"initialised autocodec home")
