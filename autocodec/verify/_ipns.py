"""IPNS names and records, read and verified here rather than taken on a node's word.

Facts from the IPNS record spec (specs.ipfs.tech/ipns/ipns-record/) and boxo v0.43's
``ipns`` package, which Kubo v0.43 uses: a record is the protobuf ``IpnsRecord`` (value 1,
signatureV1 2, validityType 3, validity 4, sequence 5, ttl 6, pubKey 7, signatureV2 8,
data 9) of at most 10 KiB; ``data`` is a DAG-CBOR map whose ``Value``, ``Validity``,
``ValidityType``, ``Sequence`` and ``TTL`` are what counts; ``signatureV2`` signs
``"ipns-signature:" + data`` with the name's key (inline in the name, or in ``pubKey`` when
the name only hashes it). A name is that key's peer ID, written as a CIDv1 with the
``libp2p-key`` codec in base36 (or a base58 peer ID).

Invariants:
- ``IpnsRecord.parse`` refuses what boxo's ``UnmarshalRecord`` refuses (over 10 KiB, not
  protobuf, no ``data``, ``data`` not a DAG-CBOR map: ``InvalidIpnsRecord``); its ``data`` is
  read as Kubo reads DAG-CBOR (``strict=False``).
- ``problem`` runs boxo's ``ValidateWithName`` checks in its order and returns the first
  failure in boxo's words (None: valid); ``validate`` raises it as an ``Untrusted`` (or
  ``InvalidIpnsRecord``) error, so nothing unverified is returned as a name's value. As in boxo,
  a ``TTL`` or ``Sequence`` that ``data`` lacks or holds in a form boxo cannot read (not an int,
  2^63 or more) fails nothing: the TTL is then boxo's resolver default (1 minute) and the
  sequence 0 (``sequence_of``), checked against Kubo v0.43.1's ``name put``/``name resolve``.
- ``newest`` orders records as boxo's ``Validator.Select``: a V2 signature, then the higher
  sequence, then the later validity, then the greater bytes.
- ``create_record`` never signs a record whose value is its own name (``/ipns/NAME[/...]``):
  such a record can only loop.
"""

from __future__ import annotations

import enum
import posixpath
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from .._gotime import format_rfc3339nano, parse_ipfs_time
from ..cid import CID, b58decode, decode_varint, encode_varint, spaced_cid_text
from ..errors import ExpiredError, InvalidCID, InvalidInput, SignatureError, Untrusted
from ._libp2p_key import InvalidKeyData, PublicKey, key_from_peer_id
from ._pbwire import Field, read_fields, varint_size

MAX_RECORD_BYTES = 10 * 1024
LIBP2P_KEY = 0x72
SIGNATURE_V2_PREFIX = b"ipns-signature:"
NOOP_VALUE = "/ipfs/bafkqaaa"  # boxo's stand-in for an empty value: the empty identity CID
DEFAULT_TTL_NS = 5 * 60 * 10**9
DEFAULT_RESOLVER_TTL_NS = 60 * 10**9  # boxo namesys' DefaultResolverCacheTTL, for a TTL it cannot read
_PB_NAMES = {1: "value", 2: "signatureV1", 3: "validityType", 4: "validity", 5: "sequence", 6: "ttl",
             7: "pubKey", 8: "signatureV2", 9: "data"}
_PB_VARINTS = {3, 5, 6}
_GO_UNDECODED_BASES = "79"  # base8, base10: multibases go-multibase (so Kubo) does not decode
_GO_LINE_BREAK_BASES = "bBcCvVtTmMuU"  # base32 and base64 multibases: Go's decoders skip \r and \n in them


class InvalidIpnsRecord(InvalidInput):
    """Bytes that are not an IPNS record, or a record whose fields cannot be read."""

    hint = "the record is malformed; fetch it again, or ask the name's owner to publish it again"


class InvalidIpnsName(InvalidInput):
    hint = "give an IPNS name: a k51... (or other libp2p-key CID) or a 12D3Koo.../Qm... peer ID"


class Problem(enum.Enum):
    """Why a record fails, split by cause (the exception each maps to)."""

    MALFORMED = "malformed"
    KEY = "key"
    SIGNATURE = "signature"
    EXPIRED = "expired"


