"""A home whose schema record (``meta``'s ``schema:<wing>`` row) was damaged or altered by hand,
its version no whole number: opening it is a ``StoreError`` naming the wing and the value (as a
newer version is), and the database is left as it was. It was a ValueError (the CLI printed a
traceback) for text such as 'x' or '1.5', and a blob."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from autocodec.errors import StoreError
from autocodec.store import BlockStore
from tests._cli import refusal_line, run_cli

VALUES = {"text": "'x'", "decimal": "'1.5'", "blob": "x'00'", "negative": "'-1'"}


def _damage(home: Path, value: str) -> None:
    BlockStore.open(home).close()
    conn = sqlite3.connect(home / "store.sqlite")
    conn.execute(f"UPDATE meta SET value = {value} WHERE key = 'schema:store'")
    conn.commit()
    conn.close()


@pytest.mark.parametrize("value", VALUES.values(), ids=VALUES.keys())
def test_a_damaged_schema_record_is_a_store_error(tmp_path: Path, value: str) -> None:
    home = tmp_path / "home"
    _damage(home, value)
    with pytest.raises(StoreError, match="schema record of store is damaged") as caught:
        BlockStore.open(home)
    assert "store.sqlite" in str(caught.value.hint)
    conn = sqlite3.connect(home / "store.sqlite")
    assert conn.execute(f"SELECT value IS {value} FROM meta WHERE key = 'schema:store'").fetchone() == (1,)
    conn.close()


@pytest.mark.slow
def test_the_cli_says_so_in_one_line(tmp_path: Path) -> None:
    home = tmp_path / "home"
    _damage(home, "'x'")
    proc = run_cli(home, "block", "ls", check=False)
    line = refusal_line(proc.returncode, proc.stdout, proc.stderr.decode())
    assert "StoreError" in line and "schema record of store is damaged" in line, line
