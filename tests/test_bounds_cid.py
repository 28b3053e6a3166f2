"""Issue 16, case 1: every CID string is length-checked before any base decoding, so parsing
one is bounded work (base58, base36 and base10 decoding are quadratic in the length)."""

from __future__ import annotations

import time

import pytest

from autocodec.cid import CID, MAX_CID_TEXT, multibase_encode
from autocodec.errors import InvalidCID

LONGEST = CID(b"\x01\x71\x00\x80\x08" + b"\x07" * 1024)  # identity multihash, largest digest


@pytest.mark.parametrize("prefix", ["z", "k", "9", "b", "f", "0"])
def test_overlong_cid_text_is_refused_unread(prefix: str) -> None:
    started = time.monotonic()
    with pytest.raises(InvalidCID, match="at most"):
        CID.parse(prefix + "2" * 600_000)
    assert time.monotonic() - started < 0.1


@pytest.mark.parametrize("base", ["base2", "base10", "base36", "base58btc", "base16", "base32"])
def test_longest_cid_parses_in_every_wide_base(base: str) -> None:
    text = multibase_encode(bytes(LONGEST), base)
    assert len(text) <= MAX_CID_TEXT
    started = time.monotonic()
    assert CID.parse(text) == LONGEST
    assert time.monotonic() - started < 0.5


def test_a_digest_over_the_cap_is_said_to_be_over_it() -> None:
    """A digest of 1025 bytes, all of them there: the error names the cap (it said the length
    did not match the 1025 bytes left, which it did)."""
    from autocodec.cid import MAX_DIGEST_BYTES, encode_varint

    raw = b"\x01\x55\x12" + encode_varint(MAX_DIGEST_BYTES + 1) + bytes(MAX_DIGEST_BYTES + 1)
    with pytest.raises(InvalidCID, match=f"over the {MAX_DIGEST_BYTES} bytes"):
        CID(raw)
    short = b"\x01\x55\x12" + encode_varint(40) + bytes(30)
    with pytest.raises(InvalidCID, match="digest length 40 does not match the 30 bytes left"):
        CID(short)
