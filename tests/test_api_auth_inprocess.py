"""``--api-auth`` belongs to the command it was given to: ``main`` run again in the same process
(tests, programs embedding the CLI) without it sends no secret. The given secret was module state
of the node sources and outlived the command that gave it."""

from __future__ import annotations

from pathlib import Path

import pytest

from autocodec.cli import main


def test_an_earlier_commands_api_auth_is_not_a_later_ones(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                          capsys: pytest.CaptureFixture[str]) -> None:
    from autocodec.sources import _node

    monkeypatch.setenv("AUTOCODEC_HOME", str(tmp_path / "home"))
    monkeypatch.setattr(_node, "_given", None)
    assert main(["--api-auth", "bearer:first-9qL", "cid", "base32", "bafkqaaa"]) == 0
    assert _node._given is not None and "first-9qL" in _node._given[0]
    assert main(["cid", "base32", "bafkqaaa"]) == 0
    assert _node._given is None
    assert main(["--api-auth", "bearer:second-4Rt", "cid", "base32", "bafkqaaa"]) == 0
    assert _node._given is not None and "second-4Rt" in _node._given[0]
    assert "9qL" not in capsys.readouterr().out
