"""What ``tests/test_block_dag_cli_random_kubo.py`` (random ``block`` and ``dag put|get|stat``
command lines) found differing from Kubo v0.43.1, each fixed and kept here as a named case run
against the real ``ipfs`` (offline, ``tests/_kubo.py``) and our CLI on a module home
(``tests/_kubo_pair.py``). Each test says which seed found it and what differed."""

from __future__ import annotations

from pathlib import Path

import pytest

from autocodec.cid import CID
from tests import _kubo_pair
from tests._kubo import KuboRepo
from tests._kubo_pair import Ours

pytestmark = [pytest.mark.slow, pytest.mark.ipfs]

kubo, ours = _kubo_pair.kubo, _kubo_pair.ours  # a Kubo repo and a home per module (tests/_kubo_pair.py)


def _both(kubo: KuboRepo, ours: Ours, *argv: str, stdin: bytes = b"") -> tuple[tuple[int, bytes, bytes], ...]:
    """``ipfs ARGV`` and ``autocodec ARGV`` with the same stdin: (Kubo's, ours), each (exit, stdout, stderr)."""
    theirs = kubo.ipfs(*argv, input=stdin, check=False)
    return (theirs.returncode, theirs.stdout, theirs.stderr), ours.run(*argv, stdin=stdin)


@pytest.mark.parametrize("argv", [["--cid-base=nope", "block", "get", "bafkqaaa"],
                                  ["dag", "get", "--cid-base=x1", "bafkqaaa"],
                                  ["block", "--cid-base=nope", "get", "bafkqaaa"],
                                  ["--cid-base=nope", "dag", "get", "--output-codec=dag-cbor", "bafkqaaa"]], ids=" ".join)
def test_a_cid_base_block_and_dag_get_ignore_takes_any_value_as_kubo(kubo: KuboRepo, ours: Ours,
                                                                     argv: list[str]) -> None:
    """Found by the generator (seed 1): ``block get`` and ``dag get`` never read ``--cid-base``,
    so Kubo 0.43.1 takes any value there (``nope``), exit 0 with the block; ours refused it
    ("unsupported multibase 'nope'"). Where the base is used (``block stat``) both refuse it."""
    theirs, mine = _both(kubo, ours, *argv)
    assert (theirs[0], mine[0], mine[1], mine[2]) == (0, 0, theirs[1], b"")
    theirs, mine = _both(kubo, ours, "--cid-base=nope", "block", "stat", "bafkqaaa")
    assert theirs[0] and mine[0] and mine[1] == theirs[1] == b"" and mine[2].count(b"\n") == 1


@pytest.mark.parametrize("enc", ["json", "text"])
@pytest.mark.parametrize("argv", [["dag", "put"], ["dag", "resolve", "bafkqaaa"], ["block", "put"],
                                  ["dag", "stat", "--progress=false", "bafkqaaa"]], ids=" ".join)
def test_a_cid_base_the_json_form_does_not_read_is_taken_as_kubo(kubo: KuboRepo, ours: Ours, argv: list[str],
                                                                 enc: str) -> None:
    """Found by the generator (seed 6): ``dag put --enc=json --cid-base=nope`` exits 0 in Kubo
    0.43.1, whose ``dag put``, ``dag resolve`` and ``dag import`` read ``--cid-base`` only to
    write text (their JSON holds CIDs under ``{"/": ...}`` in the default base); ours refused the
    value. Text, and the commands whose JSON uses the base (``block put``, ``dag stat``): both refuse."""
    theirs, mine = _both(kubo, ours, "--cid-base=nope", f"--enc={enc}", *argv, stdin=b'{"q":1}')
    taken = enc == "json" and argv[:2] in (["dag", "put"], ["dag", "resolve"])
    assert (theirs[0] == 0) == (mine[0] == 0) == taken and theirs[1] == mine[1], (theirs, mine)
    assert taken or mine[2].count(b"\n") == 1 and b"unsupported multibase 'nope'" in mine[2], mine[2]


@pytest.mark.parametrize("codec", ["0x55", "85", "raw", "", "dag-cbor"])
def test_format_beside_a_cid_codec_spelled_other_than_raw_is_refused_as_kubo(kubo: KuboRepo, ours: Ours,
                                                                            codec: str) -> None:
    """Found by the generator (seed 5): ``block put --cid-codec=0x55 -f raw``. Kubo 0.43.1 takes
    ``--format`` only beside a ``--cid-codec`` whose text is ``raw`` (or empty), so ``0x55`` and
    ``85``, raw by number, are refused ("unable to use "format" (deprecated) and a custom
    "cid-codec" at the same time"); ours compared the codec and took them."""
    theirs, mine = _both(kubo, ours, "block", "put", f"--cid-codec={codec}", "-f", "cbor", stdin=b"\xa0")
    assert (theirs[0] == 0) == (mine[0] == 0) == (codec in ("raw", "")) and mine[1] == theirs[1], (theirs, mine)


def test_mhtype_sha3_is_sha3_512_as_kubo(kubo: KuboRepo, ours: Ours) -> None:
    """Found by the generator (seed 3): go-multihash's ``Names`` also spells sha3-512 ``sha3``;
    Kubo 0.43.1's ``block put --mhtype=sha3`` makes a sha3-512 CID, ours refused the name."""
    theirs, mine = _both(kubo, ours, "block", "put", "--mhtype=sha3", "-f", "cbor", stdin=b"\xa0")
    assert (theirs[0], mine[0], mine[1]) == (0, 0, theirs[1])
    assert CID.parse(mine[1].decode().strip()).hash_code == 0x14


