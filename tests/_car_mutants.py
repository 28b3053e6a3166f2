"""Structure-aware mutants of CAR files, for the differential fuzzer of ``dag import`` against
Kubo v0.43.1 (tests/test_car_import_kubo.py).

Shapes follow the CARv1 and CARv2 specs (ipld.io/specs/transport/car/carv1 and .../carv2): a
CARv1 is ``varint(len) header`` (a CBOR map ``{"version": 1, "roots": [CID...]}``) then
sections ``varint(len) CID block``; a CARv2 is the 11-byte pragma, 40 bytes of header
(16 bytes of characteristics, then little-endian u64 data offset, data size and index offset),
optional padding, a CARv1 payload, optional padding and an optional index.

A mutant is built in two steps. ``_plan`` picks the structure: a few fresh blocks (raw,
DAG-CBOR, DAG-JSON and DAG-PB under CIDv1 or CIDv0, several hash functions, identity CIDs),
each salted from the case's seed so no earlier case stored them; a header with zero, one or many
roots (held, absent, CIDv0, identity), a version of another value or type, extra keys, roots
that are not a list of CIDs, or a header that is not a map, its length varint non-minimal,
overlong, zero or wrong; sections whose CID is of every shape (v0, v1, identity, unknown codec,
unknown hash, a digest length that is not the hash's, version 0 or 2 spelt out, a non-minimal
varint, cut short), whose bytes do not match their CID, repeated, empty, with length varints
non-minimal, overlong, zero, short or past the end; and, for a CARv2, its characteristics, data
offset, size, padding and index present, absent, garbled or pointing anywhere. Then
``_bytes_mutations`` may cut the rendered file at a structural boundary (or a byte either side),
flip bytes or add trailing bytes. Every choice is named in the mutant's ``labels``.
"""

from __future__ import annotations

import hashlib
import random
import struct
from dataclasses import dataclass, field

from autocodec import builtin
from autocodec.cid import CID

PRAGMA = bytes.fromhex("0aa16776657273696f6e02")

_RAW, _DAG_PB, _DAG_CBOR, _DAG_JSON = 0x55, 0x70, 0x71, 0x0129
_HASHES = ["sha2-256", "sha2-256", "sha2-256", "sha2-512", "blake2b-256", "sha3-256", "sha1", "sha2-256"]


@dataclass
class Block:
    """One block of a mutant: its CID's bytes, its bytes, and whether the store can hold it
    (identity CIDs never are stored; a CID mutated away from its bytes is not either)."""

    cid: bytes
    data: bytes
    kind: str

    @property
    def multihash(self) -> bytes:
        return self.cid if self.cid[:2] == b"\x12\x20" else _multihash_of(self.cid)


@dataclass
class Mutant:
    """A CAR's bytes, the names of what was done to it, and the blocks it was built from."""

    data: bytes
    labels: list[str]
    blocks: list[Block] = field(default_factory=list)
    pin: bool = False
    json: bool = False
    sections: list[bytes] = field(default_factory=list)  # every section's CID as written

    def multihashes(self) -> set[bytes]:
        """The multihash of every block and section CID of the mutant (what a store may hold after)."""
        return {b.multihash for b in self.blocks} | {_multihash_of(c) if c[:2] != b"\x12\x20" else c
                                                     for c in self.sections}

    @property
    def name(self) -> str:
        return "; ".join(self.labels)


def _multihash_of(cid: bytes) -> bytes:
    """The multihash of a CIDv1's bytes (after version and codec), best effort."""
    pos = 0
    for _ in range(2):
        while pos < len(cid) and cid[pos] & 0x80:
            pos += 1
        pos += 1
    return cid[pos:]


def varint(n: int, pad: int = 0) -> bytes:
    """``n`` as an unsigned LEB128 varint, ``pad`` bytes longer than needed (not minimal)."""
    out = bytearray()
    while True:  # unsigned LEB128 (the multiformats unsigned-varint), any size
        out.append(n & 0x7F | (0x80 if n > 0x7F else 0))
        n >>= 7
        if not n:
            break
    if pad:
        out[-1] |= 0x80
        out += b"\x80" * (pad - 1) + b"\x00"
    return bytes(out)


