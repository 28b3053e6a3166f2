"""A Bao encoding decoded with the wrong chunk group log: the failure's hint names the group log
its size fits (before: 'the data is corrupt'). What is verified does not change: it still fails."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from autocodec import bao
from autocodec.bao._stream import VerificationFailed
from autocodec.loader import Sandbox
from autocodec.loader._verifier import Verifier

ROOT = Path(__file__).resolve().parents[1]
WASM = ROOT / "wasm-src" / "bao" / "bao.wasm"
CONTENT = os.urandom(100_000)  # 98 chunks: 7 groups of 16 chunks


@pytest.fixture(scope="module")
def verifier() -> Verifier:
    return Verifier(Sandbox().load(WASM.read_bytes()))


def _made(verifier: Verifier, tmp_path: Path, g: int, outboard: bool) -> tuple[bytes, Path, Path]:
    content, enc = tmp_path / "content", tmp_path / f"enc-{g}-{outboard}"
    content.write_bytes(CONTENT)
    with open(content, "rb") as f, open(enc, "w+b") as out:
        root = bao.encode(verifier, f, out, outboard=outboard, group_log=g)
    return root, content, enc


def _failure(verifier: Verifier, root: bytes, content: Path, enc: Path, outboard: bool, g: int) -> VerificationFailed:
    with open(content, "rb") as c, open(enc, "rb") as e:
        src, tree = (c, e) if outboard else (e, None)
        with pytest.raises(VerificationFailed) as caught:
            bao.decode(verifier, root, src, lambda piece: None, outboard=tree, group_log=g)
    return caught.value


@pytest.mark.parametrize("outboard", [True, False], ids=["outboard", "combined"])
@pytest.mark.parametrize(("made", "given"), [(4, 0), (0, 4), (2, 5)])
def test_a_wrong_group_log_is_named_in_the_hint(verifier: Verifier, tmp_path: Path, outboard: bool,
                                               made: int, given: int) -> None:
    root, content, enc = _made(verifier, tmp_path, made, outboard)
    exc = _failure(verifier, root, content, enc, outboard, given)
    assert f"fits group log {made}" in exc.hint and f"not group log {given} as given" in exc.hint
    assert "corrupt" not in exc.hint and "--" not in exc.hint  # library words: no CLI flag


def test_damage_with_the_right_group_log_keeps_the_corrupt_hint(verifier: Verifier, tmp_path: Path) -> None:
    root, content, enc = _made(verifier, tmp_path, 4, True)
    damaged = bytearray(CONTENT)
    damaged[0] ^= 1
    content.write_bytes(bytes(damaged))
    exc = _failure(verifier, root, content, enc, True, 4)
    assert "corrupt" in exc.hint and "group log" not in exc.hint
