"""The chunker-rabin Wasm module: Kubo's rabin chunker, boundary for boundary.

The reference is Kubo's own code: wasm-src/chunker-rabin/gen/main.go runs boxo v0.43.0's
``chunk.FromString`` (what Kubo v0.43.1's ``--chunker rabin...`` calls) on the deterministic
generator's bytes; its output is the module's vectors.json and, when Go is installed, is
recomputed here on other inputs.  Root CIDs under ``--chunker rabin...`` are compared with
``ipfs add`` itself in tests/test_unixfs_kubo.py.
"""

from __future__ import annotations

import io
import json
import shutil
import subprocess

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from autocodec.errors import InvalidInput
from autocodec.loader import Sandbox, run_vectors, xorshift_bytes
from autocodec.unixfs import iter_chunks, parse_chunker

from .conftest import WASM_SRC

MODULE = WASM_SRC / "chunker-rabin" / "chunker-rabin.wasm"
GEN = WASM_SRC / "chunker-rabin" / "gen"


@pytest.fixture(scope="module")
def rabin():
    return Sandbox().load(MODULE.read_bytes())


def ends(module, params: dict, buffers) -> list[int]:
    return list(module.chunker(params).boundaries(buffers))


def test_vectors_from_kubos_code_pass(rabin) -> None:
    report = run_vectors(rabin, (WASM_SRC / "chunker-rabin" / "vectors.json").read_bytes())
    assert (report.total, report.passed, report.failures) == (5, 5, [])


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(seed=st.integers(1, 2**32), length=st.integers(0, 20_000), cuts=st.lists(st.integers(0, 20_000), max_size=8))
def test_ends_do_not_depend_on_buffering(rabin, seed: int, length: int, cuts: list[int]) -> None:
    data = xorshift_bytes(seed, length)
    params = {"min": 16, "avg": 64, "max": 200}
    whole = ends(rabin, params, [data])
    points = sorted({0, length, *(c % (length + 1) for c in cuts)})
    assert ends(rabin, params, [data[a:b] for a, b in zip(points, points[1:])]) == whole
    assert (whole[-1] if whole else 0) == length
    sizes = [b - a for a, b in zip([0, *whole], whole)]
    assert all(16 <= s <= 200 for s in sizes[:-1]) and all(0 < s <= 200 for s in sizes)


def test_bad_params_are_refused_as_the_callers(rabin) -> None:
    for params in ({}, {"min": 16, "avg": 64}, {"min": 16, "avg": 0, "max": 100}, {"min": 16, "avg": 64, "max": 0},
                   {"min": 16, "avg": 64, "max": 1 << 31}, {"min": 16, "avg": 64, "max": 128, "x": 1}):
        with pytest.raises(InvalidInput, match="chunker-rabin refused its parameters"):
            ends(rabin, params, [b"abc"])


def test_iter_chunks_with_rabin_reassembles() -> None:
    data = xorshift_bytes(11, 300_000)
    chunks = list(iter_chunks(io.BytesIO(data), parse_chunker("rabin-4096"), module_path=MODULE))
    assert b"".join(chunks) == data and len(chunks) > 20
    assert list(iter_chunks(io.BytesIO(b""), parse_chunker("rabin"), module_path=MODULE)) == [b""]


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("go") is None, reason="Go not installed (the reference runs Kubo's Go code)")
@pytest.mark.parametrize("spec,seed,length", [
    ("rabin", 21, 2_500_000),
    ("rabin-2048", 22, 400_000),
    ("rabin-16-32-48", 23, 20_000),
    ("rabin-min:300-avg:4096-max:9000", 24, 500_000),
    ("rabin-1000-1001-1002", 25, 100_000),
])
def test_equals_kubos_code_on_other_inputs(rabin, spec: str, seed: int, length: int) -> None:
    out = subprocess.run(["go", "run", ".", spec, str(seed), str(length)], cwd=GEN, capture_output=True,
                         text=True, timeout=600)
    assert out.returncode == 0, out.stderr[-2000:]
    reference = json.loads(out.stdout)
    data = xorshift_bytes(seed, length)
    assert ends(rabin, parse_chunker(spec).params, [data[i : i + 65_537] for i in range(0, length, 65_537)]) == reference


def test_small_rabin_avg_is_one_chunk_per_file_up_to_the_block_limit() -> None:
    """Kubo's rabin-AVG with AVG < 48 has MIN < 16: boxo never hashes (its MIN - 16 wraps), so a
    file is one chunk; over 2 MiB Kubo refuses it ("object size limit exceeded"), and so does
    autocodec, after buffering at most the limit plus a few reads."""
    from autocodec.errors import InvalidInput

    data = xorshift_bytes(3, 100_000)
    for spec in ("rabin-30", "rabin-0", "rabin-47"):
        assert list(iter_chunks(io.BytesIO(data), parse_chunker(spec), module_path=MODULE)) == [data]

    class Endless(io.RawIOBase):
        def __init__(self) -> None:
            self.served = 0

        def readable(self) -> bool:
            return True

        def readinto(self, buf) -> int:  # type: ignore[no-untyped-def]
            buf[: len(buf)] = b"\x01" * len(buf)
            self.served += len(buf)
            return len(buf)

    endless = Endless()
    with pytest.raises(InvalidInput, match="object size limit"):
        for _ in iter_chunks(io.BufferedReader(endless), parse_chunker("rabin-30"), module_path=MODULE):
            pass
    assert endless.served <= 2 * 1024 * 1024 + 3 * (1024 * 1024)  # the limit and a few 1 MiB reads