# -- a small CBOR writer (headers need forms no DAG-CBOR encoder writes) --------------------------

class Link(bytes):
    """A CID's bytes, written as a tag-42 link."""


def _head(major: int, n: int) -> bytes:
    if n < 24:
        return bytes([major << 5 | n])
    for info, size in ((24, 1), (25, 2), (26, 4), (27, 8)):
        if n < 1 << (8 * size):
            return bytes([major << 5 | info]) + n.to_bytes(size, "big")
    raise ValueError(n)


def cbor(value: object) -> bytes:
    """Plain CBOR of ``value`` (dict keys in the given order, ``Link`` as tag 42)."""
    if value is None:
        return b"\xf6"
    if value is True or value is False:
        return b"\xf5" if value else b"\xf4"
    if isinstance(value, Link):
        return b"\xd8\x2a" + cbor(b"\x00" + bytes(value))
    if isinstance(value, int):
        return _head(0, value) if value >= 0 else _head(1, -1 - value)
    if isinstance(value, float):
        return b"\xfb" + struct.pack(">d", value)
    if isinstance(value, bytes):
        return _head(2, len(value)) + value
    if isinstance(value, str):
        raw = value.encode()
        return _head(3, len(raw)) + raw
    if isinstance(value, list):
        return _head(4, len(value)) + b"".join(cbor(v) for v in value)
    if isinstance(value, dict):
        return _head(5, len(value)) + b"".join(cbor(k) + cbor(v) for k, v in value.items())
    raise TypeError(type(value))


# -- blocks ---------------------------------------------------------------------------------------

def _pb_node(data: bytes, links: list[bytes]) -> bytes:
    """A DAG-PB node in canonical field order: its links (Hash only), then Data."""
    out = b""
    for link in links:
        inner = b"\x0a" + varint(len(link)) + link
        out += b"\x12" + varint(len(inner)) + inner
    return out + b"\x0a" + varint(len(data)) + data


def _identity(data: bytes, codec: int = _RAW) -> bytes:
    return b"\x01" + varint(codec) + b"\x00" + varint(len(data)) + data


_OTHER_HASHES = {  # multihash codes (multiformats' table) with digests computed here
    "md5": (0xD5, lambda d: hashlib.md5(d).digest()),
    "sha2-224": (0x1013, lambda d: hashlib.sha224(d).digest()),
    "sha2-384": (0x20, lambda d: hashlib.sha384(d).digest()),
    "sha2-512-224": (0x1014, lambda d: hashlib.new("sha512_224", d).digest()),
    "sha2-512-256": (0x1015, lambda d: hashlib.new("sha512_256", d).digest()),
    "sha3-224": (0x17, lambda d: hashlib.sha3_224(d).digest()),
    "sha3-384": (0x15, lambda d: hashlib.sha3_384(d).digest()),
    "sha3-512": (0x14, lambda d: hashlib.sha3_512(d).digest()),
    "shake-128": (0x18, lambda d: hashlib.shake_128(d).digest(32)),
    "shake-256": (0x19, lambda d: hashlib.shake_256(d).digest(64)),
    "blake2b-128": (0xB210, lambda d: hashlib.blake2b(d, digest_size=16).digest()),
    "blake2b-160": (0xB214, lambda d: hashlib.blake2b(d, digest_size=20).digest()),
    "blake2b-512": (0xB240, lambda d: hashlib.blake2b(d, digest_size=64).digest()),
    "blake2s-128": (0xB250, lambda d: hashlib.blake2s(d, digest_size=16).digest()),
    "blake2s-256": (0xB260, lambda d: hashlib.blake2s(d, digest_size=32).digest()),
    "dbl-sha2-256": (0x56, lambda d: hashlib.sha256(hashlib.sha256(d).digest()).digest()),
    "sha2-256 cut to 20": (0x12, lambda d: hashlib.sha256(d).digest()[:20]),
    "sha2-512 cut to 32": (0x13, lambda d: hashlib.sha512(d).digest()[:32]),
    "sha1 cut to 10": (0x11, lambda d: hashlib.sha1(d).digest()[:10]),
    "blake2b-256 cut to 16": (0xB220, lambda d: hashlib.blake2b(d, digest_size=32).digest()[:16]),
}


