"""What may follow a DAG-JSON or JSON value: whitespace and NUL bytes, as Kubo v0.43.1 reads it.

go-ipld-prime's dagjson and json decoders (Kubo's) read one value, then take the rest of the
block one byte at a time and accept it while each byte is a space, tab, CR, LF or NUL ("slurp
any remaining whitespace"); anything else is "unexpected content after end of json object".
So ``[1]\\x00`` and ``{} \\x00\\n`` read as ``[1]`` and ``{}`` in Kubo; they were refused here.
A NUL anywhere else (before the value, between tokens) stays refused by both.
``tests/test_review_codec_kubo.py`` runs the same texts through Kubo.
"""

from __future__ import annotations

import pytest

from autocodec import builtin
from autocodec.errors import InvalidBlock

READ = {
    b"[1]\x00": [1], b"{}\x00": {}, b'"a"\x00\x00\x00': "a", b"null\x00": None, b"true\x00": True,
    b"[1] \x00": [1], b"[1]\x00 ": [1], b"[1]\n\x00\r\n\t\x00": [1], b"1 \x00": 1, b'{"a":[1,{}]}\x00': {"a": [1, {}]},
}
REFUSED = [b"\x00[1]", b"[1,\x00 2]", b"{}\x00x", b"[]\x00\x00x", b'{"a":1}\x00{"b":2}', b"[1]\x01", b"\x00", b" \x00",
           b'"a\x00', b"[1\x00]", b"[1]\x00]"]


@pytest.mark.parametrize("codec", ["dag-json", "json"])
@pytest.mark.parametrize("text", list(READ), ids=repr)
def test_trailing_nul_and_whitespace_read_as_kubo_reads_them(codec: str, text: bytes) -> None:
    assert builtin.decode(text, codec) == READ[text]
    assert builtin.decode(bytearray(text), codec, strict=False) == READ[text]


def test_a_link_followed_by_nul_is_a_link() -> None:
    assert builtin.decode(b'{"/":"bafkqaaa"}\x00', "dag-json") == builtin.decode(b'{"/":"bafkqaaa"}', "dag-json")


@pytest.mark.parametrize("codec", ["dag-json", "json"])
@pytest.mark.parametrize("text", REFUSED, ids=repr)
def test_nul_elsewhere_is_refused(codec: str, text: bytes) -> None:
    with pytest.raises(InvalidBlock):
        builtin.decode(text, codec, strict=False)
