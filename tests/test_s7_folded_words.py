"""The words of code folded into one place (errors._UnknownCode, BlockStore._stored_row and
BlockStore._corrupt) stay each caller's own: the unknown-code messages of both classes, and
the store's miss and corrupt-row errors with the operator's ``store_corrupt`` record."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from autocodec import builtin
from autocodec.errors import UnknownCodec, UnknownHash, UnsupportedFormat


@pytest.mark.parametrize(("cls", "noun"), [(UnknownCodec, "codec"), (UnknownHash, "multihash")])
def test_unknown_code_messages(cls: type[UnknownCodec | UnknownHash], noun: str) -> None:
    assert str(cls(0x99)) == f"unknown {noun} 0x99" and cls(0x99).code == 0x99
    assert str(cls("nope")) == f"unknown {noun} 'nope'" and cls("nope").code == "nope"
    assert str(cls(-3)) == f"unknown {noun} -3"
    own = cls(7, "own words", hint="do this")
    assert (own.one_line(), own.code) == ("own words (do this)", 7)
    assert isinstance(own, UnsupportedFormat) and cls.hint == UnsupportedFormat.hint


def test_builtin_lookups_raise_their_own_class() -> None:
    with pytest.raises(UnknownCodec, match=r"^unknown codec 0x12$"):
        builtin.codec_for("sha2-256")
    with pytest.raises(UnknownHash, match=r"^unknown multihash 0x71$"):
        builtin.hasher_for(0x71)
    with pytest.raises(UnknownHash, match=r"^unknown multihash '1\.5'$"):
        builtin.hasher_for(1.5)  # type: ignore[arg-type]


_SCRIPT = textwrap.dedent("""
    import sqlite3, sys
    from autocodec import builtin
    from autocodec.store import BlockStore
    store = BlockStore.open(sys.argv[1])
    a, b = (builtin.encode({"i": i}, "dag-cbor") for i in (1, 2))
    ca, cb = (builtin.cid_for(x, "dag-cbor") for x in (a, b))
    print(ca, cb)
    def said(fn, cid):
        try:
            print(fn(cid))
        except Exception as exc:
            print(type(exc).__name__, exc)
    said(store.get, ca); said(store.stat, ca)
    store.put(ca, a); store.put(cb, b)
    conn = sqlite3.connect(store.path)
    conn.execute("UPDATE blocks SET data = CAST('x' AS BLOB) WHERE cid = ?", (bytes(ca),))
    conn.execute("UPDATE blocks SET size = 'x' WHERE cid = ?", (bytes(cb),))
    conn.commit()
    said(store.get, ca); said(store.stat, cb)
""")


def test_store_miss_and_corrupt_rows_say_their_words(tmp_path: Path) -> None:
    env = {**os.environ, "AUTOCODEC_LOG": "console", "AUTOCODEC_LOG_LEVEL": "info"}
    proc = subprocess.run([sys.executable, "-c", _SCRIPT, str(tmp_path / "home")], env=env, capture_output=True,
                          text=True, timeout=120, check=True)
    first, *said = proc.stdout.splitlines()
    ca, cb = first.split()
    assert said == [f"BlockNotFound block {ca} is not in the store"] * 2 + [
        f"StoreCorrupt block {ca} is corrupt in the store",
        f"StoreCorrupt block {cb} has a corrupt size or codec in the store",
    ]
    corrupt = re.findall(r" store_corrupt .* cid=(\S+)", proc.stderr)  # the library's own stderr records
    assert corrupt == [ca, cb], proc.stderr
