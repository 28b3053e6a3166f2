"""Three small defects from the audits: a Bao input that fails on read is named with its role;
plain ``get`` of a node dated at Go's zero time writes the time of the call (as Kubo 0.43.1's
``ipfs get``); a verifier refusing its input says so, not the codec hint.

Each row failed on the code before it: the Bao read error was ``OSError: Input/output error``
naming no file; ``get`` dated the file 1901-12-13 (Go's zero time clamped by the file system);
a Bao decode stream's ``GuestError`` hint was "these bytes are not a valid block of the codec".
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from autocodec.cid import CID, encode_varint
from autocodec.errors import GuestError
from autocodec.loader import Sandbox
from autocodec.loader._verifier import MODE_COMBINED, PARAMS_HINT, REFUSED_HINT, Subtree, Verifier
from autocodec.unixfs._pb import UnixfsData, encode

ROOT = Path(__file__).resolve().parent.parent
BAO_WASM = ROOT / "wasm-src" / "bao" / "bao.wasm"
GO_ZERO_TIME = -62_135_596_800  # 0001-01-01T00:00:00Z, Go's time.Time{}
EIO = "/proc/self/mem"  # reading its offset 0 (never mapped) fails with EIO


def _cli(home: Path, *args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "autocodec", "--home", str(home), *args], capture_output=True,
                          text=True, timeout=120, cwd=cwd)


# --- 1. bao: a read error names the file and its role ---------------------------------------------


@pytest.fixture(scope="module")
def bao_files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    where = tmp_path_factory.mktemp("bao")
    home = where / "home"
    content = where / "c.bin"
    content.write_bytes(bytes(range(256)) * 20)
    for args in (("c.bin", "c.bao"), ("c.bin", "--outboard", "c.obao")):
        assert _cli(home, "bao", "encode", *args, cwd=where).returncode == 0
    root = _cli(home, "bao", "hash", str(content)).stdout.strip()
    return {"home": str(home), "dir": str(where), "hash": root}


READS = {  # command (M: the failing file, H: the root hash) -> the role named
    "hash M": "input",
    "hash M c.bin": "input",
    "encode M out.bao": "input",
    "encode M --outboard out.obao": "input",
    "add M": "input",
    "decode H M out": "encoding",
    "decode H M --outboard c.obao out": "content",
    "decode H c.bin --outboard M out": "outboard",
    "decode-slice H 0 10 M out": "slice",
    "slice 0 10 M out": "encoding",
    "slice 0 10 M --outboard c.obao out": "content",
    "slice 0 10 c.bin --outboard M out": "outboard",
}


@pytest.mark.skipif(not os.path.exists(EIO), reason="needs Linux's /proc/self/mem")
@pytest.mark.parametrize("command", list(READS))
def test_bao_read_error_names_the_file(bao_files: dict[str, str], command: str) -> None:
    args = [{"M": EIO, "H": bao_files["hash"]}.get(word, word) for word in command.split()]
    done = _cli(Path(bao_files["home"]), "bao", *args, cwd=Path(bao_files["dir"]))
    assert done.returncode == 1
    assert done.stderr.splitlines()[0] == (f"autocodec: InvalidInput: cannot read the {READS[command]} {EIO}: "
                                           "Input/output error (check the input and the disk it is on)")
    assert "Traceback" not in done.stderr


def test_bao_output_errors_stay_their_own(bao_files: dict[str, str]) -> None:
    """A write that fails is the output's error, never taken for a read of an input."""
    if not os.path.exists("/dev/full"):
        pytest.skip("needs /dev/full")
    for args in (["encode", "c.bin", "/dev/full"], ["decode", bao_files["hash"], "c.bao", "/dev/full"]):
        done = _cli(Path(bao_files["home"]), "bao", *args, cwd=Path(bao_files["dir"]))
        assert done.returncode == 1
        assert done.stderr.startswith("autocodec: OutputError: cannot write /dev/full"), done.stderr


# --- 2. get: Go's zero time is no mtime -------------------------------------------------------------


