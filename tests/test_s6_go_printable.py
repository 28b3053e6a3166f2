"""Which characters Kubo's outputs escape: Go's ``strconv.IsPrint`` over Go's Unicode (15.0.0
in Go 1.26.8), not Python 3.11's ``str.isprintable`` (Unicode 14.0.0).

A name holding a character assigned in Unicode 15 (U+11F00 KAWI SIGN CANDRABINDU, U+1E030
MODIFIER LETTER CYRILLIC SMALL A) is printed as it is by ``ipfs add``; autocodec printed it as
``\\U00011f00`` and quoted the whole name.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from autocodec._gotext import go_quote
from autocodec._gounicode import go_printable, go_printable_text
from autocodec.cli._kubo import kubo_escape

from ._kubo import KuboRepo, require_kubo

UNICODE_15 = ["\U00011f00", "\U0001e030", "\U0001f6dc", "\u0cf3"]
"""Assigned in Unicode 15.0.0: a mark, a letter, a symbol (WIRELESS), a Kannada sign."""


def test_go_printable_is_pythons_rule_plus_what_unicode_15_assigned() -> None:
    differ = [c for c in range(0x110000)
              if not 0xD800 <= c < 0xE000 and go_printable(chr(c)) != chr(c).isprintable()]
    assert all(go_printable(chr(c)) for c in differ)  # Go takes more, never less
    assert {ord(ch) for ch in UNICODE_15} <= set(differ)
    assert 1000 < len(differ) < 10_000


@pytest.mark.parametrize("ch", UNICODE_15)
def test_a_character_of_unicode_15_is_not_escaped(ch: str) -> None:
    assert go_printable_text("a" + ch) and kubo_escape("x" + ch) == "x" + ch
    assert go_quote(ch) == f'"{ch}"'


@pytest.mark.parametrize(("ch", "escaped"), [("\u00a0", "\\u00a0"), ("\u200b", "\\u200b"), ("\x7f", "\\x7f"),
                                             ("\U000e0001", "\\U000e0001"), ("\U0010ffff", "\\U0010ffff")])
def test_what_go_does_not_print_is_still_escaped(ch: str, escaped: str) -> None:
    assert not go_printable(ch) and go_quote(ch) == f'"{escaped}"'


@pytest.mark.slow
@pytest.mark.ipfs
def test_add_prints_names_of_every_script_as_kubo(tmp_path: Path) -> None:
    require_kubo()
    kubo = KuboRepo.create(tmp_path / "repo")
    folder = tmp_path / "in"
    folder.mkdir()
    names = [f"n{i}_{ch}" for i, ch in enumerate([*UNICODE_15, "\u00e9", "\u4e2d", "\u00a0", "\u200b", "\x7f"])]
    for name in names:
        (folder / name).write_bytes(name.encode())
    theirs = kubo.ipfs("add", "-r", "-n", folder)
    ours = subprocess.run([sys.executable, "-m", "autocodec", "add", "-r", "-n", folder], capture_output=True,
                          env={**os.environ, "AUTOCODEC_HOME": str(tmp_path / "home")}, timeout=120)
    assert ours.returncode == 0, ours.stderr
    assert ours.stdout == theirs.stdout
