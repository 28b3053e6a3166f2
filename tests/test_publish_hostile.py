"""The publisher's side against bad input: keys, thresholds, module metadata, source trees.

Every refusal is an ``AutocodecError`` with a hint and no command-line options, raised before
anything is signed or stored; through the CLI it is one line and a non-zero exit.
Real modules from wasm-src/, real keys and signatures, real homes; no mocks.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from autocodec.cli import main
from autocodec.errors import AutocodecError, InvalidInput
from autocodec.registry import (
    Runtime,
    add_manifest,
    export_set,
    get_set,
    init_set,
    pin_add,
    publish_module,
    publish_set,
)
from autocodec.verify import KeyRing, SigningKey

REPO = Path(__file__).resolve().parents[1]
GIT_RAW = REPO / "wasm-src" / "git-raw" / "git-raw.wasm"


@pytest.fixture
def rt(tmp_path: Path):  # type: ignore[no-untyped-def]
    runtime = Runtime(tmp_path / "publisher", default_set=False)
    yield runtime
    runtime.close()


def _keys(rt: Runtime, *names: str) -> list[SigningKey]:
    ring = KeyRing(rt.home.keys_dir)
    return [ring.generate(n) for n in names]


def _no_cli_flags(exc: AutocodecError) -> None:
    assert "--" not in exc.message and "--" not in (exc.hint or ""), exc


def test_publishing_a_set_below_its_threshold_signs_nothing(rt: Runtime, tmp_path: Path) -> None:
    """A set of 3 keys with threshold 2 published with 1 key: the old code signed and numbered
    index v1 with one signature, a version every reader refuses (ThresholdNotMet)."""
    a, b, c = _keys(rt, "a", "b", "c")
    init_set(rt, "s", [a, b, c], ["a", "b", "c"], threshold=2)
    add_manifest(rt, "s", publish_module(rt, GIT_RAW, a).manifest_cid)
    with pytest.raises(InvalidInput, match="needs 2 signatures") as info:
        publish_set(rt, "s", [a])
    _no_cli_flags(info.value)
    with pytest.raises(InvalidInput, match="needs 2 signatures"):
        publish_set(rt, "s", [a, a])  # a key counts once
    assert get_set(rt, "s").index_version == 0  # nothing signed, no version used up
    outsider = _keys(rt, "x")[0]
    with pytest.raises(InvalidInput, match="not one of its index keys"):
        publish_set(rt, "s", [outsider, a, b])
    assert get_set(rt, "s").index_version == 0
    publish_set(rt, "s", [a, b])  # two of three: a version readers accept
    export_set(rt, "s", tmp_path / "s.car")
    with Runtime(tmp_path / "user", default_set=False) as user:
        assert pin_add(user, str(tmp_path / "s.car")).name == "s"


@pytest.mark.parametrize(("names", "threshold", "message"), [
    (["a"], 3, "threshold of 3 cannot be met by 1 key"),
    (["a", "b"], 0, "threshold of 0 cannot be met"),
    (["a", "a"], 1, "key 'a' given twice"),
])
def test_init_refuses_roles_no_reader_accepts(rt: Runtime, names: list[str], threshold: int, message: str) -> None:
    ring = KeyRing(rt.home.keys_dir)
    for n in sorted(set(names)):
        ring.generate(n)
    keys = [ring.load(n) for n in names]
    with pytest.raises(InvalidInput, match=message) as info:
        init_set(rt, "s", keys, names, threshold=threshold)
    assert "malformed" not in str(info.value) and "ask its publisher" not in (info.value.hint or "")
    _no_cli_flags(info.value)


def test_cli_set_publish_below_threshold_is_one_line(home: Path, capsys: pytest.CaptureFixture[str]) -> None:
    for k in ("a", "b"):
        assert main(["key", "gen", k]) == 0
    assert main(["set", "init", "s", "--key", "a", "--key", "b", "--threshold", "2"]) == 0
    assert main(["publish", str(GIT_RAW), "--key", "a"]) == 0
    manifest = capsys.readouterr().out.split()[-1]
    assert main(["set", "add", "s", manifest]) == 0
    capsys.readouterr()
    assert main(["set", "publish", "s", "--key", "a"]) != 0
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "needs 2 signatures" in err and "Traceback" not in err
