"""Counts in this program's own messages agree with their number (``imported 1 block``, not
``imported 1 blocks``); a line copied from Kubo 0.43.1 keeps Kubo's words, which do not
(``dag import --stats``: ``Imported 1 blocks (4 bytes)``, as ``ipfs dag import`` prints it;
checked beside Kubo in tests/test_settings_hostile.py and tests/test_dag_kubo.py)."""

from __future__ import annotations

from pathlib import Path

from tests._cli import run_cli

ONE_BLOCK = "bafkreibmrmenuxhgaomod4m26ds5ztdujxzhjobgvpsyl2v2ndcskq2iay"  # raw "one\n"


def test_one_block_is_said_in_the_singular(tmp_path: Path) -> None:
    home = tmp_path / "home"
    run_cli(home, "init", "--no-default-set")
    assert run_cli(home, "block", "put", "--cid-codec=raw", stdin=b"one\n").stdout.decode().strip() == ONE_BLOCK
    exported = run_cli(home, "car", "export", ONE_BLOCK, "-o", str(tmp_path / "one.car"))
    assert "exported 1 block (" in exported.stderr.decode(), exported.stderr
    assert "existing store, 1 block)" in run_cli(home, "init", "--no-default-set").stdout.decode()
    assert run_cli(home, "block", "check").stdout == b"the 1 block is intact\n"
    other = tmp_path / "other"
    run_cli(other, "init", "--no-default-set")
    imported = run_cli(other, "car", "import", str(tmp_path / "one.car"))
    assert "imported 1 block (" in imported.stderr.decode(), imported.stderr


def test_dag_import_keeps_kubos_words(tmp_path: Path) -> None:
    home = tmp_path / "home"
    run_cli(home, "init", "--no-default-set")
    run_cli(home, "block", "put", "--cid-codec=raw", stdin=b"one\n")
    run_cli(home, "car", "export", ONE_BLOCK, "-o", str(tmp_path / "one.car"))
    out = run_cli(home, "dag", "import", "--stats", str(tmp_path / "one.car")).stdout.decode()
    assert out.endswith("Imported 1 blocks (4 bytes)\n"), out
