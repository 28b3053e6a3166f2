"""The fuzz targets (see the package docstring for what every check asserts)."""

from __future__ import annotations

import io
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from .. import builtin
from ..cid import CID
from ..errors import AutocodecError

_BASE_S = 0.5
_PER_BYTE_S = 2.0 / (1 << 20)  # 2 s a MiB: an order of magnitude above the slowest linear parser here


def time_bound(size: int) -> float:
    """Wall-clock bound for one parse of ``size`` bytes (generous: shared, loaded CI machines)."""
    return _BASE_S + _PER_BYTE_S * size


class FuzzFailure(AssertionError):
    """A fuzz input broke a parser's contract (untyped error, too slow, or no round trip)."""


@dataclass(frozen=True)
class Target:
    name: str
    parse: Callable[[bytes], Any]
    seeds: tuple[bytes, ...]
    roundtrip: Callable[[bytes, Any], bytes | None] | None = None
    """Given the input and the parse result, the re-encoded bytes (None: no canonical form)."""

    def check(self, data: bytes) -> None:
        """Raise ``FuzzFailure`` when parsing ``data`` breaks the contract. An input over the
        time bound is timed once more and fails only when both runs are over it: a slow parser
        is slow every time, while a stall of a shared machine (or a first use) is not."""
        value, took = self._timed_parse(data)
        if took > time_bound(len(data)):
            took = min(took, self._timed_parse(data)[1])
        if took > time_bound(len(data)):
            raise FuzzFailure(f"{self.name}: {took:.2f} s for {len(data)} bytes (bound {time_bound(len(data)):.2f} s)")
        if value is not _REFUSED and self.roundtrip is not None:
            again = self.roundtrip(data, value)
            if again is not None and again != data:
                raise FuzzFailure(f"{self.name}: accepted input does not round-trip: {data[:64].hex()}...")

    def _timed_parse(self, data: bytes) -> tuple[Any, float]:
        """``parse(data)`` (``_REFUSED`` for a typed refusal) and the seconds it took."""
        started = time.perf_counter()
        try:
            value = self.parse(data)
        except AutocodecError:
            value = _REFUSED
        except Exception as exc:  # noqa: BLE001 - the point: anything else is a bug
            raise FuzzFailure(f"{self.name}: {type(exc).__name__}: {exc} on {data[:64].hex()}...") from exc
        return value, time.perf_counter() - started

    def strategy(self) -> Any:
        """Random bytes, or a seed with a few bytes flipped, inserted, cut or repeated."""
        from hypothesis import strategies as st

        def mutate(seed: bytes, edits: list[tuple[int, int, int]]) -> bytes:
            out = bytearray(seed)
            for kind, pos, value in edits:
                if not out:
                    out.append(value)
                    continue
                pos %= len(out)
                if kind == 0:
                    out[pos] ^= value or 1
                elif kind == 1:
                    out.insert(pos, value)
                elif kind == 2:
                    del out[pos]
                else:  # repeat a slice: long runs, deep nesting, big counts
                    piece = bytes(out[pos:pos + 1 + value % 8])
                    out[pos:pos] = piece * (1 + value * 4)
            return bytes(out)

        edits = st.lists(st.tuples(st.integers(0, 3), st.integers(0, 1 << 20), st.integers(0, 255)), max_size=6)
        mutated = st.builds(mutate, st.sampled_from(self.seeds), edits)
        return st.one_of(st.binary(max_size=512), mutated)


class _Refused:
    pass


_REFUSED: Any = _Refused()


def _codec(name: str) -> Callable[[bytes], Any]:
    return lambda data: builtin.decode(data, name)


def _reencode(name: str) -> Callable[[bytes, Any], bytes]:
    return lambda data, value: builtin.encode(value, name)


def _relaxed(data: bytes) -> Any:
    """Kubo's reading of DAG-CBOR; what it accepts must have a canonical twin with its value,
    unless it holds text that is not UTF-8 (kept as surrogate escapes: no DAG-CBOR form)."""
    from ..builtin._jsontext import has_lone_surrogate
    from ..errors import EncodeError

    value = builtin.decode(data, "dag-cbor", strict=False)
    try:
        twin = builtin.encode(value, "dag-cbor")
    except EncodeError:
        if has_lone_surrogate(value):
            return value
        raise FuzzFailure(f"dag-cbor-relaxed: {data[:64].hex()}... was read but has no canonical twin") from None
    if builtin.decode(twin, "dag-cbor") != value:
        raise FuzzFailure(f"dag-cbor-relaxed: the canonical twin of {data[:64].hex()}... has another value")
    return value


def _car(data: bytes) -> list[tuple[CID, bytes]]:
    from ..store import CarReader

    reader = CarReader(io.BytesIO(data))
    return list(reader)


