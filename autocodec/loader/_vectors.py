"""Running a module's test vectors (docs/abi.md section 5), at publish and canary time.

Invariants:
- A vectors document is DAG-JSON (bytes or already decoded) with ``kind`` equal to the
  module's kind; a malformed document is ``InvalidDocument``, never a crash.
- ``TrustLimits.max_vectors_bytes`` is the one size limit of a vectors document, in either of
  its forms (the DAG-JSON file, the DAG-CBOR block a manifest names): ``decode_vectors`` is the
  one place such bytes are decoded, under that limit and no other size limit (not the 4 MiB
  of ``DecodeLimits.max_block_bytes``, which used to refuse files the limit allowed); past it,
  ``VectorsTooLarge`` before any byte is decoded. Every other decode limit is the caller's
  ``DecodeLimits`` (the home's ``[limits.decode]``: its nesting depth above all), the gas
  budget raised to what the size limit needs.
- Each case runs in fresh instances under the module's limits; a guest failure (trap, fuel,
  fault, wrong output) fails that case and is recorded, it never aborts the run.
- The run as a whole is bounded (``TrustLimits.vectors_deadline_s``, ``max_vectors_work``,
  ``max_vector_checks``): every step that hands the guest work is charged to one
  ``RunBudget`` first, and a run over it stops with ``VectorsTooCostly`` (an
  ``InvalidDocument``), never a failed case: a document that costs too much is refused whole.
- Values are compared strictly: same types all the way down (``1 != 1.0 != True``), CIDs by
  bytes. A passing codec ``decode`` case also round-trips: ``encode(expect)`` gives the input
  back. Hasher and chunker cases are also streamed in uneven pieces and must agree.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

from ..config import DEFAULT_LIMITS, DecodeLimits, TrustLimits
from ..errors import AutocodecError, GuestError, InvalidDocument, VectorsTooCostly, VectorsTooLarge
from ._callcap import capped_calls
from ._vectors_budget import STEP_COST, Clocked, RunBudget

if TYPE_CHECKING:  # pragma: no cover
    from ._sandbox import LoadedModule

_MASK = (1 << 64) - 1
MAX_GENERATED = 1 << 24
"""The most bytes a case has made for it (a chunker's ``{seed, length}``, a verifier's
``input_len``): the document is as untrusted as its module, and a length is not bytes it paid for."""


def xorshift_bytes(seed: int, length: int) -> bytes:
    """The deterministic generator of docs/abi.md section 5 (xorshift64*)."""
    return b"".join(xorshift_pieces(seed, length))


def xorshift_pieces(seed: int, length: int, piece: int = 1 << 20) -> Iterator[bytes]:
    """``xorshift_bytes(seed, length)`` in pieces of ``piece`` bytes (a multiple of 8; the last
    may be shorter), so a caller can stop between them."""
    state = (seed & _MASK) or 1
    made = 0
    while made < length:
        out = bytearray()
        for _ in range(min(piece, length - made + 7) // 8 or 1):
            state ^= state >> 12
            state ^= (state << 25) & _MASK
            state ^= state >> 27
            out += ((state * 0x2545F4914F6CDD1D) & _MASK).to_bytes(8, "little")
        chunk = bytes(out[:length - made])
        made += len(chunk)
        yield chunk


@dataclass(slots=True)
class VectorReport:
    kind: str
    total: int = 0
    passed: int = 0
    failures: list[str] = field(default_factory=list)
    work: int = 0
    """Units of ``TrustLimits.max_vectors_work`` the run used."""

    @property
    def ok(self) -> bool:
        return self.total > 0 and self.passed == self.total


def same(a: Any, b: Any) -> bool:
    """Strict data-model equality."""
    if type(a) is not type(b):
        return False
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(same(a[k], b[k]) for k in a)
    if isinstance(a, list):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, float):
        return a == b or (a != a and b != b)
    return bool(a == b)


def _need(case: dict[str, Any], key: str, kind: type | tuple[type, ...]) -> Any:
    value = case.get(key)
    if not isinstance(value, kind) or isinstance(value, bool) and kind is int:
        raise InvalidDocument(f"vector case lacks a valid {key!r}")
    return value


def _fails(fn: Any) -> str | None:
    """None if ``fn`` fails with a guest error status; else what happened instead."""
    try:
        fn()
    except GuestError:
        return None
    except AutocodecError as exc:
        return f"failed with {type(exc).__name__} instead of an error status: {exc.message}"
    return "succeeded, an error status was expected"


def _codec(loaded: LoadedModule, case: dict[str, Any], budget: RunBudget) -> str | None:
    codec = loaded.codec()
    if "encode" in case:
        budget.spend(0)
        return _fails(lambda: codec.encode(case["encode"]))
    data = _need(case, "decode", bytes)
    if case.get("error") is True:
        budget.spend(len(data))
        return _fails(lambda: codec.decode(data))
    if "expect" not in case:
        raise InvalidDocument("a codec decode case needs 'expect' or 'error': true")
    budget.spend(len(data))
    got = codec.decode(data)
    if not same(got, case["expect"]):
        return f"decode gave {got!r:.200}"
    budget.spend(len(data))
    again = codec.encode(got)
    if again != data:
        return f"encode(decode(x)) differs from x ({len(again)} vs {len(data)} bytes)"
    budget.spend(len(data))
    [batch] = codec.decode_many([data])
    if not same(batch, got):
        return f"decode_many disagrees with decode: {batch!r:.200}"
    return None


def _hasher(loaded: LoadedModule, case: dict[str, Any], budget: RunBudget) -> str | None:
    hasher = loaded.hasher()
    data = _need(case, "input", bytes)
    want = _need(case, "digest", bytes)
    repeat = case.get("repeat", 1)
    if type(repeat) is not int or not 1 <= repeat <= 1 << 24:
        raise InvalidDocument("'repeat' must be an integer from 1 to 2^24")
    budget.need(repeat * (len(data) + STEP_COST), f"'repeat' {repeat} of {len(data)} bytes, streamed")
    if repeat == 1:
        budget.spend(len(data))
        got = hasher.digest(data)
        if got != want:
            return f"digest {got.hex()} != {want.hex()}"
        if hasher.batches:  # many per call (ac_hash_batch): alone, and beside an empty input
            budget.spend(2 * len(data))
            many = hasher.digest_many([data, b"", data])
            if many[0] != want or many[2] != want or many[1] != hasher.digest(b""):
                return f"digest_many {[d.hex() if isinstance(d, bytes) else d for d in many]} != {want.hex()}"
    stream = hasher.stream()
    cut = len(data) // 3
    for _ in range(repeat):
        budget.spend(len(data))
        stream.update(data[:cut])
        stream.update(data[cut:])
    got = stream.final()
    return None if got == want else f"streamed digest {got.hex()} != {want.hex()}"


def _chunker(loaded: LoadedModule, case: dict[str, Any], budget: RunBudget) -> str | None:
    params = _need(case, "params", dict)
    source = case.get("input")
    if isinstance(source, dict):
        length = _need(source, "length", int)
        if not 0 <= length <= MAX_GENERATED:
            raise InvalidDocument(f"a chunker case's input 'length' must be between 0 and 2^24, not {length}")
        pieces = []
        for piece in xorshift_pieces(_need(source, "seed", int), length):
            budget.spend(len(piece))  # making it is work too (~80 ns a byte in Python)
            pieces.append(piece)
        data = b"".join(pieces)
    elif isinstance(source, bytes):
        data = source
    else:
        raise InvalidDocument("a chunker case needs 'input' as bytes or {seed, length}")
    want = _need(case, "ends", list)
    chunker = loaded.chunker(params)
    budget.spend(len(data))
    got = list(chunker.boundaries([data]))
    if got != want:
        return f"ends {got[:8]}... != {want[:8]}..."
    cut = len(data) // 3 + 1
    budget.spend(len(data))
    uneven = list(chunker.boundaries([data[:cut], data[cut:]]))
    return None if uneven == want else "ends depend on how the stream is split into buffers"


def _crypto(loaded: LoadedModule, case: dict[str, Any], budget: RunBudget) -> str | None:
    crypto = loaded.crypto()
    args = (
        _need(case, "key_type", int),
        _need(case, "public_key", bytes),
        _need(case, "message", bytes),
        _need(case, "signature", bytes),
    )
    budget.spend(sum(len(a) for a in args[1:]))
    if case.get("error") is True:
        return _fails(lambda: crypto.verify(*args))
    want = _need(case, "valid", bool)
    got = crypto.verify(*args)
    return None if got is want else f"verify gave {got}, expected {want}"


def _task(loaded: LoadedModule, case: dict[str, Any], budget: RunBudget) -> str | None:
    task = loaded.task()
    fn, args = _need(case, "fn", str), _need(case, "args", list)
    budget.spend(0)
    if case.get("error") is True:
        return _fails(lambda: task.call(fn, args))
    if "result" not in case:
        raise InvalidDocument("a task case needs 'result' or 'error': true")
    got = task.call(fn, args)
    return None if same(got, case["result"]) else f"result {got!r:.200}"


def bao_input(length: int) -> bytes:
    """The official Bao vectors' content: 4-byte little-endian counters from 1, cut to ``length``."""
    return b"".join(i.to_bytes(4, "little") for i in range(1, length // 4 + 2))[:length]


def _verifier_cost(case: dict[str, Any], length: int, budget: RunBudget) -> None:
    """Refuse before anything runs a verifier case listing more than ``max_vector_checks``
    corruption offsets, seeks and slices, or whose work is sure to pass what the run has left:
    the five fixed passes, each whole-input corruption, seek (two passes) and slice extraction
    cost at least ``length`` bytes each, a slice's own corruptions at least a step each."""
    slices = _need(case, "slices", list)
    whole = sum(len(_need(case, key, list)) for key in ("corrupt", "outboard_corrupt", "input_corrupt"))
    seeks = len(_need(case, "seek", list))
    small = sum(1 + len(_need(s, "corrupt", list)) for s in slices if isinstance(s, dict))
    listed = whole + seeks + small
    if listed > budget.max_checks:
        raise VectorsTooCostly(f"a verifier case lists {listed} corruption offsets, seeks and slices, over the "
                               f"{budget.max_checks} one case may")
    passes = 5 + whole + 2 * seeks + len(slices)
    budget.need(passes * (length + STEP_COST) + small * STEP_COST, f"{passes} passes over {length} bytes")


def _verifier(loaded: LoadedModule, case: dict[str, Any], budget: RunBudget) -> str | None:
    """A Bao case (official vectors, wasm-src/bao/make_vectors.py): hash, combined and outboard
    encodings (by sha2-256) that decode back, seeks, slices, and every corruption refused."""
    import hashlib

    from .. import bao

    verifier = bao.Verifier(loaded)
    length = _need(case, "input_len", int)
    if not 0 <= length <= MAX_GENERATED:
        raise InvalidDocument("'input_len' must be between 0 and 2^24")
    _verifier_cost(case, length, budget)
    data, root = bao_input(length), _need(case, "hash", bytes)
    budget.spend(length)
    got = bao.bao_hash(verifier, Clocked(budget, data))
    if got != root:
        return f"hash {got.hex()} != {root.hex()}"

    def refused(what: str, offsets: list[Any], good: bytes, run: Any) -> str | None:
        for off in offsets:
            if type(off) is not int or not 0 <= off < len(good):
                raise InvalidDocument(f"{what} corruption offset {off!r} is outside the encoding")
            bad = bytearray(good)
            bad[off] ^= 1
            try:
                run(bytes(bad))
            except bao.VerificationFailed:
                continue
            return f"{what} corrupted at byte {off} was accepted"
        return None

    def decoded(src: bytes, **kw: Any) -> bytes:
        budget.spend(len(src) + (len(kw["outboard"].getbuffer()) if "outboard" in kw else 0))
        out = Clocked(budget)
        bao.decode(verifier, root, Clocked(budget, src), out.write, **kw)
        return out.getvalue()

    encs: dict[str, bytes] = {}
    for name, outboard in (("encoded", False), ("outboard", True)):
        buf = Clocked(budget)
        budget.spend(length)
        bao.encode(verifier, Clocked(budget, data), buf, outboard=outboard)
        encs[name] = buf.getvalue()
        if hashlib.sha256(encs[name]).digest() != _need(case, f"{name}_sha256", bytes):
            return f"the {name} encoding differs from the vector ({len(encs[name])} bytes)"
    enc, ob = encs["encoded"], encs["outboard"]
    if decoded(enc) != data or decoded(data, outboard=Clocked(budget, ob)) != data:
        return "decoding the encoding does not give the input back"
    problem = (refused("encoding", _need(case, "corrupt", list), enc, lambda b: decoded(b))
               or refused("outboard", _need(case, "outboard_corrupt", list), ob,
                          lambda b: decoded(data, outboard=Clocked(budget, b)))
               or refused("input", _need(case, "input_corrupt", list), data,
                          lambda b: decoded(b, outboard=Clocked(budget, ob))))
    if problem:
        return problem
    for at in _need(case, "seek", list):
        if decoded(enc, start=at) != data[at:] or decoded(data, start=at, outboard=Clocked(budget, ob)) != data[at:]:
            return f"seek to {at} gives other bytes"
    for s in _need(case, "slices", list):
        start, count = _need(s, "start", int), _need(s, "count", int)
        out = Clocked(budget)
        budget.spend(len(enc))
        bao.extract_slice(start, count, Clocked(budget, enc), out.write)
        piece = out.getvalue()
        if hashlib.sha256(piece).digest() != _need(s, "sha256", bytes):
            return f"slice {start}+{count} differs from the vector"
        if decoded(piece, start=start, count=count, slice_input=True) != data[start:start + count]:
            return f"slice {start}+{count} does not decode to its bytes"
        problem = refused(f"slice {start}+{count}", _need(s, "corrupt", list), piece,
                          lambda b: decoded(b, start=start, count=count, slice_input=True))  # noqa: B023
        if problem:
            return problem
    return None


_GAS_PER_BYTE = 8
"""DAG-CBOR gas (``DecodeLimits.max_gas``) a vectors document may spend per byte: measured, a
2 MiB block costs 6 units a byte at most (a list of small integers; 5 for empty strings, lists
or maps), so the default 10 Mi units refused valid documents from 1.7 MiB on."""


def vectors_size_error(size: int, limits: TrustLimits, what: str = "the vectors document") -> VectorsTooLarge | None:
    """``VectorsTooLarge`` for ``size`` bytes over ``limits.max_vectors_bytes``, else None."""
    limit = limits.max_vectors_bytes
    if size <= limit:
        return None
    return VectorsTooLarge(f"{what} is {size} bytes, over the {limit}-byte vectors limit")


def decode_vectors(data: bytes | bytearray | memoryview, codec: str, limits: TrustLimits, *,
                   decode: DecodeLimits) -> Any:
    """A vectors document's bytes (``codec``: ``dag-json`` or ``dag-cbor``) decoded under
    ``limits.max_vectors_bytes`` as its one size limit (``VectorsTooLarge`` past it) and
    ``decode``'s other limits (its depth; its gas, raised to ``_GAS_PER_BYTE`` a byte of that
    size when lower): ``InvalidDocument`` when the bytes are not that codec or break them."""
    from ..builtin import decode as decode_block

    error = vectors_size_error(len(data), limits)
    if error is not None:
        raise error
    size = max(decode.max_block_bytes, limits.max_vectors_bytes)
    gas = max(decode.max_gas, _GAS_PER_BYTE * size)
    bounds = replace(decode, max_block_bytes=size, max_gas=gas)
    try:
        return decode_block(bytes(data), codec, limits=bounds)
    except AutocodecError as exc:
        raise InvalidDocument(f"the vectors document is not {codec.upper()}: {exc.message}") from None


_RUNNERS = {"codec": _codec, "hasher": _hasher, "chunker": _chunker, "crypto": _crypto, "task": _task,
            "verifier": _verifier}


def run_vectors(loaded: LoadedModule, vectors_doc: bytes | dict[str, Any], *,
                limits: TrustLimits = DEFAULT_LIMITS.trust, decode: DecodeLimits = DEFAULT_LIMITS.decode) -> VectorReport:
    """Run every case of ``vectors_doc`` against ``loaded``; see ``VectorReport.ok``. The whole
    run is bounded by ``limits`` (``vectors_deadline_s``, ``max_vectors_work``,
    ``max_vector_checks``): past them it raises ``VectorsTooCostly`` within one step. Bytes are
    decoded as DAG-JSON under ``limits`` and ``decode`` (``decode_vectors``)."""
    budget = RunBudget(limits)
    if isinstance(vectors_doc, (bytes, bytearray, memoryview)):
        vectors_doc = decode_vectors(vectors_doc, "dag-json", limits, decode=decode)
    if not isinstance(vectors_doc, dict) or not isinstance(vectors_doc.get("cases"), list):
        raise InvalidDocument("a vectors document is a map with 'kind' and a list of 'cases'")
    kind = loaded.info.kind
    if vectors_doc.get("kind") != kind:
        raise InvalidDocument(f"vectors are for kind {vectors_doc.get('kind')!r}, the module is a {kind}")
    report = VectorReport(kind)
    with capped_calls(budget.end):  # no guest call outlasts the run (_vectors_budget)
        for index, case in enumerate(vectors_doc["cases"]):
            if not isinstance(case, dict):
                raise InvalidDocument(f"vector case {index} is not a map")
            report.total += 1
            budget.case(index)
            try:
                problem = _RUNNERS[kind](loaded, case, budget)
            except InvalidDocument:
                raise
            except AutocodecError as exc:
                problem = f"{type(exc).__name__}: {exc.message}"
            if problem is None:
                report.passed += 1
            else:
                budget.tick()  # a call the run's end cut short is the run's deadline, not the case's failure
                report.failures.append(f"case {index}: {problem}")
    report.work = budget.work
    return report
