"""Hostile and malformed input: every builtin codec answers with a typed error, bounded.

Each case names the rule it breaks; decode must raise ``InvalidBlock`` (never a crash,
``RecursionError``, ``MemoryError`` or hang), encode must raise ``EncodeError``.
"""

from __future__ import annotations

import math

import pytest

from autocodec import CID
from autocodec.builtin import decode, encode
from autocodec.config import DecodeLimits
from autocodec.errors import EncodeError, InvalidBlock, UnknownCodec

DEEP = 200_000
LINK = CID.parse("bafyreidykglsfhoixmivffc5uwhcgshx4j465xwqntbmu43nb2dzqwfvae")
LINK_TAG = b"\xd8\x2a\x58\x25\x00" + bytes(LINK)

CBOR_BAD = {
    "deep arrays": b"\x81" * DEEP + b"\x01",
    "deep maps": b"\xa1\x61a" * DEEP + b"\x01",
    "array length 2^63": b"\x9b\x80\x00\x00\x00\x00\x00\x00\x00",
    "map length 2^63": b"\xbb\x80\x00\x00\x00\x00\x00\x00\x00",
    "bytes length 2^63": b"\x5b\x80\x00\x00\x00\x00\x00\x00\x00",
    "string length 2^63": b"\x7b\x80\x00\x00\x00\x00\x00\x00\x00",
    "array length 2^64-1": b"\x9b" + b"\xff" * 8,
    "indefinite array": b"\x9f\x01\xff",
    "indefinite map": b"\xbf\x61a\x01\xff",
    "indefinite bytes": b"\x5f\x41\x00\xff",
    "indefinite string": b"\x7f\x61a\xff",
    "break alone": b"\xff",
    "tag 0 (date string)": b"\xc0\x61a",
    "tag 1": b"\xc1\x01",
    "tag 43": b"\xd8\x2b\x41\x00",
    "tag 42 on text": b"\xd8\x2a\x61a",
    "tag 42 without 0x00 prefix": b"\xd8\x2a\x58\x24" + bytes(LINK),
    "tag 42 empty": b"\xd8\x2a\x40",
    "tag 42 only prefix": b"\xd8\x2a\x41\x00",
    "tag 42 bad CID version": b"\xd8\x2a\x45\x00\x02\x71\x12\x00",
    "tag 42 truncated digest": b"\xd8\x2a\x46\x00\x01\x71\x12\x20\xab",
    "tag 42 trailing digest bytes": b"\xd8\x2a\x58\x26\x00" + bytes(LINK) + b"\x00",
    "tag 42 non-minimal varint": b"\xd8\x2a\x47\x00\x01\xf1\x00\x12\x01\xab",
    "tag 42 junk": b"\xd8\x2a\x42\x00\xff",
    "trailing bytes": b"\x01\x01",
    "two items": b"\xa0\xa0",
    "NaN": b"\xfb\x7f\xf8\x00\x00\x00\x00\x00\x00",
    "+Infinity": b"\xfb\x7f\xf0\x00\x00\x00\x00\x00\x00",
    "-Infinity": b"\xfb\xff\xf0\x00\x00\x00\x00\x00\x00",
    "half float": b"\xf9\x3c\x00",
    "single float": b"\xfa\x3f\x80\x00\x00",
    "half NaN": b"\xf9\x7e\x00",
    "undefined": b"\xf7",
    "simple value 16": b"\xf0",
    "simple value 255": b"\xf8\xff",
    "duplicate map keys": b"\xa2\x61a\x01\x61a\x02",
    "integer map key": b"\xa1\x01\x01",
    "bytes map key": b"\xa1\x41a\x01",
    "keys out of order": b"\xa2\x61b\x01\x61a\x02",
    "keys not length-first": b"\xa2\x62aa\x01\x61b\x02",
    "non-minimal int (1 in 1 byte)": b"\x18\x01",
    "non-minimal int (2 bytes)": b"\x19\x00\xff",
    "non-minimal negative": b"\x38\x00",
    "non-minimal length": b"\x58\x01\x00",
    "truncated": b"\x82\x01",
    "truncated int": b"\x1a\x00\x01",
    "invalid UTF-8": b"\x62\xc3\x28",
    "reserved info 28": b"\x1c",
    "empty block": b"",
}


