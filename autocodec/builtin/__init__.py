"""Builtin codecs and multihashes: the native ground every other wing stands on.

Codecs: raw (0x55), dag-cbor (0x71), dag-json (0x0129), dag-pb (0x70), json (0x0200) and
cbor (0x51). Multihashes: identity, sha1, sha2-*, sha3-*, shake-128/256, blake2b-*, blake2s-*,
dbl-sha2-256, all from ``hashlib``. Keccak-256 and BLAKE3 are not builtin (Wasm extensions).

Invariants:
- ``decode`` never returns partial data: it returns the whole data-model value (dict with str
  keys, list, str, bytes, int, float, bool, None, ``CID``) or raises ``InvalidBlock``, within
  ``DecodeLimits`` (size and nesting), never a crash, ``RecursionError`` or ``MemoryError``.
- ``encode`` is canonical: ``encode(decode(b)) == b`` for every block ``b`` decode accepts,
  except that dag-json/json decoders accept unsorted keys and other whitespace (JSON is
  written as Kubo's JSON codec writes it: the map order given, indented), a number read from
  ``-0`` is an integer, and the dag-pb decoder accepts links not sorted by Name (which the
  encoder refuses, per the spec); it raises ``EncodeError`` for values outside the codec's
  data model. The text of DAG-JSON and JSON is Kubo's (integral floats as integers).
- ``decode(..., strict=False)`` also reads DAG-CBOR/CBOR blocks not in canonical form as Kubo
  reads them (``_cbor_relaxed``): the round trip then gives the canonical twin, not the block.
- Limits: one ``DecodeLimits`` bounds both directions (``max_block_bytes`` on decode,
  ``max_depth`` on decode and encode); the default is ``DEFAULT_LIMITS.decode``.
- ``CODECS`` / ``HASHERS`` are the read-only tables (code -> codec object / ``Hasher``).
- Speed: the hot paths run in C (cbrrr for CBOR, the stdlib scanner for JSON, ``_cscan``
  for depth scans, link construction and value checks); ``autocodec bench --group dag-cbor``
  measures them next to cbrrr, libipld and the dag-cbor/dag-json packages.
- Unknown codes raise ``UnknownCodec`` / ``UnknownHash`` carrying the code, so the registry
  wing can catch them and resolve an extension.
"""

from __future__ import annotations

from typing import Any

from .._inputs import as_bytes
from ..cid import CID, encode_varint
from ..codes import codec_code, hash_code
from ..config import DEFAULT_LIMITS, DecodeLimits
from ..errors import DigestTooLong, HashMismatch, InvalidInput, UnknownCodec, UnknownHash
from ._dagcbor import decode_small as decode_dag_cbor_small  # decode(data, "dag-cbor", limits=...), least overhead
from ._dagcbor import decode_records as decode_dag_cbor_records  # many short values in one C call
from ._dagjson import DagJson
from ._dagpb import sort_links as sort_dag_pb_links  # the spec's link order, as Kubo's dag put stores it
from ._registry import CODECS, HASHERS, Codec, Hasher, codec_for, hasher_for

_DEFAULT = DEFAULT_LIMITS.decode


# code and name -> decode function: one dict lookup on the hot path
_DECODERS: dict[int | str, Any] = {k: c.decode for c in CODECS.values() for k in (c.code, c.name)}
_RELAXED: dict[int | str, Any] = {k: getattr(c, "decode_relaxed", c.decode) for c in CODECS.values()
                                  for k in (c.code, c.name)}
_KEY_TYPES = frozenset({int, str})


