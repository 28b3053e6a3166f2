"""``dag export`` next to Kubo v0.43.1's on DAGs the older differentials do not build: links
to identity CIDs, an identity root, a link repeated, a raw root, a link to a block nobody
holds; with and without ``--local-only``. The CAR bytes and exit status must be Kubo's.

Measured (ipfs 0.43.1, offline repo): without ``--local-only`` Kubo writes identity blocks as
sections like any other; with it, it leaves every identity block out (the root too: the CAR is
then its header alone) but still walks its links. This package wrote them in both modes.
"""

from __future__ import annotations

import json

import pytest

from tests._kubo import KuboRepo
from tests import _kubo_pair
from tests._kubo_pair import Ours

kubo, ours = _kubo_pair.kubo, _kubo_pair.ours  # a Kubo repo and a home per module (tests/_kubo_pair.py)

pytestmark = pytest.mark.slow

MISSING = "bafkreifjjcie6lypi6ny7amxnfftagclbuxndqonfipmb64f2km2devei4"


@pytest.fixture(scope="module")
def roots(kubo: KuboRepo, ours: Ours) -> dict[str, str]:
    """The same blocks put in both stores; the CIDs (equal in both) by case name."""
    def put(args: tuple[str, ...], data: bytes) -> str:
        theirs = kubo.ipfs(*args, input=data).stdout
        assert ours.out(*args, stdin=data) == theirs
        return theirs.decode().strip()

    leaf = put(("block", "put"), b"alpha\n")
    ident = put(("block", "put", "--mhtype=identity"), b"idblock")
    docs = {"repeated links": {"a": {"/": leaf}, "b": {"/": leaf}, "c": [{"/": leaf}, {"/": leaf}]},
            "an identity link": {"i": {"/": ident}, "a": {"/": leaf}},
            "a missing link": {"m": {"/": MISSING}, "a": {"/": leaf}}}
    found = {name: put(("dag", "put"), json.dumps(doc).encode()) for name, doc in docs.items()}
    found["an identity root"] = put(("dag", "put", "--hash=identity"), json.dumps({"a": {"/": leaf}}).encode())
    inner_id = put(("dag", "put", "--hash=identity"), json.dumps({"i": {"/": ident}}).encode())
    found["identity under identity"] = put(("dag", "put"), json.dumps({"x": {"/": inner_id}, "y": {"/": ident}}).encode())
    found["a raw root"], found["a raw identity root"] = leaf, ident
    return found


CASES = ["repeated links", "an identity link", "a missing link", "an identity root", "identity under identity",
         "a raw root", "a raw identity root"]


@pytest.mark.parametrize("flags", [[], ["--local-only"], ["--progress=false", "--local-only=true"]], ids=" ".join)
@pytest.mark.parametrize("case", CASES)
def test_dag_export_writes_kubos_car(kubo: KuboRepo, ours: Ours, roots: dict[str, str], case: str,
                                     flags: list[str]) -> None:
    theirs = kubo.ipfs("dag", "export", *flags, roots[case], check=False)
    code, out, err = ours.run("dag", "export", *flags, roots[case])
    assert (code, out) == (theirs.returncode, theirs.stdout), (theirs.stderr, err)
    assert code == 0 or (err.count(b"\n") == 1 and b"Traceback" not in err), err