@pytest.mark.parametrize("codec", ["dag-cbor", "cbor"])
@pytest.mark.parametrize("name", list(CBOR_BAD))
def test_cbor_rejects(codec: str, name: str) -> None:
    if codec == "cbor" and name in ("keys out of order", "keys not length-first"):
        assert decode(CBOR_BAD[name], codec)  # CBOR keeps any key order (test_review_codec_cbor_order.py)
        return
    with pytest.raises(InvalidBlock):
        decode(CBOR_BAD[name], codec)


def test_cbor_rejects_any_tag() -> None:
    assert decode(LINK_TAG, "dag-cbor") == LINK
    with pytest.raises(InvalidBlock, match="tag"):
        decode(LINK_TAG, "cbor")


def test_cbor_depth_limit_is_exact() -> None:
    limits = DecodeLimits(max_depth=1024)
    ok = b"\x81" * 1023 + b"\x80"  # 1024 nested arrays, the innermost empty
    assert decode(ok, "dag-cbor", limits=limits) is not None
    with pytest.raises(InvalidBlock, match="max_depth"):
        decode(b"\x81" + ok, "dag-cbor", limits=limits)
    # the same depth hidden behind large byte strings (defeats the cheap pre-filter)
    padded = b"\x82\x59\x10\x00" + b"\x81" * 4096 + b"\x81" * 1024 + b"\x80"
    with pytest.raises(InvalidBlock, match="max_depth"):
        decode(padded, "dag-cbor", limits=limits)
    shallow = b"\x82\x59\x10\x00" + b"\x81" * 4096 + b"\x81" * 1022 + b"\x80"
    assert decode(shallow, "dag-cbor", limits=limits)[0] == b"\x81" * 4096


JSON_BAD = {
    "deep arrays": b"[" * DEEP + b"]" * DEEP,
    "deep objects": b'{"a":' * DEEP + b"1" + b"}" * DEEP,
    "NaN": b"NaN",
    "Infinity": b"[Infinity]",
    "-Infinity": b"-Infinity",
    "overflowing float": b"1e400",
    "duplicate keys": b'{"a":1,"a":2}',
    "non-string key": b"{1:2}",
    "trailing bytes": b"1 2",
    "trailing comma": b"[1,]",
    "single quotes": b"'a'",
    "unterminated": b'{"a":',
    "invalid UTF-8": b'"\xc3\x28"',
    "UTF-16": "[1]".encode("utf-16"),
    "byte order mark": b"\xef\xbb\xbf[1]",
    "lone surrogate": b'"\\ud800"',
    "lone low surrogate in key": b'{"\\udc00":1}',
    "raw control character": b'"a\x01b"',
    "empty": b"",
    "huge integer": b"1" * 5000,
}


@pytest.mark.parametrize("codec", ["dag-json", "json"])
@pytest.mark.parametrize("name", list(JSON_BAD))
def test_json_rejects(codec: str, name: str) -> None:
    with pytest.raises(InvalidBlock):
        decode(JSON_BAD[name], codec)


DAG_JSON_BAD = {
    "link not a CID": b'{"/":"blip"}',
    "link empty": b'{"/":""}',
    "link CIDv1 in base58": b'{"/":"zdj7Wd8AMwqnhJGQCbFxBVodGSBG84TM7Hs1rcJuQMwTyfEDS"}',
    "link upper-case base32": b'{"/":"BAFYREIDYKGLSFHOIXMIVFFC5UWHCGSHX4J465XWQNTBMU43NB2DZQWFVAE"}',
    "bytes bad base64": b'{"/":{"bytes":"a*b"}}',
    "bytes padded": b'{"/":{"bytes":"oQ=="}}',
    "bytes url alphabet": b'{"/":{"bytes":"-_8"}}',
    "bytes trailing bits": b'{"/":{"bytes":"oR"}}',
}


@pytest.mark.parametrize("name", list(DAG_JSON_BAD))
def test_dag_json_rejects(name: str) -> None:
    with pytest.raises(InvalidBlock):
        decode(DAG_JSON_BAD[name], "dag-json")


