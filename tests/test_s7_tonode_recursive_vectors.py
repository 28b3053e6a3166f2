"""``put_pinned`` on a node that already pins a vectors block recursively (what ``set publish
--to-node`` did before f383ba1): Kubo 0.43.1 refuses ``pin add --recursive=false`` of it ("pin: CID
already pinned recursively", measured here through the RPC API), which failed the next
``--to-node`` publish of any module whose vectors were unchanged, after its blocks were put and
before IPNS was updated. Now that block is left under its recursive pin, with a warning naming
it and the mend; every other vectors block is pinned directly."""

from __future__ import annotations

import pytest

from autocodec import builtin
from autocodec.cid import CID
from autocodec.errors import FetchError
from autocodec.registry._tonode import NodePins, put_pinned
from autocodec.sources import NodeSource

pytestmark = [pytest.mark.slow, pytest.mark.ipfs]


def _block(value: object) -> tuple[CID, bytes]:
    data = builtin.encode(value, "dag-cbor")
    return builtin.cid_for(data, "dag-cbor"), data


def test_kubo_refuses_a_direct_pin_over_a_recursive_one(kubo_node) -> None:
    node = NodeSource(kubo_node.api_url)
    cid, data = _block({"s7-tonode": "measured"})
    node.put_blocks([(cid, data)])
    node.pin(cid)
    with pytest.raises(FetchError, match="already pinned recursively"):
        node.pin(cid, recursive=False)


def test_vectors_pinned_recursively_before_are_left_so_and_the_rest_pinned_directly(kubo_node, capfd) -> None:
    node = NodeSource(kubo_node.api_url)
    document, old_vectors, new_vectors = _block({"doc": 1}), _block({"vectors": "old"}), _block({"vectors": "new"})
    put_pinned(node, NodePins((old_vectors,), (old_vectors[0],), ()))  # the node as an old publish left it
    capfd.readouterr()
    count = put_pinned(node, NodePins((document, old_vectors, new_vectors), (document[0],),
                                      (old_vectors[0], new_vectors[0])))
    assert count == 3
    recursive, direct = node.pins("recursive"), node.pins("direct")
    assert document[0] in recursive and old_vectors[0] in recursive and old_vectors[0] not in direct
    assert new_vectors[0] in direct and new_vectors[0] not in recursive
    said = capfd.readouterr().err
    assert "tonode.vectors_pinned_recursively" in said and str(old_vectors[0]) in said
    assert "--recursive=false" in said
