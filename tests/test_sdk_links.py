"""A codec with links written in each SDK (tests/guest/sdk-links): the Rust, Zig and
AssemblyScript readers take links (``peek`` and ``cid``, as C's ``acr_peek``/``acr_cid``), links of
every digest length the host takes round trip through decode, links and encode while the ones
it refuses are refused by the guest too; outputs outgrow the first buffer up to the block cap;
a guest's own message is bounded by the host and printed clean by the CLI. Real compilers,
real sandbox, the real CLI.
"""

from __future__ import annotations

import struct
from pathlib import Path

import pytest

from autocodec.builtin import encode
from autocodec.cid import CID, MAX_DIGEST_BYTES, encode_varint
from autocodec.config import DEFAULT_LIMITS
from autocodec.errors import GuestError, InvalidCID
from autocodec.loader import Codec, LoadedModule, Sandbox
from tests._cli import run_cli
from tests._toolchains import need_toolchain

GUEST = Path(__file__).resolve().parent / "guest" / "sdk-links"
LANGS = ("rust", "zig", "assemblyscript", "c")
CODE = 0x300101

pytestmark = pytest.mark.slow  # every test builds modules with the real compilers


def _rec(kind: int, payload: bytes) -> bytes:
    return bytes([kind]) + struct.pack("<I", len(payload)) + payload


def _cid(digest: bytes, code: int = 0x00) -> bytes:
    return b"\x01\x55" + encode_varint(code) + encode_varint(len(digest)) + digest


def _cbor_bytes(b: bytes) -> bytes:
    return bytes(encode(b, "dag-cbor"))


@pytest.fixture(scope="module")
def modules() -> dict[str, bytes]:
    """lang -> the built module, filled by ``_codec`` on first use (a build failure fails only that language)."""
    return {}


def _codec(modules: dict[str, bytes], lang: str) -> tuple[Codec, LoadedModule]:
    need_toolchain(lang)
    if lang not in modules:
        from autocodec.modkit import build

        modules[lang] = build(GUEST / lang).wasm
    loaded = Sandbox(DEFAULT_LIMITS.sandbox).load(modules[lang])
    return Codec(loaded), loaded


@pytest.mark.parametrize("lang", LANGS)
def test_links_of_every_digest_length_round_trip(modules: dict[str, bytes], lang: str) -> None:
    codec, loaded = _codec(modules, lang)
    assert codec.decode(b"") == [] and codec.links(b"") == [] and codec.encode([]) == b""
    lengths = [*range(0, 140), 255, 256, 1000, MAX_DIGEST_BYTES]  # one- and two-byte length varints
    raws = [_cid(bytes([n % 251]) * n) for n in lengths]
    raws += [b"\x12\x20" + b"\x07" * 32, _cid(b"\x01" * 64, 0x13), _cid(b"\x02" * 32, 0xB220)]  # v0, sha2-512, blake2b
    block = b"".join(_rec(1, raw) + _rec(0, b"x" * (i % 3)) for i, raw in enumerate(raws))
    want = [v for i, raw in enumerate(raws) for v in (CID(raw), b"x" * (i % 3))]
    decoded = codec.decode(block)
    assert decoded == want
    assert loaded.run("ac_decode", block) == bytes(encode(want, "dag-cbor"))  # canonical bytes
    assert codec.links(block) == [CID(raw) for raw in raws]
    assert codec.encode(decoded) == block  # peek + cid read every link back
    assert codec.decode_many([block, b"", _rec(1, raws[0])]) == [want, [], [CID(raws[0])]]