def test_dag_json_slash_forms() -> None:
    assert decode(b'{"/":"bafyreidykglsfhoixmivffc5uwhcgshx4j465xwqntbmu43nb2dzqwfvae"}', "dag-json") == LINK
    assert decode(b'{"/":{"bytes":"oQ"}}', "dag-json") == b"\xa1"
    # other uses of "/" are plain maps, and plain JSON never interprets it
    assert decode(b'{"/":1}', "dag-json") == {"/": 1}
    assert decode(b'{"/":"x","a":1}', "dag-json") == {"/": "x", "a": 1}
    assert decode(b'{"/":"blip"}', "json") == {"/": "blip"}


def test_json_depth_limit_is_exact() -> None:
    limits = DecodeLimits(max_depth=300)
    assert decode(b"[" * 300 + b"]" * 300, "dag-json", limits=limits) is not None
    with pytest.raises(InvalidBlock, match="max_depth"):
        decode(b"[" * 301 + b"]" * 301, "dag-json", limits=limits)
    # brackets inside strings do not count
    text = b'["' + b"[" * 1000 + b'"]'
    assert decode(text, "json", limits=limits) == ["[" * 1000]


PB_BAD = {
    "unknown node field": b"\x1a\x00",
    "Data wrong wire type": b"\x08\x01",
    "Links wrong wire type": b"\x10\x01",
    "duplicate Data": b"\x0a\x01a\x0a\x01b",
    "Links on both sides of Data": (b"\x12\x24\x0a\x22" + bytes(CID.parse("QmNPWHBrVQiiV8FpyNuEPhB9E2rbvdy9Yx79EY1EJuyf9o"))
                                    + b"\x0a\x01a\x12\x24\x0a\x22"
                                    + bytes(CID.parse("QmNPWHBrVQiiV8FpyNuEPhB9E2rbvdy9Yx79EY1EJuyf9o"))),
    "length past end": b"\x0a\x05ab",
    "truncated varint": b"\x0a\x80",
    "non-minimal length": b"\x0a\x81\x00",
    "link without Hash": b"\x12\x00",
    "link Hash not a CID": b"\x12\x04\x0a\x02\x01\x02",
    "link fields out of order": b"\x12\x2a\x12\x02ab\x0a\x22" + bytes(CID.parse("QmNPWHBrVQiiV8FpyNuEPhB9E2rbvdy9Yx79EY1EJuyf9o")) ,
    "link duplicate Hash": b"\x12\x48" + (b"\x0a\x22" + bytes(CID.parse("QmNPWHBrVQiiV8FpyNuEPhB9E2rbvdy9Yx79EY1EJuyf9o"))) * 2,
    "link unknown field": b"\x12\x26\x0a\x22" + bytes(CID.parse("QmNPWHBrVQiiV8FpyNuEPhB9E2rbvdy9Yx79EY1EJuyf9o")) + b"\x20\x01",
    "link Tsize wrong wire type": b"\x12\x27\x0a\x22" + bytes(CID.parse("QmNPWHBrVQiiV8FpyNuEPhB9E2rbvdy9Yx79EY1EJuyf9o")) + b"\x1a\x01a",
    "link Tsize over 64 bits": b"\x12\x2f\x0a\x22" + bytes(CID.parse("QmNPWHBrVQiiV8FpyNuEPhB9E2rbvdy9Yx79EY1EJuyf9o"))
                               + b"\x18" + b"\xff" * 9 + b"\x02",
    "varint longer than 10 bytes": b"\x0a" + b"\x80" * 10 + b"\x00",
}


@pytest.mark.parametrize("name", list(PB_BAD))
def test_dag_pb_rejects(name: str) -> None:
    with pytest.raises(InvalidBlock):
        decode(PB_BAD[name], "dag-pb")


def test_dag_pb_name_that_is_not_utf8_is_kept_byte_for_byte() -> None:
    """Kubo stores a file name's bytes as they are; the name reads as surrogate escapes (PEP
    383), the node encodes back to its bytes, and its DAG-JSON shows each such byte as Kubo's
    ``\\ufffd`` (tests/test_unixfs_kubo.py compares whole trees with Kubo)."""

    block = b"\x12\x28\x0a\x22" + bytes(CID.parse("QmNPWHBrVQiiV8FpyNuEPhB9E2rbvdy9Yx79EY1EJuyf9o")) + b"\x12\x02\xc3\x28"
    node = decode(block, "dag-pb")
    assert node["Links"][0]["Name"] == "\udcc3("
    assert encode(node, "dag-pb") == block
    assert b'"Name":"\\ufffd("' in encode(node, "dag-json")
    with pytest.raises(EncodeError, match="lone surrogate"):  # a surrogate that stands for no byte
        encode({"Links": [{"Hash": node["Links"][0]["Hash"], "Name": "\ud800"}]}, "dag-pb")


