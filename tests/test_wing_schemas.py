"""The UCAN revocation table, the IPVM gossip tables, the receipts cache and the job stream are
wings of the home's versioned schema (``store/_schema.py``): a home whose recorded version of one
of them is newer than this code knows is refused in the store's words, writing nothing, and a home
whose tables an earlier release made with bare DDL opens as it is and keeps its rows.

``fixtures/pre-scheme-wings/0847c3a.sql.gz`` is the dump of a home written by commit 0847c3a (the
last before these tables joined the scheme): one UCAN revocation, its gossip log entry with a push
queued and a peer's cursor, one receipts cache row and one job stream entry.
"""

from __future__ import annotations

import gzip
import sqlite3
import time
from collections.abc import Callable
from contextlib import closing
from pathlib import Path
from types import SimpleNamespace

import pytest

from autocodec.builtin import cid_for, encode
from autocodec.cid import CID
from autocodec.cli._app import main
from autocodec.errors import StoreError
from autocodec.home import Home
from autocodec.ipvm._cache import ReceiptCache
from autocodec.ipvm._gossip_store import RevocationLog
from autocodec.ipvm._stream import JobStream
from autocodec.store import BlockStore, schema_version
from autocodec.verify import SigningKey
from autocodec.verify.ucan import Revocations, Token, delegate, revocation
from tests.conftest import FIXTURES

HEAD_HOME = FIXTURES / "pre-scheme-wings" / "0847c3a.sql.gz"
REVOKED = CID.parse("bafyreidtcr4s4yewxt6zkty5bpdqc3kql3gppvrcikiqt337wrk4zwt5vm")  # its one revocation
PEER = "http://peer.example"
WINGS = ("ucan-revocations", "ipvm-gossip", "ipvm", "ipvm-stream")
TABLES = ("ucan_revocations", "ipvm_revocation_log", "ipvm_revocation_log_id", "ipvm_gossip_pushes",
          "ipvm_gossip_cursors", "ipvm_receipts", "ipvm_stream")


def _head_home(tmp_path: Path) -> Home:
    home = Home(tmp_path / "home")
    home.root.mkdir(mode=0o700)
    with closing(sqlite3.connect(home.db_path)) as conn:
        conn.executescript(gzip.decompress(HEAD_HOME.read_bytes()).decode())
        conn.execute("PRAGMA journal_mode=WAL")
    return home


def _dump(home: Home) -> list[str]:
    with closing(sqlite3.connect(home.db_path)) as conn:
        return list(conn.iterdump())


def _ours(dump: list[str]) -> list[str]:
    """The lines of a dump that make or fill the ipvm and ucan tables."""
    return [line for line in dump if any(f'"{table}"' in line or f" {table} " in line for table in TABLES)]


def _meta(home: Home) -> dict[str, str]:
    with closing(sqlite3.connect(home.db_path)) as conn:
        return dict(conn.execute("SELECT key, value FROM meta"))


def _set_version(home: Home, wing: str, version: int) -> None:
    with closing(sqlite3.connect(home.db_path)) as conn, conn:
        conn.execute("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", (f"schema:{wing}", str(version)))


def _log(home: Home) -> RevocationLog:
    return RevocationLog(home.db_path, busy_timeout_ms=2000, max_rows=100, queue=10)


def _fresh_revocation() -> tuple[Token, Token, int]:
    owner, bob = SigningKey.generate(), SigningKey.generate()
    now = int(time.time())
    grant = delegate(owner, bob.did, "/wasm/run", now=now)
    return revocation(owner, grant, now=now), grant, now


def _ignore(_: object) -> None:
    """``also`` returns nothing (``append_in`` returns the entry's seq)."""


def _record_logged(home: Home) -> Token:
    """A new revocation recorded and logged for PEER in one transaction, as serve does; its delegation."""
    rev, grant, now = _fresh_revocation()
    log = _log(home)
    assert Revocations(home.db_path).record(rev, grant, now=now,
                                            also=lambda conn: _ignore(log.append_in(conn, rev.data, (PEER,))))
    return grant


