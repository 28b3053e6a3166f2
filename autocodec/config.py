"""Every limit autocodec enforces, in one place.

Invariants:
- All limits are plain frozen dataclasses with safe defaults; nothing else in the code
  base hard-codes a limit (modules take a ``Limits`` or the relevant part of it).
- Overrides are made with ``dataclasses.replace`` (per extension for the sandbox), never by
  mutation, so a limit seen at the start of a call holds for the whole call.
- Every limit is checked when its group is made (``_check_group``, also on ``replace``): a count
  or size is an int, a time an int or float, a switch a bool, none negative, NaN or infinite, and
  none 0 unless ``ZERO_MEANS`` gives 0 a meaning; a wait fits ``MAX_WAIT_MS``. ``settings``
  checks ``config.toml`` first, naming the file and key.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, fields
from typing import Any

from .errors import InvalidInput

KiB = 1024
MiB = 1024 * KiB

MAX_WAIT_MS = 2**31 - 1
"""The longest wait a limit may name (``*_ms``; ``*_s`` a thousandth of it): SQLite's busy timeout
is a C int of milliseconds, and threads' and sockets' waits refuse far larger numbers."""

ZERO_MEANS = frozenset({"decode_fuel_per_byte", "pooled_instances", "retries", "backoff_s", "queue",
                        "reader_retry_ms"})
"""The limits for which 0 means something (no per-byte budget, no pool, no retry, no pause, no
queue, a retry at once); 0 elsewhere would read as no bound at all, or one nothing passes."""

_KINDS: dict[type, tuple[tuple[str, type], ...]] = {}
"""Each group's fields and the type of their defaults (bool, int or float), found once."""


def _kinds(group: Any) -> tuple[tuple[str, type], ...]:
    cls = type(group)
    found = _KINDS.get(cls)
    if found is None:
        found = _KINDS[cls] = tuple((f.name, type(f.default)) for f in fields(group))
    return found


def _check_group(group: Any) -> None:
    """``InvalidInput`` naming the first field of ``group`` that breaks the module's invariant."""
    for name, kind in _kinds(group):
        value = getattr(group, name)
        if type(value) is kind or (kind is float and type(value) is int):
            if kind is bool:
                continue
        elif kind is bool:
            raise InvalidInput(f"{type(group).__name__}.{name} needs True or False, not {type(value).__name__}")
        else:
            what = "a whole number" if kind is int else "a number"
            if isinstance(value, bool) or not isinstance(value, int if kind is int else (int, float)):
                raise InvalidInput(f"{type(group).__name__}.{name} needs {what}, not {type(value).__name__}")
        if not (value > 0 or (value == 0 and name in ZERO_MEANS)) or (type(value) is float and math.isinf(value)):
            least = "from 0" if name in ZERO_MEANS else "above 0"
            raise InvalidInput(f"{type(group).__name__}.{name} needs a finite number {least}, not {value!r}")
        if name.endswith(("_s", "_ms")) and value > MAX_WAIT_MS / (1 if name.endswith("_ms") else 1000):
            raise InvalidInput(f"{type(group).__name__}.{name} is at most {MAX_WAIT_MS} ms (about 24 days), "
                               f"not {value!r}")


@dataclass(frozen=True, slots=True)
class DecodeLimits:
    """Bounds for builtin codecs on untrusted bytes."""

    def __post_init__(self) -> None:
        _check_group(self)

    max_depth: int = 1024
    """Maximum nesting of lists and maps in a decoded block."""
    max_block_bytes: int = 4 * MiB
    """Largest block accepted by decode, put, import and fetch (Bitswap's limit is 2 MiB)."""
    max_gas: int = 10 * MiB
    """Allocation budget of one DAG-CBOR/CBOR decode (builtin, or a Wasm module's output), in
    Kubo's units (go-ipld-prime's default; see ``autocodec.builtin._gas``): bounds the host
    objects a block can make (~25 bytes a unit at worst) whatever its shape."""
    content_gas: bool = True
    """Whether string and byte-string values count towards ``max_gas`` (Kubo's rule, True for
    blocks). Guest output is decoded with False: its bytes are capped by ``max_output_bytes``
    already, the budget then bounds only its structure (items and map keys)."""
    strict_blocks: bool = False
    """Whether blocks read as data (``Runtime.decode``, paths, ``dag get``/``put``, the gateway,
    DAG walks) must be DAG-CBOR/CBOR in canonical form. False, Kubo's reading and the spec's
    default for decoders ("Decode strictness"): map keys in any order, half and single floats,
    ``undefined`` and stray tags on items that are not byte strings are read as their canonical
    twins (``builtin._cbor_relaxed``). True refuses them. Documents this package checks
    (manifests, sets, UCANs, invocations, receipts) and guest output are always strict."""