@pytest.mark.parametrize("codec", ["raw", "dag-cbor", "cbor", "dag-json", "json", "dag-pb"])
def test_over_max_block_bytes(codec: str) -> None:
    limits = DecodeLimits(max_block_bytes=64)
    block = encode({"Links": [], "Data": b"x" * 100} if codec == "dag-pb" else b"x" * 100 if codec == "raw" else "x" * 100, codec)
    assert len(block) > 64
    with pytest.raises(InvalidBlock, match="max_block_bytes"):
        decode(block, codec, limits=limits)


def _cyclic() -> list:
    value: list = []
    value.append(value)
    return value


def _deep(n: int) -> list:
    value: list = []
    for _ in range(n):
        value = [value]
    return value


ENCODE_BAD = {
    "NaN": math.nan,
    "Infinity": math.inf,
    "-Infinity in a map": {"a": -math.inf},
    "integer map key": {1: 2},
    "bytes map key": {b"a": 2},
    "tuple": (1, 2),
    "set": {1},
    "bytearray": bytearray(b"x"),
    "object": object(),
    "too deep": _deep(DEEP),
    "cycle": _cyclic(),
    "lone surrogate": "\ud800",
    "lone surrogate key": {"\udc00": 1},
}


@pytest.mark.parametrize("codec", ["dag-cbor", "cbor", "dag-json", "json"])
@pytest.mark.parametrize("name", list(ENCODE_BAD))
def test_encode_rejects(codec: str, name: str) -> None:
    with pytest.raises(EncodeError):
        encode(ENCODE_BAD[name], codec)


@pytest.mark.parametrize("codec", ["dag-json", "json"])
def test_json_encode_huge_int(codec: str) -> None:
    with pytest.raises(EncodeError):
        encode(10**5000, codec)


@pytest.mark.parametrize("codec", ["dag-cbor", "cbor"])
@pytest.mark.parametrize("value", [1 << 64, -(1 << 64) - 1])
def test_cbor_encode_int_range(codec: str, value: int) -> None:
    with pytest.raises(EncodeError, match="range"):
        encode(value, codec)


def test_links_only_in_dag_codecs() -> None:
    for codec in ("cbor", "json"):
        with pytest.raises(EncodeError):
            encode([LINK], codec)
    with pytest.raises(EncodeError):
        encode(b"x", "json")


def test_dag_json_refuses_ambiguous_maps() -> None:
    for value in ({"/": "bafy"}, {"/": {"bytes": "AQID"}}, {"/": {"bytes": ""}}):
        with pytest.raises(EncodeError):
            encode(value, "dag-json")
    assert encode({"/": 1}, "dag-json") == b'{"/":1}'
    for plain in ({"/": {"bytes": 1}}, {"/": {"bytes": b"\x01"}}, {"/": {"bytes": None}}, {"/": b"\x01"}):
        assert decode(encode(plain, "dag-json"), "dag-json") == plain  # no bytes form: read back as the map
    assert decode(b'{"/":{"bytes":1}}', "dag-json") == {"/": {"bytes": 1}}  # as Kubo reads it
    assert decode(encode({"/": LINK}, "dag-json"), "dag-json") == {"/": LINK}


def test_raw_encode_only_bytes() -> None:
    with pytest.raises(EncodeError):
        encode("text", "raw")


@pytest.mark.parametrize("codec", [0x78, "git-raw", 0x1B, "nope", -1, 1.5, None, [0x71]])
def test_unknown_codec(codec: int | str) -> None:
    with pytest.raises(UnknownCodec) as info:
        decode(b"\x00", codec)
    if type(codec) is int:
        assert info.value.code == codec


@pytest.mark.parametrize("data", ["text", 42, None, [b"x"]])
def test_decode_needs_bytes(data: object) -> None:
    from autocodec.errors import InvalidInput

    with pytest.raises(InvalidInput):
        decode(data, "dag-cbor")  # type: ignore[arg-type]