def test_a_home_made_before_the_scheme_opens_unchanged_and_keeps_its_rows(tmp_path: Path) -> None:
    home = _head_home(tmp_path)
    before = _dump(home)
    assert {"schema:ucan-revocations", "schema:ipvm-gossip"}.isdisjoint(_meta(home))  # made by bare DDL

    table, log = Revocations(home.db_path), _log(home)
    assert table.is_revoked(REVOKED) and [d for d, _, _ in table.list()] == [str(REVOKED)]
    log_id, entries = log.page(0, 10)
    assert log_id is not None and [seq for seq, _ in entries] == [1]
    assert [seq for seq, _ in log.pending(PEER)] == [1]
    assert log.cursor(PEER) == ("0123abcd", 7)
    with BlockStore.open(home) as store:
        assert [e.seq for e in JobStream(store).since(0)] == [1]
        ReceiptCache(store)
        assert store.read_rows("SELECT count(*) FROM ipvm_receipts") == [(1,)]
    after = _dump(home)  # the reads wrote nothing; the store's open recorded the wings registered in this process
    assert [line for line in before if line not in after] == []
    assert _ours(after) == _ours(before) and _meta(home)["schema:ucan-revocations"] == "1"

    grant = _record_logged(home)  # the first writes record the wings at v1 and change no table
    log.delivered(PEER, 1)
    meta = _meta(home)
    assert meta["schema:ucan-revocations"] == meta["schema:ipvm-gossip"] == "1"
    assert meta["schema:ipvm"] == meta["schema:ipvm-stream"] == "1"
    with closing(sqlite3.connect(home.db_path)) as conn:
        schema = dict(conn.execute(f"SELECT name, sql FROM sqlite_master WHERE name IN {TABLES}"))
    with closing(sqlite3.connect(":memory:")) as conn:
        conn.executescript(gzip.decompress(HEAD_HOME.read_bytes()).decode())
        assert schema == dict(conn.execute(f"SELECT name, sql FROM sqlite_master WHERE name IN {TABLES}"))
    assert table.is_revoked(REVOKED) and table.is_revoked(grant.cid)
    assert log.page(0, 10)[0] == log_id and [seq for seq, _ in log.since(0, 10)] == [1, 2]
    assert [seq for seq, _ in log.pending(PEER)] == [2] and log.cursor(PEER) == ("0123abcd", 7)


def test_a_table_of_an_older_layout_is_still_upgraded_once_its_wing_is_recorded(tmp_path: Path) -> None:
    """A home's ``BlockStore.open`` records every wing registered in the process, the revocations'
    too, over a table of a layout before the scheme (one revocation a delegation, no ``exp``):
    the next write still brings it up, keeping its row."""
    home = Home(tmp_path / "home")
    home.root.mkdir(mode=0o700)
    with closing(sqlite3.connect(home.db_path)) as conn, conn:
        conn.execute("CREATE TABLE ucan_revocations (delegation TEXT PRIMARY KEY, revoker TEXT NOT NULL, "
                     "invocation BLOB NOT NULL, at INTEGER NOT NULL)")
        conn.execute("INSERT INTO ucan_revocations VALUES ('bafyold', 'did:key:old', x'00', 1)")
    table = Revocations(home.db_path)  # registers the wing in this process
    BlockStore.open(home).close()
    assert _meta(home)["schema:ucan-revocations"] == "1"
    rev, grant, now = _fresh_revocation()
    assert table.record(rev, grant, now=now)
    assert sorted(d for d, _, _ in table.list()) == sorted(["bafyold", str(grant.cid)])


