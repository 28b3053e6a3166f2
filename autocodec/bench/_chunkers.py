"""Group 5: chunker throughput in the sandbox next to the native fixed-size chunker.

Each Wasm chunker (fixed 256 KiB, FastCDC 64K/256K/1M, buzhash) runs through
``LoadedModule.chunker(params).boundaries([data])`` over ``chunk_mib`` MiB of xorshift data:
one instance for the stream, input passed in ``stream_chunk_bytes`` pieces, offsets checked
by the host. The baseline is ``autocodec.unixfs``'s native fixed-size chunker (Kubo's
``size-262144``) reading the same bytes; figures are reported as MB/s.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from typing import TYPE_CHECKING

from ._core import BenchConfig, Figure, measure_interleaved
from ._data import module_bytes, xorshift

if TYPE_CHECKING:  # pragma: no cover
    from ..loader import Chunker

_CHUNKERS: tuple[tuple[str, dict[str, int]], ...] = (
    ("chunker-fixed", {"size": 262144}),
    ("chunker-fastcdc", {"min": 65536, "avg": 262144, "max": 1048576}),
    ("chunker-buzhash", {}),
)


def run(config: BenchConfig) -> list[Figure]:
    from ..loader import Sandbox
    from ..unixfs import iter_chunks, parse_chunker

    data = xorshift(1, config.chunk_mib << 20)
    spec = parse_chunker("size-262144")
    sandbox = Sandbox()
    native = lambda: sum(1 for _ in iter_chunks(io.BytesIO(data), spec))  # noqa: E731
    calls: dict[str, tuple[Callable[[], object], int]] = {"native": (native, 1)}
    for name, params in _CHUNKERS:
        calls[name] = (_boundaries(sandbox.load(module_bytes(name)).chunker(params), data), 1)
    times = measure_interleaved(calls, config, config.slow_rounds)
    figures = []
    for name, _params in _CHUNKERS:
        fig = Figure(f"chunk.{name.removeprefix('chunker-')}", "chunkers",
                     f"{name} {config.chunk_mib} MiB", ours_label="wasm", bytes_per_op=len(data))
        fig.ours = times[name]
        fig.peers["native fixed 256K"] = times["native"]
        figures.append(fig)
    return figures


def _boundaries(chunker: Chunker, data: bytes) -> Callable[[], object]:
    return lambda: sum(1 for _ in chunker.boundaries([data]))
