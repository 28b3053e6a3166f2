"""Homes written by older autocodec releases keep working after an upgrade, and a home a newer
release migrated is refused by code that is older than its schema.

The homes are ``fixtures/old-homes/<rev>/`` (made by ``fixtures/old-homes/make.sh`` with the
release ``<rev>``; its README names each release and what it wrote). They are rebuilt here from
their SQL dumps and key files; no git worktree is needed at test time.
"""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from contextlib import closing
from pathlib import Path
from typing import Any

import pytest

from autocodec.cid import CID
from autocodec.cli._app import main
from autocodec.store import BlockStore, schema_version
from autocodec.store._schema import registered
from autocodec.verify import TrustStore
from tests._old_homes import RELEASES, make_old_home, old_home_facts


def _cli(capsys: pytest.CaptureFixture[str], home: Path, *argv: str) -> tuple[int, str, str]:
    status = main(["--home", str(home), *argv])
    out, err = capsys.readouterr()
    return status, out, err


def test_the_fixture_homes_span_the_schema_changes() -> None:
    """The releases chosen wrote trust schema v1, v3 and v4 (registry-ipns from v4's release on)."""
    trust = {rev: {r["key"]: r["value"] for r in old_home_facts(rev)["schema"]}["schema:trust"] for rev in RELEASES}
    assert sorted(trust.values()) == ["1", "3", "4"], trust