def _cid_text(data: bytes) -> CID:
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        text = data.decode("latin-1")
    return CID.parse(text)


_FUZZ_KEY_SEED = bytes(range(32))
_FUZZ_NOW_NS = 1_800_000_000 * 10**9


def _ipns_record(data: bytes) -> Any:
    """A record as ``name inspect --verify`` reads it: parsed, every field tried, checked."""
    from ..verify._ipns import IpnsName, IpnsRecord, problem
    from ..verify._keyring import SigningKey
    from ..verify._libp2p_key import PublicKey

    record = IpnsRecord.parse(data)
    for read in (record.value, record.validity_type, record.validity_ns, record.sequence, record.ttl_ns):
        try:
            read()
        except AutocodecError:
            pass
    name = IpnsName.of_key(PublicKey.ed25519(SigningKey.from_seed(_FUZZ_KEY_SEED).public.raw))
    return record.pb_size, record.signature_type, problem(record, name, now_ns=_FUZZ_NOW_NS)


def _ipns_seeds() -> tuple[bytes, ...]:
    from ..verify._ipns import create_record
    from ..verify._keyring import SigningKey
    from ..verify._libp2p_key import PublicKey

    signer = SigningKey.from_seed(_FUZZ_KEY_SEED)
    key = PublicKey.ed25519(signer.public.raw)
    return tuple(create_record(signer.sign, key, value, sequence=seq, eol_ns=_FUZZ_NOW_NS + 10**12, v1=v1)
                 for value, seq, v1 in (("/ipfs/bafkqaaa", 0, True), ("/ipns/k51qzi5uqu5dh/x", 2**40, False)))


_DNS_NAME = "_dnslink.example.com"


def _dns_answer(data: bytes) -> Any:
    """A DNS message as a DNSLink lookup reads it (the id taken from the message, so every
    input reaches the parser), then each TXT value as a DNSLink value."""
    from ..registry._dnslink import dnslink_entry
    from ..sources._dns import parse_txt_answer

    answer = parse_txt_answer(data, _DNS_NAME, int.from_bytes(data[:2], "big"), split=True)
    return [dnslink_entry(value) for value in answer.values]


def _dns_seeds() -> tuple[bytes, ...]:
    import struct

    from ..sources._dns import build_query

    query, ident = build_query(_DNS_NAME)
    question = query[12:]
    seeds = []
    for values in ((b"dnslink=/ipfs/bafkqaaa",), (b"dnslink=/ipns/example.org/a", b"v=spf1 -all")):
        records = b""
        for value in values:  # each record's name a compression pointer to the question's (offset 12)
            rdata = bytes([len(value)]) + value
            records += b"\xc0\x0c" + struct.pack("!HHIH", 16, 1, 300, len(rdata)) + rdata
        seeds.append(struct.pack("!HHHHHH", ident, 0x8180, 1, len(values), 0, 0) + question + records)
    seeds.append(struct.pack("!HHHHHH", ident, 0x8183, 1, 0, 0, 0) + question)  # NXDOMAIN
    return tuple(seeds)


def _unixfs_data(data: bytes) -> Any:
    """The UnixFS ``Data`` of a dag-pb node, as every UnixFS reader (cat, ls, get, the gateway) reads it."""
    from ..unixfs._pb import decode, decode_view

    decode_view(memoryview(data))
    return decode(data)


def _unixfs_seeds() -> tuple[bytes, ...]:
    from ..unixfs._pb import UnixfsData, encode

    return tuple(encode(d) for d in (
        UnixfsData(2, b"hello", 5, (3, 2)), UnixfsData(1), UnixfsData(5, b"\x00\x01", fanout=256, hash_type=0x22),
        UnixfsData(2, b"", 0, (), mode=0o644, mtime=(1577836800, 5)), UnixfsData(4, b"/target")))


_RANGE_SIZES = (0, 1, 1000, 1 << 40)


def _http_range(data: bytes) -> Any:
    """A ``Range`` header as the gateway reads it against content of a few sizes; an answer is a
    span inside the content (or the empty span at its end)."""
    from ..errors import InvalidInput
    from ..serve._gateway_error import GatewayError
    from ..serve._ranges import parse_range

    header = data.decode("latin-1")  # HTTP header values are bytes; aiohttp hands them on as latin-1
    spans = []
    for size in _RANGE_SIZES:
        for head in (False, True):
            try:
                span = parse_range(header, size, head=head)
            except GatewayError as exc:
                if exc.status not in (400, 416):
                    raise FuzzFailure(f"http-range: a {exc.status} for {header[:80]!r}") from None
                continue
            if span is not None and not (0 <= span[0] <= size and span[1] < size and span[0] <= span[1] + 1):
                raise FuzzFailure(f"http-range: {span} of {size} bytes for {header[:80]!r}")
            spans.append(span)
    if not spans:
        raise InvalidInput("no size reads this Range header")
    return spans


