import pytest

from autocodec import CID, InvalidCID
from autocodec.cid import decode_varint, encode_varint


@pytest.mark.parametrize(
    "text",
    [
        "bafyreibvjvcv745gig4mvqs4hctx4zfkono4rjejm2ta6gtyzkqxfjeily",
        "QmQg1v4o9xdT3Q14wh4S7dxZkDjyZ9ssFzFzyep1YrVJBY",
        "bafkqabiaaebagba",
    ],
)
def test_round_trip_and_multiformats_agree(text: str) -> None:
    cid = CID.parse(text)
    assert str(cid) == text
    mf = cid.to_multiformats()
    assert bytes(mf) == bytes(cid)
    assert CID.from_multiformats(mf) == cid
    assert cid.codec == mf.codec.code
    assert cid.hash_code == mf.hashfun.code


@pytest.mark.parametrize(
    "raw",
    [b"", b"\x01", b"\x02\x55\x12\x00", b"\x01\x55\x12\x20abc", b"\x01\x55\x80\x00\x00", b"\x01\x55\x12\x02abc"],
)
def test_malformed_binary_cids_are_rejected(raw: bytes) -> None:
    with pytest.raises(InvalidCID):
        CID(raw)


@pytest.mark.parametrize("text", ["", "x123", "bAfY", "Qm0000", "b" + "a" * 3])
def test_malformed_strings_are_rejected(text: str) -> None:
    with pytest.raises(InvalidCID):
        CID.parse(text)


def test_varint_minimal_and_bounded() -> None:
    for value in (0, 1, 127, 128, 300, 2**63 - 1):
        assert decode_varint(encode_varint(value)) == (value, len(encode_varint(value)))
    with pytest.raises(ValueError):
        decode_varint(b"\x80\x00")  # non-minimal
    with pytest.raises(ValueError):
        decode_varint(b"\xff" * 10)


def test_parts_read_directly_agree_with_the_varint_parse() -> None:
    """``codec``, ``hash_code`` and ``multihash`` read one-byte varints straight from the bytes;
    for one- and several-byte codes alike they equal the general varint parse."""
    import random

    rnd = random.Random(3)
    for codec in (0x55, 0x70, 0x71, 0x78, 0x7F, 0x80, 0x90, 0x300, 0xB401):
        for code, size in ((0x12, 32), (0x11, 20), (0x1E, 32), (0x7F, 4), (0x80, 8), (0xB220, 32), (0x00, 5)):
            mh = encode_varint(code) + encode_varint(size) + rnd.randbytes(size)
            cid = CID(b"\x01" + encode_varint(codec) + mh)
            assert (cid.codec, cid.hash_code, cid.multihash) == (codec, code, mh)
    v0 = CID(b"\x12\x20" + bytes(32))
    assert (v0.codec, v0.hash_code, v0.multihash) == (0x70, 0x12, bytes(v0))
