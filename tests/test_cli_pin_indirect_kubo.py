"""``pin ls`` indirect pins and CID arguments, ``pin verify`` and ``pin update --enc=json`` beside
Kubo 0.43.1 run offline. Before, ours listed no indirect pins, took no CID argument, had no
``pin verify`` and no JSON or ``FROM TO`` form of ``pin update``.

A pinned set is a recursive pin of its signed index; the blocks it keeps (``Pins.needed``) are
its indirect pins. Kubo holds the very same blocks (each put with its CID) under a recursive pin
of a stand-in root that links to them (Kubo cannot walk our index itself: its links are inside
the signed payload's bytes, and one of the set's DAG-CBOR blocks does not decode in Kubo), so
the lines are compared with that root's CID and our index's swapped. The stand-in links only
the raw blocks (modules, vectors), which Kubo walks without decoding them."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from autocodec.cid import CID
from autocodec.store import CarReader
from tests._cli import run_cli
from tests._kubo import KuboRepo, require_kubo

pytestmark = [pytest.mark.slow, pytest.mark.ipfs]

BUNDLE = Path(__file__).resolve().parents[1] / "autocodec" / "registry" / "default-set.car"
RAW = 0x55
SET_NAME = "autocodec-default"
EMPTY_FOLDER = "QmUNLLsPACCz1vLxQVkXqqLX5R1X345qqfHbsf67hvA3Nn"


def _raw_blocks() -> list[tuple[CID, bytes]]:
    with open(BUNDLE, "rb") as stream:
        return [(cid, data) for cid, data in CarReader(stream) if cid.codec == RAW]


def _kubo_with_stand_in(path: Path) -> tuple[KuboRepo, str, str]:
    """A Kubo repo holding the set's blocks (each put with its CID) under a recursive pin of a
    DAG-CBOR root that links to its raw blocks and to one of its DAG-CBOR documents that Kubo
    decodes; returns the repo, that root's CID and that document's."""
    require_kubo()
    repo = KuboRepo.create(path)
    repo.ipfs("pin", "rm", EMPTY_FOLDER, check=False)  # pinned by init: ours has no such pin
    links = []
    documents: list[str] = []
    with open(BUNDLE, "rb") as stream:
        reader = CarReader(stream)
        root = reader.roots[0]
        for cid, data in reader:
            codec = "raw" if cid.codec == RAW else "dag-cbor"
            assert repo.ipfs("block", "put", f"--cid-codec={codec}", input=data).stdout.decode().strip() == str(cid)
            if cid.codec == RAW:
                links.append({"/": str(cid)})
            elif cid != root:
                documents.append(str(cid))
    # the last that Kubo decodes: a manifest or vectors (the set's root chain comes first in a bundle)
    document = next(cid for cid in reversed(documents) if repo.ipfs("dag", "get", cid, check=False).returncode == 0)
    links.append({"/": document})
    stand_in = repo.ipfs("dag", "put", input=json.dumps(links).encode()).stdout.decode().strip()
    repo.ipfs("pin", "add", "--name", SET_NAME, stand_in)  # named as our set, for --names
    return repo, stand_in, document


def _home(path: Path) -> tuple[Path, str]:
    run_cli(path, "init")  # pins the shipped set
    return path, run_cli(path, "pin", "ls", "-q", "--type=recursive").stdout.decode().strip()


@pytest.fixture(scope="module")
def both(tmp_path_factory: pytest.TempPathFactory) -> tuple[KuboRepo, str, Path, str]:
    root = tmp_path_factory.mktemp("pinindirect")
    repo, stand_in, _ = _kubo_with_stand_in(root / "kubo")
    home, index = _home(root / "home")
    return repo, stand_in, home, index


def test_indirect_json_lists_the_blocks_a_set_keeps(both: tuple[KuboRepo, str, Path, str]) -> None:
    """Kubo's ``--type=indirect`` JSON lists the blocks under the pin; ours the blocks the set
    keeps: the raw ones are the same keys, each ``{"Type":"indirect","Name":""}``."""
    repo, _, home, _ = both
    theirs = json.loads(repo.ipfs("pin", "ls", "--type=indirect", "--enc=json").stdout)["Keys"]
    ours = json.loads(run_cli(home, "pin", "ls", "--type=indirect", "--enc=json").stdout)["Keys"]  # was: {}
    assert {cid: value for cid, value in ours.items() if cid in theirs} == theirs
    assert len(theirs) == len(_raw_blocks()) + 1
    assert len(ours) > len(theirs)  # and its other documents (root, index roles, manifests)


def test_all_lists_recursive_then_indirect(both: tuple[KuboRepo, str, Path, str]) -> None:
    """``--stream`` (the default ``--type=all``): the recursive pins first, then the indirect
    ones, as Kubo's lines; the text form writes ``CID indirect`` for each block kept."""
    repo, stand_in, home, index = both
    theirs = repo.ipfs("pin", "ls", "--stream", "--enc=json").stdout.decode().splitlines()
    ours = run_cli(home, "pin", "ls", "--stream", "--enc=json").stdout.decode().replace(index, stand_in).splitlines()
    assert ours[0] == theirs[0] == json.dumps({"Cid": stand_in, "Type": "recursive"}, separators=(",", ":"))
    assert set(theirs[1:]) <= set(ours[1:])  # Kubo's walk is concurrent: its order is not fixed
    text = run_cli(home, "pin", "ls", "--type=indirect").stdout.decode().splitlines()
    assert {line.split(" ")[0] for line in text} == {json.loads(line)["Cid"] for line in ours[1:]}
    assert all(line.endswith(" indirect") for line in text)