def _uses(home: Home) -> dict[str, list[Callable[[], object]]]:
    """What reads or writes each wing's tables, from a fresh instance each time."""
    rev, grant, now = _fresh_revocation()

    def store_with(make: Callable[[BlockStore], object]) -> Callable[[], object]:
        def use() -> object:
            with BlockStore.open(home) as store:
                return make(store)
        return use

    def logged_record() -> object:
        log = _log(home)
        return Revocations(home.db_path).record(rev, grant, now=now,
                                                also=lambda conn: _ignore(log.append_in(conn, b"x", (PEER,))))

    return {
        "ucan-revocations": [lambda: Revocations(home.db_path).is_revoked(REVOKED),
                             lambda: Revocations(home.db_path).list(),
                             lambda: Revocations(home.db_path).record(rev, grant, now=now)],
        "ipvm-gossip": [lambda: _log(home).page(0, 10), lambda: _log(home).pending(PEER),
                        lambda: _log(home).cursor(PEER), lambda: _log(home).append(b"x", (PEER,)),
                        lambda: _log(home).set_cursor(PEER, "other", 9), lambda: _log(home).delivered(PEER, 1),
                        lambda: _log(home).keep_peers(()), logged_record],
        "ipvm": [store_with(ReceiptCache), store_with(
            lambda s: ReceiptCache(s).put(cid_for(encode({"r": 1}, "dag-cbor"), "dag-cbor"), encode({"r": 1}, "dag-cbor"),
                                          SimpleNamespace(ran=REVOKED, issuer="did:key:x")))],  # type: ignore[arg-type]
        "ipvm-stream": [store_with(lambda s: JobStream(s).since(0)),
                        store_with(lambda s: JobStream(s).append(REVOKED, REVOKED, source="remote"))],
    }


@pytest.mark.parametrize("wing", WINGS)
def test_a_home_with_a_newer_version_of_a_wing_is_refused_in_the_stores_words_and_left_untouched(
        wing: str, tmp_path: Path) -> None:
    """An older release meeting a home a newer one migrated, played by this code with a version one
    past its own. The revocation and gossip tables were used as they were (a newer layout written by
    code that does not know it); the receipts cache and the job stream were refused already."""
    home = _head_home(tmp_path)
    _record_logged(home)  # every wing at v1, its rows beside
    with BlockStore.open(home) as store:
        ReceiptCache(store), JobStream(store)
    _set_version(home, wing, 2)
    before = _dump(home)
    for use in _uses(home)[wing]:
        with pytest.raises(StoreError) as caught:
            use()
        assert caught.value.message == f"the database has {wing} schema v2, newer than v1 known here", use
        assert "upgrade autocodec" in str(caught.value.hint)
    assert _dump(home) == before
    for other in WINGS:  # the others' uses that write nothing still work
        if other not in (wing, "ipvm", "ipvm-stream"):
            _uses(home)[other][0]()


def test_ucan_revoked_refuses_a_newer_home_in_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    home = _head_home(tmp_path)
    _record_logged(home)
    _set_version(home, "ucan-revocations", 2)
    monkeypatch.setenv("AUTOCODEC_HOME", str(home.root))
    status = main(["--home", str(home.root), "ucan", "revoked"])
    out, err = capsys.readouterr()
    assert status == 1 and out == "" and err.count("\n") == 1, (out, err)
    assert "ucan-revocations schema v2, newer than v1 known here" in err and "Traceback" not in err


def test_a_fresh_database_gets_the_wings_from_its_first_write_and_none_from_a_read(tmp_path: Path) -> None:
    db = tmp_path / "db.sqlite"
    assert Revocations(db).list() == []
    assert RevocationLog(db, busy_timeout_ms=2000, max_rows=10).page(0, 1) == (None, [])
    with closing(sqlite3.connect(db)) as conn:
        assert conn.execute("SELECT name FROM sqlite_master").fetchall() == []
    rev, grant, now = _fresh_revocation()
    assert Revocations(db).record(rev, grant, now=now)
    RevocationLog(db, busy_timeout_ms=2000, max_rows=10).append(b"x")
    with closing(sqlite3.connect(db)) as conn:
        assert schema_version(conn, "ucan-revocations") == schema_version(conn, "ipvm-gossip") == 1