@pytest.mark.parametrize("lang", LANGS)
def test_links_the_host_refuses_are_refused_by_the_guest(modules: dict[str, bytes], lang: str) -> None:
    codec, loaded = _codec(modules, lang)
    good = _cid(b"abc")
    assert loaded.run("ac_encode", b"\x81\xd8\x2a" + _cbor_bytes(b"\x00" + good)) == _rec(1, good)
    bad_cids = [
        _cid(b"\x01" * (MAX_DIGEST_BYTES + 1)),  # a digest over the host's bound
        b"\x01\x55\x00\x04abc",  # length past the end
        b"\x01\x55\x00\x02abc",  # bytes after the digest
        b"\x01\x55\x00\x80\x00",  # a non-minimal varint
        b"\x01\x55" + b"\x80" * 9 + b"\x01\x00",  # a varint over 9 bytes
        b"\x00\x55\x00\x00",  # no such version
        b"\x12\x20" + b"\x07" * 31,  # a short CIDv0
    ]
    for raw in bad_cids:
        with pytest.raises(GuestError, match="malformed CID"):
            codec.decode(_rec(1, raw))
        with pytest.raises(GuestError, match="malformed CID"):
            loaded.run("ac_encode", b"\x81\xd8\x2a" + _cbor_bytes(b"\x00" + raw))
    for doc, why in [
        (b"\x81\xd8\x2a" + _cbor_bytes(b"\x01" + good), "start with 0x00"),
        (b"\x81\xd8\x2a" + _cbor_bytes(b""), "start with 0x00"),
        (b"\x81\xd8\x2b" + _cbor_bytes(b"\x00" + good), "only tag 42"),
        (b"\x81\xd8\x2a\x61a", "type|wrap bytes"),
        (b"\x81\xd8\x2a", "end|type|wrap bytes"),
    ]:
        with pytest.raises(GuestError, match=why):
            loaded.run("ac_encode", doc)
    for raw in bad_cids:
        with pytest.raises(InvalidCID):
            CID(raw)  # the host's own parser agrees


@pytest.mark.parametrize("lang", LANGS)
def test_outputs_past_the_first_buffer_and_inputs_at_the_block_cap(modules: dict[str, bytes], lang: str) -> None:
    codec, loaded = _codec(modules, lang)
    cap = DEFAULT_LIMITS.decode.max_block_bytes
    one = _rec(0, b"\xab" * (cap - 5))  # one record of a block at the cap
    assert codec.decode(one) == [b"\xab" * (cap - 5)]
    assert codec.encode([b"\xab" * (cap - 5)]) == one
    many = _rec(0, b"") * (cap // 5)  # the most items a block at the cap holds
    decoded = codec.decode(many)
    assert decoded == [b""] * (cap // 5)
    assert codec.encode(decoded) == many
    links = _rec(1, _cid(b"\x09" * 32)) * (cap // 43)  # the most 32-byte links
    assert len(codec.links(links)) == cap // 43


@pytest.mark.parametrize("lang", LANGS)
def test_a_guest_message_is_bounded_and_printed_clean(modules: dict[str, bytes], lang: str, tmp_path: Path) -> None:
    codec, loaded = _codec(modules, lang)
    with pytest.raises(GuestError) as err:
        codec.decode(_rec(0xEE, b"y" * 100_000))
    assert 0 < len(err.value.message) <= 1000
    wasm = tmp_path / "lpl.wasm"
    wasm.write_bytes(modules[lang])
    block = tmp_path / "block.bin"
    block.write_bytes(_rec(0xEE, b"bad \x1b[31mred\x1b[0m\x07 record\nsecond line " + "\u009b2J".encode()))
    home = tmp_path / "home"
    run_cli(home, "init", "--no-default-set")
    proc = run_cli(home, "block", "put", "--codec", hex(CODE), "--module", str(wasm), str(block), check=False)
    err_text = proc.stderr.decode()
    assert proc.returncode == 1 and proc.stdout == b""
    assert len(err_text.splitlines()) == 1 and "GuestError" in err_text and "bad" in err_text and "record" in err_text
    assert not any(ord(c) < 0x20 and c != "\n" or 0x7F <= ord(c) <= 0x9F for c in err_text), repr(err_text)
