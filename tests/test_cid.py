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


# The multibase spec's tests/case_insensitivity.csv (github.com/multiformats/multibase): each
# decodes to b"hello world" whatever the case of its letters.
CASE_INSENSITIVITY = ["f68656c6c6f20776F726C64", "F68656c6c6f20776F726C64", "bnbswy3dpeB3W64TMMQ",
                      "Bnbswy3dpeB3W64TMMQ", "vd1imor3f41RMUSJCCG", "Vd1imor3f41RMUSJCCG",
                      "cnbswy3dpeB3W64TMMQ======", "Cnbswy3dpeB3W64TMMQ======", "td1imor3f41RMUSJCCG======",
                      "Td1imor3f41RMUSJCCG======", "kfUvrsIvVnfRbjWaJo", "KfUVrSIVVnFRbJWAJo"]


@pytest.mark.parametrize("text", CASE_INSENSITIVITY)
def test_multibase_case_insensitivity_vectors(text: str) -> None:
    from autocodec.cid import multibase_decode

    assert multibase_decode(text) == b"hello world"


@pytest.mark.parametrize("text", [
    "cnbswy3dpeb3w64tmmq",  # base32pad without its padding
    "td1imor3f41rmusjccg",  # base32hexpad without its padding
    "VD1IMOR3F41RMUSJCCW",  # W is not in the base32hex alphabet
    "uaGVsbG8/d29ybGQ",  # '/' is base64, not base64url
    "baßgqzlmnrxq",  # 'ß'.upper() is 'SS' (baSSgqzlmnrxq is valid): not a base32 letter
    "KFUVRSIVVNFRBJWAJO" + "\u212a",  # the Kelvin sign lowercases to 'k'
])
def test_multibase_refuses_what_is_not_in_the_alphabet(text: str) -> None:
    from autocodec.cid import multibase_decode

    with pytest.raises(ValueError):
        multibase_decode(text)


def test_a_cidv0_in_a_multibase_is_that_cidv0() -> None:
    """go-cid's Decode (Kubo) reads a CIDv0's bytes in any multibase as the CIDv0."""
    from autocodec.cid import multibase_encode

    v0 = CID.parse("QmQg1v4o9xdT3Q14wh4S7dxZkDjyZ9ssFzFzyep1YrVJBY")
    for base in ("base58btc", "base32", "base16", "base36", "base64url"):
        assert CID.parse(multibase_encode(bytes(v0), base)) == v0


@pytest.mark.parametrize(("text", "said"), [
    ("bafyXX", "cut short at 3 bytes (01717b)"),  # a CIDv1 with its codec and nothing after
    ("f0171", "cut short at 2 bytes"),
    ("f00", "starts with 00 (1 byte), where a CIDv1 starts with its version 01"),
    ("zzzz", "starts with 02fa27 (3 bytes)"),
])
def test_a_cid_cut_short_or_of_another_version_says_which(text: str, said: str) -> None:
    # Both were "not a CID: 01717b... (3 bytes)", which did not say what was wrong with it.
    with pytest.raises(InvalidCID) as info:
        CID.parse(text)
    assert said in info.value.message