def _wasm(data: bytes) -> Any:
    from ..loader import inspect_module

    return inspect_module(data)


def _seeds() -> dict[str, tuple[bytes, ...]]:
    link = builtin.cid_for(b"fuzz", "raw")
    value: dict[str, Any] = {"a": [1, -2, 3.5, None, True, "x" * 30], "b": b"\x00\x01", "c": {"d": link}, "e": [[[]]]}
    cbor = builtin.encode(value, "dag-cbor")
    pb = builtin.encode({"Data": b"hello", "Links": [{"Hash": link, "Name": "n", "Tsize": 5}]}, "dag-pb")
    from ..store import CarWriter

    out = io.BytesIO()
    writer = CarWriter(out, [link])
    writer.write(link, b"fuzz")
    writer.write(builtin.cid_for(cbor, "dag-cbor"), cbor)
    return {
        "cbor": (cbor, builtin.encode([1, "two", {"k": b"v"}], "cbor")),
        # loose forms Kubo reads: keys out of order, a half float, undefined, a stray tag
        "loose": (bytes.fromhex("a3616ef93e006162c1f56161f7"), bytes.fromhex("a26262620161618201fa3fc00000")),
        "json": (builtin.encode(value, "dag-json"), b'{"a":[1,2.5,"\\u00e9"],"b":null}'),
        "pb": (pb, builtin.encode({"Links": []}, "dag-pb")),
        "car": (out.getvalue(),),
        "cid": (str(link).encode(), str(CID.build(0x70, link.multihash, 0)).encode(), b"f" + bytes(link).hex().encode()),
        "wasm": (b"\x00asm\x01\x00\x00\x00", b"\x00asm\x01\x00\x00\x00\x01\x05\x01\x60\x00\x01\x7f"),
        "code": (b"dag-cbor", b"0x71", b"113", b"0x" + b"f" * 20),
        "range": (b"bytes=0-0", b"bytes=-5, 7-", b"bytes=1-2,4-8,100-", b"bytes=999-1000000000000"),
    }


def _targets() -> dict[str, Target]:
    seeds = _seeds()
    from ..codes import codec_code
    from . import _authority_targets as authority

    ucan_seeds, ipvm_seeds = authority.ucan_seeds(), authority.ipvm_seeds()

    return {t.name: t for t in (
        Target("dag-cbor", _codec("dag-cbor"), seeds["cbor"], _reencode("dag-cbor")),
        Target("cbor", _codec("cbor"), seeds["cbor"], _reencode("cbor")),
        Target("dag-cbor-relaxed", _relaxed, seeds["loose"] + seeds["cbor"]),
        Target("dag-json", _codec("dag-json"), seeds["json"]),
        Target("json", _codec("json"), seeds["json"]),
        Target("dag-pb", _codec("dag-pb"), seeds["pb"]),
        Target("car", _car, seeds["car"]),
        Target("cid-text", _cid_text, seeds["cid"]),
        Target("wasm-inspect", _wasm, seeds["wasm"]),
        Target("codec-code", lambda d: codec_code(d.decode("latin-1")), seeds["code"]),
        Target("ipns-record", _ipns_record, _ipns_seeds()),
        Target("dns-answer", _dns_answer, _dns_seeds()),
        Target("unixfs-data", _unixfs_data, _unixfs_seeds()),
        Target("http-range", _http_range, seeds["range"]),
        Target("ucan-token", authority.ucan_token, ucan_seeds),
        Target("ucan-chain", authority.ucan_chain, ucan_seeds),
        Target("ucan-policy", authority.ucan_policy, authority.policy_seeds()),
        Target("ipvm-invocation", authority.invocation, ipvm_seeds),
        Target("ipvm-receipt", authority.receipt, ipvm_seeds[2:] + ipvm_seeds[:2]),  # receipts first
        Target("key-file", authority.key_file, authority.key_seeds()),
        Target("ipvm-container", authority.ipvm_container, authority.container_seeds()),
        Target("ucan-signed", authority.ucan_signed, authority.signed_seeds()),
    )}


class _Lazy(dict[str, Target]):
    """``TARGETS``: built on first use (seeds need the builtin codecs, which are cheap)."""

    def _fill(self) -> None:
        if not dict.__len__(self):
            self.update(_targets())

    def __getitem__(self, key: str) -> Target:
        self._fill()
        return dict.__getitem__(self, key)

    def __iter__(self) -> Any:
        self._fill()
        return dict.__iter__(self)

    def __len__(self) -> int:
        self._fill()
        return dict.__len__(self)

    def keys(self) -> Any:
        self._fill()
        return dict.keys(self)


TARGETS: dict[str, Target] = _Lazy()
