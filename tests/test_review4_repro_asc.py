"""The AssemblyScript compiler a module is built with is the pinned one, checked at build time.

``modkit._sdk.asc`` ran whatever asc was installed under ``.cache/assemblyscript`` while the
manifest recorded the pinned version (``asc_version``); a compiler of another version is now
refused with ``ToolchainMissing`` naming both versions.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from autocodec.modkit import _sdk
from autocodec.modkit._errors import ToolchainMissing


def _installed(folder: Path, version: str) -> Path:
    package = folder / "node_modules" / "assemblyscript"
    (package / "bin").mkdir(parents=True)
    (package / "bin" / "asc.js").write_text("// stand-in entry point: never run\n")
    (package / "package.json").write_text(json.dumps({"name": "assemblyscript", "version": version}))
    return folder


def test_another_asc_version_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    pinned = _sdk.asc_version()
    assert pinned != "unknown"
    monkeypatch.setattr(_sdk, "ASC_DIR", _installed(tmp_path, "0.27.0"))
    with pytest.raises(ToolchainMissing, match=f"AssemblyScript 0.27.0 is installed but modules are built with {pinned}"):
        _sdk.asc()


def test_the_pinned_asc_version_is_taken(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_sdk, "ASC_DIR", _installed(tmp_path, _sdk.asc_version()))
    if _sdk.shutil.which("node") is None:
        pytest.skip("node is not on PATH")
    assert _sdk.asc()[1].endswith("asc.js")
