"""The two writers that see the errno themselves, a Bao blob (``bao add``) and a key file (``key
gen``), call a write past the process's file size limit (``RLIMIT_FSIZE``: ``EFBIG``) what the
block store calls it since c0bf14b: ``FileSizeLimit``, saying to raise the limit. It was
``StorageFull`` ("free disk space (or raise the file size limit)") for a blob and ``ConfigError``
("check that .../keys is writable") for a key. A full disk stays ``StorageFull``.

Each case runs the real command in a child under a real limit. The child starts with SIGXFSZ at
its default (killing), as under a shell's ``ulimit -f``: CPython ignores SIGXFSZ at start-up, so
the write fails with ``EFBIG`` and the command refuses in one line instead of being killed.
"""

from __future__ import annotations

import errno
import os
import resource
import shutil
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from autocodec.bao._blobs import BlobStore
from autocodec.errors import ConfigError, FileSizeLimit, StoreError
from autocodec.verify._keyring import _write_error
from tests import _homes
from tests._cli import file_size_limit_line, run_cli, run_cli_limited

pytestmark = pytest.mark.slow


def _one_line(proc: subprocess.CompletedProcess[bytes], kind: str) -> str:
    err = proc.stderr.decode(errors="replace")
    assert proc.returncode == 1, (proc.returncode, err)  # -25 would be killed by SIGXFSZ
    assert err.count("\n") == 1 and "Traceback" not in err, err
    assert err.startswith(f"autocodec: {kind}: "), err
    return err


home = _homes.initialised_home  # tmp_path / "home" after `autocodec init`


def test_bao_add_past_the_file_size_limit_leaves_no_part_and_the_store_works(home: Path, tmp_path: Path) -> None:
    (tmp_path / "small").write_bytes(os.urandom(10_000))
    kept = run_cli(home, "bao", "add", str(tmp_path / "small")).stdout.decode().strip()
    big = tmp_path / "big"
    big.write_bytes(os.urandom(3 << 20))
    limit = 1 << 20
    err = file_size_limit_line(run_cli_limited(home, "bao", "add", str(big), max_bytes=limit), limit)
    assert f"cannot store a blob in {home / 'bao'}: File too large" in err, err
    assert sorted(p.name for p in (home / "bao").iterdir()) == [f"{kept}.bao"]  # no .part, no cut blob
    assert run_cli(home, "bao", "cat", kept).stdout == (tmp_path / "small").read_bytes()
    (tmp_path / "other").write_bytes(os.urandom(20_000))  # the same limit still takes a blob that fits
    other = run_cli_limited(home, "bao", "add", str(tmp_path / "other"), max_bytes=limit)
    assert other.returncode == 0, other.stderr.decode()
    cid = run_cli(home, "bao", "add", str(big)).stdout.decode().strip()  # and without it the big one
    assert run_cli(home, "bao", "cat", cid).stdout == big.read_bytes()


@pytest.mark.parametrize("limit", [0, 100])
def test_key_gen_past_the_file_size_limit_leaves_no_key_file(home: Path, limit: int) -> None:
    run_cli(home, "key", "gen", "alice")
    err = file_size_limit_line(run_cli_limited(home, "key", "gen", "bob", max_bytes=limit), limit)
    assert f"cannot write key 'bob' in {home / 'keys'}" in err, err
    assert sorted(p.name for p in (home / "keys").iterdir()) == ["alice.did", "alice.pem"]
    assert run_cli(home, "key", "list").stdout.decode().count("\n") == 1
    did = run_cli(home, "key", "gen", "bob").stdout.decode().strip()  # the name is free
    assert run_cli(home, "key", "show", "bob").stdout.decode().strip() == did


def test_efbig_under_no_limit_is_not_called_a_size_limit(tmp_path: Path) -> None:
    """``EFBIG`` with RLIMIT_FSIZE unlimited is the file system's largest file (FAT's 4 GiB):
    raising the limit would not help, and freeing space neither. Not reproducible here without
    writing gigabytes, so the classification is checked on the error itself."""
    if resource.getrlimit(resource.RLIMIT_FSIZE)[0] != resource.RLIM_INFINITY:
        pytest.skip("this test process runs under a file size limit")
    efbig = OSError(errno.EFBIG, os.strerror(errno.EFBIG))
    blob = BlobStore(tmp_path)._cannot_store(efbig)
    assert type(blob) is StoreError and "cannot hold a file this large" in str(blob), blob
    assert "file size limit" not in str(blob) and "free disk space" not in str(blob)
    key = _write_error("bob", tmp_path / "bob.pem", efbig)
    assert type(key) is ConfigError and not isinstance(key, FileSizeLimit)


# --- a full disk is still StorageFull ---------------------------------------------------------------


@contextmanager
def _tmpfs(at: Path) -> Iterator[Path]:
    at.mkdir(parents=True, exist_ok=True)
    made = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64m", "tmpfs", str(at)], capture_output=True)
    if made.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here ({made.stderr.decode(errors='replace').strip()})")
    try:
        yield at
    finally:
        subprocess.run(["umount", "-l", str(at)], check=True)


def _fill_to(mnt: Path, free: int) -> None:
    st = os.statvfs(mnt)
    used = (st.f_blocks - st.f_bfree) * st.f_frsize
    subprocess.run(["mount", "-o", f"remount,size={used + free}", str(mnt)], check=True)


@pytest.mark.skipif(os.geteuid() != 0 or shutil.which("mount") is None, reason="needs root to mount a tmpfs")
def test_a_full_disk_is_still_storage_full(home: Path, tmp_path: Path) -> None:
    big = tmp_path / "big"
    big.write_bytes(os.urandom(3 << 20))
    with _tmpfs(tmp_path / "mnt") as mnt:
        shutil.copytree(home, mnt / "home")
        full_home = mnt / "home"
        (full_home / "bao").mkdir(exist_ok=True)
        (full_home / "keys").mkdir(mode=0o700, exist_ok=True)
        _fill_to(mnt, 1 << 20)
        env = {**os.environ, "AUTOCODEC_HOME": str(full_home)}
        proc = subprocess.run([sys.executable, "-m", "autocodec", "bao", "add", str(big)], env=env,
                              capture_output=True, timeout=120)
        err = _one_line(proc, "StorageFull")
        assert "No space left on device" in err and "free disk space" in err and "file size limit" not in err, err
        assert list((full_home / "bao").iterdir()) == []
        _fill_to(mnt, 0)
        proc = subprocess.run([sys.executable, "-m", "autocodec", "key", "gen", "bob"], env=env,
                              capture_output=True, timeout=120)
        err = _one_line(proc, "StorageFull")
        assert f"cannot write key 'bob' in {full_home / 'keys'}: No space left on device" in err, err
        assert "free disk space" in err and "file size limit" not in err, err
        assert list((full_home / "keys").iterdir()) == []
