"""`name publish` of the value already published keeps the sequence, as Kubo's does.

Measured with Kubo 0.43.1 (offline daemon, records read back through its gateway's
``?format=ipns-record``): publishing /ipfs/A, /ipfs/A, /ipfs/B, /ipfs/B, /ipfs/A gives sequences
0, 0, 1, 1, 2, each record with a later validity; boxo's publisher keeps the sequence "unless the
value changes". Before, this home always took the last sequence + 1 (0, 1, 2, 3, 4).
``test_kubo_gives_the_same_sequences`` measures Kubo again.
"""

from __future__ import annotations

import urllib.request
from pathlib import Path

import pytest

from autocodec import builtin
from autocodec.verify._ipns import IpnsRecord
from tests._cli import run_cli

A, B = (f"/ipfs/{builtin.cid_for(data, 'raw')}" for data in (b"a", b"b"))
VALUES = [A, A, B, B, A]
KUBO_SEQUENCES = [0, 0, 1, 1, 2]  # Kubo 0.43.1, measured


def _ours(tmp_path: Path, values: list[str], *flags: str) -> list[IpnsRecord]:
    home = tmp_path / "home"
    run_cli(home, "key", "gen", "alice")
    records = []
    for i, value in enumerate(values):
        out = tmp_path / f"rec{i}.bin"
        run_cli(home, "name", "publish", "--resolve=false", value, "--key", "alice", *flags, "-o", str(out))
        records.append(IpnsRecord.parse(out.read_bytes()))
    return records


def test_the_same_value_keeps_its_sequence_with_a_later_validity(tmp_path: Path) -> None:
    records = _ours(tmp_path, VALUES)
    assert [r.sequence() for r in records] == KUBO_SEQUENCES
    assert [r.value() for r in records] == VALUES
    assert records[1].validity_ns() > records[0].validity_ns()  # the refresh ranks above the record it replaces


def test_a_refresh_that_would_rank_below_the_kept_record_takes_the_next_sequence(tmp_path: Path) -> None:
    """A shorter lifetime than the kept record's would lose to it under the same sequence (the later
    validity wins): the new record takes the next sequence, so what was published is what answers."""
    home = tmp_path / "home"
    run_cli(home, "key", "gen", "alice")
    line = run_cli(home, "name", "publish", "--resolve=false", A, "--key", "alice", "--lifetime", "48h").stdout.decode()
    name = line.split()[2].rstrip(":")
    out = tmp_path / "short.bin"
    run_cli(home, "name", "publish", "--resolve=false", A, "--key", "alice", "--lifetime", "1h", "-o", str(out))
    short = IpnsRecord.parse(out.read_bytes())
    assert short.sequence() == 1
    assert run_cli(home, "name", "get", name).stdout == out.read_bytes()  # the kept record is the one published


@pytest.mark.slow
@pytest.mark.ipfs
def test_kubo_gives_the_same_sequences(tmp_path: Path) -> None:
    from tests._kubo import KuboRepo, require_kubo

    require_kubo()
    with KuboRepo.create(tmp_path / "kubo").start() as kubo:
        name = kubo.ipfs("key", "list", "-l").stdout.decode().split()[0]
        for data in (b"a", b"b"):
            kubo.ipfs("block", "put", input=data)  # Kubo publishes only a path it can resolve
        sequences = []
        for value in VALUES:
            kubo.ipfs("name", "publish", "--allow-offline", value)
            with urllib.request.urlopen(f"{kubo.gateway_url}/ipns/{name}?format=ipns-record", timeout=30) as resp:
                sequences.append(IpnsRecord.parse(resp.read()).sequence())
    assert sequences == KUBO_SEQUENCES


@pytest.mark.slow
@pytest.mark.ipfs
def test_the_same_value_published_again_to_an_online_kubo_is_taken(tmp_path: Path) -> None:
    """An online Kubo 0.43.1's ``name/put`` refuses a record whose sequence is not above the one it
    holds ('existing IPNS record has sequence 0 >= new record sequence 0'), a later validity or not
    (its offline daemon skips that check). A same-value refresh kept the sequence for ``--to-node``
    too, so publishing A twice to the node failed the second time (exit 1) with the home's record
    already replaced; a record for a node takes the next sequence."""
    from tests._kubo import KuboRepo, require_kubo

    require_kubo()
    with KuboRepo.create(tmp_path / "kubo", swarm=True).start() as kubo:
        home = tmp_path / "home"
        run_cli(home, "key", "gen", "alice")
        records = []
        for i in range(2):
            out = tmp_path / f"rec{i}.bin"
            done = run_cli(home, "name", "publish", "--resolve=false", A, "--key", "alice", "--to-node", kubo.api_multiaddr,
                           "-o", str(out), check=False)
            assert done.returncode == 0, done.stderr.decode()
            records.append(out.read_bytes())
        name = done.stdout.decode().split()[2].rstrip(":")
        with urllib.request.urlopen(f"{kubo.gateway_url}/ipns/{name}?format=ipns-record", timeout=30) as resp:
            assert resp.read() == records[1]  # the node holds the second record
    assert [IpnsRecord.parse(r).sequence() for r in records] == [0, 1]