def decode(data: bytes, codec: str | int, *, limits: DecodeLimits | None = None, strict: bool = True) -> Any:
    """The data-model value of a block; ``InvalidBlock`` if it is not valid for ``codec``.

    ``strict=False`` reads DAG-CBOR and CBOR blocks that are not in canonical form as Kubo
    reads them (the spec's decode relaxations: map keys in any order, half and single floats,
    ``undefined`` as null, a dropped tag on an item that is not a byte string; see
    ``_cbor_relaxed``); a canonical block decodes the same either way. The default, strict,
    is for documents whose bytes must be the one encoding of their value (signed manifests,
    sets, UCANs, invocations); ``Runtime`` reads blocks as data with ``DecodeLimits.strict_blocks``.
    """
    fn = (_DECODERS if strict else _RELAXED).get(codec) if type(codec) in _KEY_TYPES else None
    if fn is None:
        found = codec_for(codec)
        fn = found.decode if strict else getattr(found, "decode_relaxed", found.decode)
    if type(data) is not bytes:
        if not isinstance(data, (bytearray, memoryview)):
            raise InvalidInput(f"decode needs bytes, not {type(data).__name__}")
        data = bytes(data)
    return fn(data, limits or _DEFAULT)


def decode_dag_cbor_as_go_maps(data: bytes, *, limits: DecodeLimits | None = None) -> Any:
    """``decode(data, "dag-cbor", strict=False)``, and a map key that is not UTF-8 kept as its
    bytes' surrogate escapes, as go-ipld-prime reads it into a plain map: for documents Kubo
    reads that way and only looks keys up in (IPNS record data), where such a key is one more
    key no lookup matches, not a broken document."""
    from ._dagcbor import decode_dag_cbor_relaxed

    return decode_dag_cbor_relaxed(as_bytes(data, "decode_dag_cbor_as_go_maps"), limits or _DEFAULT, any_key_bytes=True)


def encode(value: Any, codec: str | int, *, limits: DecodeLimits | None = None) -> bytes:
    """The canonical encoding of ``value``; ``EncodeError`` if it does not fit ``codec``."""
    return codec_for(codec).encode(value, limits or _DEFAULT)


def to_dag_json_text(value: Any, pretty: bool = False, *, limits: DecodeLimits | None = None) -> str:
    """DAG-JSON text of a value, for display; ``pretty`` indents it (no longer canonical)."""
    text = DagJson.encode_text(value, limits or _DEFAULT)
    if not pretty:
        return text
    import json

    # Reparse as plain JSON (the canonical text is valid JSON) and indent; key order is kept.
    try:
        return json.dumps(json.loads(text), indent=2, ensure_ascii=False)
    except RecursionError:  # too deep to indent with the stdlib: show it compact
        return text


_EXTENSION_HASH_HINT = ("this function knows the builtin hashes only; an extension hash (blake3, keccak-256...) "
                        "runs through a Runtime over a home with its set pinned: Runtime.hash, Runtime.cid_for")


def multihash_digest(data: bytes, hash: str | int = "sha2-256") -> bytes:
    """The full multihash (code varint, length varint, digest) of ``data`` (builtin hashes)."""
    try:
        hasher = hasher_for(hash)
    except UnknownHash as exc:
        raise UnknownHash(exc.code, exc.message, hint=_EXTENSION_HASH_HINT) from None
    digest = hasher.digest(as_bytes(data, "multihash_digest"))
    return encode_varint(hasher.code) + encode_varint(len(digest)) + digest


def cid_for(data: bytes, codec: str | int, hash: str | int = "sha2-256") -> CID:
    """The CIDv1 of a block: ``codec`` plus the multihash of ``data``."""
    code = codec if type(codec) is int else codec_code(codec)
    if not 0 <= code < 1 << 63:
        raise UnknownCodec(code)
    return CID._unchecked(b"\x01" + encode_varint(code) + multihash_digest(data, hash))


MIN_TRUNCATED_DIGEST = 20
"""Shortest truncated digest a CID may carry: boxo verifcid's minimum (Kubo v0.43.1 refuses
shorter ones; a hash's own full size, as blake2b-8's one byte, is not a truncation)."""

MAX_DIGEST = 128
"""Longest digest a CID may carry: boxo verifcid's maximum (Kubo v0.43.1 refuses a CID with a
longer one, "digest too large"; blake3's extended output makes digests up to it)."""

MAX_IDENTITY_DIGEST = 128
"""The most bytes an identity CID may hold: boxo verifcid's ``DefaultMaxIdentityDigestSize``,
past which Kubo 0.43.1 refuses the CID ("digest too large"). The store and ``verify_cid`` both
refuse longer ones through ``check_identity_digest``."""