@dataclass(frozen=True, slots=True)
class SandboxLimits:
    """Per-call bounds for a Wasm extension; overridable per extension."""

    def __post_init__(self) -> None:
        _check_group(self)

    fuel: int = 2_000_000_000
    """Wasm fuel units per call (about one per instruction): deterministic termination."""
    deadline_ms: int = 5_000
    """Wall-clock deadline per call, enforced with epoch interruption."""
    max_memory_bytes: int = 256 * MiB
    """Cap on a module's linear memory."""
    max_table_elements: int = 10_000
    max_instances: int = 1
    max_wasm_stack_bytes: int = 512 * KiB
    max_output_bytes: int = 64 * MiB
    """Largest result a call may return to the host."""
    decode_fuel_base: int = 200_000_000
    decode_fuel_per_byte: int = 1_000
    """A decode (``ac_decode``, ``ac_links``, ``ac_decode_batch``) gets ``decode_fuel_base +
    decode_fuel_per_byte x input bytes`` fuel, at most ``fuel``: work proportional to the input
    (0 per byte: every call gets the full ``fuel``)."""
    decode_deadline_base_ms: int = 1_000
    decode_deadline_ms_per_mib: int = 1_000
    """Likewise the decode deadline: base plus this much per MiB of input, at most ``deadline_ms``."""
    max_module_bytes: int = 8 * MiB
    """Largest module accepted for compilation."""
    max_functions: int = 10_000
    """Most functions a module may define (checked before compiling; real modules have < 1000)."""
    max_function_bytes: int = 1 * MiB
    """Largest function body (checked before compiling)."""
    inline_compile_bytes: int = 128 * KiB
    """Code sections up to this size, ``inline_compile_functions`` and ``inline_compile_loops``
    compile in-process (every shipped module does: <= 40 KiB, <= 90 functions, <= 1700 loop
    bytes); anything else compiles in a child process bounded by ``compile_timeout_ms`` and
    ``compile_memory_bytes``. Loops dominate compile cost under fuel metering (~0.3-0.6 ms and
    ~20 KiB each, measured), so 2000 of them is the in-process worst case (~1 s, ~130 MiB)."""
    inline_compile_functions: int = 2_000
    inline_compile_loops: int = 2_000
    """Most bytes in a code section compiled in-process that may open a costly opcode, counted
    together (an upper bound on them): ``loop`` (0x03), ``call_indirect`` (0x11), ``table.get``
    (0x25) and the 0xFC prefix (``memory.fill``, ``table.grow``...), each costing Cranelift about
    what a loop does under fuel metering."""
    inline_compile_body_bytes: int = 16 * KiB
    """Largest function body compiled in-process (shipped modules: <= 10 KiB). Branches cost more
    than linearly within one function: a 125 KB body of nested ``if`` took ~11 s in-process."""
    inline_compile_locals: int = 100_000
    """Most locals declared by all function bodies of a module compiled in-process (shipped
    modules: <= 410). Each costs compile time whether used or not: 1990 functions of 50 000
    locals (14 KB of code) took ~8 s."""
    compile_timeout_ms: int = 20_000
    """Wall-clock bound on compiling one module in the child process (a refusal is remembered
    under this bound and ``compile_memory_bytes``: raising either compiles again; a child
    starved of CPU by a busy machine, under a quarter of one CPU by a deadline of 1 s or more,
    is ``CompileBusy``, not remembered)."""
    compile_memory_bytes: int = 1024 * MiB
    """Heap bound (RLIMIT_DATA) of the child process that compiles one module."""
    stream_chunk_bytes: int = 1 * MiB
    """Largest buffer passed to a guest in one call; bigger inputs are streamed in pieces."""
    max_batch_items: int = 1024
    """Most blocks in one ``ac_decode_batch`` call (each batch gets a fresh instance)."""
    pooled_instances: int = 128
    """Live instances at once (all threads, open streams) in the pooling allocator; 0 = no pool."""
    concurrent_compiles: int = 2
    """Child compile processes (``compile_timeout_ms``, ``compile_memory_bytes`` each) running at
    once in this process, whatever the modules; a load that finds them all busy waits for one up
    to ``compile_timeout_ms``, then fails with ``CompileBusy`` (not remembered: retried next
    time). Without it 8 hostile modules loaded together could hold 8 GiB for 20 s."""
    compiled_cache_entries: int = 512
    compiled_cache_bytes: int = 512 * MiB
    """Bounds of the compiled-module cache folder (the home's ``compiled/``): after each write
    the oldest-written entries (artifacts and refusals) go until at most this many remain,
    holding at most this many bytes (the entry just written stays). The default set's artifacts
    are a few MiB; a removed entry is compiled again on its next load."""
    max_sections: int = 1000
    """Most sections a module may have, counted before anything else is read (toolchains emit
    about a dozen; 8 MiB of empty custom sections is 2.8 million, and each Python pass over them
    cost seconds: a load took 9.3 s and ~220 MiB before this cap)."""
    max_exports: int = 1000
    """Most exports a module may have (ABI v1 names about 20; the shipped modules have at most
    14). Each costs Python work at load in the reader, the reset rewrite and wasmtime-py's
    listing: 300 000 of them (a 3 MB module) took 11 s in this process, outside the compile
    child's bounds."""
    reuse_memory_bytes: int = 4 * MiB
    """Largest initial memory of a module whose instances are reset and reused between calls
    (the shipped ones: at most 2 MiB, bao's); larger ones get a fresh instance per call. A reset
    instance keeps a snapshot of its whole memory, read at its first call: a 298-byte module
    asking for 256 MiB took 1.3 s on its first call and, with 8 threads calling, 2.1 GB of RSS.
    At most ``idle_instances`` reset instances wait at once, process-wide: their snapshots hold up
    to that many times this. An instance out for a call keeps its place in that count, and a new
    one is dropped when no other module has one waiting to drop instead."""
    reuse_globals: int = 64
    """Most mutable globals of a module whose instances are reset and reused (the shipped ones
    have 1: a compiler's stack pointer); more: fresh instances. A reset sets each back, host
    work fuel and deadlines do not bound: 60 000 of them made every reset take ~50 ms."""
    reuse_growths: int = 8
    """Calls in a row whose instance grew its memory (so could not be reset and was discarded),
    after which the module gets fresh instances only: with 4 MiB of initial memory, a module
    growing on every call paid 23 ms a call for snapshots it could not use."""
    idle_instances: int = 32
    """Reset instances waiting for their module's next call, process-wide (a quarter of the
    default pool's slots; each module keeps at most 8): a module pooling one more past this drops
    another module's, judged against its own limits. Each holds a pool slot, its memory and a
    snapshot of it (up to ``reuse_memory_bytes`` each), so 32 of them hold up to ~256 MiB at the
    default; fewer bound that, more let more modules skip instantiating (~0.2 ms a call)."""
    loaded_modules: int = 64
    """Modules one sandbox (one ``Runtime``) keeps compiled and checked in memory, the most
    recently loaded first: a load of one of them is answered at once; an older one is read
    again from the compiled cache folder (the shipped ones: ~1 ms, at most 15 ms measured), or
    compiled if it is not there. Each holds its machine code (the shipped ones' artifacts are
    48-173 KiB, 2.9 MB for all 29); a set of more modules, or a process upgrading many, may want
    more, a small machine fewer."""


