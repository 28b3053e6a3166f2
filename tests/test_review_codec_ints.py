"""DAG-JSON and JSON integers outside DAG-CBOR's range (-2^64 .. 2^64-1).

Kubo v0.43.1 refuses every integer past int64 in DAG-JSON and JSON (its reader holds int64;
``tests/test_review_codec_kubo.py`` runs it). This package keeps the integers past int64 that
DAG-CBOR can hold (README, docs/bounds.md "Integers past int64"), but one outside DAG-CBOR's
range has no block form in any IPLD codec: it is refused on decode and on encode, as Kubo
refuses it (it was read and written here, so ``dag put --store-codec dag-json`` stored a value
that no DAG-CBOR block can hold).
"""

from __future__ import annotations

import pytest

from autocodec import builtin
from autocodec.errors import EncodeError, InvalidBlock

LOW, HIGH = -(2**64), 2**64 - 1
OUTSIDE = [HIGH + 1, LOW - 1, 10**30, -(10**30), 10**400]


@pytest.mark.parametrize("codec", ["dag-json", "json"])
@pytest.mark.parametrize("number", OUTSIDE, ids=lambda n: str(n)[:24])
def test_integer_outside_cbor_range_is_refused_on_decode(codec: str, number: int) -> None:
    for text in (f"{number}", f"[1,{number}]", f'{{"a":{{"b":[{number}]}}}}', f'[" {number} ", {number}]'):
        with pytest.raises(InvalidBlock, match="outside"):
            builtin.decode(text.encode(), codec)
        with pytest.raises(InvalidBlock, match="outside"):
            builtin.decode(text.encode(), codec, strict=False)


@pytest.mark.parametrize("codec", ["dag-json", "json"])
def test_integers_at_the_ends_of_cbor_range_still_read(codec: str) -> None:
    assert builtin.decode(f"[{HIGH},{LOW}]".encode(), codec) == [HIGH, LOW]
    assert builtin.encode([HIGH, LOW], codec)  # and are written


@pytest.mark.parametrize("codec", ["dag-json", "json"])
def test_long_digit_runs_that_are_no_integer_still_read(codec: str) -> None:
    text = b'["123456789012345678901234567890", 0.123456789012345678901234567890, 0.000000000000000000000001]'
    assert builtin.decode(text, codec) == ["123456789012345678901234567890", 0.12345678901234568, 1e-24]


@pytest.mark.parametrize("codec", ["dag-json", "json"])
@pytest.mark.parametrize("digits", ["1" + "0" * 4999, "-" + "9" * 4400, "7" * 4301])
def test_an_integer_too_long_for_int_is_refused_as_outside_the_range(codec: str, digits: str) -> None:
    """Past CPython's 4,300-digit limit ``int()`` refuses the text: the message was that
    ``ValueError``'s, naming ``sys.set_int_max_str_digits()``, a Python setting no user of a
    block can act on. It is now the range's, with the number of digits."""
    count = len(digits.lstrip("-"))
    for text in (digits, f'{{"a":[0,{digits}]}}'):
        with pytest.raises(InvalidBlock, match=rf"an integer of {count} digits is outside -2\^64") as caught:
            builtin.decode(text.encode(), codec)
        assert "set_int_max_str_digits" not in str(caught.value)


@pytest.mark.parametrize("codec", ["dag-json", "json"])
@pytest.mark.parametrize("number", OUTSIDE, ids=lambda n: str(n)[:24])
def test_integer_outside_cbor_range_is_refused_on_encode(codec: str, number: int) -> None:
    with pytest.raises(EncodeError, match="range"):
        builtin.encode({"a": [number]}, codec)


@pytest.mark.parametrize("codec", ["dag-cbor", "cbor", "dag-json", "json"])
def test_an_integer_too_long_to_print_is_an_encode_error(codec: str) -> None:
    """Its message named the integer with ``str``, which raises ValueError past 4,300 digits:
    ``encode(10**5000, "dag-cbor")`` raised a bare ValueError, not ``EncodeError``."""
    with pytest.raises(EncodeError, match=r"2\^16609"):
        builtin.encode({"a": -(10**5000)}, codec)


@pytest.mark.parametrize("codec", ["dag-json", "json"])
def test_the_codec_objects_take_any_bytes_like(codec: str) -> None:
    """The registry's codec objects are called with a bytearray or memoryview too (the range
    check made a memoryview an AttributeError for a moment)."""
    from autocodec.builtin import codec_for
    from autocodec.config import DEFAULT_LIMITS

    decode = codec_for(codec).decode
    for wrap in (bytearray, memoryview):
        assert decode(wrap(b"[1]\x00"), DEFAULT_LIMITS.decode) == [1]
        with pytest.raises(InvalidBlock, match="outside"):
            decode(wrap(b"[123456789012345678901234567890]"), DEFAULT_LIMITS.decode)
