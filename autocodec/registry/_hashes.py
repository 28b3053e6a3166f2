"""``Hashes``: multihashes, block verification and signature checks, builtin or extension.

Invariants: a builtin always serves its own code (hashlib, ``cryptography``'s Ed25519); any
other code goes to the extension the resolver serves *in the caller's generation*, so a
revoked hasher or crypto module is refused like every other extension. Streams hash in
bounded memory (non-streaming builtins are capped at ``limits.decode.max_block_bytes``).
"""

from __future__ import annotations

from collections.abc import Iterable
from itertools import chain

from .. import builtin
from ..abi import Kind
from ..cid import CID, encode_varint
from ..codes import hash_code, hash_name, key_type_code
from ..config import Limits
from ..errors import AutocodecError, HashMismatch, InvalidInput
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
        hasher = self.resolver.adapter(Kind.HASHER, code, generation=generation)
        if not builtin.digest_names(hasher.digest(data), cid.digest):
            raise HashMismatch(f"block does not match {cid} ({hash_name(code)} extension, {len(data)} bytes)")

    def hash(self, data: bytes, hash: str | int = "sha2-256") -> bytes:
        """The full multihash of ``data`` with a builtin or extension hasher."""
        code = hash_code(hash)
        if builtin.has_hash(code):
            return builtin.multihash_digest(data, code)
        digest: bytes = self.resolver.adapter(Kind.HASHER, code).digest(data)
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
        if code == 0xED:
            from ..verify import InvalidKey, PublicKey

            try:
                return PublicKey(bytes(public_key)).verify(bytes(signature), bytes(message))
            except InvalidKey:
                return False
        crypto = self.resolver.adapter(Kind.CRYPTO, code)
        return bool(crypto.verify(code, bytes(public_key), bytes(message), bytes(signature)))