def check_identity_digest(cid: CID) -> None:
    """Raise ``DigestTooLong`` if ``cid`` (an identity CID) holds over ``MAX_IDENTITY_DIGEST`` bytes."""
    if len(cid.digest) > MAX_IDENTITY_DIGEST:
        raise DigestTooLong(f"{cid}: an identity CID holds at most {MAX_IDENTITY_DIGEST} bytes (Kubo refuses "
                            f"longer ones), this one {len(cid.digest)}",
                            hint="name the block by a hash of its bytes (e.g. sha2-256) instead")


def digest_names(full: bytes, expected: bytes) -> bool:
    """Whether a CID's digest ``expected`` names the hash output ``full``: equal to it, or its
    first bytes, at least ``MIN_TRUNCATED_DIGEST`` of them (a truncated multihash, as
    go-multihash's ``Sum`` with a length and Kubo's ``block put --mhlen`` make)."""
    if len(expected) == len(full):
        return expected == full
    return MIN_TRUNCATED_DIGEST <= len(expected) < len(full) and full.startswith(expected)


def verify_cid(cid: CID, data: bytes) -> None:
    """Return if ``data`` hashes to ``cid``'s multihash (its digest whole or truncated to at least
    ``MIN_TRUNCATED_DIGEST`` bytes); ``HashMismatch`` or ``UnknownHash`` otherwise, and
    ``DigestTooLong`` for a digest over ``MAX_DIGEST`` bytes, or an identity one over
    ``MAX_IDENTITY_DIGEST`` (Kubo refuses the CID before hashing)."""
    if not isinstance(cid, CID):
        raise InvalidInput(f"verify_cid needs a CID, not {type(cid).__name__}")
    data = as_bytes(data, "verify_cid")
    expected_digest = cid.digest
    hasher = hasher_for(cid.hash_code)
    if hasher.code == 0x00:  # identity: the digest is the data
        check_identity_digest(cid)
        if data != expected_digest:
            raise HashMismatch(f"block does not match identity {cid}")
        return
    size = len(expected_digest)
    if size > MAX_DIGEST:  # as Hashes.verify_block for an extension's hash
        raise DigestTooLong(f"{cid}: its {hasher.name} digest is {size} bytes; Kubo refuses digests over "
                            f"{MAX_DIGEST} bytes")
    if hasher.size and size != hasher.size and not MIN_TRUNCATED_DIGEST <= size < hasher.size:
        raise HashMismatch(f"{cid}: a {hasher.name} digest is {hasher.size} bytes, or at least "
                           f"{MIN_TRUNCATED_DIGEST} cut from them; the CID has {size}")
    if not digest_names(hasher.digest(data), expected_digest):
        raise HashMismatch(f"block does not match {cid} ({hasher.name}, {len(data)} bytes)")


def has_codec(code: int | str) -> bool:
    """True if ``code`` (a multicodec number or name, as ``encode`` takes) has a builtin codec.

    A name is read as ``encode`` reads it (``"dag-cbor"`` is builtin); a name no table knows,
    or anything but an int or a str, has none."""
    if type(code) is int:
        return code in CODECS
    if isinstance(code, str):
        try:
            return codec_code(code) in CODECS
        except UnknownCodec:
            return False
    return False


def has_hash(code: int | str) -> bool:
    """True if ``code`` (a multihash number or name, as ``cid_for`` takes) has a builtin function."""
    if type(code) is int:
        return code in HASHERS
    if isinstance(code, str):
        try:
            return hash_code(code) in HASHERS
        except UnknownHash:
            return False
    return False


__all__ = [
    "CODECS",
    "HASHERS",
    "Codec",
    "Hasher",
    "cid_for",
    "codec_for",
    "decode",
    "decode_dag_cbor_as_go_maps",
    "decode_dag_cbor_small",
    "decode_dag_cbor_records",
    "encode",
    "has_codec",
    "has_hash",
    "hasher_for",
    "multihash_digest",
    "sort_dag_pb_links",
    "to_dag_json_text",
    "verify_cid",
    "digest_names",
    "MAX_DIGEST",
    "MAX_IDENTITY_DIGEST",
    "check_identity_digest",
    "MIN_TRUNCATED_DIGEST",
]
