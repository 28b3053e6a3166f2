"""DAG-PB nodes whose UnixFS ``Data`` names a type boxo does not know (6, 8; the UnixFS spec
has 0 to 5), with a link ``x`` to a raw block, compared with Kubo v0.43.1's gateway (the fixture of
``tests/_serve_sides.py``; the same blocks put on both sides).

Found by the differential review: Kubo resolves no path through such a node (boxo's unixfsnode
has no reification for it: a 500, ``failed to resolve PATH: no reification for this UnixFS node
type``, even to a link it holds); this server followed its links (a 200 of ``x``, a 404 for
another name). Type 3 (metadata) is pathed as plain DAG-PB in both; type 0 (raw) is a file, with
no path below it in both (a 404 for ``/x``); the error for the node itself carries no
``X-Ipfs-Roots`` (it had them here).
"""

from __future__ import annotations


import pytest

from autocodec import CID, builtin
from autocodec.registry import Runtime
from tests import _serve_sides
from tests._serve_sides import FewBlockSides
from tests._http_request import fetch_raw

sides = _serve_sides.sides  # Kubo's gateway and autocodec serve over a few blocks (tests/_serve_sides.py)

TYPES = (0, 3, 4, 6, 8)


@pytest.fixture(scope="module")
def nodes(sides: FewBlockSides) -> dict[int, str]:
    """A node of each type on both sides, its link ``x`` to the folder's ``hello.txt`` leaf."""
    resolved = sides.kubo.ipfs("dag", "resolve", f"/ipfs/{sides.folder}/hello.txt").stdout.decode().strip()
    leaf = CID.parse(resolved.split("/")[0])
    out = {}
    with Runtime(sides.ours.home, default_set=False) as held:
        for kind in TYPES:
            block = builtin.encode({"Data": bytes([0x08, kind]), "Links": [{"Hash": leaf, "Name": "x", "Tsize": 6}]},
                                   "dag-pb")
            cid = builtin.cid_for(block, "dag-pb")
            held.store.put(cid, block)
            put = sides.kubo.ipfs("block", "put", "--cid-codec", "dag-pb", input=block).stdout.decode().strip()
            assert put == str(cid)
            out[kind] = str(cid)
    return out


@pytest.mark.slow
@pytest.mark.ipfs
@pytest.mark.parametrize("kind", TYPES)
@pytest.mark.parametrize("tail", ["", "/x", "/y", "/x?format=raw", "/x?format=car"])
def test_a_node_of_an_unknown_unixfs_type_is_pathed_as_kubo_paths_it(sides: FewBlockSides, nodes: dict[int, str],
                                                                       kind: int, tail: str) -> None:
    path = f"/ipfs/{nodes[kind]}{tail}"
    for method in ("GET", "HEAD"):
        kubo = fetch_raw(sides.kubo.gateway_url, path, {}, method)
        ours = fetch_raw(sides.ours.url, path, {}, method)
        assert (ours.status, ours.headers.get("x-ipfs-roots")) == (kubo.status, kubo.headers.get("x-ipfs-roots")), method
        if method == "GET" and b"no reification" in kubo.body:  # Kubo's words, to its offline retrieval note
            assert ours.body.rstrip(b"\n") == kubo.body.split(b": retrieval:")[0].rstrip(b"\n")
        elif kubo.status == 200 and not tail.endswith("car"):
            assert ours.body == kubo.body
