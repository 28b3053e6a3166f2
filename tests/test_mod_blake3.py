"""The blake3 Wasm hasher against the official BLAKE3 test vectors and the blake3 package.

Vectors: fixtures/blake3/test_vectors.json (BLAKE3-team/BLAKE3 test_vectors/test_vectors.json,
see fixtures/blake3/SOURCE.md); input byte i is i % 251; the digest is the first 32 bytes of
the `hash` field.
"""

from __future__ import annotations

import functools
import json
import os
import random
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from autocodec.errors import DigestLengthUnsupported, GuestError
from autocodec.loader import Hasher, Sandbox, run_vectors

from .conftest import FIXTURES, WASM_SRC

blake3_pkg = pytest.importorskip("blake3")

WASM = WASM_SRC / "blake3" / "blake3.wasm"
VECTORS = json.loads((FIXTURES / "blake3" / "test_vectors.json").read_text())["cases"]


def official_input(n: int) -> bytes:
    return bytes(i % 251 for i in range(n))


@pytest.fixture(scope="module")
def module():
    return Sandbox().load(WASM.read_bytes())


@pytest.fixture(scope="module")
def hasher(module):
    return module.hasher()


def test_module_metadata(module) -> None:
    assert module.info.kind == "hasher"
    assert module.info.codes == (0x1E,)


def test_official_vector_file_is_whole() -> None:
    lengths = [c["input_len"] for c in VECTORS]
    assert len(lengths) == 22 and lengths[0] == 0 and lengths[-1] == 102400


@pytest.mark.parametrize("case", VECTORS, ids=lambda c: str(c["input_len"]))
def test_official_vector_one_shot(hasher, case) -> None:
    data = official_input(case["input_len"])
    assert hasher.digest(data).hex() == case["hash"][:64]


@pytest.mark.parametrize("case", VECTORS, ids=lambda c: str(c["input_len"]))
def test_official_vector_streamed(hasher, case) -> None:
    data = official_input(case["input_len"])
    # Split points around block (64) and chunk (1024) boundaries, plus odd sizes.
    for step in (1, 63, 64, 65, 1023, 1024, 1025, 4096 + 7):
        if step == 1 and len(data) > 2048:
            continue  # one call per byte: keep the test fast
        stream = hasher.stream()
        for start in range(0, len(data), step):
            stream.update(data[start : start + step])
        assert stream.final().hex() == case["hash"][:64], f"step {step}"


@settings(max_examples=60, deadline=None)
@given(data=st.binary(max_size=5000), cuts=st.lists(st.integers(0, 5000), max_size=12))
def test_stream_split_anywhere_equals_one_shot(hasher, data: bytes, cuts: list[int]) -> None:
    points = sorted({c for c in cuts if c <= len(data)})
    stream = hasher.stream()
    last = 0
    for point in points + [len(data)]:
        stream.update(data[last:point])  # empty updates included
        last = point
    expected = blake3_pkg.blake3(data).digest()
    assert stream.final() == expected
    assert hasher.digest(data) == expected


XOF_LENGTHS = (1, 20, 31, 32, 33, 63, 64, 65, 127, 128, 131)


@pytest.mark.parametrize("case", VECTORS, ids=lambda c: str(c["input_len"]))
def test_official_extended_outputs_one_shot_and_streamed(hasher: Hasher, case: dict[str, Any]) -> None:
    """The vectors' 131-byte extended outputs (three output blocks, the last partial) through
    ``ac_hash_xof`` and, streamed, ``ac_hash_final_xof``: each length is their first bytes."""
    data = official_input(case["input_len"])
    want = bytes.fromhex(case["hash"])
    assert len(want) == 131 and hasher.extends
    for length in XOF_LENGTHS:
        assert hasher.digest(data, length) == want[:length], length
        stream = hasher.stream()
        for start in range(0, len(data), 1000):
            stream.update(data[start : start + 1000])
        assert stream.final(length) == want[:length], length


def test_extended_output_of_a_streamed_input_and_the_longest_asked(module, hasher: Hasher) -> None:
    """Past one guest call the adapter streams and ends with ``ac_hash_final_xof``; 64 KiB is the
    most the module makes; the stream after an extended final starts empty again."""
    data = random.Random(3).randbytes(module.limits.stream_chunk_bytes * 2 + 77)
    for length in (64, 128, 65536):
        assert hasher.digest(data, length) == blake3_pkg.blake3(data).digest(length)
    stream = module.instance()
    stream.call("ac_hash_init")
    stream.call("ac_hash_update", b"abc")
    assert stream.call("ac_hash_final_xof", (40).to_bytes(4, "little")) == blake3_pkg.blake3(b"abc").digest(40)
    assert stream.call("ac_hash_final_xof", (40).to_bytes(4, "little")) == blake3_pkg.blake3(b"").digest(40)


