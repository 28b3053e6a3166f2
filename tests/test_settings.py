"""``$AUTOCODEC_HOME/config.toml``: sources, refresh and ``[limits.<group>]`` overrides."""

from __future__ import annotations

from pathlib import Path

import pytest

from autocodec.config import DEFAULT_LIMITS
from autocodec.errors import ConfigError
from autocodec.registry import Runtime
from autocodec.settings import Settings


def _load(tmp_path: Path, text: str) -> Settings:
    path = tmp_path / "config.toml"
    path.write_text(text)
    return Settings.load(path)


def test_limit_overrides_apply_to_their_fields_only(tmp_path: Path) -> None:
    s = _load(tmp_path, "[limits.fetch]\ndeadline_s = 120\nretries = 5\n[limits.sandbox]\ndecode_fuel_per_byte = 0\n"
                        "[limits.decode]\ncontent_gas = false\n")
    limits = s.apply_limits()
    assert limits.fetch.deadline_s == 120.0 and isinstance(limits.fetch.deadline_s, float)
    assert limits.fetch.retries == 5 and limits.sandbox.decode_fuel_per_byte == 0
    assert limits.decode.content_gas is False
    assert limits.fetch.timeout_s == DEFAULT_LIMITS.fetch.timeout_s and limits.store == DEFAULT_LIMITS.store
    assert Settings().apply_limits() is DEFAULT_LIMITS


@pytest.mark.parametrize(("text", "message"), [
    ("limits = 3\n", "limits holds [limits.<group>] tables"),
    ("[limits]\nfetch = 3\n", "limits holds [limits.<group>] tables"),
    ("[limits.network]\ndeadline_s = 1\n", "limits.network is not a group of limits"),
    ("[limits.fetch]\ndeadline = 1\n", "limits.fetch.deadline is not a limit"),
    ("[limits.fetch]\nretries = 1.5\n", "limits.fetch.retries must be an integer"),
    ("[limits.fetch]\ndeadline_s = \"30\"\n", "limits.fetch.deadline_s must be a number"),
    ("[limits.fetch]\ndeadline_s = true\n", "limits.fetch.deadline_s must be a number"),
    ("[limits.decode]\ncontent_gas = 1\n", "limits.decode.content_gas must be true or false"),
    ("[limits.fetch]\ndeadline_s = -1\n", "limits.fetch.deadline_s must be positive"),
    ("[limits.sandbox]\nstream_chunk_bytes = 0\n", "limits.sandbox.stream_chunk_bytes must be positive"),
])
def test_bad_limit_overrides_are_config_errors_naming_the_key(tmp_path: Path, text: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message.replace("[", r"\[").replace(".", r"\.")):
        _load(tmp_path, text)


def test_the_runtime_and_the_cli_fast_path_use_the_homes_limits(tmp_path: Path,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    home = tmp_path / "home"
    home.mkdir()
    (home / "config.toml").write_text("[limits.decode]\nmax_depth = 7\n[limits.fetch]\ndeadline_s = 3\n")
    with Runtime(home, default_set=False) as rt:
        assert rt.limits.decode.max_depth == 7 and rt.limits.fetch.deadline_s == 3.0
    from autocodec.config import Limits

    with Runtime(home, limits=Limits(), default_set=False) as rt:  # a caller's own limits win
        assert rt.limits.decode.max_depth == DEFAULT_LIMITS.decode.max_depth
    monkeypatch.setenv("AUTOCODEC_HOME", str(home))
    from autocodec.cli._fast import LocalBuiltins

    with LocalBuiltins() as fast:
        assert fast.limits.decode.max_depth == 7


def test_messages_name_settings_that_exist() -> None:
    """Every limit a message (or code) names exists: ``limits.GROUP.FIELD`` anywhere in the
    package, and ``FIELD under [limits.GROUP]`` in the error hints (FetchTimeout's hint named a
    'limits.fetch.timeout' that never existed)."""
    import dataclasses
    import re

    import autocodec
    from autocodec import errors

    groups = {f.name: {g.name for g in dataclasses.fields(getattr(DEFAULT_LIMITS, f.name))}
              for f in dataclasses.fields(DEFAULT_LIMITS)}
    named: list[tuple[str, str, str]] = []
    for path in Path(autocodec.__file__).parent.rglob("*.py"):
        for group, field_ in re.findall(r"\blimits\.([a-z_]+)\.([a-z_]+)\b", path.read_text()):
            named.append((str(path.name), group, field_))
    for obj in vars(errors).values():
        hint = getattr(obj, "hint", None) if isinstance(obj, type) else None
        if isinstance(hint, str):
            for fields, group in re.findall(r"raise ([\w ,]+?) under \[limits\.(\w+)\]", hint):
                named += [(obj.__name__, group, f) for f in re.split(r",? or |, ", fields)]
            for field_, group in re.findall(r"more than (\w+)(?: \(or \w+\))? under \[limits\.(\w+)\]", hint):
                named.append((obj.__name__, group, field_))
    assert len(named) >= 20, named
    wrong = [n for n in named if n[1] not in groups or n[2] not in groups[n[1]]]
    assert not wrong, wrong