@dataclass(frozen=True)
class IpnsName:
    """An IPNS name: the multihash of its key (a peer ID)."""

    multihash: bytes

    @classmethod
    def parse(cls, text: str) -> IpnsName:
        """``k51...``, a CID with the libp2p-key codec in a multibase go-cid decodes, or a
        ``12D3Koo``/``Qm`` peer ID, with or without ``/ipns/`` in front (boxo's ``NameFromString``;
        no surrounding space; line breaks after a base32 or base64 prefix are skipped, as Go's
        decoders skip them)."""
        body = text[len("/ipns/"):] if text.startswith("/ipns/") else text
        if body and body[0] in _GO_LINE_BREAK_BASES:
            body = body[0] + body[1:].replace("\r", "").replace("\n", "")
        if not body or len(body) > 512 or body != body.strip():
            raise InvalidIpnsName(f"not an IPNS name: {text[:100]!r}")
        if body[0] in _GO_UNDECODED_BASES:
            raise InvalidIpnsName(f"not an IPNS name: {text[:100]!r} (failed to parse peer ID: invalid cid: "
                                  "selected encoding not supported)")
        try:
            if body.startswith(("Qm", "1")):
                multihash = b58decode(body)
                _check_multihash(multihash)
                return cls(multihash)
            cid = CID.parse(body)
        except (ValueError, InvalidCID) as exc:
            raise InvalidIpnsName(f"not an IPNS name: {text[:100]!r} ({exc})") from None
        if cid.codec != LIBP2P_KEY:
            raise InvalidIpnsName(f"not an IPNS name: {text[:100]!r} is a CID with codec 0x{cid.codec:x}, "
                                  "not libp2p-key (0x72)")
        return cls(cid.multihash)

    @classmethod
    def of_key(cls, key: PublicKey) -> IpnsName:
        return cls(key.peer_id())

    def cid(self) -> CID:
        return CID.build(LIBP2P_KEY, self.multihash)

    def __str__(self) -> str:
        return self.cid().encode("base36")

    @property
    def path(self) -> str:
        return f"/ipns/{self}"


def _check_multihash(multihash: bytes) -> None:
    _code, pos = decode_varint(multihash)
    length, pos = decode_varint(multihash, pos)
    if len(multihash) - pos != length:
        raise ValueError("multihash length does not match its digest")