@dataclass(frozen=True, slots=True)
class FetchLimits:
    """Bounds for every network fetch (IPFS node RPC, trustless gateways)."""

    def __post_init__(self) -> None:
        _check_group(self)

    timeout_s: float = 10.0
    """Longest silence of one socket operation (connect, one read)."""
    retries: int = 2
    backoff_s: float = 0.2
    max_block_bytes: int = 4 * MiB
    max_car_bytes: int = 256 * MiB
    deadline_s: float = 30.0
    """Whole-operation bound of one fetch (every attempt, backoff and byte), however slow the peer."""
    max_answer_bytes: int = 16 * MiB
    """Largest RPC answer that is neither a block nor a CAR (JSON of name/resolve, pin/ls...)."""
    operation_deadline_s: float = 600.0
    """Bound of all the fetches of one set operation together (pin add/update/repair, a refresh)."""
    max_concurrent: int = 4
    """Network fetches in flight at once in one process; one more is refused at once
    (``FetchBusy``), so slow peers can hold at most this many of ``serve``'s workers and the
    others keep answering from the local store."""


@dataclass(frozen=True, slots=True)
class TrustLimits:
    """Bounds for signed documents (TUF's "endless data" defence)."""

    def __post_init__(self) -> None:
        _check_group(self)

    max_document_bytes: int = 1 * MiB
    max_module_bytes: int = 8 * MiB
    max_vectors_bytes: int = 2 * MiB
    """Largest test vectors document, as the DAG-JSON file published or tested and as the DAG-CBOR
    block a manifest names (fetched, decoded and stored under this limit alone:
    ``loader.decode_vectors``). Kubo 0.43.1's block limit: ``ipfs block put`` and ``dag put``
    refuse a block of one byte more ("big blocks can't be exchanged with other peers"); the
    largest shipped document is 100 KB (blake3's)."""
    vectors_deadline_s: float = 30.0
    """Wall-clock bound of one run of a module's test vectors (``publish``, ``module test``, the
    canary, a builtin stand-in's check), checked before each step (docs/bounds.md, "Test
    vectors"). The shipped modules' slowest run takes 0.25-0.35 s on an idle 2-core machine
    (bao's 13 cases) and took 3.2 s once with the machine loaded by parallel test runs: about
    10 times that; a hostile document ran for hours without it."""
    max_vectors_work: int = 256 * MiB
    """Work budget of one vectors run: the bytes handed to the guest (or generated for it) in
    all its steps plus 4096 a step (``loader._vectors_budget``). Deterministic: the same
    document and module stop at the same step everywhere. The shipped modules' largest run is
    18.7 M units (blake3's, its ``repeat`` 4177 case most of it): 14 times that; a verifier or
    chunker case over the largest input (2^24 bytes) still fits several times."""
    max_vector_checks: int = 4_096
    """Most corruption offsets, seeks, slices and slice corruption offsets one verifier case lists
    (the shipped bao vectors' largest case lists ~420), checked before the case runs."""
    max_signatures: int = 64
    max_index_entries: int = 10_000
    max_role_keys: int = 64
    """Most keys one role (root, index or a delegation) may list."""
    max_delegations: int = 64
    """Most delegated roles one root may define."""
    max_root_chain: int = 256
    """Most root versions one update may walk through (python-tuf's max_root_rotations)."""


