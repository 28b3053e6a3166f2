"""A node whose RPC answers have the right syntax but the wrong shape (JSON of other types than
Kubo sends) is the node's fault, said as a typed ``FetchError``, never a ``TypeError`` traceback.

Kubo 0.43.1's ``key/list`` answers ``{"Keys": [{"Name": "self", "Id": "k51..."}]}``."""

from __future__ import annotations

import pytest

from autocodec.config import FetchLimits
from autocodec.errors import FetchError
from autocodec.sources import NodeSource
from tests._http_peers import Peer, answer

pytestmark = pytest.mark.slow  # a loopback server (threads)

QUICK = FetchLimits(timeout_s=2.0, retries=0, backoff_s=0.05, deadline_s=3.0)


def _node(url: str) -> NodeSource:
    host, port = url.split("//")[1].split(":")
    return NodeSource(f"/ip4/{host}/tcp/{port}", limits=QUICK)


@pytest.mark.parametrize("body", [b'{"Keys": 5}', b'{"Keys": true}', b'{"Keys": "self"}', b'{"Keys": {"self": 1}}',
                                  b'{"Keys": [{"Name": 7}]}', b'{"Keys": [{"Id": "k51"}]}', b'{"Keys": ["self"]}'],
                         ids=["number", "bool", "text", "map", "name-number", "no-name", "list-of-text"])
def test_a_key_list_of_another_shape_is_the_nodes_fault(body: bytes) -> None:
    with Peer(answer("200 OK", "application/json", body)) as peer:
        with pytest.raises(FetchError, match="key/list"):
            _node(peer.url).key_names()


def test_kubos_own_key_list_shape_still_reads() -> None:
    body = b'{"Keys": [{"Name": "self", "Id": "k51a"}, {"Name": "set", "Id": "k51b"}]}'
    with Peer(answer("200 OK", "application/json", body)) as peer:
        assert _node(peer.url).key_names() == {"self", "set"}


def test_key_names_of_a_real_kubo_node(kubo_node) -> None:  # noqa: ANN001
    """The shape above is Kubo's own: its key list reads, a key generated on it included."""
    kubo_node.ipfs("key", "gen", "review-sandbox")
    names = NodeSource(kubo_node.api_multiaddr).key_names()
    assert {"self", "review-sandbox"} <= names
