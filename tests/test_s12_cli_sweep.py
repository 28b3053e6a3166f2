"""The CLI-wide hostile-input sweep (helper s12): the defects it found, each pinned, and the sweep
itself in small form (every command of the parser, every positional argument, a few hostile values).

Found: ``hash --module FILE`` and ``serve --module FILE`` read the module file whole, past the
home's module cap (``--module /dev/zero`` grew until the kernel killed the process, or was a
``MemoryError`` traceback under ``ulimit -v``), where every other ``--module`` command stops at the
cap; and an input a command reads whole that outgrows the memory it may have (``add
--ignore-rules-path /dev/zero`` under ``ulimit -v``) was a traceback, now one line. Endless inputs
run under an address-space limit here, so the old code fails fast instead of exhausting memory.
"""

from __future__ import annotations

import os
import resource
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from tests import _homes
from tests._cli import refusal_line

home = _homes.initialised_home  # after autocodec init, per test (tests/_homes.py)

_ADDRESS_SPACE = 1 << 30  # bytes: far above what these commands need, far below what /dev/zero gives


def _limited() -> Callable[[], None]:
    def apply() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (_ADDRESS_SPACE, _ADDRESS_SPACE))

    return apply


def _cli(home: Path, *args: str, limit: bool = True, timeout: float = 120) -> subprocess.CompletedProcess[bytes]:
    env = {**os.environ, "AUTOCODEC_HOME": str(home)}
    return subprocess.run([sys.executable, "-m", "autocodec", *args], env=env, capture_output=True,
                          stdin=subprocess.DEVNULL, timeout=timeout, preexec_fn=_limited() if limit else None)


def _line(proc: subprocess.CompletedProcess[bytes]) -> str:
    return refusal_line(proc.returncode, proc.stdout, proc.stderr.decode(errors="replace"))


@pytest.fixture()
def content(tmp_path: Path) -> Path:
    path = tmp_path / "content.bin"
    path.write_bytes(b"hello\n")
    return path


# --- the defects found ----------------------------------------------------------------------------


def test_hash_module_is_read_under_the_module_cap(home: Path, content: Path) -> None:
    """Was a ``MemoryError`` traceback (unlimited: killed by the kernel), the file read whole."""
    line = _line(_cli(home, "hash", "--module", "/dev/zero", str(content)))
    assert line.startswith("autocodec: ModuleTooLarge: /dev/zero is over the ") and "-byte module cap" in line


@pytest.mark.slow
def test_serve_module_is_read_under_the_module_cap_before_serving(home: Path) -> None:
    """Was a ``MemoryError`` traceback (unlimited: no answer until the kernel killed it)."""
    line = _line(_cli(home, "serve", "--port", "0", "--module", "/dev/zero"))
    assert line.startswith("autocodec: ModuleTooLarge: /dev/zero is over the ")


def test_hash_module_files_are_checked_as_the_other_commands_check_them(home: Path, tmp_path: Path,
                                                                        content: Path) -> None:
    """A module under the cap but not a module: the loader's refusal, one line (as before), and
    a real one still serves its hasher."""
    line = _line(_cli(home, "hash", "--module", str(content), str(content)))
    assert line.startswith("autocodec: ModuleRejected: ")
    blake3 = Path(__file__).resolve().parents[1] / "wasm-src" / "blake3" / "blake3.wasm"
    proc = _cli(home, "hash", "--module", str(blake3), "--hash", "blake3", str(content), limit=False)  # Wasm reserves
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.decode().startswith("1e20")


def test_out_of_memory_is_one_line(home: Path, content: Path) -> None:
    """An ignore-rules file read whole (as Kubo reads it) that outgrows the process's memory."""
    line = _line(_cli(home, "add", "--ignore-rules-path", "/dev/zero", str(content)))
    assert line == "autocodec: MemoryError: out of memory (give the command a smaller input, or more memory)"