@dataclass(frozen=True, slots=True)
class StoreLimits:
    """Bounds for the embedded block store and CAR files."""

    def __post_init__(self) -> None:
        _check_group(self)

    busy_timeout_ms: int = 10_000
    """How long a writer waits for another process's write lock before failing."""
    reader_retry_ms: int = 2_000
    """After a read of the trust state failed on its read-only connection (a lock held past
    ``busy_timeout_ms``, a read-only folder without the WAL files), reads take the writer's
    connection, which waits for other processes' writes, for this long; then the read-only
    connection is opened again. 0: on the next read."""
    batch_blocks: int = 1_000
    """Blocks per transaction in ``put_many`` and CAR import."""
    batch_bytes: int = 8 * MiB
    """Bytes per transaction in ``put_many`` and CAR import (whichever comes first)."""
    max_car_header_bytes: int = 1 * MiB
    """Largest CAR header (the DAG-CBOR ``{version, roots}`` map), read whole and decoded in
    memory: about 25,000 roots of ordinary CIDs (41 bytes each in a header), ~12 MB of objects
    at most. A bound on hostile input (gateways' CARs are read with it too), tighter than Kubo
    0.43.1's 32 MiB (go-car's default: a 32.8 MB header of 800,000 roots imports there, a 41 MB
    one is refused); raised to 32 MiB it takes what Kubo takes, at up to ~370 MB while decoded
    (32 MiB of identity-CID roots, the smallest, measured)."""
    max_car_roots: int = 4_194_304
    """Most roots a CAR header may list: 32 MiB over the 8 bytes of the smallest root entry,
    so with any header bound up to Kubo's the byte bound is the one that binds; lower it to
    bound the roots one import hands on (pinning, the report)."""


