"""Found in the review of dag import's decode check (6b9bf8a): a CAR section whose bytes are not
its CID's and do not decode under its codec was reported as a decode failure (``import failed at
block "CID": dag-cbor: ...``). Kubo 0.43.1's ``dag import`` checks the bytes against the CID
first (measured: ``import failed: mismatch in content integrity``), so the error is the hash
mismatch, here as for a section whose wrong bytes do decode.
"""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from autocodec.builtin import cid_for
from autocodec.store import CarWriter
from tests import _cli
from tests._cli import main_here

here = _cli.here  # a home and a working folder for an in-process run


@pytest.mark.parametrize("codec, data", [("dag-cbor", b"\xa1\x61"), ("dag-pb", b"\xff\xff\xff"),
                                         ("dag-json", b"{not json"), ("dag-cbor", b"\xa0")])
def test_bytes_not_their_cids_are_a_hash_mismatch_not_a_decode_error(
        codec: str, data: bytes, here: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Fails on 6b9bf8a for the three blocks that do not decode (it named the decoder)."""
    cid = cid_for(b"other bytes", codec)
    out = io.BytesIO()
    CarWriter(out, [cid]).write(cid, data)
    (here / "bad.car").write_bytes(out.getvalue())
    status, stdout, err = main_here(capsys, "dag", "import", "--pin-roots=false", "bad.car")
    assert status == 1 and not stdout, (stdout, err)
    assert "Traceback" not in err and len(err.splitlines()) == 1, err
    assert "HashMismatch" in err and f"does not match {cid}" in err and "import failed at block" not in err, err