@dataclass(frozen=True)
class IpnsRecord:
    """A parsed (not yet verified) record: its protobuf fields and its DAG-CBOR ``data``."""

    raw: bytes
    fields: dict[int, int | bytes]
    unknown: tuple[Field, ...]
    data: dict[str, Any]

    @classmethod
    def parse(cls, raw: bytes) -> IpnsRecord:
        from ..builtin import decode_dag_cbor_as_go_maps

        if len(raw) > MAX_RECORD_BYTES:
            raise InvalidIpnsRecord(f"record exceeds allowed size limit ({len(raw)} bytes, at most {MAX_RECORD_BYTES})")
        try:
            wire = read_fields(raw)
        except ValueError as exc:
            raise InvalidIpnsRecord(f"record is malformed: {exc}") from None
        known: dict[int, int | bytes] = {}
        unknown: list[Field] = []
        for f in wire:
            want = 0 if f.number in _PB_VARINTS else 2
            if f.number in _PB_NAMES and f.wire == want:
                known[f.number] = f.value  # protobuf: the last one wins
            else:
                unknown.append(f)
        data = known.get(9, b"")
        if not data:
            raise InvalidIpnsRecord("record is malformed: record is missing the dag-cbor data field")
        try:
            value = decode_dag_cbor_as_go_maps(bytes(data) if isinstance(data, bytes) else b"")
        except InvalidInput as exc:
            raise InvalidIpnsRecord(f"record is malformed: its data is not DAG-CBOR ({exc.message})") from None
        if not isinstance(value, dict):
            raise InvalidIpnsRecord("record is malformed: its data is not a DAG-CBOR map")
        return cls(raw, known, tuple(unknown), value)

    # --- the fields, as boxo reads them from ``data`` ------------------------------------------

    def _bytes(self, key: str) -> bytes:
        value = self.data.get(key, _MISSING)
        if not isinstance(value, bytes):
            raise InvalidIpnsRecord(f"{MALFORMED}\n{_ipld_error(key, value, 'AsBytes', 'bytes')}")
        return value

    def _int(self, key: str) -> int:
        value = self.data.get(key, _MISSING)
        if isinstance(value, bool) or not isinstance(value, int):
            raise InvalidIpnsRecord(f"{MALFORMED}\n{_ipld_error(key, value, 'AsInt', 'int')}")
        if not -(1 << 63) <= value < 1 << 63:
            raise InvalidIpnsRecord(f"{MALFORMED}\nunsigned integer out of range of int64 type")
        return value

    def value(self) -> str:
        """The content path the record points at (boxo's ``Record.Value``)."""
        raw = self._bytes("Value") or NOOP_VALUE.encode()
        if raw[:1] == b"/":
            return content_path(raw.decode("utf-8", "surrogateescape"))
        try:
            return f"/ipfs/{CID(raw)}"
        except (ValueError, InvalidCID) as exc:
            raise InvalidIpnsRecord(f"value is not a valid content path: {exc}") from None

    def validity_type(self) -> int:
        return self._int("ValidityType")

    def validity_ns(self) -> int:
        """The end of life, in nanoseconds since the epoch (only validity type 0, EOL, exists)."""
        if self.validity_type() != 0:
            raise InvalidIpnsRecord("record contains an unrecognized validity type")
        try:
            return parse_ipfs_time(self._bytes("Validity"))
        except ValueError as exc:  # boxo joins its error and Go's, a line each
            raise InvalidIpnsRecord(f"record contains an invalid validity\n{exc}") from None

    def sequence(self) -> int:
        return self._int("Sequence") % (1 << 64)  # boxo reads it as int64 and returns it as uint64

    def ttl_ns(self) -> int:
        return self._int("TTL")

    def embedded_key(self) -> bytes | None:
        key = self.fields.get(7)
        return key if isinstance(key, bytes) and key else None

    @property
    def signature_type(self) -> str:
        """``V1+V2`` when the legacy fields are set, else ``V2`` (Kubo's ``name inspect`` words)."""
        return "V1+V2" if self.fields.get(2) or self.fields.get(1) else "V2"

    @property
    def pb_size(self) -> int:
        """The record's size as protobuf-go re-encodes it (``proto.Size``): known fields minimal,
        ``validityType`` (an enum, an int32) cut to 32 bits and a negative one sign-extended to
        ten bytes."""
        size = sum(len(f.raw) for f in self.unknown)
        for number, value in self.fields.items():
            key = varint_size(number << 3)
            if isinstance(value, int):
                if number == 3:
                    value = _int32(value) % (1 << 64)
                size += key + varint_size(value)
            else:
                size += key + varint_size(len(value)) + len(value)
        return size


_MISSING = object()
MALFORMED = "record is malformed"  # boxo's ErrInvalidRecord, joined before go-ipld-prime's reason


def _ipld_error(key: str, value: object, method: str, wanted: str) -> str:
    """go-ipld-prime's words for reading ``data[key]`` with ``method`` (``AsInt``/``AsBytes``)."""
    if value is _MISSING:
        return f'key not found: "{key}"'
    kind = ("null" if value is None else "bool" if isinstance(value, bool) else "int" if isinstance(value, int)
            else "float" if isinstance(value, float) else "string" if isinstance(value, str)
            else "bytes" if isinstance(value, bytes) else "list" if isinstance(value, list)
            else "map" if isinstance(value, dict) else "link")
    return f'func called on wrong kind: "{method}" called on a {kind} node (kind: {kind}), but only makes sense on {wanted}'


def content_path(text: str) -> str:
    """A value path cleaned as boxo's ``path.NewPath`` cleans it (``InvalidIpnsRecord`` if not one)."""
    # Go's path.Clean of a rooted path, as dag/_path cleans one
    segments = [s for s in posixpath.normpath("/" + text.lstrip("/")).split("/") if s]
    if not text.startswith("/") or len(segments) < 2:
        raise InvalidIpnsRecord(f"value is not a valid content path: {text[:200]!r}")
    cleaned = "/" + "/".join(segments) + ("/" if text.endswith("/") else "")
    if segments[0] in ("ipfs", "ipld"):
        if spaced_cid_text(segments[1]):  # CID.parse would drop it; go-cid's Decode refuses it
            raise InvalidIpnsRecord(f"value is not a valid content path: white space around its CID: {text[:200]!r}")
        try:
            CID.parse(segments[1])
        except (ValueError, InvalidCID) as exc:
            raise InvalidIpnsRecord(f"value is not a valid content path: {exc}") from None
    elif segments[0] != "ipns":
        raise InvalidIpnsRecord(f"value is not a valid content path: unknown namespace {segments[0]!r}")
    return cleaned


