"""``block put``/``block rm`` flags next to Kubo v0.43.1's, run for real (``tests/_kubo.py``):
the same stdout and exit status on the same input.

- ``--mhlen`` below -1: go-multihash's ``Sum`` takes any negative length as the hash's whole
  digest (``encodeHash``: ``if length < 0 { length = hasher.Size() }``), so Kubo prints the
  default CID; this package refused every negative length but -1. blake3 is the exception: its
  constructor takes -1 only, so Kubo refuses -2 and below, as this package now does.
- ``block rm`` of an identity CID: Kubo's blockstore holds identity blocks in the CID itself
  (boxo's idstore: deleting one is a no-op that succeeds), so ``block rm`` prints ``removed CID``
  and exits 0; this package said BlockNotFound.
"""

from __future__ import annotations


import pytest

from tests._kubo import KuboRepo
from tests import _kubo_pair
from tests._kubo_pair import Ours

kubo, ours = _kubo_pair.kubo, _kubo_pair.ours  # a Kubo repo and a home per module (tests/_kubo_pair.py)

pytestmark = pytest.mark.slow


MHLEN = [["--mhlen=-2"], ["--mhlen=-100"], ["--mhlen=-9223372036854775808"], ["--mhtype=blake3", "--mhlen=-7"],
         ["--mhtype=sha2-512", "--mhlen=-3"], ["--mhtype=identity", "--mhlen=-3"], ["--mhlen=-1"], ["--mhlen=0"],
         ["--mhlen=20"], ["--mhlen=33"], ["--format=v0", "--mhlen=-2"]]


@pytest.mark.parametrize("flags", MHLEN, ids=" ".join)
def test_block_put_reads_a_negative_mhlen_as_kubo(kubo: KuboRepo, ours: Ours, flags: list[str]) -> None:
    data = b"\x0a\x02\x08\x01"
    theirs = kubo.ipfs("block", "put", *flags, input=data, check=False)
    code, out, err = ours.run("block", "put", *flags, stdin=data)
    assert (code, out) == (theirs.returncode, theirs.stdout), (theirs.stderr, err)
    assert code == 0 or err.count(b"\n") == 1


RM_IDENTITY = [["bafkqaaa"], ["-q", "bafkqaaa"], ["-f", "bafkqaaa"], ["--enc=json", "bafkqaaa"],
               ["bafkqaaa", "bafkqablimvwgy3y"], ["--cid-base=base16", "bafkqablimvwgy3y"],
               ["bafkqablimvwgy3y", "bafkreifjjcie6lypi6ny7amxnfftagclbuxndqonfipmb64f2km2devei4"]]


@pytest.mark.parametrize("args", RM_IDENTITY, ids=" ".join)
def test_block_rm_of_an_identity_cid_succeeds_as_in_kubo(kubo: KuboRepo, ours: Ours, args: list[str]) -> None:
    theirs = kubo.ipfs("block", "rm", *args, check=False)
    code, out, err = ours.run("block", "rm", *args)
    assert (code, out) == (theirs.returncode, theirs.stdout), (theirs.stderr, err)
    assert b"Traceback" not in err
