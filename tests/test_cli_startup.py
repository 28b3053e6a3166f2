"""Start-up of the command line: each command imports what it needs and no more.

A command registers only its own ``cmd_*`` module (``_app.COMMAND_MODULES`` names the one
command, ``cat``, whose module is named otherwise); ``import autocodec`` leaves the limits
(``autocodec.config``) unloaded until asked for; ``autocodec version`` reads no store.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from autocodec.cli import _app

REPO = Path(__file__).resolve().parents[1]

HEAVY = ("wasmtime", "aiohttp", "structlog", "cryptography", "autocodec.registry", "autocodec.loader",
         "autocodec.ipvm", "autocodec.serve")
"""What no command that only reads the home's own blocks, or prints the version, may import."""


def _loaded_after(home: Path, *argv: str) -> tuple[subprocess.CompletedProcess[bytes], set[str]]:
    """Run ``autocodec ARGV`` in a fresh interpreter; its result and the modules it had loaded."""
    probe = ("import sys\nfrom autocodec.cli._app import main\nrc = main(sys.argv[1:])\nsys.stdout.flush()\n"
             "sys.stderr.write('\\nMODULES ' + ' '.join(sorted(sys.modules)))\nsys.exit(rc)\n")
    done = subprocess.run([sys.executable, "-c", probe, *argv], env={**os.environ, "AUTOCODEC_HOME": str(home)},
                          cwd=REPO, capture_output=True, timeout=300)
    text = done.stderr.decode()
    assert "\nMODULES " in text, text
    return done, set(text.rsplit("\nMODULES ", 1)[1].split())


def _heavy(modules: set[str]) -> set[str]:
    return {m for m in modules if m.split(".")[0] in HEAVY or ".".join(m.split(".")[:2]) in HEAVY}


def test_version_imports_no_store_no_limits_and_no_other_command(tmp_path: Path) -> None:
    done, modules = _loaded_after(tmp_path / "home", "version")
    assert done.returncode == 0 and done.stdout == b"autocodec version 0.1.0\n"
    assert not _heavy(modules)
    assert not {"autocodec.store", "autocodec.config", "autocodec.home", "dataclasses", "sqlite3", "platform"} & modules
    assert {m for m in modules if m.startswith("autocodec.cli.cmd_")} == {"autocodec.cli.cmd_version"}
    assert not (tmp_path / "home").exists()


@pytest.mark.parametrize("options", [["--all"], ["--repo"], ["--enc=json"]])
def test_version_still_names_the_store_schema_when_asked(tmp_path: Path, options: list[str]) -> None:
    done, _modules = _loaded_after(tmp_path / "home", "version", *options)
    assert done.returncode == 0
    assert b"1" in done.stdout and (options != ["--all"] or b"Repo version: 1\n" in done.stdout)


def test_cat_of_a_stored_file_registers_only_cat_and_imports_nothing_heavy(tmp_path: Path) -> None:
    home = tmp_path / "home"
    add = subprocess.run([sys.executable, "-m", "autocodec", "add", "-Q", "-"], input=b"x" * 100,
                         env={**os.environ, "AUTOCODEC_HOME": str(home)}, cwd=REPO, capture_output=True, timeout=300)
    assert add.returncode == 0, add.stderr
    done, modules = _loaded_after(home, "cat", add.stdout.decode().strip())
    assert done.returncode == 0 and done.stdout == b"x" * 100
    assert not _heavy(modules)
    # cmd_add registers cat; cmd_bao lends it ``clip`` (Bao slices); no other command is loaded
    assert {m for m in modules if m.startswith("autocodec.cli.cmd_")} <= {"autocodec.cli.cmd_add",
                                                                          "autocodec.cli.cmd_bao"}