# --- verification ------------------------------------------------------------------------------


def _public_key(record: IpnsRecord, name: IpnsName) -> tuple[PublicKey | None, tuple[Problem, str] | None]:
    """boxo's ``ExtractPublicKey``: the embedded key (which must be the name's), or the name's own;
    a key that does not parse in boxo's words (``public key invalid`` joined before go-libp2p's
    reason for an embedded key, go-libp2p's reason alone for the name's)."""
    embedded = record.embedded_key()
    try:
        if embedded is not None:
            key = PublicKey.parse(embedded)
            if key.peer_id() != name.multihash:
                return None, (Problem.KEY, "record public key does not match the expected public key")
            return key, None
    except InvalidKeyData as exc:
        return None, (Problem.KEY, f"public key invalid\n{exc.message}")  # boxo: errors.Join, one a line
    try:
        key_inline = key_from_peer_id(name.multihash)
    except InvalidKeyData as exc:
        return None, (Problem.KEY, exc.message)
    if key_inline is None:
        return None, (Problem.KEY, "public key is not embedded in peer ID")
    return key_inline, None


def problem(record: IpnsRecord, name: IpnsName, *, now_ns: int | None = None) -> tuple[Problem, str] | None:
    """The first check of boxo's ``ValidateWithName`` the record fails, in boxo's words."""
    key, bad = _public_key(record, name)
    if bad is not None or key is None:
        return bad
    if record.pb_size > MAX_RECORD_BYTES:
        return Problem.MALFORMED, "record exceeds allowed size limit"
    signature = record.fields.get(8)
    if not isinstance(signature, bytes) or not signature:
        return Problem.SIGNATURE, "signature verification failed"
    data = record.fields.get(9)
    assert isinstance(data, bytes)
    if not key.verify(signature, SIGNATURE_V2_PREFIX + data):
        return Problem.SIGNATURE, "signature verification failed"
    try:
        if record.fields.get(2) or record.fields.get(1):
            mismatch = _v1_mismatch(record)
            if mismatch:
                return Problem.MALFORMED, mismatch
        eol = record.validity_ns()
        now = time.time_ns() if now_ns is None else now_ns
        if now > eol:
            return Problem.EXPIRED, "record is expired"
        if _readable(record.ttl_ns, 0) < 0:  # a TTL boxo cannot read is no failure (it resolves)
            return Problem.MALFORMED, "record is malformed: negative TTL"
    except InvalidIpnsRecord as exc:
        return Problem.MALFORMED, exc.message
    return None


def _v1_mismatch(record: IpnsRecord) -> str | None:
    """boxo's check that the legacy protobuf fields equal the signed ones in ``data``."""
    pb = record.fields
    checks: list[tuple[str, object, Callable[[], object]]] = [
        ("Value", pb.get(1, b""), lambda: record._bytes("Value")),
        ("Validity", pb.get(4, b""), lambda: record._bytes("Validity")),
        ("ValidityType", _int32(pb.get(3, 0)), lambda: record._int("ValidityType")),
        ("Sequence", pb.get(5, 0), lambda: record._int("Sequence") % (1 << 64)),
        ("TTL", pb.get(6, 0), lambda: record._int("TTL") % (1 << 64)),
    ]
    for key, wire_value, signed in checks:
        try:
            if wire_value != signed():
                return f'field "{key}" did not match between protobuf and CBOR'
        except InvalidIpnsRecord as exc:  # boxo returns go-ipld-prime's error alone here
            return exc.message.removeprefix(f"{MALFORMED}\n")
    return None


def _int32(value: int | bytes) -> int:
    number = value if isinstance(value, int) else 0
    number &= 0xFFFFFFFF
    return number - (1 << 32) if number >= 1 << 31 else number


@dataclass(frozen=True)
class VerifiedRecord:
    """A record that passed every check for ``name`` at ``checked_ns``; its fields, read once."""

    name: IpnsName
    record: IpnsRecord = field(repr=False)
    value: str
    sequence: int
    validity_ns: int
    ttl_ns: int


