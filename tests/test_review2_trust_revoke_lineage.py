"""``trust revoke`` of a root between a pinned set's anchor and its newest root.

``TrustStore.revoke`` refuses a pinned set's own documents (its id, a root, an index:
``WrongDocument``, unpin it instead); found by the full review of the day's change: a root
between the anchor and the newest one was recorded as revoked while the set stayed pinned and
serving, and only refused the set once it was unpinned and pinned again (``_kept_state`` reads the
whole lineage, ``revoke`` read the newest root alone). Real documents and keys.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from autocodec.errors import WrongDocument
from autocodec.verify import TrustStore
from tests import _cli
from tests._world import NOW, World


_fresh_log_stream = _cli.fresh_log_stream  # autouse: structlog afresh for each test (tests/_cli.py)


def test_a_root_between_the_anchor_and_the_newest_is_the_pinned_sets_own(home: Path) -> None:
    w = World()
    root2, _ = w.make_root(2)
    root3, _ = w.make_root(3)
    with TrustStore.open(home) as store:
        store.pin(w.blocks[w.anchor], w.index(1, root=root3), w.fetch, root_cid=w.anchor, now=NOW)
        for own in (w.anchor, root2, root3):
            with pytest.raises(WrongDocument, match="test-set"):
                store.revoke(str(own), "by mistake")
        assert store.revoked() == frozenset()
        store.unpin(store.sets()[0].set_id)
        assert store.revoke(str(root2), "the set's keys were stolen") == str(root2)  # unpinned: revocable
