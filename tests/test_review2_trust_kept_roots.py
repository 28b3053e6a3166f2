"""A root revoked while its set was unpinned is refused when the set is pinned again.

``trust revoke CID`` refuses a pinned set's own documents (unpin it instead), but once the set
is unpinned its roots are revocable: the user no longer trusts that set's keys. Pinning the set
again verifies against the state it was left in (its anchor and newest root, never from
scratch); a revoked root in that state must refuse the pin (``RevokedError``), as ``verify_set``
and ``trust_anchor`` refuse a revoked root they meet. Real documents and keys.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from autocodec.errors import RevokedError
from autocodec.verify import TrustStore
from tests import _cli
from tests._world import NOW, World


_fresh_log_stream = _cli.fresh_log_stream  # autouse: structlog afresh for each test (tests/_cli.py)


@pytest.mark.parametrize("which", ["anchor", "newest root"])
def test_a_root_revoked_while_its_set_was_unpinned_refuses_the_pin_again(home: Path, which: str) -> None:
    w = World()
    root2, _ = w.make_root(2)
    with TrustStore.open(home) as store:
        store.pin(w.blocks[w.anchor], w.index(1, root=root2), w.fetch, root_cid=w.anchor, now=NOW)
        set_id = store.sets()[0].set_id
        store.unpin(set_id)
        revoked = w.anchor if which == "anchor" else root2
        store.revoke(str(revoked), "the set's keys were stolen")
        for again in (lambda: store.pin(w.blocks[w.anchor], w.index(2, root=root2), w.fetch, root_cid=w.anchor,
                                        now=NOW),
                      lambda: store.verify(w.index(3, root=root2), w.fetch, now=NOW)):
            with pytest.raises(RevokedError, match=str(revoked)):
                again()
        assert store.sets() == []


def test_a_set_unpinned_with_nothing_revoked_pins_again(home: Path) -> None:
    w = World()
    with TrustStore.open(home) as store:
        store.pin(w.blocks[w.anchor], w.index(1), w.fetch, root_cid=w.anchor, now=NOW)
        store.unpin(store.sets()[0].set_id)
        store.revoke(str(w.manifest(name="unrelated")), "some other manifest")
        store.pin(w.blocks[w.anchor], w.index(2), w.fetch, root_cid=w.anchor, now=NOW)
        assert store.sets()[0].index_version == 2
