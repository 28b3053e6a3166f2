"""``dag import``, ``dag stat``, ``dag export`` and ``verify_cid`` beside Kubo 0.43.1 (s10).

Found: ``verify_cid`` returned for an identity CID before any size check, so an identity CID of
over 128 bytes (boxo verifcid's ``DefaultMaxIdentityDigestSize``; Kubo: "digest too large:
identity digest got 129 bytes, maximum 128") passed a gateway CAR's check until the store's put
refused it. Now ``DigestTooLong`` there too, in the store's words (one constant, one function).
"""

from __future__ import annotations

import os

import pytest

from autocodec.builtin import MAX_IDENTITY_DIGEST, verify_cid
from autocodec.cid import CID, encode_varint
from autocodec.errors import DigestTooLong


def _identity(size: int) -> tuple[CID, bytes]:
    data = os.urandom(size)
    return CID(b"\x01\x55\x00" + encode_varint(size) + data), data


@pytest.mark.parametrize("size", [0, 128, 129, 1024])
def test_verify_cid_refuses_an_identity_cid_over_128_bytes(size: int) -> None:
    """Fails on the old ``verify_cid`` for 129 and 1024 (both returned)."""
    assert MAX_IDENTITY_DIGEST == 128
    cid, data = _identity(size)
    if size <= 128:
        verify_cid(cid, data)
        return
    with pytest.raises(DigestTooLong, match=f"identity CID holds at most 128 bytes .*this one {size}"):
        verify_cid(cid, data)
