"""The chunker Wasm modules (fixed, FastCDC, buzhash): properties and reference models.

Properties (hypothesis): the chunks reassemble to the input; every chunk but the last is
within min..max; the ends do not depend on how the stream is split into buffers; a
content-defined chunker keeps most boundaries after an insertion near the start; fixed-size
gives exactly size-N pieces.

Reference models, written here straight from each rule (whole input in memory, no
streaming): Kubo's buzhash is a transcription of go-ipfs-chunker buzhash.go's NextBytes
loop (buffer of max bytes, hash seeded from the 32 bytes before min), so the module's
streaming boundaries must equal Kubo's; FastCDC follows the rule documented in
wasm-src/chunker-fastcdc/chunker_fastcdc.c.
"""

from __future__ import annotations

import re

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from autocodec.errors import InvalidInput, GuestError
from autocodec.loader import Sandbox, run_vectors, xorshift_bytes

from .conftest import WASM_SRC

MASK64 = (1 << 64) - 1
NAMES = ("chunker-fixed", "chunker-fastcdc", "chunker-buzhash")
SMALL = {  # small parameters keep examples fast while exercising every rule
    "chunker-fixed": {"size": 500},
    "chunker-fastcdc": {"min": 64, "avg": 256, "max": 1024},
    "chunker-buzhash": {"min": 64, "avg": 128, "max": 1024},
}
HYP = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


# --- reference models ---------------------------------------------------------------------

def fixed_ends(n: int, size: int) -> list[int]:
    return [min(end, n) for end in range(size, n + size, size)] if n else []


_SRC = (WASM_SRC / "chunker-buzhash" / "chunker_buzhash.c").read_text()
BUZ_TABLE = [int(v, 16) for v in re.findall(r"0x[0-9a-f]{8}", _SRC.split("T[256] = {")[1].split("};")[0])]


def _rotl1(x: int) -> int:
    return ((x << 1) | (x >> 31)) & 0xFFFFFFFF


def kubo_buzhash_ends(data: bytes, min_: int = 128 << 10, max_: int = 512 << 10, mask: int = (1 << 17) - 1) -> list[int]:
    """go-ipfs-chunker's Buzhash.NextBytes, one chunk per loop, on the whole input."""
    ends, pos = [], 0
    T = BUZ_TABLE
    while pos < len(data):
        buf = data[pos : pos + max_]  # io.ReadFull into a max-sized buffer
        n = len(buf)
        i = n
        if n > min_:
            state = 0
            for k in range(min_ - 32, min_):
                state = _rotl1(state) ^ T[buf[k]]
            i = min_ - 32
            last = n - 32 - 1
            while i <= last:
                if state & mask == 0:
                    break
                state = _rotl1(state) ^ T[buf[i]] ^ T[buf[i + 32]]
                i += 1
            i += 32
        pos += i
        ends.append(pos)
    return ends


def _splitmix_gear() -> list[int]:
    out, s = [], 0
    for _ in range(256):
        s = (s + 0x9E3779B97F4A7C15) & MASK64
        z = s
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & MASK64
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & MASK64
        out.append(z ^ (z >> 31))
    return out


GEAR = _splitmix_gear()


