"""``autocodec cat -o/--offset -l/--length``, as Kubo v0.43.1's ``ipfs cat`` has them: for UnixFS
files the same bytes as Kubo's own CLI on the same file; for a BLAKE3 CID kept as a Bao blob a
verified slice (only the chunks covering the range are read and checked, so a corruption outside
the range does not matter and one inside it is refused)."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from autocodec.bao import BlobStore
from autocodec.cid import CID
from autocodec.cli import main
from tests._kubo import KuboRepo, require_kubo

from .conftest import WASM_SRC

WASM = WASM_SRC / "bao" / "bao.wasm"
DATA = random.Random(1923).randbytes(600_001)  # three 256 KiB UnixFS leaves; 586 Bao chunks
CASES = [(0, None), (6, 5), (262_143, 2), (262_100, 300_000), (599_990, None), (600_001, None),
         (700_000, 10), (0, 0), (10, 10**9)]


def _args(offset: int, length: int | None) -> list[str]:
    return ["-o", str(offset)] + ([] if length is None else ["-l", str(length)])


@pytest.mark.slow
def test_unixfs_cat_range_matches_kubo(tmp_path: Path, home: Path, capsysbinary: pytest.CaptureFixture[bytes]) -> None:
    require_kubo()
    src = tmp_path / "f.bin"
    src.write_bytes(DATA)
    repo = KuboRepo.create(tmp_path / "kubo")
    theirs = repo.ipfs("add", "-Q", src).stdout.decode().strip()
    assert main(["add", "-Q", str(src)]) == 0
    ours = capsysbinary.readouterr().out.decode().strip()
    assert ours == theirs
    for offset, length in CASES:
        want = repo.ipfs("cat", *_args(offset, length), theirs).stdout
        assert main(["cat", *_args(offset, length), ours]) == 0
        got = capsysbinary.readouterr().out
        end = None if length is None else offset + length
        assert got == want == DATA[offset:end], (offset, length)
    for flag, what in (("-o", "offset"), ("-l", "length")):
        with pytest.raises(SystemExit) as exc:
            main(["cat", flag, "-1", ours])
        assert exc.value.code != 0
        assert f"cannot specify negative {what}" in capsysbinary.readouterr().err.decode()  # Kubo's words


def test_blob_cat_range_is_a_verified_slice(tmp_path: Path, home: Path,
                                            capsysbinary: pytest.CaptureFixture[bytes]) -> None:
    assert main(["init", "--no-default-set"]) == 0
    capsysbinary.readouterr()
    src = tmp_path / "f.bin"
    src.write_bytes(DATA)
    module = ["--module", str(WASM)]
    assert main(["bao", *module, "add", str(src)]) == 0
    cid = capsysbinary.readouterr().out.decode().strip()
    assert cid.startswith("bafkr4i")
    for offset, length in CASES:
        assert main(["cat", *module, *_args(offset, length), cid]) == 0
        end = None if length is None else offset + length
        assert capsysbinary.readouterr().out == DATA[offset:end], (offset, length)
    store = BlobStore(home / "bao")
    stored = store.path(CID.parse(cid))
    bad = bytearray(stored.read_bytes())
    bad[store.content_offset(CID.parse(cid), 500_000)] ^= 0x04  # chunk 488
    stored.write_bytes(bytes(bad))
    assert main(["cat", *module, "-o", "1000", "-l", "300000", cid]) == 0  # the slice never reads chunk 488
    assert capsysbinary.readouterr().out == DATA[1000:301_000]
    assert main(["cat", *module, "-o", "499000", "-l", "5000", cid]) == 1
    captured = capsysbinary.readouterr()
    assert "chunk 488 " in captured.err.decode()
    assert captured.out == DATA[499_000:499_712]  # the verified chunk before it (487 ends at 499712), nothing after