def _make_block(rng: random.Random, salt: str, i: int, earlier: list[Block]) -> Block:
    text = f"car mutant {salt} block {i}".encode()
    linkable = [b.cid for b in earlier]
    kind = rng.choice(["raw", "raw", "dag-cbor", "dag-cbor", "dag-json", "dag-pb", "dag-pb v0", "identity",
                       "empty raw", "raw other hash"])
    if kind == "raw other hash":
        data = text + rng.randbytes(rng.randint(0, 20))
        name = rng.choice(sorted(_OTHER_HASHES))
        code, fn = _OTHER_HASHES[name]
        digest = fn(data)
        return Block(b"\x01\x55" + varint(code) + varint(len(digest)) + digest, data, f"raw {name}")
    if kind == "identity":  # a section of an identity CID holds its digest (or, wrongly, nothing else)
        digest = text[: rng.choice([0, 5, len(text)])]
        matched = rng.random() < 0.7
        return Block(_identity(digest), digest if matched else b"", kind if matched else "identity without its bytes")
    if kind == "dag-pb v0":
        data = _pb_node(text, rng.sample(linkable, min(len(linkable), rng.randint(0, 2))))
        return Block(b"\x12\x20" + hashlib.sha256(data).digest(), data, kind)
    if kind in ("raw", "empty raw"):
        data = text + rng.randbytes(rng.randint(0, 40)) if kind == "raw" else b""
        hashed = rng.choice(_HASHES) if kind == "raw" else "sha2-256"
        if kind == "empty raw":  # the same block in every case: name it apart (it is never "new")
            data = b""
        return Block(bytes(builtin.cid_for(data, "raw", hashed)), data, f"{kind} {hashed}")
    if kind == "dag-pb":
        data = _pb_node(text, rng.sample(linkable, min(len(linkable), rng.randint(0, 2))))
        return Block(bytes(builtin.cid_for(data, "dag-pb")), data, kind)
    links = [CID(c) for c in rng.sample(linkable, min(len(linkable), rng.randint(0, 3)))]
    if rng.random() < 0.15:  # a link to a block no CAR holds: pinning it fails
        links.append(builtin.cid_for(text + b" absent", "raw"))
    value = {"salt": salt, "i": i, "links": links}
    codec = kind
    data = builtin.encode(value, codec)
    return Block(bytes(builtin.cid_for(data, codec)), data, kind)


# -- sections -------------------------------------------------------------------------------------

@dataclass
class Section:
    cid: bytes
    data: bytes
    length: bytes | None = None  # the length varint when not the minimal one of len(cid + data)

    def render(self) -> bytes:
        body = self.cid + self.data
        return (varint(len(body)) if self.length is None else self.length) + body


def _cid_shape(rng: random.Random, block: Block, labels: list[str]) -> Block:
    """The block's section CID given another shape (the block itself unchanged)."""
    cid, data = block.cid, block.data
    digest = hashlib.sha256(data).digest()
    shape = rng.choice(["v0 of any bytes", "v1 unknown codec", "unknown hash", "digest short", "digest long",
                        "version 0 spelt", "version 2", "version 3", "codec not minimal", "identity of the bytes",
                        "identity mismatched", "identity over 128", "codec past 2^63", "length 0 sha2-256", "v1 of a v0",
                        "v0 of a v1", "cid cut"])
    labels.append(f"section cid {shape}")
    if shape == "v0 of any bytes":
        cid = b"\x12\x20" + digest
    elif shape == "v1 unknown codec":
        cid = b"\x01" + varint(rng.choice([0x300001, 0x0200, 0x9999, 0x51])) + b"\x12\x20" + digest
    elif shape == "unknown hash":
        cid = b"\x01\x55" + varint(rng.choice([0x3F0001, 0x99, 0x1D, 0x1012, 0x22, 0x1B, 0x1E])) + b"\x20" + digest
    elif shape == "codec past 2^63":
        cid = b"\x01" + varint(2**63 + 0x55) + b"\x12\x20" + digest
    elif shape == "digest short":
        cid = b"\x01\x55\x12" + varint(31) + digest[:31]
    elif shape == "digest long":
        cid = b"\x01\x55\x12" + varint(33) + digest + b"\x00"
    elif shape == "length 0 sha2-256":
        cid = b"\x01\x55\x12\x00"
    elif shape == "version 0 spelt":
        cid = b"\x00\x70\x12\x20" + digest
    elif shape in ("version 2", "version 3"):
        cid = bytes([int(shape[-1])]) + b"\x55\x12\x20" + digest
    elif shape == "codec not minimal":
        cid = b"\x01\xd5\x00\x12\x20" + digest
    elif shape == "identity of the bytes":
        cid = _identity(data)
    elif shape == "identity mismatched":
        cid = _identity(data + b"!")
    elif shape == "identity over 128":
        data = rng.randbytes(129)
        cid = _identity(data)
    elif shape == "v1 of a v0":
        cid = b"\x01\x70" + (cid if cid[:2] == b"\x12\x20" else b"\x12\x20" + hashlib.sha256(data).digest())
    elif shape == "v0 of a v1":
        cid = b"\x12\x20" + digest if data else cid
    else:  # cut
        cid = cid[: rng.randint(1, max(1, len(cid) - 1))]
        data = b""
    return Block(cid, data, f"{block.kind} as {shape}")


