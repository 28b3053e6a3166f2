"""Run the ``autocodec`` command: as a separate process on a given home (end-to-end tests), or
in this process (``main_here``, for the parser's refusals; ``here``, the folder such a run works in).
``fresh_log_stream``: an autouse fixture for a module that binds it, structlog set up afresh for each test."""

from __future__ import annotations

import os
import re
import resource
import signal
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest


def run_cli(home: Path, *args: str, check: bool = True, stdin: bytes | None = None,
            timeout: float = 120) -> subprocess.CompletedProcess[bytes]:
    """``python -m autocodec ARGS`` with ``AUTOCODEC_HOME=home``; raises with stderr unless ``check`` is off."""
    env = {**os.environ, "AUTOCODEC_HOME": str(home)}
    proc = subprocess.run([sys.executable, "-m", "autocodec", *args], env=env, capture_output=True, input=stdin,
                          timeout=timeout)
    if check and proc.returncode != 0:
        raise AssertionError(f"autocodec {' '.join(args)} exited {proc.returncode}: {proc.stderr.decode()}")
    return proc


def published_set(home: Path, name: str, module: Path) -> tuple[str, str]:
    """With the CLI on ``home``: key ``k`` made, ``module`` published with it, and a set ``name``
    listing that one manifest made and published (signed by ``k``). The manifest's CID and the
    set's index CID, as the commands printed them."""
    run_cli(home, "key", "gen", "k")
    manifest = run_cli(home, "publish", str(module), "--key", "k").stdout.decode().strip()
    run_cli(home, "set", "init", name, "--key", "k")
    run_cli(home, "set", "add", name, manifest)
    return manifest, run_cli(home, "set", "publish", name).stdout.decode().strip()


def set_version(home: Path, name: str) -> tuple[int, str]:
    """The index version and CID ``set show NAME`` names (``set NAME: root v1 CID; index vN CID``)."""
    head = run_cli(home, "set", "show", name).stdout.decode().splitlines()[0]
    match = re.search(r"; index v(\d+) (\S+)", head)
    assert match, head
    return int(match.group(1)), match.group(2)


def file_size_limited(max_bytes: int, sigxfsz: signal.Handlers = signal.SIG_DFL) -> Callable[[], None]:
    """A ``preexec_fn``: the child's file size limit (``RLIMIT_FSIZE``) at ``max_bytes``, its SIGXFSZ
    ``sigxfsz`` (by default as a shell leaves it, killing; CPython ignores it at start-up)."""
    def apply() -> None:
        signal.signal(signal.SIGXFSZ, sigxfsz)
        resource.setrlimit(resource.RLIMIT_FSIZE, (max_bytes, max_bytes))

    return apply


def run_cli_limited(home: Path, *args: str, max_bytes: int,
                    sigxfsz: signal.Handlers = signal.SIG_DFL) -> subprocess.CompletedProcess[bytes]:
    """``run_cli`` (unchecked) in a child under a file size limit of ``max_bytes`` (``file_size_limited``)."""
    env = {**os.environ, "AUTOCODEC_HOME": str(home)}
    return subprocess.run([sys.executable, "-m", "autocodec", *args], env=env, capture_output=True, timeout=120,
                          preexec_fn=file_size_limited(max_bytes, sigxfsz))


def file_size_limit_line(proc: subprocess.CompletedProcess[bytes], limit: int) -> str:
    """The one line of a ``FileSizeLimit`` refusal under ``limit``, after asserting its shape: exit 1
    (not killed by SIGXFSZ), no traceback, the limit named with the shell's word for it, and none of
    the advice for a full disk or a folder not writable."""
    err = proc.stderr.decode(errors="replace")
    assert proc.returncode == 1, (proc.returncode, err)  # -25 would be killed by SIGXFSZ
    assert err.count("\n") == 1 and "Traceback" not in err, err
    assert err.startswith("autocodec: FileSizeLimit: "), err  # was: StoreError "disk I/O error", StorageFull, ConfigError
    assert f"file size limit of {limit} bytes" in err and "(the shell's ulimit, RLIMIT_FSIZE)" in err, err
    assert "free disk space" not in err and "is writable" not in err, err
    return err


def refusal_line(status: int, out: bytes, err: str, usage: bool = False) -> str:
    """The one line a refusal printed, after asserting its shape: exit 1 (for a usage error too,
    as Kubo 0.43.1), no traceback, nothing on stdout, one line on stderr: ``autocodec: `` and the
    error, or for a usage error ``autocodec COMMAND: error: `` and where the options are listed."""
    assert status == 1, err
    assert "Traceback" not in err and not out, err
    lines = err.splitlines()
    assert len(lines) == 1 and lines[0].startswith("autocodec"), err
    if usage:
        assert re.fullmatch(r"autocodec[a-z0-9 -]*: error: .* \(see `autocodec[a-z0-9 -]* --help`\)", lines[0]), err
    else:
        assert lines[0].startswith("autocodec: "), err
    return lines[0]


@pytest.fixture(autouse=True)
def fresh_log_stream() -> None:
    """structlog configured afresh for each test of a module that binds this: it writes to this
    test's stderr (a CLI test run before may have bound a capture since closed), through the whole
    pipeline (so ``capture_logs`` sees the library's records)."""
    from autocodec import log

    log.configure()


@pytest.fixture
def here(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A home and a folder holding ``a.txt``, the working directory of an in-process run."""
    monkeypatch.setenv("AUTOCODEC_HOME", str(tmp_path / "home"))
    (tmp_path / "a.txt").write_bytes(b"a file\n")
    monkeypatch.chdir(tmp_path)
    return tmp_path


def main_here(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[object, str, str]:
    """``autocodec.cli.main(argv)`` in this process: its status (an exit's code), stdout and stderr.

    Logging is put back as it was afterwards (structlog's configuration and ``autocodec.log``'s
    state): an in-process ``-v`` would otherwise leave verbose logging for the rest of the
    pytest process, and later tests' one-line checks would see its records."""
    import structlog

    from autocodec import log
    from autocodec.cli._app import main

    saved, configured = structlog.get_config(), log._configured
    try:
        status: object = main(list(argv))
    except SystemExit as ended:
        status = ended.code
    finally:
        structlog.configure(**saved)
        log._configured = configured
        log._version += 1  # loggers bound under the call's pipeline bind again
    out, err = capsys.readouterr()
    return status, out, err
