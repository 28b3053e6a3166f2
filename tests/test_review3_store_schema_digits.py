"""A schema record of digits too many for ``int`` (Python refuses text of more than 4300
digits): the damaged-record ``StoreError`` as for 'x' or '1.5'
(``test_review_store_schema_record.py``), not a ValueError from ``int``."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from autocodec.errors import StoreError
from autocodec.store import BlockStore


@pytest.mark.parametrize("digits", [5000, 100])
def test_a_record_of_too_many_digits_is_a_store_error(tmp_path: Path, digits: int) -> None:
    home = tmp_path / "home"
    BlockStore.open(home).close()
    conn = sqlite3.connect(home / "store.sqlite")
    conn.execute("UPDATE meta SET value = ? WHERE key = 'schema:store'", ("9" * digits,))
    conn.commit()
    conn.close()
    with pytest.raises(StoreError, match="schema record of store is damaged"):
        BlockStore.open(home)