def _sections(rng: random.Random, blocks: list[Block], labels: list[str]) -> list[Section]:
    chosen = list(blocks)
    if rng.random() < 0.2 and chosen:
        extra = rng.choice(chosen)
        chosen.insert(rng.randint(0, len(chosen)), extra)
        labels.append("a block twice")
    if rng.random() < 0.1 and len(chosen) > 1:
        labels.append("a block left out")
        chosen.pop(rng.randrange(len(chosen)))
    out = []
    rate = rng.choice([0.0, 0.0, 0.5, 1.0])  # how often a section is mutated: a third of CARs keep theirs
    for block in chosen:
        cid, data = block.cid, block.data
        roll = rng.random() / rate if rate else 1.0
        if roll < 0.12:
            shaped = _cid_shape(rng, block, labels)
            cid, data = shaped.cid, shaped.data
        elif roll < 0.2 and data:
            flipped = bytearray(data)
            flipped[rng.randrange(len(flipped))] ^= 1 << rng.randrange(8)
            data = bytes(flipped)
            labels.append("block bytes not its CID's")
        elif roll < 0.23:
            data = data + b"x"
            labels.append("a byte more than the CID's block")
        section = Section(cid, data)
        roll = rng.random() / rate if rate else 1.0
        size = len(cid) + len(data)
        if roll < 0.05:
            section.length = varint(size, rng.randint(1, 3))
            labels.append("section length not minimal")
        elif roll < 0.07:
            section.length = b"\xff" * rng.randint(9, 11) + b"\x01"
            labels.append("section length overlong")
        elif roll < 0.09:
            section.length = b"\x00"
            labels.append("section length zero")
        elif roll < 0.12:
            section.length = varint(size + rng.choice([1, 2, 50, 10**6, 2**40]))
            labels.append("section length past its section")
        elif roll < 0.15 and size > 1:
            section.length = varint(size - rng.randint(1, min(size - 1, 40)))
            labels.append("section length short")
        out.append(section)
    return out


# -- headers --------------------------------------------------------------------------------------

def _roots(rng: random.Random, blocks: list[Block], salt: str, labels: list[str]) -> list[bytes]:
    held = [b.cid for b in blocks] or [bytes(builtin.cid_for(salt.encode(), "raw"))]
    count = rng.choice([0, 1, 1, 1, 1, 2, 3, 5])
    roots = [rng.choice(held) for _ in range(count)]
    if count != 1:
        labels.append(f"{count} roots")
    roll = rng.random()
    if roll < 0.1:
        roots.append(bytes(builtin.cid_for(f"absent {salt}".encode(), rng.choice(["raw", "dag-cbor"]))))
        labels.append("a root not held")
    elif roll < 0.15:
        roots.append(b"\x12\x20" + hashlib.sha256(f"absent {salt}".encode()).digest())
        labels.append("a CIDv0 root not held")
    elif roll < 0.22:
        roots.append(_identity(salt.encode()[: rng.choice([0, 4, 16])]))
        labels.append("an identity root")
    elif roll < 0.25 and roots:
        roots.append(roots[0])
        labels.append("a root twice")
    elif roll < 0.35:
        name = rng.choice(sorted(_ODD_ROOTS))
        roots.append(_ODD_ROOTS[name](salt))
        labels.append(f"a root {name}")
    return roots


