"""``autocodec name publish``: a record for a node is kept in the home only once the node took it,
a path is resolved before it is published (Kubo v0.43.1's ``--resolve``, default true), and only
the record kept is signed.

- ``--to-node``: an online Kubo 0.43.1 refuses a record whose sequence is not above the one it
  holds ("existing IPNS record has sequence 5 >= new record sequence 1", measured); a dead URL
  answers nothing. Either way the home's record stays byte for byte what it was, and the
  sequence signed for the refused record is not allocated again (it may be on a node).
- ``--resolve``: Kubo's verdicts (``ipfs name publish --allow-offline``, offline repo, measured
  2026-12 on the same blocks) and ours agree row by row: the block a path lands at must be held
  (a bare CID too; a directory whose child is missing is fine), a missing link fails, an
  unpublished name fails, ``--resolve=false`` publishes anything.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from autocodec.verify._ipns import IpnsName, IpnsRecord, create_record
from autocodec.verify._keyring import SigningKey
from autocodec.verify._libp2p_key import PublicKey
from tests._cli import refusal_line, run_cli
from tests._ipns_names import ipns_names
from tests._kubo import KuboRepo, free_port, require_kubo

MISSING = "bafkreigh2akiscaildcqabsyg3dfr6chu3fgpregiymsck7e7aqa4s52zy"  # no home here holds it
UNPUBLISHED = "k51qzi5uqu5dlvj2baxnqndepeb86cbk3ng7n3i46uzyxzyqj2xjonzllnv0v8"
NS = 1_000_000_000


def _name_of(printed: bytes) -> str:
    return printed.decode().split("Published to ")[1].split(":")[0]


def _kept(home: Path, name: str) -> bytes:
    """The home's kept record of ``name`` (``name get`` with no source answers from the home)."""
    return run_cli(home, "name", "get", name).stdout


# --- 1. --to-node: the home keeps a record only once the node took it ----------------------------


@pytest.fixture(scope="module")
def online_kubo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[KuboRepo]:
    """An online Kubo (``swarm=True``: it checks a put record's sequence against the one it holds,
    as an offline one does not), alone on loopback."""
    require_kubo()
    node = KuboRepo.create(tmp_path_factory.mktemp("kubo") / "repo", swarm=True).start()
    try:
        yield node
    finally:
        node.stop()


@pytest.mark.slow
def test_a_record_the_node_refuses_leaves_the_homes_record_as_it_was(online_kubo: KuboRepo, tmp_path: Path) -> None:
    """Before: the home kept the refused sequence-1 record (fails on 8445a54: the kept record was
    the refused one, and the home resolved the name to a value no node held)."""
    home, other = tmp_path / "home", tmp_path / "other"
    run_cli(home, "key", "gen", "pub")
    first = tmp_path / "first.bin"
    name = _name_of(run_cli(home, "name", "publish", "/ipfs/bafkqaaa", "--key", "pub", "-o", str(first)).stdout)
    # the same key in a second home puts sequence 5 on the node: this home has not seen it
    exported = tmp_path / "pub.key"
    run_cli(home, "key", "export", "pub", "-o", str(exported))
    run_cli(other, "key", "import", "pub", str(exported))
    run_cli(other, "name", "publish", "/ipfs/bafkqaaa", "--key", "pub", "--sequence", "5", "--to-node",
            online_kubo.api_multiaddr)

    refused = run_cli(home, "name", "publish", f"/ipfs/{MISSING}", "--key", "pub", "--resolve=false",
                      "--to-node", online_kubo.api_multiaddr, "-o", str(tmp_path / "refused.bin"), check=False)
    line = refusal_line(refused.returncode, refused.stdout, refused.stderr.decode())
    assert "existing IPNS record has sequence 5 >= new record sequence 1" in line
    assert _kept(home, name) == first.read_bytes()  # byte for byte the record it had
    assert run_cli(home, "name", "resolve", name).stdout.decode().strip() == "/ipfs/bafkqaaa"
    assert not (tmp_path / "refused.bin").exists()  # nothing published, nothing written
    # sequence 1 was signed (for MISSING) and may be somewhere: the next record takes 2
    again = tmp_path / "again.bin"
    run_cli(home, "name", "publish", "/ipfs/bafkqaaa", "--key", "pub", "-o", str(again))
    assert IpnsRecord.parse(again.read_bytes()).sequence() == 2
    # a sequence above the node's is taken by the node, then kept here
    run_cli(home, "name", "publish", "/ipfs/bafkqaaa", "--key", "pub", "--sequence", "6", "--to-node",
            online_kubo.api_multiaddr)
    assert IpnsRecord.parse(_kept(home, name)).sequence() == 6
    assert online_kubo.ipfs("name", "resolve", name).stdout.decode().strip() == "/ipfs/bafkqaaa"


