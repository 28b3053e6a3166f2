"""``Hashes``: multihashes, block verification and signature checks, builtin or extension.

Invariants: a builtin always serves its own code (hashlib, ``cryptography``'s Ed25519); any
other code goes to the extension the resolver serves *in the caller's generation*, so a
revoked hasher or crypto module is refused like every other extension. Streams hash in
bounded memory (non-streaming builtins are capped at ``limits.decode.max_block_bytes``).
"""

from __future__ import annotations

from collections.abc import Iterable
from itertools import chain
from typing import Any

from .._inputs import as_bytes
from .. import builtin
from ..abi import Kind
from ..cid import CID, encode_varint
from ..codes import hash_code, hash_name, key_type_code
from ..config import Limits
from ..errors import AutocodecError, DigestTooLong, HashMismatch, InvalidInput
from ._generation import Generation
from ._hashing import hashlib_stream
from ._resolver import Resolver


class Hashes:
    """Hash and signature work of one runtime; safe to share between threads."""

    def __init__(self, resolver: Resolver, limits: Limits) -> None:
        self.resolver = resolver
        self.limits = limits

    def verify_block(self, cid: CID, data: bytes, *, generation: Generation | None = None) -> None:
        """``HashMismatch`` unless ``data`` hashes to ``cid`` (builtin or a trusted hasher extension)."""
        code = cid.hash_code
        if builtin.has_hash(code):
            builtin.verify_cid(cid, data)
            return
        size = len(cid.digest)
        if size > builtin.MAX_DIGEST:  # before any hasher is looked for (builtin.verify_cid: the same)
            raise DigestTooLong(f"{cid}: its {hash_name(code)} digest is {size} bytes; Kubo refuses digests over "
                                f"{builtin.MAX_DIGEST} bytes")
        hasher = self.resolver.adapter(Kind.HASHER, code, generation=generation)
        if size >= builtin.MIN_TRUNCATED_DIGEST and hasher.extends:  # any length Kubo takes, in one call
            match = hasher.digest(data, size) == cid.digest
        else:
            full = hasher.digest(data)
            if size > len(full):
                hasher.digest(data, size)  # DigestLengthUnsupported: a module with no extendable output
            match = builtin.digest_names(full, cid.digest)
        if not match:
            raise HashMismatch(f"block does not match {cid} ({hash_name(code)} extension, {len(data)} bytes)")

    def hash(self, data: bytes, hash: str | int = "sha2-256", *, length: int | None = None) -> bytes:
        """The multihash of ``data`` with a builtin or extension hasher: its whole digest, or with
        ``length`` a digest of that many bytes, as Kubo's ``block put --mhlen`` makes it (the
        digest cut, to at least ``MIN_TRUNCATED_DIGEST`` bytes, or longer, up to ``MAX_DIGEST``,
        from a hasher with extendable output); identity ignores ``length``."""
        code = hash_code(hash)
        if length is not None and type(length) is not int:
            raise InvalidInput(f"a digest length is a whole number of bytes, not {type(length).__name__} {length!r}"[:200],
                               hint=f"give a length from {builtin.MIN_TRUNCATED_DIGEST} to {builtin.MAX_DIGEST}")
        hasher = None
        if builtin.has_hash(code):
            if length is None or code == 0x00:
                return builtin.multihash_digest(data, code)
            digest = builtin.hasher_for(code).digest(data)
        else:
            hasher = self.resolver.adapter(Kind.HASHER, code)
            digest = hasher.digest(data)
        if length is not None and length != len(digest):
            digest = _resized(hasher, data, digest, length, hash_name(code))
        return encode_varint(code) + encode_varint(len(digest)) + digest

    def hash_many(self, datas: Iterable[bytes | bytearray | memoryview], hash: str | int = "sha2-256") -> list[bytes]:
        """The full multihash of each input, in order. An extension hasher gets them all at once
        (``bulk.digest_many``: many inputs to a guest call where the module batches, over
        processes where ``digest_workers`` finds it worth it); the first input it refuses raises
        that input's error."""
        code = hash_code(hash)
        items = [d if type(d) is bytes else bytes(d) for d in datas]
        prefix = encode_varint(code)
        if builtin.has_hash(code):
            return [builtin.multihash_digest(d, code) for d in items]
        from ..loader._pool import digest_many

        out: list[bytes] = []
        for digest in digest_many(self.resolver.adapter(Kind.HASHER, code), items):
            if isinstance(digest, AutocodecError):
                raise digest
            out.append(prefix + encode_varint(len(digest)) + digest)
        return out

    def hash_stream(self, chunks: Iterable[bytes], hash: str | int = "sha2-256") -> bytes:
        """The full multihash of a stream of chunks, in bounded memory (builtin or extension)."""
        code = hash_code(hash)
        if builtin.has_hash(code):
            state = hashlib_stream(code)
            if state is None:  # identity and other non-streaming builtins: bounded by the block cap
                data = bytearray()
                for chunk in chunks:
                    data += chunk
                    if len(data) > self.limits.decode.max_block_bytes:
                        raise InvalidInput(f"{hash_name(code)} input over {self.limits.decode.max_block_bytes} bytes")
                return builtin.multihash_digest(bytes(data), code)
            update, final = state
            for chunk in chunks:
                update(chunk)
            digest = final()
        else:
            hasher = self.resolver.adapter(Kind.HASHER, code)
            it = iter(chunks)
            first = next(it, b"")
            second = next(it, None)
            if second is None:  # one chunk: one call (a stream takes an instance and three calls)
                digest = bytes(hasher.digest(first))
            else:
                stream = hasher.stream()
                for chunk in chain((first, second), it):
                    stream.update(chunk)
                digest = bytes(stream.final())
        return encode_varint(code) + encode_varint(len(digest)) + digest

    def verify_signature(self, key_type: str | int, public_key: bytes, message: bytes, signature: bytes) -> bool:
        """Check a signature: Ed25519 with the builtin (strict RFC 8032), other key types with a
        crypto extension from the pinned sets (e.g. BIP-340 Schnorr for secp256k1-pub).

        Trust decisions never come here: the trust layer always uses the builtin Ed25519.
        """
        code = key_type_code(key_type)
        public_key, message, signature = (as_bytes(x, "verify_signature") for x in (public_key, message, signature))
        if code == 0xED:
            from ..verify import InvalidKey, PublicKey

            try:
                return PublicKey(public_key).verify(signature, message)
            except InvalidKey:
                return False
        crypto = self.resolver.adapter(Kind.CRYPTO, code)
        return bool(crypto.verify(code, public_key, message, signature))