_ODD_ROOTS = {  # roots whose CID itself is refused, or whose block is in it (identity)
    "identity of 129 bytes": lambda salt: _identity(hashlib.sha512(salt.encode()).digest() * 2 + b"!"),
    "identity of 128 bytes": lambda salt: _identity(hashlib.sha512(salt.encode()).digest() * 2),
    "identity dag-cbor": lambda salt: _identity(cbor({"salt": salt}), _DAG_CBOR),
    "identity dag-cbor cut": lambda salt: _identity(cbor({"salt": salt})[:-2], _DAG_CBOR),
    "identity dag-pb": lambda salt: _identity(_pb_node(salt.encode(), []), _DAG_PB),
    "identity dag-json": lambda salt: _identity(b'{"salt":"' + salt.encode() + b'"}', _DAG_JSON),
    "identity unknown codec": lambda salt: _identity(salt.encode(), 0x9999),
    "identity dag-cbor linking a block not held": lambda salt: _identity(
        cbor({"l": Link(bytes(builtin.cid_for(f"absent {salt}".encode(), "raw")))}), _DAG_CBOR),
    "md5": lambda salt: b"\x01\x55\xd5\x01\x10" + hashlib.md5(salt.encode()).digest(),
    "sha2-384": lambda salt: b"\x01\x55\x20\x30" + hashlib.sha384(salt.encode()).digest(),
    "sha1 cut to 10": lambda salt: b"\x01\x55\x11\x0a" + hashlib.sha1(salt.encode()).digest()[:10],
    "sha2-256 cut to 19": lambda salt: b"\x01\x55\x12\x13" + hashlib.sha256(salt.encode()).digest()[:19],
    "sha2-256 of no digest": lambda salt: b"\x01\x55\x12\x00",
    "unknown hash": lambda salt: b"\x01\x55\x99\x01\x20" + hashlib.sha256(salt.encode()).digest(),
}


def _header(rng: random.Random, roots: list[bytes], labels: list[str], version: object = 1) -> bytes:
    fields: dict[object, object] = {"version": version, "roots": [Link(r) for r in roots]}
    roll = rng.random()
    if roll < 0.06:
        fields["version"] = rng.choice([0, 2, 3, -1, 2**64 - 1, "1", 1.0, True, None, b"\x01", [1]])
        labels.append(f"version {fields['version']!r}")
    elif roll < 0.08:
        del fields["version"]
        labels.append("no version")
    elif roll < 0.12:
        key = rng.choice(["extra", "Roots", "characteristics", "", "version2"])
        fields[key] = rng.choice([1, "x", None, []])
        labels.append(f"extra key {key!r}")
    elif roll < 0.17:
        fields["roots"] = rng.choice([None, {}, 5, "bafy", b"\x00", [1], [b"\x00" + roots[0] if roots else b"\x01"],
                                      [[Link(r) for r in roots]], [b"\x01\x55"]])
        labels.append(f"roots {fields['roots']!r:.30}")
    elif roll < 0.19:
        del fields["roots"]
        labels.append("no roots key")
    if rng.random() < 0.5:
        fields = dict(reversed(list(fields.items())))
    body = cbor(fields)
    roll = rng.random()
    if roll < 0.04:
        body = cbor(rng.choice([[1, []], 1, "car", b"car", None, [fields.get("roots")]]))
        labels.append("header not a map")
    elif roll < 0.06:
        body = body + rng.choice([b"\xff", b"\x00", b"\xa0"])
        labels.append("bytes after the header's map")
    return body


def _header_length(rng: random.Random, body: bytes, labels: list[str]) -> bytes:
    roll = rng.random()
    if roll < 0.04:
        labels.append("header length not minimal")
        return varint(len(body), rng.randint(1, 3))
    if roll < 0.06:
        labels.append("header length overlong")
        return b"\xff" * 10 + b"\x01"
    if roll < 0.08:
        labels.append("header length zero")
        return b"\x00"
    if roll < 0.10:
        labels.append("header length past the end")
        return varint(len(body) + rng.choice([1, 5, 10**6]))
    if roll < 0.12:
        labels.append("header length short")
        return varint(max(0, len(body) - rng.randint(1, 4)))
    return varint(len(body))