@dataclass(frozen=True, slots=True)
class UnixfsLimits:
    """Bounds for UnixFS import and export (``autocodec add`` / ``cat``)."""

    def __post_init__(self) -> None:
        _check_group(self)

    read_bytes: int = 1 * MiB
    """Bytes read from a file at a time while chunking (memory stays bounded by this plus one chunk)."""
    max_chunk_bytes: int = 2 * MiB - 256
    """Largest chunk a chunker may be configured for (boxo's ChunkSizeLimit in Kubo v0.43.1: 2 MiB
    minus 256 bytes of framing, so a dag-pb leaf still fits Bitswap's 2 MiB)."""
    max_dag_depth: int = 64
    """Deepest file DAG `cat` follows (a balanced 174-ary tree of depth 64 is astronomically large)."""
    max_dir_entries: int = 100_000
    """Most entries in one directory added without HAMT sharding."""


@dataclass(frozen=True, slots=True)
class IpvmLimits:
    """Bounds for IPVM invocations (``autocodec run``): per job and per pipeline."""

    def __post_init__(self) -> None:
        _check_group(self)

    fuel: int = 1_000_000_000
    """Default fuel of one job when its invocation does not set one."""
    max_fuel: int = 20_000_000_000
    """Largest fuel budget an invocation may ask for."""
    memory_bytes: int = 64 * MiB
    """Default memory cap of one job."""
    max_memory_bytes: int = 256 * MiB
    """Largest memory cap an invocation may ask for."""
    max_parallel: int = 4
    """Jobs of one pipeline run at once (threads; wasmtime releases the GIL)."""
    max_jobs: int = 256
    """Most invocations one pipeline (the awaited DAG) may hold."""
    max_depth: int = 32
    """Longest chain of awaits in one pipeline."""
    max_args_bytes: int = 16 * MiB
    """Largest encoded argument list handed to one job (after awaits and blocks are resolved)."""


@dataclass(frozen=True, slots=True)
class RemoteLimits:
    """Admission limits per issuer for jobs other principals push to ``serve`` (UCAN ``/wasm/run``)."""

    def __post_init__(self) -> None:
        _check_group(self)

    concurrent: int = 2
    """Jobs of one issuer running at once."""
    queue: int = 4
    """Jobs of one issuer waiting for a slot beyond those; more are refused (HTTP 429)."""
    fuel_per_minute: int = 50_000_000_000
    """Fuel one issuer may ask for (sum of job budgets) in any 60-second window."""
    wait_s: float = 30.0
    """Longest a queued job waits for a slot before it is refused."""
    max_issuers_tracked: int = 10_000
    """Issuers whose budgets are remembered at once (idle ones are forgotten first)."""
    max_request_bytes: int = 4 * MiB
    """Largest UCAN container (invocation and proofs) accepted in one request."""


