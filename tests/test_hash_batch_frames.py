"""The frame of ``ac_hash_batch`` (docs/abi.md), as every shipped module that batches reads it
(``wasm-src/include/ac.h``'s ``ac_batch_*``): a malformed frame is a typed error naming the
module, never a trap or a digest of bytes outside the frame."""

from __future__ import annotations

import pytest

from autocodec.errors import GuestError
from autocodec.loader import Sandbox

from .conftest import WASM_SRC

MALFORMED = [
    b"", b"\x01\x00", b"\x02\x00\x00\x00\x01\x00\x00\x00a",  # short count; two counted, one there
    b"\x01\x00\x00\x00\x05\x00\x00\x00ab",  # an input's length past the end
    b"\x01\x00\x00\x00\x01\x00\x00\x00abc",  # bytes after the last input
    b"\xff\xff\xff\xff",  # a count larger than the frame could hold
]


@pytest.mark.parametrize("name", ["blake3", "keccak-256", "keccak-512"])
@pytest.mark.parametrize("frame", MALFORMED)
def test_malformed_batches_are_refused(name: str, frame: bytes) -> None:
    loaded = Sandbox().load((WASM_SRC / name / f"{name}.wasm").read_bytes())
    assert "ac_hash_batch" in loaded.info.exports
    with pytest.raises(GuestError, match=f"^{name}: "):
        loaded.run("ac_hash_batch", frame)
