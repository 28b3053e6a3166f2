"""``trust revoke`` of a pinned set's superseded documents says it would change nothing.

A root older than a pinned set's anchor (the set was pinned by a later root) and an index
version older than the pinned one can never be used again: the anchor is trusted by its CID,
nothing signed under an older root is accepted, and versions never go back. Revoking such a
CID was recorded and did nothing, silently, while the user believed the set was now
distrusted. It is refused as a pinned set's own documents are (``WrongDocument``, naming the
set and what to do: unpin it); a version not seen yet stays revocable and is refused when an
update brings it. Real documents and keys.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from autocodec.errors import RevokedError, WrongDocument
from autocodec.verify import TrustStore
from tests import _cli
from tests._world import NOW, World


_fresh_log_stream = _cli.fresh_log_stream  # autouse: structlog afresh for each test (tests/_cli.py)


def test_roots_before_the_anchor_of_a_pinned_set_are_refused(home: Path) -> None:
    w = World()
    root2, _ = w.make_root(2)
    root3, _ = w.make_root(3)
    with TrustStore.open(home) as store:
        store.pin(w.blocks[root3], w.index(1, root=root3), w.fetch, root_cid=root3, now=NOW)  # anchored at v3
        with pytest.raises(WrongDocument, match="older than .*test-set") as err:
            store.revoke(str(root2), "old keys stolen")
        assert "pin rm test-set" in (err.value.hint or "")
        store.blocks.put(root2, w.blocks[root2])  # once the home holds v2, v1 before it is known too
        with pytest.raises(WrongDocument, match="test-set"):
            store.revoke(str(w.anchor), "old keys stolen")
        assert store.revoked() == frozenset()


def test_an_index_older_than_the_pinned_version_is_refused(home: Path) -> None:
    w = World()
    with TrustStore.open(home) as store:
        index1 = w.index(1)
        store.pin(w.blocks[w.anchor], index1, w.fetch, root_cid=w.anchor, now=NOW)
        set_id = store.sets()[0].set_id
        store.update(set_id, w.index(2), w.fetch, now=NOW)
        with pytest.raises(WrongDocument, match="older than .*test-set"):
            store.revoke(str(index1), "bad version")
        assert store.revoked() == frozenset()


def test_guard_a_version_not_seen_yet_stays_revocable_and_is_refused_when_it_arrives(home: Path) -> None:
    w = World()
    with TrustStore.open(home) as store:
        store.pin(w.blocks[w.anchor], w.index(1), w.fetch, root_cid=w.anchor, now=NOW)
        index2 = w.index(2)
        store.blocks.put(index2, w.blocks[index2])  # held, not applied
        assert store.revoke(str(index2), "announced as bad") == str(index2)
        with pytest.raises(RevokedError):
            store.update(store.sets()[0].set_id, index2, w.fetch, now=NOW)