def test_a_dead_node_leaves_the_homes_record_as_it_was(home: Path, tmp_path: Path) -> None:
    """Nothing listens at the node's address (fails on 8445a54: the home kept the unsent record)."""
    run_cli(home, "key", "gen", "pub")
    first = tmp_path / "first.bin"
    name = _name_of(run_cli(home, "name", "publish", "/ipfs/bafkqaaa", "--key", "pub", "-o", str(first)).stdout)
    dead = f"/ip4/127.0.0.1/tcp/{free_port()}"
    failed = run_cli(home, "name", "publish", f"/ipfs/{MISSING}", "--key", "pub", "--resolve=false",
                     "--to-node", dead, check=False)
    refusal_line(failed.returncode, failed.stdout, failed.stderr.decode())
    assert _kept(home, name) == first.read_bytes()


SIGNER = SigningKey.from_seed(bytes(range(32)))
KEY = PublicKey.ed25519(SIGNER.public.raw)
NAME = IpnsName.of_key(KEY)


def _maker(value: str, eol_ns: int, signed: list[int]) -> Callable[[int], bytes]:
    def make(sequence: int) -> bytes:
        signed.append(sequence)
        return create_record(SIGNER.sign, KEY, value, sequence=sequence, eol_ns=eol_ns, ttl_ns=60 * NS)

    return make


def test_a_sequence_signed_but_never_kept_is_not_allocated_again(tmp_path: Path) -> None:
    """A process killed between signing a record for a node and keeping it (``publish(keep=False)``
    without ``keep``): the home's record is the one it had, and the next record takes the sequence
    after the unkept one, never the same sequence for another value."""
    soon = time.time_ns() + 3600 * NS
    for names in ipns_names(tmp_path):
        kept = names.publish(NAME, _maker("/ipfs/bafkqaaa", soon, []))
        unkept = names.publish(NAME, _maker(f"/ipfs/{MISSING}", soon, []), keep=False)
        assert (kept.sequence, unkept.sequence) == (0, 1)
        assert names.kept(NAME) is not None and names.kept(NAME).raw == kept.record.raw  # type: ignore[union-attr]
        # a refresh of the kept value would rank below the unkept sequence 1: it takes 2
        assert names.publish(NAME, _maker("/ipfs/bafkqaaa", soon + NS, []), value="/ipfs/bafkqaaa",
                             eol_ns=soon + NS).sequence == 2


def test_two_publishes_for_nodes_kept_in_either_order_keep_the_later_sequence(tmp_path: Path) -> None:
    """Two publishers sign 1 and 2 before either node answers; the one with 1 is kept last: the
    home keeps 2 (a later record is never replaced by an earlier one, and ``keep`` is no error)."""
    soon = time.time_ns() + 3600 * NS
    for names in ipns_names(tmp_path):
        names.publish(NAME, _maker("/ipfs/bafkqaaa", soon, []))
        one = names.publish(NAME, _maker(f"/ipfs/{MISSING}", soon, []), keep=False)
        two = names.publish(NAME, _maker("/ipfs/bafkqaaa", soon, []), keep=False)
        assert (one.sequence, two.sequence) == (1, 2)
        assert names.keep(NAME, two.record.raw).sequence == 2
        assert names.keep(NAME, one.record.raw).sequence == 2
        assert names.kept(NAME).raw == two.record.raw  # type: ignore[union-attr]


# --- 3. only the record kept is signed ------------------------------------------------------------