@pytest.mark.parametrize("rev", RELEASES)
def test_an_old_home_opens_with_every_command_and_keeps_its_data(
        rev: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    facts = old_home_facts(rev)
    home = make_old_home(rev, tmp_path)
    root = facts["dir"]

    status, out, err = _cli(capsys, home, "cat", f"{root}/a.txt")
    assert (status, out) == (0, "hello autocodec\n"), err
    with BlockStore.open(home) as store:  # migrated to what this code knows, wing by wing
        conn = store._db()
        for wing, steps in registered().items():
            if not wing.startswith("test"):
                assert schema_version(conn, wing) in (0, steps[-1].version), wing

    status, out, err = _cli(capsys, home, "trust", "ls")
    assert status == 0, err
    assert "fixtures\t" in out and f"{facts['alice']}\tcodes 0x300000-0x3fffff" in out
    assert "fixture revocation" in out
    status, out, err = _cli(capsys, home, "pin", "ls")
    assert status == 0 and out.startswith("fixtures\tv1\t"), (out, err)
    status, out, err = _cli(capsys, home, "key", "list")
    assert status == 0 and f"alice\t{facts['alice']}" in out and "executor\tdid:key:" in out, err

    status, out, err = _cli(capsys, home, "block", "get", facts["raw"])
    assert (status, out) == (0, "d4:infod6:lengthi3e4:name5:helloee"), err
    status, out, err = _cli(capsys, home, "cat", facts["other"])  # imported from a CAR
    assert (status, out) == (0, "imported via car\n"), err
    status, out, err = _cli(capsys, home, "ls", root)
    assert status == 0 and " a.txt" in out and " sub/" in out, err
    status, _, err = _cli(capsys, home, "get", root, "-o", str(tmp_path / "got"))
    assert status == 0, err
    assert (tmp_path / "got" / "sub" / "b.bin").read_bytes() == bytes(range(256)) * 12
    status, out, err = _cli(capsys, home, "block", "check")
    assert status == 0 and "intact" in out, (out, err)

    receipt = facts["receipt"]
    status, out, err = _cli(capsys, home, "receipt", "show", receipt)
    assert status == 0 and "signature ok: did:key:" in out, err
    status, out, err = _cli(capsys, home, "run", "ipld-select", "count", "--arg", '{"a": [1, 2, 3]}', "--arg", '"a"')
    assert status == 0 and out.splitlines() == [f"receipt {receipt}  cached (not executed again)", "3"], (out, err)
    status, out, err = _cli(capsys, home, "run", "ipld-select", "keys", "--arg", '{"b": 1, "a": 2}', "--arg", '""')
    assert status == 0 and out.splitlines()[1] == '["a","b"]', (out, err)

    if facts["name"]:  # the release kept IPNS records (registry_ipns)
        status, out, err = _cli(capsys, home, "name", "resolve", facts["name"])
        assert (status, out) == (0, f"/ipfs/{root}\n"), err
    status, out, err = _cli(capsys, home, "name", "publish", f"/ipfs/{root}", "--key", "alice", "-o",
                            str(tmp_path / "record.bin"))
    assert status == 0 and out.startswith("Published to k51"), err


@pytest.mark.parametrize("rev", RELEASES)
def test_a_home_with_a_newer_schema_is_refused_in_one_line_and_left_untouched(
        rev: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """What an older release does with a home this code migrated, played by this code with a
    home a still newer release migrated: it refuses before writing anything."""
    home = make_old_home(rev, tmp_path)
    assert _cli(capsys, home, "trust", "ls")[0] == 0  # migrated here
    newest = registered()["trust"][-1].version
    with sqlite3.connect(home / "store.sqlite") as conn:
        conn.execute("UPDATE meta SET value = ? WHERE key = 'schema:trust'", (str(newest + 1),))
    before = _dump(home)
    for argv in (("trust", "ls"), ("cat", f"{old_home_facts(rev)['dir']}/a.txt"), ("pin", "update")):
        status, out, err = _cli(capsys, home, *argv)
        assert status == 1 and out == "", argv
        assert err.count("\n") == 1 and f"trust schema v{newest + 1}, newer than v{newest}" in err, err
        assert "upgrade autocodec" in err
    assert _dump(home) == before


def _dump(home: Path) -> list[str]:
    conn = sqlite3.connect(home / "store.sqlite")
    try:
        return list(conn.iterdump())
    finally:
        conn.close()


_MIGRATE_SLOWLY = """
import sys
from autocodec.store import BlockStore, register_migration
# one step that takes seconds: a killed process must leave neither its table nor its version
register_migration("upgrade-test", 1, [
    "CREATE TABLE upgrade_test (n INTEGER)",
    "INSERT INTO upgrade_test WITH RECURSIVE c(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM c WHERE n < %d) "
    "SELECT n FROM c",
])
print("migrating", flush=True)
with BlockStore.open(sys.argv[1]) as store:
    print("done", store.read_row("SELECT count(*) FROM upgrade_test")[0], flush=True)
"""


def _migrator(home: Path, rows: int) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-c", _MIGRATE_SLOWLY % rows, str(home)], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)


def test_a_migration_killed_part_way_leaves_the_old_schema_and_runs_again(tmp_path: Path) -> None:
    home = make_old_home(RELEASES[0], tmp_path)
    BlockStore.open(home).close()  # the steps this code knows, each committed on its own: only the test's is left
    before = _dump(home)
    proc = _migrator(home, 50_000_000)
    assert proc.stdout is not None and proc.stdout.readline() == "migrating\n"
    time.sleep(1.0)  # well into the INSERT (several seconds long)
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
    conn = sqlite3.connect(home / "store.sqlite")
    try:
        assert conn.execute("SELECT count(*) FROM sqlite_master WHERE name = 'upgrade_test'").fetchone() == (0,)
        assert schema_version(conn, "upgrade-test") == 0
    finally:
        conn.close()
    assert [line for line in _dump(home) if "upgrade" not in line] == [
        line for line in before if "upgrade" not in line]
    again = _migrator(home, 1000)
    out, err = again.communicate(timeout=60)
    assert again.returncode == 0 and out.splitlines()[-1] == "done 1000", err


def test_two_processes_upgrading_one_old_home_at_once_both_succeed(tmp_path: Path) -> None:
    """The second opener waits for the first one's migration (its write lock), then finds it done."""
    rev = RELEASES[0]
    home = make_old_home(rev, tmp_path)
    env = {**os.environ, "AUTOCODEC_HOME": str(home)}
    procs = [subprocess.Popen([sys.executable, "-m", "autocodec", "trust", "ls"], env=env, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True) for _ in range(2)]
    for proc in procs:
        out, err = proc.communicate(timeout=120)
        assert proc.returncode == 0 and "fixtures\t" in out, err
    TrustStore.open(str(tmp_path / "fresh")).close()  # registers every trust step in this process
    conn = sqlite3.connect(home / "store.sqlite")
    try:
        assert schema_version(conn, "trust") == registered()["trust"][-1].version
    finally:
        conn.close()


def _earlier_default_set(tmp: Path, *, car_name: str = "default-set.car") -> Path:
    """What an earlier release shipped: a set named autocodec-default under a key made for that
    build (another lineage than this package's set), in its package's registry folder."""
    from autocodec.registry import Runtime, add_manifest, export_set, init_set, publish_module, publish_set
    from autocodec.registry._default import DEFAULT_SET_NAME
    from autocodec.verify import KeyRing
    from tests.conftest import WASM_SRC

    bundle = tmp / "old-site-packages" / "autocodec" / "registry" / car_name
    bundle.parent.mkdir(parents=True)
    with Runtime(tmp / "builder", default_set=False) as rt:
        key = KeyRing(rt.home.keys_dir).generate(DEFAULT_SET_NAME)
        init_set(rt, DEFAULT_SET_NAME, [key], [DEFAULT_SET_NAME], expires_days=3650)
        published = publish_module(rt, WASM_SRC / "ipld-select" / "ipld-select.wasm", key)
        add_manifest(rt, DEFAULT_SET_NAME, published.manifest_cid)
        publish_set(rt, DEFAULT_SET_NAME, [key], expires_days=3650)
        export_set(rt, DEFAULT_SET_NAME, bundle)
    return bundle


def _home_that_took(bundle: Path, home: Path, choice: str = "pinned") -> str:
    """A home whose earlier release pinned ``bundle`` as its default set (``registry_meta`` as
    that release wrote it); returns the earlier set's id."""
    from autocodec.registry import Runtime, pin_add

    with Runtime(home, default_set=False) as rt:
        set_id = str(pin_add(rt, str(bundle)).set_id)
        with rt.store.transaction() as conn:
            conn.execute("UPDATE registry_meta SET value = ? WHERE key = 'default-set'", (choice,))
    return set_id


def test_a_home_on_an_earlier_releases_default_set_moves_to_the_shipped_one(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Each release signs its default set with a key of its own, so `pin update` could never
    reach the shipped set (RootChainError) and an upgraded home kept the earlier modules."""
    from autocodec.registry._default import DEFAULT_SET_CID, DEFAULT_SET_NAME

    bundle = _earlier_default_set(tmp_path)
    home = tmp_path / "home"
    earlier = _home_that_took(bundle, home)
    bundle.write_bytes(b"")  # the upgrade replaced the package, and its CAR with it

    status, out, err = _cli(capsys, home, "pin", "ls", "--type=recursive")  # the sets alone: the blocks they keep are listed too
    assert status == 0, err
    pins = out.splitlines()
    assert len(pins) == 1 and pins[0].startswith(f"{DEFAULT_SET_NAME}\tv1\t{DEFAULT_SET_CID}\t"), pins
    assert earlier not in out
    status, out, err = _cli(capsys, home, "pin", "update")
    assert status == 0 and out.startswith(f"already at {DEFAULT_SET_NAME} v1 {DEFAULT_SET_CID}"), (out, err)
    status, out, err = _cli(capsys, home, "resolve", "hash", "keccak-256")  # not in the earlier set
    assert status == 0 and f"listed by pinned set '{DEFAULT_SET_NAME}'" in out, err
    status, out, err = _cli(capsys, home, "run", "ipld-select", "count", "--arg", "[1, 2]", "--arg", '""')
    assert status == 0 and out.splitlines()[1] == "2", err


@pytest.mark.parametrize("case", ["declined", "user-unpinned", "other-bundle-name"])
def test_a_default_set_the_user_chose_otherwise_is_left_alone(
        case: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from autocodec.registry._default import DEFAULT_SET_NAME

    bundle = _earlier_default_set(tmp_path, car_name="mine.car" if case == "other-bundle-name" else "default-set.car")
    home = tmp_path / "home"
    earlier = _home_that_took(bundle, home, "declined" if case == "declined" else "pinned")
    if case == "user-unpinned":
        assert _cli(capsys, home, "pin", "rm", DEFAULT_SET_NAME)[0] == 0
    status, out, err = _cli(capsys, home, "pin", "ls", "--type=recursive")  # the sets alone: the blocks they keep are listed too
    assert status == 0, err
    assert out == "" if case == "user-unpinned" else (earlier in out and len(out.splitlines()) == 1), out


def test_the_moved_set_keeps_the_earlier_ones_place_among_pinned_sets(tmp_path: Path) -> None:
    """The first pinned set that lists a code serves it (``TrustStore.resolve``). The shipped set
    took a new row, last, so a set the user pinned after the default one and listing the same
    module (or hasher) took it over at the move, without an override, where before the default
    set served it."""
    from autocodec.registry import (Runtime, add_manifest, export_set, init_set, pin_add, publish_module,
                                    publish_set)
    from autocodec.registry._default import DEFAULT_SET_CID, DEFAULT_SET_NAME
    from autocodec.verify import KeyRing
    from tests.conftest import WASM_SRC

    home = tmp_path / "home"
    earlier = _home_that_took(_earlier_default_set(tmp_path), home)
    mine = tmp_path / "mine.car"
    with Runtime(tmp_path / "publisher", default_set=False) as rt:
        key = KeyRing(rt.home.keys_dir).generate("mine")
        init_set(rt, "mine", [key], ["mine"], expires_days=3650)
        published = publish_module(rt, WASM_SRC / "ipld-select" / "ipld-select.wasm", key)
        add_manifest(rt, "mine", published.manifest_cid)
        publish_set(rt, "mine", [key], expires_days=3650)
        export_set(rt, "mine", mine)
    with Runtime(home, default_set=False) as rt:
        pin_add(rt, str(mine))
        assert rt.trust.resolve("task", "ipld-select").set_name == DEFAULT_SET_NAME  # the earlier default set
    with Runtime(home) as rt:  # the move
        assert sorted(s.name for s in rt.trust.sets()) == [DEFAULT_SET_NAME, "mine"]
        assert str(rt.trust.state(rt.pins.find(DEFAULT_SET_NAME).set_id).cids["index"]) == str(DEFAULT_SET_CID)
        assert earlier not in [str(s.set_id) for s in rt.trust.sets()]
        assert rt.trust.resolve("task", "ipld-select").set_name == DEFAULT_SET_NAME


def test_the_move_is_logged_where_a_user_sees_it(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """It changes what the home trusts without a command asking: at info it was below every
    default threshold (a server's log, a library's stderr) and no one saw it happen."""
    from autocodec import log
    from autocodec.registry import Runtime
    from autocodec.registry._default import DEFAULT_SET_CID

    home = tmp_path / "home"
    earlier = _home_that_took(_earlier_default_set(tmp_path), home)
    capsys.readouterr()
    with log.default_level("warning"), Runtime(home):
        pass
    err = capsys.readouterr().err
    assert "default_set.upgrade" in err and earlier in err and str(DEFAULT_SET_CID) in err, err


def test_a_set_the_user_pinned_after_removing_the_default_one_is_left_alone(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A user who removed the default set and pinned an earlier release's own (its CAR named
    default-set.car, under the same set name) chose it: the home was moved back to the shipped
    set at every open, undoing that pin."""
    from autocodec.registry._default import DEFAULT_SET_CID, DEFAULT_SET_NAME

    bundle = _earlier_default_set(tmp_path)
    home = tmp_path / "home"
    assert _cli(capsys, home, "init")[0] == 0
    assert _cli(capsys, home, "pin", "rm", DEFAULT_SET_NAME)[0] == 0
    status, out, err = _cli(capsys, home, "pin", "add", str(bundle))
    assert status == 0, err
    status, out, err = _cli(capsys, home, "pin", "ls", "--type=recursive")  # the sets alone: the blocks they keep are listed too
    assert status == 0, err
    assert len(out.splitlines()) == 1 and str(DEFAULT_SET_CID) not in out and str(bundle) in out, out


def test_the_default_set_pinned_again_from_the_package_follows_the_package_again(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Removing the default set declines it; pinning the package's own CAR again accepts it."""
    import sqlite3

    from autocodec.registry._default import DEFAULT_SET_CAR, DEFAULT_SET_NAME

    home = tmp_path / "home"
    assert _cli(capsys, home, "init")[0] == 0

    def choice() -> str:
        conn = sqlite3.connect(home / "store.sqlite")
        try:
            return str(conn.execute("SELECT value FROM registry_meta WHERE key = 'default-set'").fetchone()[0])
        finally:
            conn.close()

    assert choice() == "pinned"
    assert _cli(capsys, home, "pin", "rm", DEFAULT_SET_NAME)[0] == 0
    assert choice() == "declined"
    assert _cli(capsys, home, "pin", "add", str(DEFAULT_SET_CAR))[0] == 0
    assert choice() == "pinned"


def test_a_home_that_took_the_default_set_before_the_choice_was_recorded_opens_and_moves(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Homes made between b33f604 (the default set) and 8cd45aa (registry_meta) pinned the
    default set and recorded nothing: the runtime offered it again, its pin was refused
    (RootChainError: another lineage under the same name) and every command failed."""
    import sqlite3

    from autocodec.registry._default import DEFAULT_SET_CID, DEFAULT_SET_NAME

    home = tmp_path / "home"
    earlier = _home_that_took(_earlier_default_set(tmp_path), home)
    conn = sqlite3.connect(home / "store.sqlite")
    with conn:
        conn.execute("DELETE FROM registry_meta")
    conn.close()
    status, out, err = _cli(capsys, home, "pin", "ls")
    assert status == 0, err
    assert out.startswith(f"{DEFAULT_SET_NAME}\tv1\t{DEFAULT_SET_CID}\t") and earlier not in out, out


def test_replacing_a_set_is_one_transaction(tmp_path: Path) -> None:
    """A replacement that fails after the earlier set's rows are gone leaves the earlier set pinned."""
    from autocodec.registry import Runtime
    from autocodec.registry._default import DEFAULT_SET_CAR, DEFAULT_SET_CID
    from autocodec.registry._pins import Location
    from autocodec.errors import SetNotFound

    home = tmp_path / "home"
    earlier = _home_that_took(_earlier_default_set(tmp_path), home, "declined")
    with Runtime(home, default_set=False) as rt:
        fetch = rt.pins._fetcher_for(Location("car", str(DEFAULT_SET_CAR)))
        verified, anchor = rt.trust.verify(DEFAULT_SET_CID, fetch, replacing=CID.parse(earlier))
        rt.pins._fetch_modules(verified, fetch, lambda *a: None)

        def crash(conn: Any) -> None:
            raise OSError("disk gone")

        with pytest.raises(OSError):
            rt.trust.replace(CID.parse(earlier), verified, anchor_envelope=anchor, also=crash)
        assert [str(s.set_id) for s in rt.trust.sets()] == [earlier]
        rt.trust.unpin(CID.parse(earlier))
        with pytest.raises(SetNotFound):  # unpinned meanwhile: nothing is applied
            rt.trust.replace(CID.parse(earlier), verified, anchor_envelope=anchor)
        assert rt.trust.sets() == []


@pytest.mark.parametrize("rev", RELEASES)
def test_an_old_home_takes_the_revocation_and_gossip_wings_and_keeps_its_receipts(rev: str, tmp_path: Path) -> None:
    """The releases here had no UCAN revocation or gossip table: the first revocation makes them at
    v1 of their wings (``ucan-revocations``, ``ipvm-gossip``), in one transaction with its row, and
    the receipts cache (``ipvm`` v1, made by the release) keeps its rows."""
    from autocodec.ipvm._cache import ReceiptCache
    from autocodec.ipvm._gossip_store import RevocationLog
    from autocodec.verify import SigningKey
    from autocodec.verify.ucan import Revocations, delegate, revocation

    home = make_old_home(rev, tmp_path)
    with closing(sqlite3.connect(home / "store.sqlite")) as conn:
        receipts = conn.execute("SELECT * FROM ipvm_receipts ORDER BY invocation").fetchall()
    assert [r[2] for r in receipts] == [old_home_facts(rev)["receipt"]]
    owner, bob = SigningKey.generate(), SigningKey.generate()
    now = int(time.time())
    grant = delegate(owner, bob.did, "/wasm/run", now=now)
    revoke = revocation(owner, grant, now=now)
    log = RevocationLog(home / "store.sqlite", busy_timeout_ms=2000, max_rows=10, queue=4)

    def log_it(conn: sqlite3.Connection) -> None:
        log.append_in(conn, revoke.data, ("http://peer.example",))

    table = Revocations(home / "store.sqlite")
    assert table.record(revoke, grant, now=now, also=log_it)
    assert table.is_revoked(grant.cid) and [seq for seq, _ in log.pending("http://peer.example")] == [1]
    with BlockStore.open(home) as store:
        ReceiptCache(store)
        assert store.read_rows("SELECT * FROM ipvm_receipts ORDER BY invocation") == receipts
        conn = store._db()
        assert schema_version(conn, "ucan-revocations") == schema_version(conn, "ipvm-gossip") == 1
        assert schema_version(conn, "ipvm") == 1
