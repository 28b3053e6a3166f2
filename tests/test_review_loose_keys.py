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
                                  b'{"Keys": [{"Name": "a", "Id": "k"}]}\n{"Keys": [{"Name": "b", "Id": "k"}]}\n',
                                  # the right syntax, another shape: the node's fault, never a TypeError traceback
                                  b'{"Keys": 5}', b'{"Keys": true}', b'{"Keys": "self"}', b'{"Keys": {"self": 1}}',
                                  b'{"Keys": [{"Name": 7}]}', b'{"Keys": [{"Id": "k51"}]}', b'{"Keys": ["self"]}'],
                         ids=["zero", "empty-body", "empty-object", "null", "false", "empty-text", "empty-array",
                              "json-null", "no-keys-field", "two-objects",
                              "number", "bool", "text", "map", "name-number", "no-name", "list-of-text"])
def test_an_answer_kubo_never_sends_is_not_an_empty_key_list(body: bytes) -> None:
    with Peer(answer("200 OK", "application/json", body)) as peer:
        with pytest.raises(FetchError, match="key/list answered something that is not a key list"):
            _node(peer.url).key_names()


@pytest.mark.parametrize(("body", "names"), [
    (b'{"Keys":[{"Name":"self","Id":"k51qzi5uqu5dl1yuwhg9dfq1ljvzzk8oy29la6381hn67qz7tnwbj2f994b1ly"}]}\n', {"self"}),
    (b'{"Keys": [{"Name": "self", "Id": "k51a"}, {"Name": "set", "Id": "k51b"}]}', {"self", "set"}),
], ids=["byte-for-byte", "two-keys"])
def test_kubos_answer_reads(body: bytes, names: set[str]) -> None:
    with Peer(answer("200 OK", "application/json", body)) as peer:
        assert _node(peer.url).key_names() == names


def test_key_names_of_a_real_kubo_node(kubo_node) -> None:  # noqa: ANN001
    """The real node's answer, whatever keys other tests gave it: ``self`` is always there, and a
    key generated on it is listed."""
    kubo_node.ipfs("key", "gen", "review-sandbox")
    assert {"self", "review-sandbox"} <= NodeSource(kubo_node.api_multiaddr).key_names()