# -- the whole CAR --------------------------------------------------------------------------------

def _carv1(rng: random.Random, blocks: list[Block], salt: str, labels: list[str],
           cids: list[bytes]) -> tuple[bytes, list[int]]:
    """A CARv1's bytes and its structural boundaries (offsets); each section's CID goes in ``cids``."""
    body = _header(rng, _roots(rng, blocks, salt, labels), labels)
    length = _header_length(rng, body, labels)
    out = bytearray(length)
    marks = [0, len(out)]
    out += body
    marks.append(len(out))
    for section in _sections(rng, blocks, labels):
        rendered = section.render()
        cids.append(section.cid)
        head = len(rendered) - len(section.cid) - len(section.data)
        marks += [len(out) + head, len(out) + head + len(section.cid)]
        out += rendered
        marks.append(len(out))
    return bytes(out), marks


def _index(rng: random.Random, labels: list[str]) -> bytes:
    shape = rng.choice(["garbled", "empty", "sorted-looking", "multihash-sorted-looking"])
    labels.append(f"index {shape}")
    if shape == "garbled":
        return rng.randbytes(rng.randint(1, 40))
    if shape == "empty":
        return b""
    if shape == "sorted-looking":  # codec 0x0400 IndexSorted: bucket count then buckets (carv2 spec)
        return varint(0x0400) + struct.pack("<I", 1) + struct.pack("<IQ", 40, 1) + rng.randbytes(40)
    return varint(0x0401) + struct.pack("<I", 1) + struct.pack("<Q", 0x12) + struct.pack("<I", 1) \
        + struct.pack("<IQ", 40, 1) + rng.randbytes(40)


_LOOSE_PRAGMAS = {
    "version 0x18 0x02": b"\xa1\x67version\x18\x02",
    "map head 0xb8 0x01": b"\xb8\x01\x67version\x02",
    "a byte after its map": b"\xa1\x67version\x02\x00",
    "version tagged": b"\xa1\x67version\xc1\x02",
    "empty roots": b"\xa2\x67version\x02\x65roots\x80",
    "null roots": b"\xa2\x65roots\xf6\x67version\x02",
    "version 1 then 2": b"\xa2\x67version\x01\x67version\x02",
}


def _loose_pragma(rng: random.Random, labels: list[str]) -> bytes:
    """A first header saying version 2 that is not the CARv2 spec's 11 fixed bytes."""
    name = rng.choice(sorted(_LOOSE_PRAGMAS))
    labels.append(f"pragma not the 11 bytes: {name}")
    body = _LOOSE_PRAGMAS[name]
    return varint(len(body)) + body