@pytest.mark.parametrize("frame, message", [
    (b"", "starts with a u32 output length"), (b"\x00\x00\x00", "starts with a u32 output length"),
    ((0).to_bytes(4, "little") + b"data", "an output of 0 bytes asked"),
    ((65537).to_bytes(4, "little"), "an output of 65537 bytes asked; it makes 1 to 65536"),
])
def test_extended_output_lengths_out_of_range_are_refused(module, frame: bytes, message: str) -> None:
    with pytest.raises(GuestError, match=message):
        module.run("ac_hash_xof", frame)
    with pytest.raises(GuestError, match="takes only the u32 output length"):
        module.run("ac_hash_final_xof", (32).to_bytes(4, "little") + b"x")


def test_a_hasher_without_extendable_output_says_it_cannot_make_the_length() -> None:
    """keccak-256 exports no ``ac_hash_xof``: a longer digest is ``DigestLengthUnsupported``,
    one shot and streamed, naming the module and the length."""
    keccak = Sandbox().load((WASM_SRC / "keccak-256" / "keccak-256.wasm").read_bytes()).hasher()
    assert not keccak.extends
    with pytest.raises(DigestLengthUnsupported, match="keccak-256 .* cannot make one of 64 bytes"):
        keccak.digest(b"data", 64)
    stream = keccak.stream()
    stream.update(b"data")
    with pytest.raises(DigestLengthUnsupported, match="cannot make one of 33 bytes"):
        stream.final(33)


def test_one_mebibyte_matches_blake3_package(hasher) -> None:
    data = os.urandom(1 << 20)
    assert hasher.digest(data) == blake3_pkg.blake3(data).digest()