def _dated_file(seconds: int, nanos: int = 0) -> tuple[CID, bytes]:
    """A dag-pb UnixFS file ``hi\\n`` carrying the mtime ``seconds``/``nanos`` (our ``add`` stores
    none at Go's zero time, as Kubo's does, so the node is built here)."""
    data = encode(UnixfsData(type=2, data=b"hi\n", filesize=3, mtime=(seconds, nanos)))
    block = b"\x0a" + encode_varint(len(data)) + data
    return CID.build(0x70, b"\x12\x20" + hashlib.sha256(block).digest()), block


def _our_get(tmp_path: Path, seconds: int, nanos: int = 0) -> int:
    cid, block = _dated_file(seconds, nanos)
    home, out = tmp_path / "home", tmp_path / "out"
    out.mkdir()
    put = subprocess.run([sys.executable, "-m", "autocodec", "--home", str(home), "block", "put", "--format=dag-pb",
                          "--mhtype=sha2-256"], input=block, capture_output=True, timeout=120)
    assert put.stdout.decode().strip() == str(cid), put.stderr
    done = _cli(home, "get", "--offline", str(cid), "-o", "f", cwd=out)
    assert done.returncode == 0, done.stderr
    return (out / "f").stat().st_mtime_ns


def test_get_of_go_zero_time_writes_now(tmp_path: Path) -> None:
    before = time.time_ns() - 2_000_000_000  # the file system's clock may trail ours by a tick
    assert _our_get(tmp_path, GO_ZERO_TIME) >= before


def test_get_one_nanosecond_past_zero_time_keeps_it(tmp_path: Path) -> None:
    """Only exactly Go's zero time is none: one nanosecond later is a date (clamped by the file
    system to its earliest), as Kubo writes it."""
    assert _our_get(tmp_path, GO_ZERO_TIME, 1) < 0


@pytest.mark.slow
@pytest.mark.ipfs
@pytest.mark.parametrize("nanos", [0, 1])
def test_kubo_get_dates_them_the_same(tmp_path: Path, nanos: int) -> None:
    """Kubo 0.43.1's ``ipfs get`` of the same node: the time of the call at zero time, the old
    date one nanosecond later (measured: 2026-12-07, 1901-12-13T20:45:52Z)."""
    from tests._kubo import KuboRepo, require_kubo

    require_kubo()
    cid, block = _dated_file(GO_ZERO_TIME, nanos)
    kubo = KuboRepo.create(tmp_path / "kubo")
    kubo.import_blocks({cid: block})
    out = tmp_path / "kubo-out"
    out.mkdir()
    before = time.time_ns() - 2_000_000_000
    kubo.ipfs("get", str(cid), "-o", str(out / "f"))
    theirs = (out / "f").stat().st_mtime_ns
    (tmp_path / "ours").mkdir()
    ours = _our_get(tmp_path / "ours", GO_ZERO_TIME, nanos)
    if nanos == 0:
        assert theirs >= before and ours >= before
    else:
        assert theirs == ours < 0


# --- 3. a verifier refusing its input says so ------------------------------------------------------


@pytest.fixture(scope="module")
def verifier() -> Verifier:
    return Verifier(Sandbox().load(BAO_WASM.read_bytes()))


def test_a_refused_encoding_has_the_verifier_hint(verifier: Verifier) -> None:
    import blake3

    dec = verifier.decoder(blake3.blake3(b"hi\n").digest(), MODE_COMBINED)
    dec.update(b"", b"\x03" + bytes(7))  # the length header, then nothing: the encoding ends early
    with pytest.raises(GuestError) as caught:
        dec.final()
    assert caught.value.hint == REFUSED_HINT
    assert "codec" not in caught.value.one_line() and "ended early" in caught.value.message
    assert caught.value.module is not None  # still names its module


def test_refused_parameters_say_so(verifier: Verifier) -> None:
    with pytest.raises(GuestError) as caught:
        verifier.decoder(bytes(32), MODE_COMBINED, subtree=Subtree(8, 4096), group_log=4)
    assert caught.value.hint == PARAMS_HINT
    assert "codec" not in caught.value.one_line()
