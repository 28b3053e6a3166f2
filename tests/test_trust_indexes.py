"""The trust store's lookups use an index: ``resolve`` (every decode, hash check and module
load asks it) filtered ``trust_entries`` on ``(kind, key)``, which its primary key
``(set_id, kind, key)`` does not lead with, so each resolve scanned every entry of every pinned
set (50,000 entries: 7.8 ms a resolve; with the index, 0.02 ms)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from autocodec.store import schema_version
from autocodec.verify import TrustStore
from autocodec.verify._trust_decide import _DECIDE_MODULE, _RESOLVE
from tests._old_homes import RELEASES, make_old_home


def _plan(store: TrustStore) -> str:
    rows = store._rows("EXPLAIN QUERY PLAN " + _RESOLVE, ("codec", str(0x300001)))
    return "\n".join(str(row[-1]) for row in rows)


def _module_plan(store: TrustStore) -> str:
    return "\n".join(str(row[-1]) for row in store._rows("EXPLAIN QUERY PLAN " + _DECIDE_MODULE, ("bafy",)))


def test_decide_module_looks_entries_up_by_module_cid(tmp_path: Path) -> None:
    """A block naming its decoder by module CID asks ``decide_module``, which filtered on
    ``module_cid`` over a full scan (50,000 entries: 5.9 ms a decision; with the index 0.006 ms)."""
    with TrustStore.open(tmp_path / "home") as store:
        plan = _module_plan(store)
    assert "SEARCH e USING INDEX trust_entries_module (module_cid=?)" in plan, plan


def test_resolve_looks_entries_up_by_kind_and_key(tmp_path: Path) -> None:
    with TrustStore.open(tmp_path / "home") as store:
        plan = _plan(store)
    assert "SEARCH e USING INDEX trust_entries_kind_key (kind=? AND key=?)" in plan, plan


def test_an_old_home_gets_the_index_on_open_and_keeps_its_trust_schema(tmp_path: Path) -> None:
    """The newest fixture home (trust v4, no index) gets it when opened; its trust schema stays
    v4, so the release that wrote it can still open it (the index is a wing of its own)."""
    home = make_old_home(RELEASES[-1], tmp_path)
    with sqlite3.connect(home / "store.sqlite") as conn:
        assert schema_version(conn, "trust") == 4
        assert "SCAN e" in "\n".join(str(r[-1]) for r in conn.execute("EXPLAIN QUERY PLAN " + _RESOLVE, ("codec", "1")))
    with TrustStore.open(home) as store:
        assert "USING INDEX trust_entries_kind_key" in _plan(store)
        assert "USING INDEX trust_entries_module" in _module_plan(store)
    with sqlite3.connect(home / "store.sqlite") as conn:
        assert schema_version(conn, "trust") == 4 and schema_version(conn, "trust-indexes") == 2