def test_import_autocodec_leaves_the_limits_until_asked_and_exports_them(tmp_path: Path) -> None:
    probe = ("import sys, autocodec\nassert 'autocodec.config' not in sys.modules\n"
             "from autocodec import *\nfrom autocodec.config import DEFAULT_LIMITS as D, Limits as L\n"
             "assert Limits is L and DEFAULT_LIMITS is D and autocodec.Limits is L\n"
             "assert {'Limits', 'DEFAULT_LIMITS', 'CID', 'Runtime'} <= set(autocodec.__all__) <= set(dir(autocodec))\n")
    done = subprocess.run([sys.executable, "-c", probe], cwd=REPO, capture_output=True, timeout=300)
    assert done.returncode == 0, done.stderr


def _top_commands(parser: object) -> dict[str, object]:
    return _app._subcommands(parser)  # type: ignore[arg-type]


def test_each_command_alone_is_the_command_of_the_whole_parser() -> None:
    """Registering only the module ``_command_modules`` picks for a command gives that command the
    same parser (same help, same options) as registering every module: the map is complete."""
    whole = _top_commands(_app.build_parser([]))
    for name, full in whole.items():
        modules = _app._command_modules([name])
        assert len(modules) == 1, name
        alone = _top_commands(_app.build_parser([name]))
        assert name in alone and len(alone) <= 2 < len(whole), (name, modules, list(alone))
        assert alone[name].format_help() == full.format_help(), name  # type: ignore[attr-defined]
        for sub, parser in _top_commands(full).items():
            assert _top_commands(alone[name])[sub].format_help() == parser.format_help(), (name, sub)  # type: ignore[attr-defined]


@pytest.mark.parametrize("argv", [[], ["--help"], ["catt"], ["cmd_add"], ["-v"], ["--home", "cat"]])
def test_no_command_named_registers_every_module(argv: list[str]) -> None:
    assert _app._command_modules(argv) == sorted(
        p.stem for p in (REPO / "autocodec" / "cli").glob("cmd_*.py"))


def test_block_get_of_a_stored_block_starts_no_extension_runtime_and_says_the_same(tmp_path: Path) -> None:
    home = tmp_path / "home"
    env = {**os.environ, "AUTOCODEC_HOME": str(home)}
    put = subprocess.run([sys.executable, "-m", "autocodec", "block", "put"], input=b"\x00one block\xff",
                         env=env, cwd=REPO, capture_output=True, timeout=300)
    assert put.returncode == 0, put.stderr
    cid = put.stdout.decode().strip()
    done, modules = _loaded_after(home, "block", "get", cid)
    assert done.returncode == 0 and done.stdout == b"\x00one block\xff"
    assert not _heavy(modules)
    missing = "bafkreih7yq2sx5dl6dhcrnuqjrdpi4k5nxewkxpfnxhr6dwtatdkknodmu"  # not stored: the runtime's answer
    done, modules = _loaded_after(home, "block", "get", missing)
    assert done.returncode == 1 and done.stdout == b""
    assert done.stderr.decode().startswith(f"autocodec: BlockNotFound: block {missing} is not in the local store")
    assert "autocodec.registry" in modules


def test_the_parser_still_refuses_a_metavar_tuple_that_does_not_fit_nargs() -> None:
    """``Parser.add_argument`` checks metavars with a shared formatter (start-up): still checked."""
    parser = _app.Parser(prog="autocodec")
    with pytest.raises(ValueError, match="metavar"):
        parser.add_argument("--pair", nargs=2, metavar=("ONE",))
    parser.add_argument("--pair", nargs=2, metavar=("ONE", "TWO"))
    assert "--pair ONE TWO" in parser.format_help()


def test_version_with_a_home_that_cannot_expand_is_refused_as_before(tmp_path: Path) -> None:
    done, _modules = _loaded_after(tmp_path / "home", "--home", "~no-such-user-here", "version")
    assert done.returncode == 1 and done.stdout == b""
    assert done.stderr.decode().startswith("autocodec: ConfigError: cannot expand '~no-such-user-here'")
