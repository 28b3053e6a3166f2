"""Secrets and private data stay where they belong: a passphrase read from the environment
reaches no child process, a new home is private whatever the umask, and what a remote client
of ``serve`` receives names no local folder or credential. Real processes, real keys."""

from __future__ import annotations

import os

import subprocess
import sys
import textwrap
from pathlib import Path


from ._cli import run_cli

SECRET = "pa55-0f-helper-46"


def _spying_cli(home: Path, spy_log: Path, *args: str, env: dict[str, str]) -> subprocess.CompletedProcess[bytes]:
    """``autocodec ARGS`` in a process whose ``sys.executable`` is a shell script that appends its
    environment to ``spy_log`` and then runs the real Python: every Python child autocodec starts
    (the compile child) is seen with the environment it was given."""
    spy = spy_log.with_suffix(".sh")
    spy.write_text(f'#!/bin/sh\nenv >> "{spy_log}"\necho "--- $*" >> "{spy_log}"\nexec "{sys.executable}" "$@"\n')
    spy.chmod(0o700)
    code = textwrap.dedent(f"""
        import sys
        sys.executable = {str(spy)!r}
        from autocodec.cli import main
        sys.exit(main(sys.argv[1:]))
    """)
    return subprocess.run([sys.executable, "-c", code, *args], capture_output=True, timeout=120,
                          env={**os.environ, **env, "AUTOCODEC_HOME": str(home)})


def test_a_passphrase_from_the_environment_reaches_no_child_process(tmp_path: Path) -> None:
    home = tmp_path / "home"
    run_cli(home, "init")
    # every module is compiled in a child process (the bounded compiler), so a run starts one
    (home / "config.toml").write_text("[limits.sandbox]\ninline_compile_bytes = 1\n")
    env = {"PASS": SECRET}
    gen = subprocess.run([sys.executable, "-m", "autocodec", "key", "gen", "enc", "--passphrase-env", "PASS"],
                         capture_output=True, timeout=60, env={**os.environ, **env, "AUTOCODEC_HOME": str(home)})
    assert gen.returncode == 0, gen.stderr
    spy_log = tmp_path / "spy.log"
    job = ("run", "ipld-select", "keys", "--arg", '{"b": 1, "a": 2}', "--arg", '""', "--key", "enc",
           "--passphrase-env", "PASS")
    proc = _spying_cli(home, spy_log, *job, env=env)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.decode().splitlines()[1] == '["a","b"]'  # decrypted, signed and run
    seen = spy_log.read_text()
    assert "autocodec.loader._compile" in seen  # the spy saw the compile child start
    assert SECRET not in seen and "PASS=" not in seen