def _resized(hasher: Any, data: bytes, digest: bytes, length: int, name: str) -> bytes:
    """``digest`` (the hash's own output) made ``length`` bytes long: cut, or extended by an
    extension ``hasher`` with extendable output (``None``: a builtin, which has none)."""
    most = builtin.MAX_DIGEST if hasher is not None and hasher.extends else len(digest)  # what a hint may offer
    if length < 0 or (length > len(digest) and hasher is None):
        raise InvalidInput(f"a {name} digest is {len(digest)} bytes: it cannot be made {length} bytes long",
                           hint=f"give a length from {builtin.MIN_TRUNCATED_DIGEST} to {most}")
    if length > builtin.MAX_DIGEST:
        raise InvalidInput(f"a digest of {length} bytes is too long: Kubo refuses digests over {builtin.MAX_DIGEST} "
                           "bytes", hint=f"give a length from {builtin.MIN_TRUNCATED_DIGEST} to {builtin.MAX_DIGEST}")
    if length > len(digest):
        extended: bytes = hasher.digest(data, length)  # DigestLengthUnsupported: no extendable output
        return extended
    if length < builtin.MIN_TRUNCATED_DIGEST:
        raise InvalidInput(f"a digest of {length} bytes is too short: Kubo refuses digests under "
                           f"{builtin.MIN_TRUNCATED_DIGEST} bytes",
                           hint=f"give a length from {builtin.MIN_TRUNCATED_DIGEST} to {most}")
    return digest[:length]