@dataclass(frozen=True, slots=True)
class GossipLimits:
    """Bounds for passing UCAN revocations between executors (``peers`` under ``[ipvm]`` in config.toml)."""

    def __post_init__(self) -> None:
        _check_group(self)

    max_peers: int = 32
    """Most peer executors one executor names."""
    queue: int = 1_024
    """Pushes waiting to be sent or retried, per peer, kept in the home (sent after a restart);
    past it the oldest is dropped (logged; a peer that pulls still gets it from the log); 0:
    nothing is pushed, peers only pull."""
    retries: int = 8
    """Further attempts of a push that failed for want of an answer (no connection, a timeout,
    HTTP 429 or 5xx); a refusal (another 4xx) is never retried. 0: one attempt."""
    backoff_s: float = 1.0
    """Pause before the first retry, doubled at each further one up to ``max_backoff_s``."""
    max_backoff_s: float = 300.0
    """Longest pause between two attempts of one push."""
    timeout_s: float = 10.0
    """Whole bound of one push or one pulled page (connect, send, answer)."""
    pull_interval_s: float = 60.0
    """How often an executor pulls the revocations its peers logged (also once at start)."""
    page: int = 100
    """Most revocations one ``GET /ipvm/revocations`` answers (what a pull asks for at a time)."""
    max_log: int = 100_000
    """Revocations the log kept for pulls holds; past it the oldest are removed."""


@dataclass(frozen=True, slots=True)
class ServeLimits:
    """Bounds for ``autocodec serve``: connections, slow clients, caches and error logs."""

    def __post_init__(self) -> None:
        _check_group(self)

    max_connections: int = 512
    """Open client connections at once; more are closed at accept (also kept below the
    process's descriptor limit minus ``reserved_fds``, so accept() never runs out)."""
    reserved_fds: int = 128
    """Descriptors kept free for the store, modules, fetches and logs."""
    header_timeout_s: float = 10.0
    """A connection must finish a request's headers this soon after it opens, or after the
    previous response (keep-alive idle included); else it is closed (slowloris)."""
    request_timeout_s: float = 60.0
    """Bound once the headers are in on the body, the work and the response's start (503 after
    it); a streamed body then runs as long as it makes progress and is cut after this long
    without any (the client stopped reading, a walk producing nothing)."""
    max_request_line_bytes: int = 128 * KiB
    """Longest request line (method, path and query) read; a longer one is a 400. Kubo reads
    up to 1 MiB of request line and headers together; this bound keeps a connection's buffer
    small while long paths and queries still reach the handlers (404s, not 400s)."""
    max_header_bytes: int = 64 * KiB
    """Longest single header line (a long ``Accept`` or ``Range`` list); longer is a 400."""
    error_log_interval_s: float = 10.0
    """At most one log line per kind of server error in this interval (the rest are counted)."""
    shutdown_s: float = 5.0
    """How long ``serve`` takes to stop (SIGTERM, SIGINT), about: fetches in flight are cancelled
    at once; responses still running are cut off after half of it (the client sees an incomplete
    body); the refresher gets the rest. A guest call in flight still runs to its own deadline
    (``SandboxLimits.deadline_ms``). ``Runtime.close`` waits this long for a refresh too."""


@dataclass(frozen=True, slots=True)
class Limits:
    """All limits, grouped by the wing that enforces them."""

    decode: DecodeLimits = field(default_factory=DecodeLimits)
    sandbox: SandboxLimits = field(default_factory=SandboxLimits)
    fetch: FetchLimits = field(default_factory=FetchLimits)
    trust: TrustLimits = field(default_factory=TrustLimits)
    store: StoreLimits = field(default_factory=StoreLimits)
    unixfs: UnixfsLimits = field(default_factory=UnixfsLimits)
    ipvm: IpvmLimits = field(default_factory=IpvmLimits)
    serve: ServeLimits = field(default_factory=ServeLimits)
    remote: RemoteLimits = field(default_factory=RemoteLimits)
    gossip: GossipLimits = field(default_factory=GossipLimits)

    def __post_init__(self) -> None:
        for name, kind in _GROUPS:
            value = getattr(self, name)
            if type(value) is not kind and not isinstance(value, kind):
                raise InvalidInput(f"Limits.{name} needs a {kind.__name__}, not {type(value).__name__}")


_GROUPS: tuple[tuple[str, type], ...] = tuple(
    (f.name, type(f.default_factory())) for f in fields(Limits)  # type: ignore[operator]  # each group has one
)
"""Each group of ``Limits`` and its class (a field's annotation is text here)."""


DEFAULT_LIMITS = Limits()