def test_a_changed_value_is_signed_once_and_a_refresh_once(tmp_path: Path) -> None:
    """Before, a publish of a changed value signed a same-sequence refresh candidate first, then
    the record kept: 2 signatures (``make`` called with 0, then 1; measured on 8445a54)."""
    soon = time.time_ns() + 3600 * NS
    for names in ipns_names(tmp_path):
        names.publish(NAME, _maker("/ipfs/bafkqaaa", soon, []))
        signed: list[int] = []
        changed = names.publish(NAME, _maker(f"/ipfs/{MISSING}", soon, signed), value=f"/ipfs/{MISSING}",
                                eol_ns=soon)
        assert changed.sequence == 1 and signed == [1]
        signed.clear()
        refreshed = names.publish(NAME, _maker(f"/ipfs/{MISSING}", soon + NS, signed), value=f"/ipfs/{MISSING}",
                                  eol_ns=soon + NS)
        assert refreshed.sequence == 1 and signed == [1] and names.kept(NAME).raw == refreshed.record.raw  # type: ignore[union-attr]
        signed.clear()  # an earlier validity would rank below the kept one: the next sequence
        assert names.publish(NAME, _maker(f"/ipfs/{MISSING}", soon, signed), value=f"/ipfs/{MISSING}",
                             eol_ns=soon).sequence == 2 and signed == [2]


# --- 2. --resolve: Kubo's verdicts -----------------------------------------------------------------


def _rows(here: str, folder: str) -> list[tuple[list[str], bool]]:
    """(arguments after ``name publish``, Kubo's verdict: published)."""
    return [
        ([f"/ipfs/{here}"], True),
        ([f"/ipfs/{MISSING}"], False),  # "block was not found locally (offline)"
        ([MISSING], False),  # a bare CID, read as /ipfs/CID
        ([f"/ipfs/{folder}/here"], True),
        ([f"/ipfs/{folder}/gone"], False),  # the link is there, its block is not
        ([f"/ipfs/{folder}/nope"], False),  # 'no link named "nope"'
        ([f"/ipfs/{folder}"], True),  # its child missing: only the block reached is read
        ([f"/ipns/{UNPUBLISHED}"], False),  # "could not resolve name"
        (["--resolve=false", f"/ipfs/{MISSING}"], True),
    ]


def _folder_json(here: str) -> bytes:
    links = [{"Hash": {"/": MISSING}, "Name": "gone", "Tsize": 3}, {"Hash": {"/": here}, "Name": "here", "Tsize": 4}]
    import json

    return json.dumps({"Data": {"/": {"bytes": "CAE"}}, "Links": links}).encode()


@pytest.mark.slow
def test_a_path_is_resolved_before_it_is_published_as_kubo_does(home: Path, tmp_path: Path) -> None:
    """Before, every row published here (fails on 8445a54: 5 rows where Kubo refuses)."""
    require_kubo()
    kubo = KuboRepo.create(tmp_path / "kubo")
    here = run_cli(home, "block", "put", stdin=b"here").stdout.decode().strip()
    assert kubo.ipfs("block", "put", input=b"here").stdout.decode().strip() == here
    dag = ("dag", "put", "--store-codec", "dag-pb", "--input-codec", "dag-json")
    folder = run_cli(home, *dag, stdin=_folder_json(here)).stdout.decode().strip()
    assert kubo.ipfs(*dag, input=_folder_json(here)).stdout.decode().strip() == folder
    run_cli(home, "key", "gen", "pub")
    for args, published in _rows(here, folder):
        theirs = kubo.ipfs("name", "publish", "--allow-offline", *args, check=False)
        assert (theirs.returncode == 0) is published, (args, theirs.stderr)
        ours = run_cli(home, "name", "publish", "--key", "pub", *args, check=False)
        if published:
            assert ours.returncode == 0, (args, ours.stderr)
            continue
        line = refusal_line(ours.returncode, ours.stdout, ours.stderr.decode())
        assert "cannot be published" in line and "--resolve=false" in line, line


def test_a_missing_block_is_not_published_and_the_home_keeps_nothing(home: Path) -> None:
    """The refusal says what to do; no record is kept or sequence used (fails on 8445a54)."""
    run_cli(home, "key", "gen", "pub")
    refused = run_cli(home, "name", "publish", "--key", "pub", f"/ipfs/{MISSING}", check=False)
    line = refusal_line(refused.returncode, refused.stdout, refused.stderr.decode())
    assert line.startswith(f"autocodec: BlockNotFound: /ipfs/{MISSING} cannot be published: block {MISSING} "), line
    assert "add or import the content first" in line
    name = _name_of(run_cli(home, "name", "publish", "--key", "pub", "/ipfs/bafkqaaa").stdout)
    assert IpnsRecord.parse(_kept(home, name)).sequence() == 0
