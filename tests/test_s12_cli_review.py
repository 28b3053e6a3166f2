"""Review of the CLI sweep (9d20d79, 5721a36, 056728b, 8039607): the defects the sweep left.

- A wing's reads (``ucan revoked``, ``ucan validate``) opened the home's database read-write: on a
  read-only home they failed ("unable to open database file") where block reads work.
- ``Runtime.add_local_module(path)`` read the file whole, past the sandbox's module cap
  (``/dev/zero`` grew until memory ran out), where the CLI's ``--module`` stops at the cap.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests._cli import refusal_line, run_cli


def _can_mount_read_only() -> bool:
    if shutil.which("unshare") is None:
        return False
    try:
        probe = subprocess.run(["unshare", "-rm", "sh", "-c", 'mount --bind "$1" "$1" && '
                                'mount -o remount,bind,ro "$1"', "sh", os.getcwd()],
                               capture_output=True, timeout=30)
    except (OSError, subprocess.SubprocessError):
        return False
    return probe.returncode == 0


_READ_ONLY = pytest.mark.skipif(not _can_mount_read_only(),
                                reason="needs Linux user and mount namespaces (unshare -rm) for a read-only home")


def _read_only_cli(home: Path, *args: str) -> subprocess.CompletedProcess[bytes]:
    """``autocodec ARGS`` on ``home`` bind-mounted read-only over itself (a user+mount namespace)."""
    script = 'mount --bind "$1" "$1" && mount -o remount,bind,ro "$1" && shift && exec "$@"'
    env = {**os.environ, "AUTOCODEC_HOME": str(home)}
    return subprocess.run(["unshare", "-rm", "sh", "-c", script, "sh", str(home), sys.executable, "-m", "autocodec",
                           *args], env=env, capture_output=True, stdin=subprocess.DEVNULL, timeout=120)


@_READ_ONLY
def test_ucan_reads_work_on_a_read_only_home(tmp_path: Path) -> None:
    """Was 'StoreError: cannot read the UCAN revocations: unable to open database file'."""
    home = tmp_path / "home"
    run_cli(home, "init", "--no-default-set")
    for name in ("alice", "bob"):
        run_cli(home, "key", "gen", name)
    bob = run_cli(home, "key", "show", "bob").stdout.decode().strip()
    token = tmp_path / "d.ucan"
    run_cli(home, "ucan", "delegate", "--key", "alice", "--to", bob, "--cmd", "/wasm/run", "-o", str(token))
    kept = tmp_path / "kept.ucan"
    run_cli(home, "ucan", "delegate", "--key", "alice", "--to", bob, "--cmd", "/wasm/run", "-o", str(kept))
    run_cli(home, "ucan", "revoke", str(token), "--key", "alice")
    listed = run_cli(home, "ucan", "revoked").stdout
    assert listed
    proc = _read_only_cli(home, "ucan", "revoked")
    assert (proc.returncode, proc.stdout) == (0, listed), proc.stderr
    proc = _read_only_cli(home, "ucan", "validate", str(kept))
    assert proc.returncode == 0, proc.stderr
    proc = _read_only_cli(home, "ucan", "validate", str(token))
    assert "revoked" in refusal_line(proc.returncode, proc.stdout, proc.stderr.decode()).lower()
    assert not (home / "x").exists()
    proc = _read_only_cli(home, "ucan", "revoke", str(kept), "--key", "alice")  # a write stays refused, one line
    refusal_line(proc.returncode, proc.stdout, proc.stderr.decode())


def test_add_local_module_reads_a_path_under_the_module_cap(tmp_path: Path) -> None:
    """``add_local_module('/dev/zero')`` read the file whole (under a 1 GiB address space: a
    MemoryError); now ``ModuleTooLarge`` at the sandbox's cap, in a fresh process so the limit
    is its own."""
    code = ("import sys, resource\n"
            "resource.setrlimit(resource.RLIMIT_AS, (1 << 30, 1 << 30))\n"
            "from autocodec.errors import ModuleTooLarge\n"
            "from autocodec.loader import Sandbox\n"
            "from autocodec.registry._local import LocalModules\n"
            "try:\n"
            "    LocalModules().add(Sandbox(), '/dev/zero')\n"
            "except ModuleTooLarge as exc:\n"
            "    print('ModuleTooLarge', exc)\n")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, timeout=120,
                          cwd=Path(__file__).resolve().parents[1])
    assert proc.returncode == 0, proc.stderr.decode()[-2000:]
    assert proc.stdout.decode().startswith("ModuleTooLarge /dev/zero is over the "), proc.stdout


def test_add_local_module_still_reads_a_real_module_and_refuses_a_folder(tmp_path: Path) -> None:
    from autocodec.errors import InvalidInput
    from autocodec.loader import Sandbox
    from autocodec.registry._local import LocalModules

    blake3 = Path(__file__).resolve().parents[1] / "wasm-src" / "blake3" / "blake3.wasm"
    loaded = LocalModules().add(Sandbox(), blake3)
    assert loaded.info.kind == "hasher"
    with pytest.raises(InvalidInput, match="cannot read module file"):
        LocalModules().add(Sandbox(), tmp_path)


# --- false refusals and silences of the sweep's fixes ---------------------------------------------


def test_module_build_rebuilds_into_its_output_and_refuses_a_link_to_a_source(tmp_path: Path) -> None:
    """5721a36 refused any existing non-.wasm file in the folder: ``module build DIR -o
    DIR/out.bin`` worked once and was refused the second time (its own earlier output); and it
    judged the name given, so ``-o link.wasm`` (a link to ``DIR/module.c``) replaced the C source."""
    home, folder = tmp_path / "home", tmp_path / "m"
    run_cli(home, "init", "--no-default-set")
    run_cli(home, "module", "new", str(folder), "--lang", "c", "--kind", "codec", "--name", "t", "--code", "0x300001")
    out = folder / "out.bin"
    run_cli(home, "module", "build", str(folder), "-o", str(out))
    first = out.read_bytes()
    run_cli(home, "module", "build", str(folder), "-o", str(out))  # was: 'it is a file of the module folder'
    assert out.read_bytes() == first
    source = (folder / "module.c").read_bytes()
    (tmp_path / "link.wasm").symlink_to(folder / "module.c")
    proc = run_cli(home, "module", "build", str(folder), "-o", str(tmp_path / "link.wasm"), check=False)
    assert "it is a file of the module folder" in refusal_line(proc.returncode, proc.stdout, proc.stderr.decode())
    assert (folder / "module.c").read_bytes() == source


def test_dev_stdout_on_a_pipe_is_written(tmp_path: Path) -> None:
    """``-o /dev/stdout`` (and ``/dev/fd/1``) with standard output a pipe: its real path
    ('/proc/N/fd/pipe:[M]') names nothing, so the output was taken for a new file beside it and
    refused ('cannot write /dev/stdout: No such file or directory')."""
    home = tmp_path / "home"
    run_cli(home, "init")
    content = tmp_path / "c.bin"
    content.write_bytes(os.urandom(5000))
    encoded = tmp_path / "c.bao"
    run_cli(home, "bao", "encode", str(content), str(encoded))
    digest = run_cli(home, "bao", "hash", str(content)).stdout.decode().split()[0]
    for out in ("/dev/stdout", "/dev/fd/1"):
        proc = run_cli(home, "bao", "decode", digest, str(encoded), out)  # capture_output: stdout is a pipe
        assert proc.stdout == content.read_bytes()


def test_add_progress_asked_for_is_shown_on_a_pipe(tmp_path: Path) -> None:
    """8039607 held a non-terminal's first progress line 5 s: ``add --progress`` of a quick
    stdin (no total, so no final line) wrote nothing on stderr, where Kubo 0.43.1 draws its bar;
    without ``--progress`` a pipe still gets none."""
    home = tmp_path / "home"
    run_cli(home, "init", "--no-default-set")
    asked = run_cli(home, "add", "--progress", stdin=b"hello\n")
    assert asked.stderr.startswith(b"add: 6 B"), asked.stderr
    assert run_cli(home, "add", stdin=b"hello\n").stderr == b""
