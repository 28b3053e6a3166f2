"""A revocation committed while an update was being verified is not undone when it is applied.

``pin update`` verifies a set version, then fetches its modules and runs the canary (seconds
to minutes on a network), then applies it. A root or index revoked by CID in that window (by
``trust revoke`` in another process: a version announced as bad) was applied anyway, because
``apply_update`` re-checked versions under the write lock but not revocations; once applied, the
revoked document is the pinned set's own, which ``trust revoke`` refuses and decisions do not
look up by CID, so it served. Now ``apply_update`` reads the revocations in its own transaction
and refuses (``RevokedError``), nothing changed. Real documents and keys, two connections to one
home as two processes have.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from autocodec.errors import RevokedError
from autocodec.verify import TrustStore
from tests import _cli
from tests._world import NOW, World

CODE = 0x300001


_fresh_log_stream = _cli.fresh_log_stream  # autouse: structlog afresh for each test (tests/_cli.py)


@pytest.mark.parametrize("which", ["index", "root", "manifest", "module"])
def test_a_document_revoked_between_verify_and_apply_is_not_applied(home: Path, which: str) -> None:
    w = World()
    good = w.manifest(name="good-codec")
    with TrustStore.open(home) as store:
        store.pin(w.blocks[w.anchor], w.index(1, [("codec", CODE, good)]), w.fetch, root_cid=w.anchor, now=NOW)
        root2, _ = w.make_root(2)
        newer = w.manifest(name="good-codec", version="1.1.0", module=w.module + b"\x00")
        index2 = w.index(2, [("codec", CODE, newer)], root=root2)
        verified, anchor = store.verify(index2, w.fetch, now=NOW)
        target = {"index": str(index2), "root": str(root2), "manifest": str(newer),
                  "module": str(verified.manifests[newer].manifest.module)}[which]
        with TrustStore.open(home) as other:  # another process, meanwhile
            other.revoke(target, "announced as bad")
        with pytest.raises(RevokedError, match=target):
            store.apply_update(verified, anchor_envelope=anchor, now=NOW)
        assert store.sets()[0].index_version == 1
        assert store.resolve("codec", CODE, now=NOW).manifest_cid == good
