"""IPVM leftovers of the last audit: event triggers that missed a block, receipt commands that
made a home, ``--arg`` integers past the IPLD range, unknown UCAN payload fields."""

from __future__ import annotations

import hashlib
import sqlite3
from pathlib import Path

import pytest

from autocodec.cid import CID
from autocodec.store import BlockStore, schema_version


def _raw(data: bytes) -> tuple[CID, bytes]:
    return CID.build(0x55, b"\x12\x20" + hashlib.sha256(data).digest()), data


# --- 1. new blocks are found by a sequence that is never reused ---------------------------------


def test_a_block_stored_after_the_newest_was_removed_between_two_polls_is_listed(home: Path) -> None:
    """By row id, a block stored right after the newest one was removed took that block's id,
    which the mark had already passed: ``inserted_since`` never listed it."""
    a, b, c = _raw(b"a"), _raw(b"b"), _raw(b"c")
    with BlockStore.open(home) as store:
        store.put(*a)
        store.put(*b)
        mark = store.last_insert_mark()
        store.delete(b[0])
        store.put(*c)
        new_mark, found = store.inserted_since(mark)
        assert found == [c[0]]
        assert new_mark > mark
        assert store.inserted_since(new_mark) == (new_mark, [])  # listed once, never again
        store.delete(c[0])
        store.put(*b)  # removed, then stored again: new again
        assert store.inserted_since(new_mark)[1] == [b[0]]


def test_every_block_is_listed_once_in_the_order_stored_whatever_is_removed(home: Path) -> None:
    blocks = [_raw(bytes([i])) for i in range(40)]
    seen: list[CID] = []
    stored: list[CID] = []
    with BlockStore.open(home) as store:
        mark = store.last_insert_mark()
        for i, (cid, data) in enumerate(blocks):
            store.put(cid, data)
            stored.append(cid)
            if i % 3 == 2:  # remove the newest block, and now and then an older one too
                store.delete(cid)
                if i % 6 == 5:
                    store.delete(stored[i - 4])
            if i % 4 == 3:  # a poll now and then, two at most per poll
                mark, found = store.inserted_since(mark, 2)
                seen += found
        while True:
            mark, found = store.inserted_since(mark, 2)
            if not found:
                break
            seen += found
        kept = set(store.cids())
    assert len(seen) == len(set(seen))  # never twice
    assert seen == [cid for cid in stored if cid in seen]  # in the order stored
    assert kept <= set(seen)  # none still there was missed


def test_an_old_home_keeps_its_blocks_and_numbers_them_in_the_order_stored(tmp_path: Path) -> None:
    from tests._old_homes import RELEASES, make_old_home

    home = make_old_home(RELEASES[0], tmp_path)
    conn = sqlite3.connect(home / "store.sqlite")
    try:
        old = [CID(raw) for (raw,) in conn.execute("SELECT cid FROM blocks ORDER BY rowid")]
    finally:
        conn.close()
    assert old
    with BlockStore.open(home) as store:
        before = store.last_insert_mark()
        assert store.inserted_since(0, 10**6) == (before, old)
        new = _raw(b"after the upgrade")
        store.put(*new)
        assert store.inserted_since(before) == (before + 1, [new[0]])
        assert sorted(store.cids()) == sorted([*old, new[0]])
        conn = store._db()
        assert schema_version(conn, "store-seq") == 1
        assert schema_version(conn, "store") == 1  # the block table's own layout is unchanged


def test_writers_that_do_not_know_the_sequence_are_numbered_too(home: Path) -> None:
    """A process that opened the home before the sequence was made (or an older autocodec,
    which writes ``blocks`` only) still has its blocks numbered: SQL triggers do it."""
    a, b = _raw(b"from the other process"), _raw(b"from an older autocodec")
    with BlockStore.open(home) as other, BlockStore.open(home) as store:
        mark = store.last_insert_mark()  # makes the sequence while ``other`` is open
        other.put(*a)
        older = sqlite3.connect(home / "store.sqlite", isolation_level=None)
        try:
            older.execute("INSERT INTO blocks (cid, codec, size, data, checksum) VALUES (?, ?, ?, ?, NULL)",
                          (bytes(b[0]), 0x55, len(b[1]), b[1]))
        finally:
            older.close()
        assert store.inserted_since(mark)[1] == [a[0], b[0]]


# --- 2. receipt commands (and ucan's key loading) never create a home ---------------------------

_RECEIPT = "bafyreigdmqpykrgxyaxtlafqpqhzrb7qy2rh75nldvfd4tkhx7pjyxilsi"


