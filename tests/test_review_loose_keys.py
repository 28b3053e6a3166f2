"""``NodeSource.key_names`` reads Kubo 0.43.1's ``key/list`` answer and nothing looser.

Measured with the real binary (``.cache/go/bin/ipfs``, a fresh offline repo, ``ipfs daemon
--offline``): ``POST /api/v0/key/list`` answers ``{"Keys":[{"Name":"self","Id":"k51..."}]}`` and
a newline; ``self`` cannot be removed (``ipfs key rm self``: "cannot remove key with name
'self'"), so no Kubo answers an empty list, and ``Keys`` is never null (kubo
core/commands/keystore.go: ``make([]KeyOutput, 0, len(keys))``). Shapes Kubo never sends were
read as "no keys" before; they are the node's fault now."""

from __future__ import annotations

import pytest

from autocodec.config import FetchLimits
from autocodec.errors import FetchError
from autocodec.sources import NodeSource
from tests._http_peers import Peer, answer

pytestmark = pytest.mark.slow  # a loopback server (threads), a Kubo daemon

QUICK = FetchLimits(timeout_s=2.0, retries=0, backoff_s=0.05, deadline_s=3.0)


def _node(url: str) -> NodeSource:
    host, port = url.split("//")[1].split(":")
    return NodeSource(f"/ip4/{host}/tcp/{port}", limits=QUICK)


@pytest.mark.parametrize("body", [b'{"Keys": 0}', b'', b'{}', b'{"Keys": null}', b'{"Keys": false}', b'{"Keys": ""}',
                                  b'[]', b'null', b'{"Other": []}',
                                  b'{"Keys": [{"Name": "a", "Id": "k"}]}\n{"Keys": [{"Name": "b", "Id": "k"}]}\n'],
                         ids=["zero", "empty-body", "empty-object", "null", "false", "empty-text", "empty-array",
                              "json-null", "no-keys-field", "two-objects"])
def test_an_answer_kubo_never_sends_is_not_an_empty_key_list(body: bytes) -> None:
    with Peer(answer("200 OK", "application/json", body)) as peer:
        with pytest.raises(FetchError, match="key/list answered something that is not a key list"):
            _node(peer.url).key_names()


def test_kubos_answer_byte_for_byte_reads() -> None:
    body = b'{"Keys":[{"Name":"self","Id":"k51qzi5uqu5dl1yuwhg9dfq1ljvzzk8oy29la6381hn67qz7tnwbj2f994b1ly"}]}\n'
    with Peer(answer("200 OK", "application/json", body)) as peer:
        assert _node(peer.url).key_names() == {"self"}


def test_a_fresh_kubo_node_names_self(kubo_node) -> None:  # noqa: ANN001
    """The real node's answer, whatever keys other tests gave it: ``self`` is always there."""
    assert "self" in NodeSource(kubo_node.api_multiaddr).key_names()