def test_large_input_is_streamed_by_the_adapter(module, hasher) -> None:
    # Bigger than one guest call: the adapter streams it; the digest must not change.
    size = module.limits.stream_chunk_bytes * 2 + 12345
    data = (bytes(range(256)) * (size // 256 + 1))[:size]
    assert hasher.digest(data) == blake3_pkg.blake3(data).digest()


def test_module_vectors_pass(module) -> None:
    report = run_vectors(module, (WASM_SRC / "blake3" / "vectors.json").read_bytes())
    assert report.ok, report.failures


# The four-way kernel takes up to 256 whole chunks per batch and reduces each aligned
# power-of-two run of them to one subtree (wasm-src/blake3/blake3.c, hasher_chunks): lengths
# around one and two batches, and streams whose updates start at chunk counters that are not
# aligned (odd counters, counters just below a batch), against the blake3 package.
BATCH = 256 * 1024


@pytest.mark.parametrize("size", [4 * 1024 + 1, BATCH - 1, BATCH, BATCH + 1, BATCH + 1024, 2 * BATCH + 3 * 1024 + 5, 3 * BATCH + 1])
def test_one_shot_around_batches(hasher: Hasher, size: int) -> None:
    data = random.Random(size).randbytes(size)
    assert hasher.digest(data) == blake3_pkg.blake3(data).digest()


@pytest.mark.parametrize("steps", [(1024, 3 * 1024 + 17), (5 * 1024,), (255 * 1024 + 1, 2 * 1024), (7 * 1024 + 1000, BATCH + 1024), (1, BATCH)])
def test_stream_with_unaligned_batches(hasher: Hasher, steps: tuple[int, ...]) -> None:
    data = random.Random(len(steps)).randbytes(3 * BATCH + 4321)
    stream = hasher.stream()
    at, i = 0, 0
    while at < len(data):
        step = steps[i % len(steps)]
        stream.update(data[at : at + step])
        at, i = at + step, i + 1
    assert stream.final() == blake3_pkg.blake3(data).digest()


@pytest.mark.slow  # runs Kubo
@pytest.mark.ipfs
def test_digests_match_kubo_block_put(hasher: Hasher, tmp_path: Path) -> None:
    """Kubo (the reference node) stores blocks under blake3 multihashes; ours name the same digest.

    Sizes around the chunk, the four-way group and the 256-chunk batch, up to two batches (with
    --allow-big-block past Kubo's 1 MiB block limit)."""
    from autocodec.cid import CID

    from ._kubo import KuboRepo, require_kubo

    require_kubo()
    repo = KuboRepo.create(tmp_path / "kubo")
    sizes = [0, 1, 1024, 1025, 4 * 1024 + 1, BATCH, BATCH + 1, 2 * BATCH + 3 * 1024 + 5]
    paths = []
    for size in sizes:
        path = tmp_path / f"b{size}"
        path.write_bytes(random.Random(size).randbytes(size))
        paths.append(path)
    out = repo.ipfs("block", "put", "--mhtype=blake3", "--allow-big-block", *paths).stdout.decode().split()
    cids = [CID.parse(text) for text in out]  # one per block, not necessarily in argument order
    assert len(cids) == len(sizes) and {c.hash_code for c in cids} == {0x1E}
    kubo = {c.digest for c in cids}
    ours = {hasher.digest(path.read_bytes()): size for size, path in zip(sizes, paths)}
    assert [size for digest, size in ours.items() if digest not in kubo] == []


def test_digest_many_batches_equal_one_by_one(module) -> None:
    """``Hasher.digest_many`` (ac_hash_batch, 32 KiB frames) gives each input's digest in order:
    empty inputs, inputs across frame boundaries, inputs too big for a batch between them."""
    hasher = module.hasher()
    assert "ac_hash_batch" in module.info.exports
    rng = random.Random(5)
    sizes = [0, 1, 64, 1024, 1025, 8 * 1024, 8 * 1024 + 1, 31 * 1024, 100_000, 3, 0]
    sizes += [rng.randrange(0, 3000) for _ in range(300)]
    inputs = [rng.randbytes(n) for n in sizes]
    got = hasher.digest_many(inputs)
    assert got == [blake3_pkg.blake3(x).digest() for x in inputs]
    assert hasher.digest_many([]) == []


def _frame(inputs: list[bytes]) -> bytes:
    return len(inputs).to_bytes(4, "little") + b"".join(len(x).to_bytes(4, "little") + x for x in inputs)


@pytest.mark.parametrize("copies", [1, 2, 3, 4, 5, 7])
def test_lanes_of_one_chunk_inputs_give_each_its_own_digest(module, copies: int) -> None:
    """ac_hash_batch hashes inputs of up to one chunk four at a time, one per SIMD lane, grouped
    by block count: every length 0..1025 (partial, whole and empty last blocks, the chunk
    boundary), ``copies`` different inputs of each, interleaved so the buckets fill out of
    order and leave 0-3 inputs each for the end, digests in frame order."""
    rng = random.Random(copies)
    inputs = [rng.randbytes(n) for _ in range(copies) for n in range(0, 1026)]
    rng.shuffle(inputs)
    for start in range(0, len(inputs), 300):  # frames of up to 300 inputs (each under the call's input bound)
        part = inputs[start : start + 300]
        out = module.run("ac_hash_batch", _frame(part))
        assert [out[i : i + 32] for i in range(0, len(out), 32)] == [blake3_pkg.blake3(x).digest() for x in part]


def test_a_refused_batch_leaves_nothing_queued_for_the_next(module) -> None:
    """Inputs queued in lanes before a malformed length are dropped with the refused call: the
    next batch's digests are its own."""
    from autocodec.errors import GuestError

    queued = [bytes([n]) * 100 for n in range(3)]
    bad = (4).to_bytes(4, "little") + _frame(queued)[4:] + (1000).to_bytes(4, "little") + b"short"
    with pytest.raises(GuestError, match="ends inside an input"):
        module.run("ac_hash_batch", bad)
    fresh = [b"z" * 100, b"y" * 100]
    out = module.run("ac_hash_batch", _frame(fresh))
    assert [out[:32], out[32:]] == [blake3_pkg.blake3(x).digest() for x in fresh]


@functools.cache
def _hot_instance() -> Any:
    """A reset-enabled blake3 instance: its C runner cuts frames like ``hash_frames`` does."""
    return Sandbox().load(WASM.read_bytes())._reusable_instance()  # noqa: SLF001


def _greedy_frames(lengths: list[int], most: int) -> list[tuple[int, int, bool]]:
    """The frame rule said plainly, one input at a time: an input joins the open frame unless
    the frame has ``most`` inputs or would pass ``_BATCH_BYTES`` framed; one larger than
    ``_BATCH_ITEM`` closes it and goes alone."""
    from autocodec.loader._adapters import _BATCH_BYTES, _BATCH_ITEM

    out: list[tuple[int, int, bool]] = []
    start, size = None, 4
    for k, n in enumerate(lengths):
        if n > _BATCH_ITEM:
            if start is not None:
                out.append((start, k, True))
            out.append((k, k + 1, False))
            start, size = None, 4
            continue
        if start is not None and (k - start >= most or size + 4 + n > _BATCH_BYTES):
            out.append((start, k, True))
            start, size = None, 4
        if start is None:
            start = k
        size += 4 + n
    if start is not None:
        out.append((start, len(lengths), True))
    return out


@given(st.lists(st.one_of(st.integers(0, 2000), st.sampled_from([0, 8 * 1024, 8 * 1024 + 1, 31 * 1024, 40_000])),
                max_size=400), st.sampled_from([1, 2, 31, 1024]))
@settings(max_examples=300, deadline=None)
def test_frames_are_cut_as_the_plain_rule_cuts_them(lengths: list[int], most: int) -> None:
    """``_frame_end`` (the checked path) and ``hash_frames`` (the C loop, one frame a call) cut
    the frames the plain rule cuts."""
    from autocodec.loader._adapters import _BATCH_BYTES, _BATCH_ITEM, _frame_end

    items = [bytes(n) for n in lengths]
    want = _greedy_frames(lengths, most)
    python, i = [], 0
    while i < len(items):
        j = _frame_end(items, i, most)
        python.append((i, j, len(items[i]) <= _BATCH_ITEM))
        i = j
    assert python == want
    instance = _hot_instance()
    hot = instance._hot  # noqa: SLF001
    if hot is None:
        return
    func = instance._func_addr("ac_hash_batch")  # noqa: SLF001
    fuel, ticks = instance._budget_for(None)  # noqa: SLF001
    c, i = [], 0
    while i < len(items):
        end, done, digests, failed = hot.hash_frames(func, items, i, most, _BATCH_BYTES, _BATCH_ITEM, 1, fuel, ticks)
        assert failed is None and len(digests) == end - i
        assert digests == [blake3_pkg.blake3(x).digest() for x in items[i:end]]
        c.append((i, end, True) if done else (i, i + 1, False))  # nothing done: an input hashed alone
        i = end if done else i + 1
    assert c == want


def test_a_refused_frame_is_redone_input_by_input_and_a_bad_one_is_a_fault(monkeypatch: pytest.MonkeyPatch) -> None:
    from autocodec.errors import GuestError, GuestFault

    loaded = Sandbox().load(WASM.read_bytes())
    hasher = loaded.hasher()
    inputs = [random.Random(n).randbytes(n) for n in range(0, 3000, 37)]
    want = [blake3_pkg.blake3(x).digest() for x in inputs]
    run = loaded.run
    refused: list[int] = []

    def refusing(op: str, data: bytes, **kw: object) -> bytes:
        if op == "ac_hash_batch" and not refused:
            refused.append(len(data))
            raise GuestError(1, "refused once")
        return run(op, data, **kw)  # type: ignore[arg-type]

    monkeypatch.setattr(loaded, "run_frames", lambda *a: None)  # the checked path (the C loop: test_hotcall)
    monkeypatch.setattr(loaded, "run", refusing)
    assert hasher.digest_many(inputs) == want and refused
    monkeypatch.setattr(loaded, "run", lambda op, data, **kw: b"\0" * 31 if op == "ac_hash_batch" else run(op, data))
    with pytest.raises(GuestFault, match="one digest of one size"):
        hasher.digest_many(inputs)


def test_inputs_up_to_the_reuse_bound_run_on_reset_instances() -> None:
    """blake3 starts with 1 MiB of memory (the module kit's default): a 200 KiB input fits
    without ``memory.grow``, so its calls reuse one reset instance and the bound stays."""
    loaded = Sandbox().load(WASM.read_bytes())
    hasher = loaded.hasher()
    small, big = bytes(1000), random.Random(1).randbytes(200 * 1024)
    before = loaded._reuse_max
    for _ in range(3):
        assert hasher.digest(big) == blake3_pkg.blake3(big).digest()
        assert hasher.digest(small) == blake3_pkg.blake3(small).digest()
    assert loaded._reuse_max == before >= len(big)
    assert len(loaded._idle) == 1


def test_one_shot_digests_restore_few_pages() -> None:
    """After each call a reused instance has the pages between the lowest and the highest it
    touched restored; a one-shot digest of 64 bytes touches the stack's top, the data and the
    start of the arena, so that span stays a few pages. (The batch lanes once sat in static
    memory between them: 19 more zero pages cleared after every digest, ~0.6 us a call.)"""
    loaded = Sandbox().load(WASM.read_bytes())
    for _ in range(100):  # past the resets that learn which pages calls touch
        loaded.run("ac_hash", bytes(64))
    (instance,) = loaded._idle  # noqa: SLF001
    lo, hi = instance._window  # noqa: SLF001
    assert 0 < hi - lo <= 6, (lo, hi)
    loaded.run("ac_hash_batch", _frame([bytes(n) for n in range(0, 1025, 9)]))  # every lane, every slot
    assert loaded.run("ac_hash", b"abc") == blake3_pkg.blake3(b"abc").digest()