@pytest.mark.parametrize("argv", [
    ["receipt", "reindex"], ["receipt", "ls"], ["receipt", "show", _RECEIPT], ["receipt", "verify", _RECEIPT],
    ["receipt", "verify", _RECEIPT, "--rerun"],
    ["ucan", "delegate", "--key", "bob", "--to", "did:key:z6MkiTBz1ymuepAQ4HEHYSF1H8quG5GLVVQR3djdX3mDooWp",
     "--cmd", "/wasm/run", "-o", "{tmp}/out.ucan"],
])
def test_a_command_on_a_home_that_does_not_exist_says_so_and_creates_nothing(
        argv: list[str], tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """``receipt reindex`` made the store of a home that did not exist (and said "indexed 0
    receipts"); ``receipt show``/``verify`` made a whole home (keys, cache, store) to say the
    block was not there; ``ucan delegate --key`` made one to say it held no such key."""
    from autocodec.cli._app import main

    missing = tmp_path / "nowhere"
    status = main(["--home", str(missing), *[a.replace("{tmp}", str(tmp_path)) for a in argv]])
    out, err = capsys.readouterr()
    assert status == 1 and out == "", (out, err)
    assert err.count("\n") == 1 and err.startswith("autocodec: ") and str(missing) in err, err
    assert not missing.exists()


def test_receipt_reindex_and_ls_still_work_on_a_home_that_exists(home: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from autocodec.cli._app import main

    assert main(["init"]) == 0
    capsys.readouterr()
    assert main(["receipt", "reindex"]) == 0
    assert capsys.readouterr().out == "indexed 0 receipts\n"
    assert main(["receipt", "ls"]) == 0
    assert capsys.readouterr().out == ""


# --- 3. an --arg integer past the IPLD range is refused naming the argument and the range ------


@pytest.mark.parametrize(("arg", "shown"), [
    ("18446744073709551616", "18446744073709551616"),
    ('{"a": [1, -18446744073709551617]}', "-18446744073709551617"),
    ("1" + "0" * 200, "1000000000000000000000000000000000000000... (201 digits)"),
])
def test_an_arg_integer_past_the_ipld_range_names_the_argument_and_the_range(
        arg: str, shown: str, home: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """It was "EncodeError: dag-cbor: integer ... out of range at ['input']['args'][1]": the
    invocation's path, not the option the user gave, and no range. DAG-JSON itself now refuses
    such an integer, as Kubo 0.43.1 does (2e18418): the option, the integer and the range."""
    from autocodec.cli._app import main

    status = main(["run", "ipld-select", "count", "--arg", "[1]", "--arg", arg])
    out, err = capsys.readouterr()
    assert status == 1 and out == "", (out, err)
    assert err.count("\n") == 1, err
    assert err.startswith(f"autocodec: InvalidInput: --arg 2 is not DAG-JSON: dag-json: integer {shown} "
                          "is outside -2^64 .. 2^64-1"), err


def test_the_ends_of_the_ipld_integer_range_are_arguments(home: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from autocodec.cli._app import main

    assert main(["run", "ipld-select", "count", "--arg", "[18446744073709551615, -18446744073709551616]",
                 "--arg", '""']) == 0
    assert capsys.readouterr().out.splitlines()[-1] == "2"


# --- 4. unknown payload fields of a UCAN: accepted, signed over, and given no meaning ------------


def test_unknown_payload_fields_are_accepted_and_grant_or_restrict_nothing() -> None:
    """The UCAN 1.0 delegation and invocation specs list their payload fields and say nothing of
    others; the working group's fixtures carry none. So they are accepted (docs/invocations.md,
    "Unknown payload fields"): the signature covers them, and validation reads only the fields
    it knows, so one named like a restriction (``pol2``) restricts nothing."""
    from autocodec.verify import SigningKey
    from autocodec.verify.ucan import DELEGATION_TAG, INVOCATION_TAG, invoke, validate_invocation
    from autocodec.verify.ucan._build import delegate
    from autocodec.verify.ucan._token import seal

    executor, alice = SigningKey.generate(), SigningKey.generate()
    now = 1_800_000_000
    plain = delegate(executor, alice.did, "/wasm/run", now=now, policy=[["==", ".function", "select"]])
    root = seal(executor, DELEGATION_TAG, {**plain.payload, "pol2": [["==", ".function", "never"]], "x-note": "hi"})
    asked = invoke(alice, executor.did, "/wasm/run", {"function": "select"}, now=now, proofs=[root])
    token = seal(alice, INVOCATION_TAG, {**asked.payload, "x-trace": {"span": 1}})
    assert token.payload["x-trace"] == {"span": 1} and root.payload["x-note"] == "hi"
    validate_invocation(token, [root], now, executor=executor.did)


def test_the_decision_on_unknown_payload_fields_is_written_down() -> None:
    from tests.conftest import REPO

    text = (REPO / "docs" / "invocations.md").read_text()
    assert "Unknown payload fields" in text and "fixtures" in text.split("Unknown payload fields", 1)[1][:1200]


@pytest.mark.parametrize("command", ["verify", "show"])
def test_receipt_commands_on_a_block_of_another_codec_say_it_is_no_receipt(home: Path, command: str) -> None:
    """``receipt verify RAW_CID`` said 'a receipt must be DAG-CBOR: dag-cbor: not enough bytes
    left in buffer (the document is malformed; ask its publisher ...)': the user gave a CID of
    the wrong kind. Now InvalidInput naming the block's codec, before anything is read."""
    from tests._cli import run_cli

    run_cli(home, "init", "--no-default-set")
    raw = run_cli(home, "block", "put", stdin=b"hi\n").stdout.decode().strip()
    proc = run_cli(home, "receipt", command, raw, check=False)
    err = proc.stderr.decode()
    assert proc.returncode == 1 and err.count("\n") == 1, err
    assert err.startswith(f"autocodec: InvalidInput: {raw} names a raw block, not a receipt"), err