def _carv2(rng: random.Random, payload: bytes, marks: list[int], labels: list[str]) -> tuple[bytes, list[int]]:
    characteristics = bytes(16)
    roll = rng.random()
    if roll < 0.2:
        characteristics = b"\x80" + bytes(15)
        labels.append("fully-indexed characteristic")
    elif roll < 0.3:
        characteristics = rng.randbytes(16)
        labels.append("random characteristics")
    pad = rng.choice([0, 0, 0, 1, 7, 64])
    if pad:
        labels.append(f"padding {pad}")
    data_offset = 51 + pad
    data_size = len(payload)
    roll = rng.random()
    if roll < 0.05:
        data_offset = rng.randint(11, 50)
        labels.append("data offset inside the header")
    elif roll < 0.08:
        data_offset = 51 + pad + len(payload) + rng.choice([1, 1000])
        labels.append("data offset past the end")
    elif roll < 0.11:
        data_offset = 2**63 + rng.randint(0, 5)
        labels.append("data offset over 2^63-1")
    roll = rng.random()
    boundaries = [m for m in marks if 0 < m < len(payload)]
    if roll < 0.06 and boundaries:
        data_size = rng.choice(boundaries)
        labels.append("data size at a boundary")
    elif roll < 0.10 and len(payload) > 2:
        data_size = rng.randint(1, len(payload) - 1)
        labels.append("data size short")
    elif roll < 0.14:
        data_size = len(payload) + rng.choice([1, 100, 2**32])
        labels.append("data size past the end")
    elif roll < 0.16:
        data_size = 0
        labels.append("data size 0")
    elif roll < 0.18:
        data_size = 2**63 + 1
        labels.append("data size over 2^63-1")
    gap = b""
    index = b""
    index_offset = 0
    roll = rng.random()
    if roll < 0.35:
        gap = rng.choice([b"", b"", bytes(rng.randint(1, 8)), rng.randbytes(rng.randint(1, 8))])
        index = _index(rng, labels)
        index_offset = 51 + pad + len(payload) + len(gap)
        if gap:
            labels.append("bytes between data and index")
    elif roll < 0.45:
        index_offset = rng.choice([10**6, 2**63 + 1, 60, 1, 51 + pad + len(payload)])
        labels.append(f"index offset {index_offset}, no index")
    pragma = PRAGMA
    if rng.random() < 0.12:
        pragma = _loose_pragma(rng, labels)
        if rng.random() < 0.5 and data_offset == 51 + pad:  # where the spec puts it, not go-car's 51 + pad
            data_offset += len(pragma) - len(PRAGMA)
            labels.append("data offset counted from the file's start")
    fields = struct.pack("<16sQQQ", characteristics, data_offset % 2**64, data_size % 2**64, index_offset % 2**64)
    head = pragma + fields + bytes(pad)
    return head + payload + gap + index, [0, 11, 27, 35, 43, 51, len(head)] + [len(head) + m for m in marks]


def _bytes_mutations(rng: random.Random, data: bytes, marks: list[int], labels: list[str]) -> bytes:
    roll = rng.random()
    if roll < 0.15:
        cut = rng.choice(marks) + rng.choice([0, 0, 0, -1, 1])
        cut = max(0, min(cut, len(data)))
        labels.append(f"cut at {cut} of {len(data)}")
        data = data[:cut]
    elif roll < 0.25 and data:
        flipped = bytearray(data)
        for _ in range(rng.randint(1, 3)):
            flipped[rng.randrange(len(flipped))] ^= rng.randint(1, 255)
        labels.append("bytes flipped")
        data = bytes(flipped)
    roll = rng.random()
    if roll < 0.08:
        tail = rng.choice([b"\x00", b"\x80", b"\x05", rng.randbytes(rng.randint(1, 30)), b"\x01\x02\x03"])
        labels.append(f"trailing {tail[:8].hex()}")
        data = data + tail
    return data


def mutant(rng: random.Random, case: int) -> Mutant:
    """One mutant, every choice drawn from ``rng``; ``case`` salts its blocks."""
    salt = f"{case}-{rng.randbytes(6).hex()}"
    blocks: list[Block] = []
    for i in range(rng.choice([0, 1, 1, 2, 3, 4, 6])):
        blocks.append(_make_block(rng, salt, i, blocks))
    labels = [f"{len(blocks)} blocks ({', '.join(b.kind for b in blocks)})"]
    cids: list[bytes] = []
    payload, marks = _carv1(rng, blocks, salt, labels, cids)
    if rng.random() < 0.3:
        labels.insert(0, "CARv2")
        data, marks = _carv2(rng, payload, marks, labels)
        if rng.random() < 0.05:
            labels.append("CARv2 inside CARv2")
            data, marks = _carv2(rng, data, marks, labels)
    else:
        data = payload
    data = _bytes_mutations(rng, data, marks, labels)
    if len(labels) == 1:
        labels.append("no mutation")
    roll = rng.random()
    if any(b.data == b"" and not b.kind.startswith("identity") for b in blocks):
        roll = max(roll, 0.25)  # the empty block is every case's: an earlier failed case may have kept it
    return Mutant(data, labels, blocks, pin=roll < 0.25, json=0.15 < roll < 0.35, sections=cids)


def mutants(count: int, seed: int) -> list[Mutant]:
    """``count`` mutants from ``seed`` (the same list for the same arguments)."""
    rng = random.Random(seed)
    return [mutant(rng, case) for case in range(count)]