def validate(record: IpnsRecord, name: IpnsName, *, now_ns: int | None = None) -> VerifiedRecord:
    """The record's fields once it verifies for ``name``; else the typed error of its problem."""
    found = problem(record, name, now_ns=now_ns)
    if found is not None:
        cause, reason = found
        reason = reason.replace("\n", ": ")  # boxo joins errors a line each; a message is one line
        where = f"the IPNS record for {name}"
        if cause is Problem.SIGNATURE:
            raise SignatureError(f"{where}: {reason}")
        if cause is Problem.EXPIRED:
            raise ExpiredError(f"{where}: {reason}",
                               hint="the name's owner must publish it again; an expired record is never followed")
        if cause is Problem.KEY:
            raise Untrusted(f"{where}: {reason}", hint="the record was signed for another name")
        raise InvalidIpnsRecord(f"{where}: {reason}")
    return VerifiedRecord(name, record, record.value(), sequence_of(record), record.validity_ns(),
                          _readable(record.ttl_ns, DEFAULT_RESOLVER_TTL_NS))


def sequence_of(record: IpnsRecord) -> int:
    """The record's sequence, or 0 when ``data`` holds none boxo can read (missing, not an int, or
    2^63 and over as a CBOR unsigned): boxo still validates and resolves such a record, and here
    it ranks below every numbered one, so it never passes as newer than a record already seen."""
    return _readable(record.sequence, 0)


def _readable(read: Callable[[], int], default: int) -> int:
    try:
        return read()
    except InvalidIpnsRecord:
        return default


def newest(records: list[IpnsRecord]) -> IpnsRecord:
    """The record boxo's ``Validator.Select`` prefers (see the module invariants)."""
    def rank(r: IpnsRecord) -> tuple[int, int, int, bytes]:
        try:
            sequence, validity = r.sequence(), r.validity_ns()
        except InvalidIpnsRecord:
            sequence, validity = -1, -1
        return (1 if r.fields.get(8) else 0, sequence, validity, r.raw)

    return max(records, key=rank)


# --- making records ----------------------------------------------------------------------------


def _points_at(value: str, multihash: bytes) -> bool:
    """Whether the content path ``value`` is ``/ipns/NAME[/...]`` of the name ``multihash``."""
    if not value.startswith("/ipns/"):
        return False
    try:
        return IpnsName.parse(value[len("/ipns/"):].split("/", 1)[0]).multihash == multihash
    except InvalidIpnsName:
        return False  # a domain (DNSLink): not a record of this key


def create_record(sign: Callable[[bytes], bytes], key: PublicKey, value: str, *, sequence: int,
                  eol_ns: int, ttl_ns: int = DEFAULT_TTL_NS, v1: bool = True) -> bytes:
    """A signed record, shaped as boxo's ``NewRecord`` shapes it (V1 fields too by default;
    the key embedded only when the name does not hold it)."""
    from ..builtin import encode

    if not 0 <= sequence < 1 << 63:
        raise InvalidInput(f"an IPNS sequence is 0 to 2^63 - 1 (boxo signs it as an int64), not {sequence}")
    value = content_path(value)
    if _points_at(value, key.peer_id()):
        raise InvalidInput(f"a record of {IpnsName.of_key(key)} cannot point at that name itself ({value[:200]}): "
                           "it would never resolve", hint="point the name at content (/ipfs/CID) or at another name")
    value_bytes = value.encode("utf-8", "surrogateescape")
    validity = format_rfc3339nano(eol_ns).encode()
    data = encode({"Value": value_bytes, "Validity": validity, "ValidityType": 0, "Sequence": sequence,
                   "TTL": max(0, ttl_ns)}, "dag-cbor")
    out = bytearray()

    def put(number: int, item: int | bytes) -> None:
        if isinstance(item, int):
            out.extend(encode_varint(number << 3) + encode_varint(item))
        else:
            out.extend(encode_varint(number << 3 | 2) + encode_varint(len(item)) + item)

    if v1:
        put(1, value_bytes)
        put(2, sign(value_bytes + validity + b"EOL"))
        put(3, 0)
        put(4, validity)
        put(5, sequence)
        put(6, max(0, ttl_ns))
    if key_from_peer_id(key.peer_id()) is None:
        put(7, key.canonical)
    put(8, sign(SIGNATURE_V2_PREFIX + data))
    put(9, data)
    return bytes(out)
