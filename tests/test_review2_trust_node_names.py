"""A node that resolves a name to no path is the node's fault, said when it answers.

Without records from the node (an offline Kubo refuses ``name/get``), ``IpnsNames.lookup`` asks
the node to resolve the name (``name/resolve``). Kubo 0.43.1 always answers ``{"Path":
"/ipfs/..."}``; an answer without a ``Path`` (another implementation, a proxy) was taken as the
value ``""``: ``name resolve`` printed an empty line and succeeded, and a pin or path failed
later naming no cause. It is a ``FetchError`` naming the node and the name. A stand-in node on
loopback: no Kubo answers this way.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from threading import Event

import pytest

from autocodec.errors import FetchError
from autocodec.registry._ipns import IpnsNames
from autocodec.verify._ipns import IpnsName
from autocodec.verify._keyring import SigningKey
from autocodec.verify._libp2p_key import PublicKey
from tests._http_peers import Peer, Send
from tests._ipns_names import ipns_names

pytestmark = pytest.mark.slow  # a loopback server (threads)

NAME = IpnsName.of_key(PublicKey.ed25519(SigningKey.from_seed(bytes(range(32))).public.raw))
OFFLINE = b'{"Message":"this action must be run in online mode, try running \'ipfs daemon\' first","Code":0,"Type":"error"}'


def _offline_node(resolve_body: bytes):  # noqa: ANN202
    def handle(request: str, send: Send, _stopped: Event) -> None:
        status, body = ("500 Internal Server Error", OFFLINE) if "/name/get" in request.split("\r\n")[0] else (
            "200 OK", resolve_body)
        send(f"HTTP/1.1 {status}\r\nContent-Type: application/json\r\nContent-Length: {len(body)}\r\n"
             f"Connection: close\r\n\r\n".encode() + body)

    return handle


@pytest.fixture
def names(tmp_path: Path) -> Iterator[IpnsNames]:
    yield from ipns_names(tmp_path)


@pytest.mark.parametrize("body", [b"{}", b'{"Path": ""}', b"[]", b'{"Path": 7}'], ids=["none", "empty", "list", "number"])
def test_a_resolve_answer_without_a_path_is_the_nodes_fault(names: IpnsNames, body: bytes) -> None:
    with Peer(_offline_node(body)) as peer:
        with pytest.raises(FetchError, match="name/resolve") as refused:
            names.lookup(str(NAME), node=peer.url)
        assert str(NAME) in refused.value.message
        with pytest.raises(FetchError, match="name/resolve"):
            names.follow(f"/ipns/{NAME}", node=peer.url)


def test_a_resolve_answer_with_a_path_is_still_taken(names: IpnsNames) -> None:
    with Peer(_offline_node(b'{"Path": "/ipfs/bafkqaaa"}')) as peer:
        found = names.lookup(str(NAME), node=peer.url)
        assert (found.value, found.verified_by) == ("/ipfs/bafkqaaa", "node")


def test_an_offline_kubos_own_answer_still_reads(names: IpnsNames, kubo_node) -> None:  # noqa: ANN001
    """The check above passes Kubo 0.43.1's real answer: a name the offline node holds a record
    of resolves (through ``name/resolve``, ``name/get`` being refused) to what ``ipfs name
    resolve`` says."""
    key = kubo_node.ipfs("key", "gen", "review2-names").stdout.decode().strip()
    kubo_node.ipfs("name", "publish", "--allow-offline", "--key", "review2-names", "/ipfs/bafkqaaa")
    theirs = kubo_node.ipfs("name", "resolve", f"/ipns/{key}").stdout.decode().strip()
    found = names.lookup(key, node=kubo_node.api_multiaddr)
    assert (found.value, found.verified_by) == (theirs, "node") == ("/ipfs/bafkqaaa", "node")
