"""Logging as a library should: nothing configured at import or by a record; the application
(CLI) configures, and loggers made before that follow the configuration (issue 15)."""

from __future__ import annotations

import subprocess
import sys

import pytest


def _run(code: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120,
                          env={"PATH": "/usr/bin:/bin", "AUTOCODEC_LOG_LEVEL": ""})


@pytest.mark.slow
def test_importing_and_logging_configure_nothing_until_the_application_does() -> None:
    proc = _run(
        "import structlog, autocodec.registry, autocodec.verify\n"
        "from autocodec import log\n"
        "assert not structlog.is_configured(), 'configured at import'\n"
        "lg = log.get_logger('registry')\n"
        "lg.info('hidden-info')\n"
        "lg.warning('shown-warning', k=1)\n"
        "assert not structlog.is_configured(), 'configured by a record'\n"
        "log.configure(level='info', json=True)\n"
        "lg.info('after-configure', k=2)\n"
        "print('ok')\n")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "ok"  # records never reach stdout
    assert "hidden-info" not in proc.stderr and "shown-warning" in proc.stderr
    after = [line for line in proc.stderr.splitlines() if "after-configure" in line]
    assert len(after) == 1 and '"logger": "registry"' in after[0] and '"k": 2' in after[0]


@pytest.mark.slow
def test_a_failing_command_prints_one_line_and_verbose_shows_the_decisions(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """The library's warning records (a refused module) stay out of a failing command's one
    line unless the user asks for logs (-v)."""
    from autocodec.registry import Runtime
    from tests._cli import run_cli

    home = tmp_path / "home"
    run_cli(home, "init")
    with Runtime(home) as rt:
        module = rt.resolve("hasher", "keccak-256").module
    run_cli(home, "trust", "revoke", str(module))
    quiet = run_cli(home, "block", "put", "--hash", "keccak-256", stdin=b"hi\n", check=False)
    assert quiet.returncode == 1 and quiet.stderr.decode().count("\n") == 1, quiet.stderr
    assert quiet.stderr.startswith(b"autocodec: NotTrusted: hasher keccak-256 refused") and b"revoked" in quiet.stderr
    loud = run_cli(home, "-v", "block", "put", "--hash", "keccak-256", stdin=b"hi\n", check=False)
    assert loud.returncode == 1 and b"decision=refuse" in loud.stderr and b"policy=revoked" in loud.stderr
