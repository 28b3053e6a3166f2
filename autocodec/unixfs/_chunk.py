"""Chunkers for UnixFS import: Kubo's ``--chunker`` syntax mapped to a stream of chunks.

- ``size-N``: fixed-size, native Python (boundaries equal the ``chunker-fixed`` Wasm module's).
- ``rabin``, ``rabin-AVG``, ``rabin-MIN-AVG-MAX``: the ``chunker-rabin`` Wasm module (Kubo's
  boundaries, Kubo's parameter grammar and limits).
- ``buzhash``: the ``chunker-buzhash`` Wasm module (Kubo's boundaries).
- ``fastcdc-MIN-AVG-MAX``: the ``chunker-fastcdc`` Wasm module (this project's extension).

Invariants:
- ``iter_chunks`` yields the stream's bytes, in order, as chunks: never more than one chunk
  plus one read buffer is held in memory, whatever the stream length.
- An empty stream yields exactly one empty chunk (Kubo and js-ipfs store an empty leaf).
- Wasm chunkers run through ``autocodec.loader`` in the sandbox; the module is the loaded
  module a resolver gives (the CLI resolves it through the registry's pinned sets), else the
  one at an explicit path (the caller vouches for it), else the one the pinned sets of the
  default home serve (``autocodec.registry``: verified, as every extension); a chunker that
  is not available is ``UnknownChunker``.
- Chunk ends reported by a module are checked by the loader (strictly increasing, within the
  bytes fed); a chunk over the maximum configured size is refused (``GuestFault``).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

from .._goint import atoi_refusal, parse_int64
from .._inputs import need_stream
from .._nonblocking import read_some, read_upto
from ..config import DEFAULT_LIMITS, Limits
from ..errors import GuestFault, InvalidInput, UnknownChunker

DEFAULT_CHUNKER = "size-262144"


@dataclass(frozen=True, slots=True)
class ChunkerSpec:
    """A parsed ``--chunker`` value."""

    text: str
    module: str | None  # Wasm module name, None for the native fixed-size chunker
    params: dict[str, int] = field(default_factory=dict)
    max_chunk: int = 0
    whole_stream: bool = False  # Kubo's rabin-AVG with AVG < 48: one chunk per file (see _rabin)


KUBO_CHUNK_SIZE_LIMIT = 2 * 1024 * 1024 - 256
"""boxo chunker.ChunkSizeLimit (Kubo v0.43.1): 2 MiB (Bitswap's block limit) minus 256 bytes of
framing; ``size-N``, ``rabin-AVG`` (times 1.5) and ``rabin-...-MAX`` above it are refused."""
RABIN_DEFAULT_AVG = 262144  # boxo chunker.DefaultBlockSize, what plain `rabin` uses
BITSWAP_BLOCK_LIMIT = 2 * 1024 * 1024  # boxo chunker.BlockSizeLimit: Kubo refuses a bigger leaf


def _rabin(text: str, parts: list[str], cap: int) -> ChunkerSpec:
    """Kubo's ``rabin``, ``rabin-AVG`` and ``rabin-[min:]MIN-[avg:]AVG-[max:]MAX`` (boxo parse.go)."""
    example = "use e.g. rabin-87381-262144-393216"
    form, order = f"a rabin chunker's sizes are decimal numbers: {example}", f"give MIN < AVG < MAX: {example}"

    def number(part: str, label: str | None = None) -> int:
        if label is not None:
            sub = part.split(":")
            if len(sub) > 1 and sub[0] != label:  # boxo's words
                place = {"min": "first", "avg": "second", "max": "final"}[label]
                raise InvalidInput(f"{place} label must be {label}", hint=form)
            part = sub[-1]
        value = parse_int64(part)  # Go's strconv.Atoi, as boxo reads it
        if value is None:  # Go's words, as Kubo prints them: the value once, however long
            raise InvalidInput(atoi_refusal(part) or "", hint=form)
        return value

    if len(parts) in (1, 2):
        avg = RABIN_DEFAULT_AVG if len(parts) == 1 else number(parts[1])
        if int(avg * 1.5) > KUBO_CHUNK_SIZE_LIMIT or avg * 3 // 2 > cap:  # MAX is 1.5 x AVG
            raise _over_limit(cap, example)
        lo, hi = avg // 3, avg + avg // 2
        if lo < 16:  # boxo: MIN - 16 wraps in uint64, nothing is ever hashed: one chunk per file
            return ChunkerSpec(text, "chunker-rabin", {"min": lo, "avg": max(avg, 1), "max": max(hi, 1)},
                               BITSWAP_BLOCK_LIMIT, whole_stream=True)
    elif len(parts) == 4:
        lo = number(parts[1], "min")
        if lo < 16:  # before AVG and MAX are read, as boxo checks it; boxo's words (16 itself is taken)
            raise InvalidInput("rabin min must be greater than 16", hint=f"give a MIN of 16 or more: {example}")
        avg, hi = number(parts[2], "avg"), number(parts[3], "max")
        if lo >= avg:  # boxo's checks in boxo's order and words
            raise InvalidInput("incorrect format: rabin-min must be smaller than rabin-avg", hint=order)
        if avg >= hi:
            raise InvalidInput("incorrect format: rabin-avg must be smaller than rabin-max", hint=order)
        if hi > min(cap, KUBO_CHUNK_SIZE_LIMIT):
            raise _over_limit(cap, example)
    else:  # boxo's words, its unclosed parenthesis too
        raise InvalidInput("incorrect format (expected 'rabin' 'rabin-[avg]' or 'rabin-[min]-[avg]-[max]'",
                           hint=example)
    return ChunkerSpec(text, "chunker-rabin", {"min": lo, "avg": avg, "max": hi}, hi)


def _over_limit(cap: int, hint: str) -> InvalidInput:
    """boxo's ``ErrSizeMax``, naming the limit that applies here (Kubo's, or a lower configured one)."""
    return InvalidInput(f"chunker parameters may not exceed the maximum chunk size of "
                        f"{min(cap, KUBO_CHUNK_SIZE_LIMIT)}", hint=hint)


def _size_chunker(text: str, cap: int) -> ChunkerSpec:
    """Kubo's ``size-N`` (boxo parse.go), refused in boxo's words and order: two parts, Go's
    ``strconv.Atoi`` of the size (its error as Go words it, the value once), then 1..limit."""
    form = "use e.g. size-262144"
    parts = text.split("-")
    if len(parts) != 2:
        raise InvalidInput("incorrect chunker string format (expected size-{size})", hint=form)
    size = parse_int64(parts[1])
    if size is None:
        raise InvalidInput(atoi_refusal(parts[1]) or "", hint=form)
    if size <= 0:
        raise InvalidInput("chunker size must be greater than 0", hint=form)
    if size > min(cap, KUBO_CHUNK_SIZE_LIMIT):
        raise _over_limit(cap, form)
    return ChunkerSpec(text, None, {"size": size}, size)


def parse_chunker(text: str, limits: Limits | None = None) -> ChunkerSpec:
    """Parse a ``--chunker`` value as Kubo does (numbers as Go's ``strconv.Atoi`` reads them:
    ``size-+5`` and ``size-0001000`` are sizes): ``size-N``, ``rabin[-AVG | -MIN-AVG-MAX]``,
    ``buzhash`` (anything after ``buzhash-`` is ignored, as in Kubo), ``default`` (= size-262144);
    plus this project's ``fastcdc-MIN-AVG-MAX`` and ``NAME[:key=N,...]``, a chunker module of the
    pinned sets by its name (extensions Kubo does not have)."""
    if type(text) is not str:
        raise InvalidInput(f"a chunker is named by text such as size-262144, not {type(text).__name__}",
                           hint=_CHUNKER_HINT)
    cap = (limits or DEFAULT_LIMITS).unixfs.max_chunk_bytes
    if text in ("", "default"):
        text = DEFAULT_CHUNKER
    name, _, _ = text.partition("-")
    if name == "size":
        return _size_chunker(text, cap)
    if name == "rabin":
        return _rabin(text, text.split("-"), cap)
    if m := re.fullmatch(r"fastcdc-(\d{1,10})-(\d{1,10})-(\d{1,10})", text):
        lo, avg, hi = (int(g) for g in m.groups())
        if not (1 <= lo <= avg <= hi <= cap and avg >= 64):
            raise InvalidInput(f"fastcdc needs 1 <= MIN <= AVG <= MAX <= {cap} and AVG >= 64",
                               hint="use e.g. fastcdc-65536-262144-1048576")
        return ChunkerSpec(text, "chunker-fastcdc", {"min": lo, "avg": avg, "max": hi}, hi)
    if name == "buzhash":
        return ChunkerSpec(text, "chunker-buzhash", {}, 512 * 1024)
    if name != "fastcdc" and (spec := _module_chunker(text, cap)) is not None:
        return spec
    raise UnknownChunker(f"unrecognized chunker option: {text}", hint=_CHUNKER_HINT)  # Kubo 0.43.1's words


_CHUNKER_HINT = "use size-N, rabin[-MIN-AVG-MAX], buzhash, fastcdc-MIN-AVG-MAX or a pinned chunker module's name"
_PARAM = re.compile(r"([a-z][a-z0-9_]{0,31})=(\d{1,19})")


def _module_chunker(text: str, cap: int) -> ChunkerSpec | None:
    """``NAME`` or ``NAME:key=N,key=N``: the chunker module of that name in the pinned sets (an
    extension beyond Kubo's names), given those whole-number parameters (none: the module's own
    defaults), its chunks at most ``cap`` bytes. None when ``text`` is not of that form."""
    from ..abi import NAME

    name, colon, given = text.partition(":")
    if not NAME.fullmatch(name):
        return None
    params: dict[str, int] = {}
    for item in given.split(",") if colon else ():
        m = _PARAM.fullmatch(item)
        if m is None or m[1] in params:
            raise InvalidInput(f"chunker {text[:120]!r}: parameters are key=N, each key once, separated by commas",
                               hint="e.g. my-chunker:avg=65536,max=262144")
        params[m[1]] = int(m[2])
    return ChunkerSpec(text, name, params, cap)


def _read_full(reader: BinaryIO, n: int) -> bytes:
    """Up to n bytes; fewer only at the end of the stream (pipes may return short reads, and a
    non-blocking one "nothing yet": waited for, never taken for the end)."""
    return read_upto(reader, n)


def _fixed(reader: BinaryIO, size: int) -> Iterator[bytes]:
    first = True
    while True:
        chunk = _read_full(reader, size)
        if not chunk:
            if first:
                yield b""
            return
        first = False
        yield chunk
        if len(chunk) < size:
            return


def load_chunker_module(name: str, module_path: Path | None, sandbox: Any) -> Any:
    if module_path is None:
        from ..registry import Runtime

        with Runtime() as runtime:  # the default home's pinned sets, for this load only (no global runtime)
            return runtime.extension("chunker", name)
    path = module_path
    try:
        wasm = Path(path).read_bytes()
    except OSError as exc:
        raise UnknownChunker(f"the {name} chunker module is not available ({path}: {exc.strerror or exc})",
                             hint="check the module file's path") from None
    module = sandbox.load(wasm)
    if module.info.kind != "chunker":
        raise UnknownChunker(f"{path} is a {module.info.kind} module, not a chunker")
    return module


def _too_big(spec: ChunkerSpec, n: int) -> None:
    if spec.whole_stream:
        raise InvalidInput(f"chunker {spec.text!r} makes the whole file one chunk of over {spec.max_chunk} bytes, "
                           f"the block limit (Kubo: object size limit exceeded)",
                           hint="use rabin-AVG with AVG >= 48, or rabin-MIN-AVG-MAX")
    raise GuestFault(f"the {spec.module} module cut a chunk of at least {n} bytes, over its maximum {spec.max_chunk}")


def _wasm(reader: BinaryIO, spec: ChunkerSpec, module: Any, read_bytes: int) -> Iterator[bytes]:
    pending = bytearray()
    state = {"start": 0}  # stream offset of pending[0]

    def buffers() -> Iterable[bytes]:
        while True:
            buf = read_some(reader, read_bytes)
            if not buf:
                return
            pending.extend(buf)
            if len(pending) > spec.max_chunk + len(buf):  # a chunk end is overdue: stop before buffering more
                _too_big(spec, len(pending))
            yield buf

    emitted = False
    for end in module.chunker(spec.params).boundaries(buffers()):
        n = end - state["start"]
        if n > spec.max_chunk:
            _too_big(spec, n)
        chunk = bytes(pending[:n])
        del pending[:n]
        state["start"] = end
        emitted = True
        yield chunk
    if not emitted:
        yield b""


def iter_chunks(reader: BinaryIO, spec: ChunkerSpec, *, sandbox: Any = None,
                module_path: Path | None = None, limits: Limits | None = None,
                module: Any = None) -> Iterator[bytes]:
    """The chunks of ``reader``'s bytes under ``spec`` (see the module invariants).

    ``module``: an already loaded chunker module (``LoadedModule``) to use for ``spec``."""
    need_stream(reader, "read", "iter_chunks")
    if not isinstance(spec, ChunkerSpec):
        raise InvalidInput(f"iter_chunks needs a ChunkerSpec (parse_chunker(text)), not {type(spec).__name__}")
    limits = limits or DEFAULT_LIMITS
    if spec.module is None:
        return _fixed(reader, spec.params["size"])
    if module is None:
        if sandbox is None:
            from ..loader import Sandbox

            sandbox = Sandbox(limits.sandbox)
        module = load_chunker_module(spec.module, module_path, sandbox)
    elif module.info.kind != "chunker":
        raise UnknownChunker(f"module {module.info.name} is a {module.info.kind} module, not a chunker")
    return _wasm(reader, spec, module, limits.unixfs.read_bytes)
