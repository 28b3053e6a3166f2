"""Chunkers for UnixFS import: Kubo's ``--chunker`` syntax mapped to a stream of chunks.

- ``size-N``: fixed-size, native Python (boundaries equal the ``chunker-fixed`` Wasm module's).
- ``fastcdc-MIN-AVG-MAX``: the ``chunker-fastcdc`` Wasm module.
- ``buzhash``: the ``chunker-buzhash`` Wasm module (Kubo's boundaries).

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


def parse_chunker(text: str, limits: Limits | None = None) -> ChunkerSpec:
    """Parse Kubo-style ``size-N``, ``fastcdc-MIN-AVG-MAX`` or ``buzhash``."""
    cap = (limits or DEFAULT_LIMITS).unixfs.max_chunk_bytes
    if m := re.fullmatch(r"size-(\d{1,10})", text):
        size = int(m.group(1))
        if not 1 <= size <= cap:
            raise InvalidInput(f"chunk size {size} is outside 1..{cap}", hint="use e.g. size-262144")
        return ChunkerSpec(text, None, {"size": size}, size)
    if m := re.fullmatch(r"fastcdc-(\d{1,10})-(\d{1,10})-(\d{1,10})", text):
        lo, avg, hi = (int(g) for g in m.groups())
        if not (1 <= lo <= avg <= hi <= cap and avg >= 64):
            raise InvalidInput(f"fastcdc needs 1 <= MIN <= AVG <= MAX <= {cap} and AVG >= 64",
                               hint="use e.g. fastcdc-65536-262144-1048576")
        return ChunkerSpec(text, "chunker-fastcdc", {"min": lo, "avg": avg, "max": hi}, hi)
    if text == "buzhash":
        return ChunkerSpec(text, "chunker-buzhash", {}, 512 * 1024)
    raise UnknownChunker(f"unknown chunker {text!r}")


def _read_full(reader: BinaryIO, n: int) -> bytes:
    """Up to n bytes; fewer only at the end of the stream (pipes may return short reads)."""
    parts, got = [], 0
    while got < n:
        piece = reader.read(n - got)
        if not piece:
            break
        parts.append(piece)
        got += len(piece)
    return b"".join(parts)


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
        from ..registry._api import default_runtime

        return default_runtime().extension("chunker", name)
    path = module_path
    try:
        wasm = Path(path).read_bytes()
    except OSError as exc:
        raise UnknownChunker(f"the {name} chunker module is not available ({path}: {exc.strerror or exc})",
                             hint="check the module path (`--module FILE`)") from None
    module = sandbox.load(wasm)
    if module.info.kind != "chunker":
        raise UnknownChunker(f"{path} is a {module.info.kind} module, not a chunker")
    return module


def _wasm(reader: BinaryIO, spec: ChunkerSpec, module: Any, read_bytes: int) -> Iterator[bytes]:
    pending = bytearray()
    state = {"start": 0}  # stream offset of pending[0]

    def buffers() -> Iterable[bytes]:
        while True:
            buf = reader.read(read_bytes)
            if not buf:
                return
            pending.extend(buf)
            yield buf

    emitted = False
    for end in module.chunker(spec.params).boundaries(buffers()):
        n = end - state["start"]
        if n > spec.max_chunk:
            raise GuestFault(f"the {spec.module} module cut a {n}-byte chunk, over its maximum {spec.max_chunk}")
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
