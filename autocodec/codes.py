"""Names and numbers of the multicodec table that autocodec speaks.

Source of the numbers: the multicodec table (github.com/multiformats/multicodec, table.csv).
The entries autocodec uses are listed here; a name of any other entry of the table (as Kubo
knows it: ``_multiformats``) is taken too, and any code is usable by number (``0x...``).

Invariants: each table maps a name to exactly one code and back; lookups accept a name,
an int, or a ``0x``-prefixed hex string, and fail with ``UnknownCodec``/``UnknownHash`` for
anything else, including a code past ``MAX_CODE`` (2^63 - 1, what an unsigned varint holds)
and over-long text (checked before any conversion).
"""

from __future__ import annotations

from typing import Literal

from .errors import UnknownCodec, UnknownHash, UnknownKeyType

CODECS: dict[str, int] = {
    "identity": 0x00,
    "cbor": 0x51,
    "raw": 0x55,
    "bencode": 0x63,
    "dag-pb": 0x70,
    "dag-cbor": 0x71,
    "libp2p-key": 0x72,
    "git-raw": 0x78,
    "torrent-info": 0x7B,
    "torrent-file": 0x7C,
    "dag-jose": 0x85,
    "dag-cose": 0x86,
    "eth-block": 0x90,
    "eth-block-list": 0x91,
    "eth-tx-trie": 0x92,
    "eth-tx": 0x93,
    "eth-tx-receipt-trie": 0x94,
    "eth-tx-receipt": 0x95,
    "eth-state-trie": 0x96,
    "eth-account-snapshot": 0x97,
    "eth-storage-trie": 0x98,
    "eth-receipt-log-trie": 0x99,
    "eth-receipt-log": 0x9A,
    "bitcoin-block": 0xB0,
    "bitcoin-tx": 0xB1,
    "bitcoin-witness-commitment": 0xB2,
    "zcash-block": 0xC0,
    "zcash-tx": 0xC1,
    "dag-json": 0x0129,
    "json": 0x0200,
    "car": 0x0202,
    # private use (0x300000-0x3fffff): autocodec's self-describing blocks (registry/_selfdescribing.py)
    "autocodec-envelope": 0x3AC0DE,
}

MULTIHASHES: dict[str, int] = {
    "identity": 0x00,
    "sha1": 0x11,
    "sha2-256": 0x12,
    "sha2-512": 0x13,
    "sha3-512": 0x14,
    "sha3-384": 0x15,
    "sha3-256": 0x16,
    "sha3-224": 0x17,
    "shake-128": 0x18,
    "shake-256": 0x19,
    "keccak-224": 0x1A,
    "keccak-256": 0x1B,
    "keccak-384": 0x1C,
    "keccak-512": 0x1D,
    "blake3": 0x1E,
    "sha2-384": 0x20,
    "dbl-sha2-256": 0x56,
    "sha2-224": 0x1013,
    "sha2-512-224": 0x1014,
    "sha2-512-256": 0x1015,
}
# blake2b-8 .. blake2b-512 are 0xb201 .. 0xb240; blake2s-8 .. blake2s-256 are 0xb241 .. 0xb260.
MULTIHASHES.update({f"blake2b-{8 * i}": 0xB200 + i for i in range(1, 65)})
MULTIHASHES.update({f"blake2s-{8 * i}": 0xB240 + i for i in range(1, 33)})

KEY_TYPES: dict[str, int] = {
    "secp256k1-pub": 0xE7,
    "bls12_381-g1-pub": 0xEA,
    "bls12_381-g2-pub": 0xEB,
    "x25519-pub": 0xEC,
    "ed25519-pub": 0xED,
    "p256-pub": 0x1200,
}

_CODEC_NAMES = {v: k for k, v in CODECS.items()}
_HASH_NAMES = {v: k for k, v in MULTIHASHES.items()}
_KEY_NAMES = {v: k for k, v in KEY_TYPES.items()}


MAX_CODE = (1 << 63) - 1
"""Largest code an unsigned varint can carry (the spec caps varints at 9 bytes, 63 bits)."""
_MAX_CODE_TEXT = 24  # "0x" + 16 hex digits or 19 decimal digits, with room for whitespace


def _parse(value: str | int, table: dict[str, int]) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value if 0 <= value <= MAX_CODE else None
    if not isinstance(value, str) or len(value) > 256:  # longer than any name: refused unread
        return None
    text = value.strip().lower()
    if text in table:
        return table[text]
    if len(text) > _MAX_CODE_TEXT:
        return None
    try:
        if text.startswith("0x") and text[2:].isalnum():
            code = int(text[2:], 16)
        elif text.isdigit() and text.isascii():
            code = int(text)
        else:
            return None
    except ValueError:
        return None
    return code if code <= MAX_CODE else None


def _shown(value: object) -> str:
    """A short, printable form of a rejected value for an error message."""
    text = value if isinstance(value, str) else repr(value)
    return text[:40] + "..." if len(text) > 40 else text


def _out_of_range(value: object) -> bool:
    if isinstance(value, bool):
        return False
    if isinstance(value, int):
        return True
    text = value.strip().lower() if isinstance(value, str) else ""
    return text.startswith("0x") or (text.isdigit() and text.isascii())


def codec_code(codec: str | int) -> int:
    """The multicodec code for a codec name or number; ``UnknownCodec`` if unparseable."""
    return _lookup(codec, CODECS, "codec")


def hash_code(hash_name: str | int) -> int:
    """The multihash code for a hash name or number; ``UnknownHash`` if unparseable."""
    return _lookup(hash_name, MULTIHASHES, "hash")


def _lookup(value: str | int, table: dict[str, int], kind: Literal["codec", "hash"]) -> int:
    """``value``'s code in ``table``, else in Kubo's whole table of that ``kind``; else
    ``UnknownCodec``/``UnknownHash`` (saying "not a ... code" for a number out of range)."""
    code = _parse(value, table)
    if code is None and isinstance(value, str) and len(value) <= 256:
        from . import _multiformats

        any_code = _multiformats.codec_code if kind == "codec" else _multiformats.hash_code
        code = any_code(value.strip().lower())
    if code is not None:
        return code
    unknown, table_name = (UnknownCodec, "multicodec") if kind == "codec" else (UnknownHash, "multihash")
    if _out_of_range(value):
        raise unknown(_shown(value), f"not a {table_name} code: {_shown(value)!r}",
                      hint=f"a code is a name or a number from 0 to 0x{MAX_CODE:x}")
    raise unknown(_shown(value) if isinstance(value, str) else repr(value))


def key_type_code(key_type: str | int) -> int:
    code = _parse(key_type, KEY_TYPES)
    if code is None:
        raise UnknownKeyType(f"unknown key type {key_type!r}")
    return code


def codec_name(code: int) -> str:
    """A readable name for a codec code (``0x...`` when the table has none)."""
    return _CODEC_NAMES.get(code, f"0x{code:x}")


def hash_name(code: int) -> str:
    return _HASH_NAMES.get(code, f"0x{code:x}")


def key_type_name(code: int) -> str:
    return _KEY_NAMES.get(code, f"0x{code:x}")


def entry_name(kind: str, key: int | str) -> str:
    """A set entry's key as people read it: the name of a codec, multihash or key type code
    (``0x...`` when the table has none); a chunker, task or verifier name as it is."""
    if isinstance(key, str):
        return key
    names = {"codec": codec_name, "hasher": hash_name, "crypto": key_type_name}.get(str(kind))
    return names(key) if names else str(key)