@pytest.mark.parametrize("options", [[], ["--enc=json"], ["--enc=json", "--stream"], ["--stream"], ["-q"],
                                     ["--type=indirect"], ["--names"]], ids=lambda o: " ".join(o) or "plain")
def test_ls_with_cids_is_kubos(both: tuple[KuboRepo, str, Path, str], options: list[str]) -> None:
    """``pin ls INDEX BLOCK``: ``recursive`` and ``indirect through INDEX``, byte for byte (the
    root swapped). With ``--type=indirect`` the recursive one is not pinned so: an error."""
    repo, stand_in, home, index = both
    block = str(_raw_blocks()[0][0])
    theirs = repo.ipfs("pin", "ls", *options, stand_in, block, check=False)
    ours = run_cli(home, "pin", "ls", *options, index, block, check=False)  # was: refused, exit 2
    swapped = ours.stdout.replace(index.encode(), stand_in.encode())
    if "--stream" not in options and "--enc=json" not in options:  # Kubo writes a Go map: in no fixed order
        swapped, theirs.stdout = (sorted(out.splitlines()) for out in (swapped, theirs.stdout))  # type: ignore[assignment]
    assert swapped == theirs.stdout
    assert ours.returncode == theirs.returncode


def test_ls_of_a_block_not_pinned(both: tuple[KuboRepo, str, Path, str]) -> None:
    """Kubo's ``path 'X' is not pinned`` and exit 1; with ``--stream`` the lines before it."""
    repo, stand_in, home, index = both
    for options in ([], ["--stream"], ["--enc=json"], ["--stream", "--enc=json"]):
        theirs = repo.ipfs("pin", "ls", *options, stand_in, "bafkqaaa", check=False)
        ours = run_cli(home, "pin", "ls", *options, index, "bafkqaaa", check=False)
        assert (ours.returncode, theirs.returncode) == (1, 1)
        assert ours.stdout.replace(index.encode(), stand_in.encode()) == theirs.stdout
        assert b"path 'bafkqaaa' is not pinned" in theirs.stderr and b"path 'bafkqaaa' is not pinned" in ours.stderr
        assert b"Traceback" not in ours.stderr


def test_verify_of_sound_pins_is_kubos(both: tuple[KuboRepo, str, Path, str]) -> None:
    repo, stand_in, home, index = both
    for options in ([], ["--verbose"], ["-q"], ["--enc=json"], ["--enc=json", "--verbose"]):
        theirs = repo.ipfs("pin", "verify", *options).stdout
        ours = run_cli(home, "pin", "verify", *options).stdout  # was: refused, exit 2
        assert ours.replace(index.encode(), stand_in.encode()) == theirs
    both_flags = run_cli(home, "pin", "verify", "--verbose", "-q", check=False)
    assert both_flags.returncode == 1 and b"can not be used at the same time" in both_flags.stderr


