"""``dag stat`` of DAGs whose blocks are all empty, next to Kubo v0.43.1's: the ratio is 0/0.

Kubo divides float32 sizes (``core/commands/dag/stat.go``), so the ratio is NaN: the text prints
``Ratio: NaN`` and ``--enc=json`` fails (``json: unsupported value: NaN``, exit 1), as Go's
encoding/json refuses NaN. This package printed ``Ratio: 0.000000`` and JSON without a ratio.
An identity CID of no bytes (``bafkqaaa``) and the empty raw block are such DAGs.
"""

from __future__ import annotations

import json

import pytest

from tests._kubo import KuboRepo
from tests import _kubo_pair
from tests._kubo_pair import Ours

kubo, ours = _kubo_pair.kubo, _kubo_pair.ours  # a Kubo repo and a home per module (tests/_kubo_pair.py)

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def cids(kubo: KuboRepo, ours: Ours) -> dict[str, str]:
    empty = kubo.ipfs("block", "put", input=b"").stdout
    assert ours.out("block", "put", stdin=b"") == empty
    doc = json.dumps({"e": {"/": empty.decode().strip()}}).encode()
    parent = kubo.ipfs("dag", "put", input=doc).stdout
    assert ours.out("dag", "put", stdin=doc) == parent
    return {"identity": "bafkqaaa", "empty": empty.decode().strip(), "parent": parent.decode().strip()}


CASES = [["identity"], ["empty"], ["identity", "empty"], ["empty", "empty"], ["parent", "empty"], ["parent"]]


@pytest.mark.parametrize("enc", [[], ["--enc=json"], ["--progress=false", "--enc=text"]], ids=" ".join)
@pytest.mark.parametrize("names", CASES, ids=" ".join)
def test_dag_stat_of_empty_blocks_is_kubos(kubo: KuboRepo, ours: Ours, cids: dict[str, str], names: list[str],
                                          enc: list[str]) -> None:
    args = [cids[n] for n in names]
    theirs = kubo.ipfs("dag", "stat", *enc, *args, check=False)
    code, out, err = ours.run("dag", "stat", *enc, *args)
    assert (code, out) == (theirs.returncode, theirs.stdout), (theirs.stderr, err)
    if code:
        assert err.count(b"\n") == 1 and b"json: unsupported value: NaN" in err, err