def _spread(k: int) -> int:
    return sum(1 << (63 - (j * 48) // k) for j in range(k))


def fastcdc_ends(data: bytes, min_: int, avg: int, max_: int) -> list[int]:
    bits = avg.bit_length() - 1
    mask_s, mask_l = _spread(bits + 2), _spread(bits - 2)
    ends, pos, n = [], 0, len(data)
    while pos < n:
        stop = min(pos + max_, n)
        cut, fp = stop, 0
        for j in range(pos + min_, stop):
            fp = ((fp << 1) + GEAR[data[j]]) & MASK64
            if not fp & (mask_s if j - pos < avg else mask_l):
                cut = j + 1
                break
        ends.append(cut)
        pos = cut
    return ends


def model_ends(name: str, params: dict, data: bytes) -> list[int]:
    if name == "chunker-fixed":
        return fixed_ends(len(data), params["size"])
    if name == "chunker-fastcdc":
        return fastcdc_ends(data, params["min"], params["avg"], params["max"])
    p = {"min": 128 << 10, "avg": 1 << 17, "max": 512 << 10, **params}
    return kubo_buzhash_ends(data, p["min"], p["max"], p["avg"] - 1)


# --- fixtures and helpers -------------------------------------------------------------------


@pytest.fixture(scope="module")
def modules():
    sandbox = Sandbox()
    return {name: sandbox.load((WASM_SRC / name / f"{name}.wasm").read_bytes()) for name in NAMES}


def split(data: bytes, cuts: list[int]) -> list[bytes]:
    points = sorted({c % (len(data) + 1) for c in cuts})
    return [data[a:b] for a, b in zip([0, *points], [*points, len(data)])]


def ends_of(modules, name: str, params: dict, buffers: list[bytes]) -> list[int]:
    return list(modules[name].chunker(params).boundaries(buffers))


inputs = st.one_of(  # random-looking (xorshift), low-entropy and periodic streams
    st.builds(xorshift_bytes, st.integers(0, 2**64 - 1), st.integers(0, 2_000) | st.integers(2_000, 30_000)),
    st.binary(max_size=6_000),  # hypothesis' low-entropy bytes: zeros, repeats
    st.builds(lambda b, n: b * n, st.binary(min_size=1, max_size=40), st.integers(1, 800)),  # periodic
)


# --- properties -----------------------------------------------------------------------------


def test_metadata(modules) -> None:
    for name in NAMES:
        assert modules[name].info.kind == "chunker"
        assert modules[name].info.codes == ()


def test_kubo_table_transcribed_whole() -> None:
    assert len(BUZ_TABLE) == 256 and len(set(BUZ_TABLE)) == 256
    assert BUZ_TABLE[0] == 0x6236E7D5 and BUZ_TABLE[255] == 0x5C41857D  # first/last of buzhash.go


@pytest.mark.parametrize("name", NAMES)
@HYP
@given(data=inputs, cuts=st.lists(st.integers(0, 2**32), max_size=8))
def test_properties(modules, name: str, data: bytes, cuts: list[int]) -> None:
    params = SMALL[name]
    ends = ends_of(modules, name, params, [data])
    # reassembly: strictly increasing ends covering the whole input
    assert ends == sorted(set(ends))
    assert (ends[-1] if ends else 0) == len(data)
    pieces = [data[a:b] for a, b in zip([0, *ends], ends)]
    assert b"".join(pieces) == data
    # sizes
    lo, hi = (params["size"], params["size"]) if "size" in params else (params["min"], params["max"])
    assert all(lo <= len(p) <= hi for p in pieces[:-1])
    assert all(0 < len(p) <= hi for p in pieces[-1:])
    # independent of buffer boundaries (including empty buffers)
    assert ends_of(modules, name, params, split(data, cuts)) == ends
    assert ends_of(modules, name, params, [b"", *split(data, cuts), b""]) == ends
    # equal to the reference model
    assert ends == model_ends(name, params, data)


@HYP
@given(size=st.integers(1, 3000), n=st.integers(0, 20_000))
def test_fixed_size_gives_exact_pieces(modules, size: int, n: int) -> None:
    data = xorshift_bytes(n, n)
    ends = ends_of(modules, "chunker-fixed", {"size": size}, [data])
    assert ends == fixed_ends(n, size)
    pieces = [b - a for a, b in zip([0, *ends], ends)]
    assert all(p == size for p in pieces[:-1]) and (not pieces or 0 < pieces[-1] <= size)


@pytest.mark.parametrize("name", ["chunker-fastcdc", "chunker-buzhash"])
@HYP
@given(seed=st.integers(0, 2**64 - 1), at=st.integers(0, 300), insert=st.binary(min_size=1, max_size=64))
def test_insertion_near_start_keeps_most_boundaries(modules, name: str, seed: int, at: int, insert: bytes) -> None:
    params = SMALL[name]
    data = xorshift_bytes(seed, 60_000)
    before = ends_of(modules, name, params, [data])
    after = ends_of(modules, name, params, [data[:at] + insert + data[at:]])
    assume(len(before) >= 20)
    shifted = {e + len(insert) for e in before if e > at}
    kept = len(shifted & set(after)) / len(shifted)
    assert kept >= 0.8, f"only {kept:.0%} of the boundaries survived an insertion at {at}"


def test_fixed_size_insertion_shifts_everything(modules) -> None:
    # The contrast that makes the test above meaningful.
    data = xorshift_bytes(1, 60_000)
    before = ends_of(modules, "chunker-fixed", {"size": 500}, [data])
    after = ends_of(modules, "chunker-fixed", {"size": 500}, [b"x" + data])
    assert not {e + 1 for e in before[:-1]} & set(after)


# --- Kubo defaults and parameter validation -----------------------------------------------------


def test_buzhash_kubo_defaults_equal_kubo_model(modules) -> None:
    data = xorshift_bytes(2024, 3 * 1024 * 1024 + 12345)
    ends = ends_of(modules, "chunker-buzhash", {}, split(data, [1, 70_000, 1 << 20, 2_500_001]))
    assert ends == kubo_buzhash_ends(data)
    sizes = [b - a for a, b in zip([0, *ends], ends)]
    assert len(sizes) >= 5 and all(128 << 10 <= s <= 512 << 10 for s in sizes[:-1])
    # an explicit Kubo parameter map is the same chunker
    assert ends_of(modules, "chunker-buzhash", {"min": 131072, "avg": 131072, "max": 524288}, [data]) == ends


def test_fastcdc_average_is_near_avg(modules) -> None:
    data = xorshift_bytes(99, 4 << 20)
    ends = ends_of(modules, "chunker-fastcdc", {"min": 2048, "avg": 8192, "max": 65536}, [data])
    mean = len(data) / len(ends)
    assert 6000 < mean < 12000, mean  # normalized chunking centres sizes on avg (+ min)


@pytest.mark.parametrize(
    "name,params",
    [
        ("chunker-fixed", {}),
        ("chunker-fixed", {"size": 0}),
        ("chunker-fixed", {"size": (1 << 30) + 1}),
        ("chunker-fixed", {"size": 10, "min": 1}),
        ("chunker-fixed", {"size": "10"}),
        ("chunker-fixed", {"size": -1}),
        ("chunker-fastcdc", {"min": 64, "avg": 256}),
        ("chunker-fastcdc", {"min": 512, "avg": 256, "max": 1024}),
        ("chunker-fastcdc", {"min": 64, "avg": 32, "max": 1024}),
        ("chunker-fastcdc", {"min": 64, "avg": 256, "max": 2**31}),
        ("chunker-fastcdc", {"min": 0, "avg": 256, "max": 1024}),
        ("chunker-buzhash", {"min": 16}),
        ("chunker-buzhash", {"avg": 1000}),
        ("chunker-buzhash", {"min": 1024, "max": 512}),
        ("chunker-buzhash", {"window": 48}),
    ],
)
def test_bad_params_are_errors(modules, name: str, params: dict) -> None:
    # the caller's parameters, not a bad block: InvalidInput naming the chunker (was the module's
    # GuestError, whose hint spoke of blocks of a codec)
    with pytest.raises(InvalidInput, match=f"chunker {name} refused its parameters") as caught:
        list(modules[name].chunker(params).boundaries([b"abc"]))
    assert not isinstance(caught.value, GuestError)


@pytest.mark.parametrize("name", NAMES)
def test_raw_abi_misuse_is_an_error_not_a_trap(modules, name: str) -> None:
    instance = modules[name].instance()
    with pytest.raises(GuestError, match="ac_chunk_init"):
        instance.call("ac_chunk_update", b"data before init")
    for junk in (b"", b"\xff", b"\xa1\x64size", b"\x80"):
        with pytest.raises(GuestError):
            modules[name].instance().call("ac_chunk_init", junk)


@pytest.mark.parametrize("name", NAMES)
def test_empty_stream_has_no_chunks(modules, name: str) -> None:
    assert ends_of(modules, name, SMALL[name], []) == []
    assert ends_of(modules, name, SMALL[name], [b"", b""]) == []


@pytest.mark.parametrize("name", NAMES)
def test_module_vectors_pass(modules, name: str) -> None:
    report = run_vectors(modules[name], (WASM_SRC / name / "vectors.json").read_bytes())
    assert report.ok, report.failures