def _lose(tmp_path: Path, raw: bool) -> tuple[KuboRepo, str, Path, str, str]:
    """Both sides with the same block lost from under the pin (ours: ``block rm --force``): a
    raw one, or the DAG-CBOR document the stand-in links to (for us a block the set keeps)."""
    repo, stand_in, document = _kubo_with_stand_in(tmp_path / "kubo")
    home, index = _home(tmp_path / "home")
    block = _raw_blocks()[1][0] if raw else CID.parse(document)
    repo.block_file(block.multihash).unlink()
    run_cli(home, "block", "rm", "--force", str(block))
    return repo, stand_in, home, index, str(block)


def test_a_lost_document_is_kubos(tmp_path: Path) -> None:
    """``pin ls`` of the indirect pins fails as Kubo's, in its words, for a lost block it must
    read; ``pin verify`` says the pin is broken and why, byte for byte, exit 0 as Kubo's."""
    repo, stand_in, home, index, block = _lose(tmp_path, raw=False)
    for options in (["--type=indirect"], [], ["--enc=json"]):
        theirs = repo.ipfs("pin", "ls", *options, check=False)
        ours = run_cli(home, "pin", "ls", *options, check=False)  # was: exit 0, no indirect pin listed
        assert (ours.returncode, ours.stdout) == (theirs.returncode, theirs.stdout) == (1, b"")
        said = f"block was not found locally (offline): ipld: could not find {block}".encode()
        assert said in theirs.stderr and said in ours.stderr
    for options in ([], ["--verbose"], ["-q"], ["--enc=json"], ["--enc=json", "-q"]):
        theirs = repo.ipfs("pin", "verify", *options)
        ours = run_cli(home, "pin", "verify", *options)
        assert ours.stdout.replace(index.encode(), stand_in.encode()) == theirs.stdout != b""
        assert ours.returncode == theirs.returncode == 0
    assert run_cli(home, "pin", "ls", "--type=recursive", "-q").stdout.decode().strip() == index  # still listed


def test_a_lost_raw_block_is_still_listed(tmp_path: Path) -> None:
    """Kubo lists a raw leaf under a pin without reading it, lost or not; so does ours. Our
    ``pin verify`` reads it (Kubo's does not, and finds nothing wrong): broken, and why."""
    repo, _, home, index, block = _lose(tmp_path, raw=True)
    theirs = json.loads(repo.ipfs("pin", "ls", "--type=indirect", "--enc=json").stdout)["Keys"]
    ours = json.loads(run_cli(home, "pin", "ls", "--type=indirect", "--enc=json").stdout)["Keys"]
    assert block in theirs and ours[block] == theirs[block]
    assert repo.ipfs("pin", "verify").stdout == b""
    said = run_cli(home, "pin", "verify").stdout.decode().splitlines()
    assert said == [f"{index} broken", f"  {block}: block was not found locally (offline): ipld: could not find {block}"]


def test_update_json_is_kubos(tmp_path: Path) -> None:
    """``pin update FROM TO --enc=json``: Kubo's ``{"Pins":[FROM,TO]}`` (here the set's version
    already pinned, so FROM and TO are its index); ``--unpin=false`` is refused and changes nothing."""
    require_kubo()
    repo = KuboRepo.create(tmp_path / "kubo")
    first = repo.ipfs("dag", "put", "--pin=true", input=b'{"a":1}').stdout.decode().strip()
    second = repo.ipfs("dag", "put", input=b'{"a":2}').stdout.decode().strip()
    theirs = repo.ipfs("pin", "update", "--enc=json", first, second).stdout
    home, index = _home(tmp_path / "home")
    ours = run_cli(home, "pin", "update", "--enc=json", "autocodec-default", index).stdout  # was: refused
    assert ours == theirs.replace(first.encode(), index.encode()).replace(second.encode(), index.encode())
    kept = run_cli(home, "pin", "update", "--unpin=false", "autocodec-default", index, check=False)
    assert kept.returncode == 1 and b"keeps one version pinned" in kept.stderr and b"Traceback" not in kept.stderr
    assert run_cli(home, "pin", "ls", "--type=recursive", "-q").stdout.decode().strip() == index
