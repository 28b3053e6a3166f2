"""``publish_module`` reads a vectors file under the home's ``limits.trust.max_vectors_bytes``.

It called ``read_bytes()``: a vectors file of any size was read whole before anything refused it
(measured, a sparse 1 GiB vectors.json beside git-raw: 3.95 s, 1080 MiB peak RSS, then "not
valid DAG-JSON ... over max_block_bytes"; now 0.16 s, 57 MiB, VectorsTooLarge from its size).
Real module (wasm-src/git-raw), real homes, real keys; no mocks."""

from __future__ import annotations

import shutil
from dataclasses import replace
from pathlib import Path

import pytest

from autocodec.config import DEFAULT_LIMITS, Limits
from autocodec.errors import InvalidInput
from autocodec.registry import Runtime, publish_module
from autocodec.registry._publish import VectorsTooLarge, read_vectors
from autocodec.verify import KeyRing
from tests._cli import refusal_line, run_cli

REPO = Path(__file__).resolve().parents[1]
GIT_RAW = REPO / "wasm-src" / "git-raw"
SIZE = (GIT_RAW / "vectors.json").stat().st_size


def _publish(tmp_path: Path, limit: int, vectors: Path) -> object:
    limits = replace(Limits(), trust=replace(Limits().trust, max_vectors_bytes=limit))
    with Runtime(tmp_path / "home", default_set=False, limits=limits) as rt:
        key = KeyRing(rt.home.keys_dir).generate("k")
        return publish_module(rt, GIT_RAW / "git-raw.wasm", key, vectors=vectors)


def test_vectors_one_byte_over_the_homes_limit_are_refused(tmp_path: Path) -> None:
    with pytest.raises(VectorsTooLarge, match=f"{SIZE} bytes, over the {SIZE - 1}-byte vectors limit") as info:
        _publish(tmp_path, SIZE - 1, GIT_RAW / "vectors.json")
    assert "max_vectors_bytes" in (info.value.hint or "") and "--" not in (info.value.hint or "")
    assert isinstance(info.value, InvalidInput)


def test_vectors_at_the_limit_publish(tmp_path: Path) -> None:
    assert _publish(tmp_path, SIZE, GIT_RAW / "vectors.json").cases > 0  # type: ignore[attr-defined]


def test_a_huge_vectors_file_is_refused_from_its_size(tmp_path: Path) -> None:
    vectors = tmp_path / "vectors.json"
    with open(vectors, "wb") as stream:
        stream.truncate(64 << 20)  # sparse: no disk, and the old code read 64 MiB of it
    with pytest.raises(VectorsTooLarge, match=f"is {64 << 20} bytes, over the {16 << 20}-byte"):
        _publish(tmp_path, 16 << 20, vectors)


def test_a_file_whose_size_says_nothing_is_read_no_further_than_the_limit() -> None:
    # /dev/zero has size 0 and no end: the bounded read refuses it after limit + 1 bytes, as it
    # does a file that grew after its size was taken
    with pytest.raises(VectorsTooLarge, match="holds more than the 1000-byte vectors limit"):
        read_vectors(Path("/dev/zero"), 1000)


@pytest.mark.slow  # the CLI in a child process
def test_cli_publish_refuses_in_one_line(tmp_path: Path) -> None:
    home = tmp_path / "home"
    run_cli(home, "key", "gen", "ann")
    folder = tmp_path / "mod"
    folder.mkdir()
    shutil.copy(GIT_RAW / "git-raw.wasm", folder)
    with open(folder / "vectors.json", "wb") as stream:
        stream.truncate(DEFAULT_LIMITS.trust.max_vectors_bytes + 1)  # the default limit, one byte over
    proc = run_cli(home, "publish", str(folder / "git-raw.wasm"), "--key", "ann", check=False)
    line = refusal_line(proc.returncode, proc.stdout, proc.stderr.decode())
    assert f"over the {DEFAULT_LIMITS.trust.max_vectors_bytes}-byte vectors limit" in line and "[limits.trust]" in line