def test_dag_put_stores_nothing_when_a_document_fails_as_kubo(kubo: KuboRepo, ours: Ours, tmp_path: Path) -> None:
    """Found by the generator (seed 3): ``dag put A B C`` where B does not read. Kubo 0.43.1 adds
    the documents to one batch and commits it after the last, so it prints A's CID, fails on B and
    stores nothing; ours had stored A."""
    (tmp_path / "a.json").write_bytes(b'{"first":31337}')
    (tmp_path / "b.json").write_bytes(b"{nope")
    (tmp_path / "c.json").write_bytes(b'{"third":31337}')
    theirs, mine = _both(kubo, ours, "dag", "put", *(str(tmp_path / n) for n in ("a.json", "b.json", "c.json")))
    assert theirs[0] and mine[0] and mine[1] == theirs[1] and len(mine[1].split()) == 1, (theirs, mine)
    cid = mine[1].decode().strip()
    theirs, mine = _both(kubo, ours, "block", "stat", cid)
    assert theirs[0] and mine[0], (theirs, mine)
    theirs, mine = _both(kubo, ours, "dag", "put", str(tmp_path / "a.json"), str(tmp_path / "c.json"))
    assert (theirs[0], mine[0], mine[1]) == (0, 0, theirs[1]) and cid.encode() in mine[1]


def test_a_block_is_found_and_removed_by_multihash_as_kubo(kubo: KuboRepo, ours: Ours) -> None:
    """The generator's most frequent documented difference, now gone: Kubo 0.43.1's blockstore
    keys blocks by multihash, so ``block get|stat`` of a CID of another codec with the same hash
    find the block put as raw (``dag get`` decodes it under the codec asked), and ``block rm`` of
    it removes the raw one; ours keyed the store by CID and answered "not in the store"."""
    data = b'{"found":"by multihash"}'
    theirs, mine = _both(kubo, ours, "block", "put", stdin=data)
    assert (theirs[0], mine[0], mine[1]) == (0, 0, theirs[1])
    raw = CID.parse(mine[1].decode().strip())
    alias = str(CID.build(0x0129, raw.multihash))  # dag-json, same sha2-256
    for argv in (["block", "get", alias], ["block", "stat", alias], ["dag", "get", alias],
                 ["dag", "get", "--output-codec=dag-cbor", alias], ["block", "stat", str(raw)]):
        theirs, mine = _both(kubo, ours, *argv)
        assert (theirs[0], mine[0], mine[1]) == (0, 0, theirs[1]), (argv, theirs, mine)
    theirs, mine = _both(kubo, ours, "block", "rm", alias)
    assert (theirs[0], mine[0], mine[1]) == (0, 0, theirs[1]) and theirs[1] == f"removed {alias}\n".encode()
    for argv in (["block", "get", str(raw)], ["block", "stat", alias]):
        theirs, mine = _both(kubo, ours, *argv)
        assert theirs[0] and mine[0] and mine[1] == theirs[1] == b"", (argv, theirs, mine)
        assert mine[2].count(b"\n") == 1, mine[2]


@pytest.mark.parametrize("options", [["--upgrade-cidv0-in-output"], ["--upgrade-cidv0-in-output=false", "--cid-base=base32"],
                                     ["--cid-base=base58btc", "--upgrade-cidv0-in-output=T"],
                                     ["--upgrade-cidv0-in-output=1", "--cid-base=base16"], ["--cid-base=base36"],
                                     ["--upgrade-cidv0-in-output=yes"]], ids=" ".join)
def test_upgrade_cidv0_in_output_as_kubo(kubo: KuboRepo, ours: Ours, tmp_path: Path, options: list[str]) -> None:
    """Kubo 0.43.1's deprecated global ``--upgrade-cidv0-in-output`` (once refused here as an
    unknown option): given, it decides whether a CIDv0 in the output prints as a CIDv1 (in
    base32 without ``--cid-base``; ``=false`` keeps ``Qm...`` even beside ``--cid-base=base32``);
    not given, ``--cid-base`` other than base58btc upgrades. The block's own ``block put``,
    ``block stat``, ``block rm``, ``add``, and a value Go's ParseBool refuses."""
    node = b"\x0a\x0fupgrade-cidv0-1"  # a DAG-PB node of Data only (not the empty directory: Kubo's MFS root)
    theirs, mine = _both(kubo, ours, "block", "put", "--format=v0", *options, stdin=node)
    assert (theirs[0] == 0) == (mine[0] == 0) == (options != ["--upgrade-cidv0-in-output=yes"]) and mine[1] == theirs[1]
    if theirs[0]:
        assert mine[2].count(b"\n") == 1 and b"ParseBool" in mine[2], mine[2]
        return
    v0 = str(CID.build(0x70, CID.parse(theirs[1].decode().strip()).multihash, version=0))
    (tmp_path / "f").write_bytes(b"upgrade me\n")
    for argv in (["block", "stat", v0], ["add", "-q", str(tmp_path / "f")], ["block", "rm", v0]):
        theirs, mine = _both(kubo, ours, *options[:1], *argv, *options[1:])
        assert (theirs[0], mine[0], mine[1]) == (0, 0, theirs[1]), (argv, theirs, mine)
