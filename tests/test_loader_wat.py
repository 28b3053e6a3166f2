"""The loader against hand-written ABI v1 modules in tests/hostile/ok_*.wat (every kind);
the module builders and small limits it shares with the other loader tests live in tests/_wat.py.
"""

from __future__ import annotations

import struct
from typing import Any

import pytest
import wasmtime

from autocodec import CID, GuestError, InvalidInput, ModuleRejected, UnknownKeyType
from autocodec.builtin import encode
from autocodec.loader import Sandbox, inspect_module, run_vectors, xorshift_bytes
from tests._wat import ECHO_CODE, HOSTILE, custom_section, metadata, small_limits, wat_module


def cbor_bytes(data: bytes) -> bytes:
    return encode(data, "dag-cbor")


@pytest.fixture(scope="module")
def sandbox() -> Sandbox:
    return Sandbox(small_limits())


# --- codec ------------------------------------------------------------------------------


@pytest.mark.parametrize("size", [0, 1, 23, 24, 255, 256, 65535, 65536, 300_000])
def test_echo_codec_round_trip(sandbox: Sandbox, size: int) -> None:
    codec = sandbox.load(wat_module("ok_echo")).codec()
    data = bytes(range(1, 256)) * (size // 255 + 1)
    data = data[:size]
    assert codec.decode(data) == data
    assert codec.encode(data) == data


def test_echo_codec_error_status_is_guest_error(sandbox: Sandbox) -> None:
    codec = sandbox.load(wat_module("ok_echo")).codec()
    with pytest.raises(GuestError) as info:
        codec.decode(b"\xff\x00")
    assert info.value.code == 1 and "0xff" in info.value.message
    with pytest.raises(GuestError):
        codec.encode("not bytes")


def test_decode_many_matches_decode_and_keeps_errors_per_item(sandbox: Sandbox) -> None:
    codec = sandbox.load(wat_module("ok_echo")).codec()
    blocks = [b"a" * n for n in range(50)] + [b"\xffbad"] + [b"z" * 1000]
    results = codec.decode_many(blocks)
    assert len(results) == len(blocks)
    for block, result in zip(blocks, results, strict=True):
        if block.startswith(b"\xff"):
            assert isinstance(result, GuestError) and result.code == 1
        else:
            assert result == codec.decode(block)


def test_decode_many_splits_batches_by_items_and_bytes() -> None:
    limits = small_limits(max_batch_items=3, stream_chunk_bytes=64)
    codec = Sandbox(limits).load(wat_module("ok_echo")).codec()
    blocks = [bytes([i]) * (i * 7) for i in range(1, 20)]
    assert codec.decode_many(blocks) == blocks


def test_links_fall_back_to_walking_the_decoded_value(sandbox: Sandbox) -> None:
    codec = sandbox.load(wat_module("ok_echo")).codec()
    assert codec.links(b"no links here") == []


# --- hasher -----------------------------------------------------------------------------


def fnv1a64(data: bytes) -> bytes:
    h = 0xCBF29CE484222325
    for byte in data:
        h = ((h ^ byte) * 0x100000001B3) & (2**64 - 1)
    return struct.pack("<Q", h)


def test_hasher_one_shot_and_stream(sandbox: Sandbox) -> None:
    hasher = sandbox.load(wat_module("ok_fnv", "hasher")).hasher()
    data = xorshift_bytes(7, 10_000)
    assert hasher.digest(data) == fnv1a64(data)
    stream = hasher.stream()
    for i in range(0, len(data), 777):
        stream.update(data[i : i + 777])
    assert stream.final() == fnv1a64(data)
    with pytest.raises(InvalidInput):
        stream.final()


def test_hasher_streams_inputs_larger_than_one_call() -> None:
    hasher = Sandbox(small_limits(stream_chunk_bytes=4096)).load(wat_module("ok_fnv", "hasher")).hasher()
    data = xorshift_bytes(3, 50_000)
    assert hasher.digest(data) == fnv1a64(data)


def test_a_call_that_grows_memory_moves_its_size_to_fresh_instances() -> None:
    """A reset instance whose memory grew cannot be reset: inputs that large then take fresh
    instances (no snapshot paid per call), with the same digests. ok_fnv starts with one
    page, so a 100 KiB input grows it."""
    loaded = Sandbox().load(wat_module("ok_fnv", "hasher"))
    hasher = loaded.hasher()
    small, big = bytes(1000), bytes(range(256)) * 400
    assert hasher.digest(small) == fnv1a64(small)
    before = loaded._reuse_max
    for _ in range(3):
        assert hasher.digest(big) == fnv1a64(big)
    assert loaded._reuse_max < len(big) <= before
    assert loaded._reuse_max >= len(small)
    assert hasher.digest(small) == fnv1a64(small)


def test_two_streams_are_independent(sandbox: Sandbox) -> None:
    hasher = sandbox.load(wat_module("ok_fnv", "hasher")).hasher()
    a, b = hasher.stream(), hasher.stream()
    a.update(b"hello ")
    b.update(b"other")
    a.update(b"world")
    assert a.final() == fnv1a64(b"hello world")
    assert b.final() == fnv1a64(b"other")


# --- chunker ----------------------------------------------------------------------------


@pytest.mark.parametrize("size", [1, 7, 1000, 70000])
def test_fixed_chunker_ends_do_not_depend_on_buffering(sandbox: Sandbox, size: int) -> None:
    chunker = sandbox.load(wat_module("ok_fixed", "chunker")).chunker({"size": size})
    data = xorshift_bytes(1, 20_000)
    want = list(range(size, len(data), size)) + [len(data)]  # 20000 is no multiple of these sizes
    assert list(chunker.boundaries([data])) == want
    pieces = [data[i : i + 333] for i in range(0, len(data), 333)]
    assert list(chunker.boundaries(pieces)) == want
    assert list(chunker.boundaries([])) == []


def test_chunker_bad_params_are_the_callers_to_change(sandbox: Sandbox) -> None:
    """A module refusing its parameters is InvalidInput (the caller's), naming the module and its words."""
    loaded = sandbox.load(wat_module("ok_fixed", "chunker"))
    for params in ({"size": 0}, {"avg": 10}, {}):
        with pytest.raises(InvalidInput, match="chunker ok_fixed refused its parameters"):
            list(loaded.chunker(params).boundaries([b"abc"]))


# --- crypto and task --------------------------------------------------------------------


def test_crypto_framing(sandbox: Sandbox) -> None:
    crypto = sandbox.load(wat_module("ok_crypto", "crypto")).crypto()
    assert crypto.verify(0xED, b"pkey", b"message", b"message") is True
    assert crypto.verify(0xED, b"pkey", b"message", b"messagf") is False
    assert crypto.verify(0xED, b"pkey", b"", b"") is True
    with pytest.raises(GuestError):
        crypto.verify(0xED, b"too long key", b"m", b"m")
    with pytest.raises(UnknownKeyType):
        crypto.verify(0xE7, b"pkey", b"m", b"m")


def test_task_call(sandbox: Sandbox) -> None:
    task = sandbox.load(wat_module("ok_task", "task")).task()
    args = [1, "two", b"three", {"four": [None, True]}]
    assert task.call("echo", args) == {"fn": "echo", "args": args}
    with pytest.raises(InvalidInput):
        task.call("missing", [])


def test_adapter_of_the_wrong_kind_is_refused(sandbox: Sandbox) -> None:
    loaded = sandbox.load(wat_module("ok_fnv", "hasher"))
    with pytest.raises(ModuleRejected):
        loaded.codec()


# --- vectors ----------------------------------------------------------------------------


def test_run_vectors_passes_and_reports_failures(sandbox: Sandbox) -> None:
    loaded = sandbox.load(wat_module("ok_echo"))
    good = {"kind": "codec", "cases": [
        {"decode": b"abc", "expect": b"abc"},
        {"decode": b"\xff", "error": True},
        {"encode": "text", "error": True},
    ]}
    report = run_vectors(loaded, encode(good, "dag-json"))
    assert report.ok and report.passed == 3, report.failures
    bad = {"kind": "codec", "cases": [{"decode": b"abc", "expect": "abc"}, {"decode": b"ok", "error": True}]}
    report = run_vectors(loaded, bad)
    assert not report.ok and report.passed == 0 and len(report.failures) == 2


def test_run_vectors_for_hasher_and_chunker(sandbox: Sandbox) -> None:
    hasher = sandbox.load(wat_module("ok_fnv", "hasher"))
    doc = {"kind": "hasher", "cases": [
        {"input": b"abc", "digest": fnv1a64(b"abc")},
        {"input": b"ab", "repeat": 3, "digest": fnv1a64(b"ab" * 3)},
    ]}
    assert run_vectors(hasher, doc).ok
    chunker = sandbox.load(wat_module("ok_fixed", "chunker"))
    doc = {"kind": "chunker", "cases": [
        {"params": {"size": 4096}, "input": {"seed": 5, "length": 10_000}, "ends": [4096, 8192, 10_000]},
    ]}
    assert run_vectors(chunker, doc).ok


def test_xorshift_generator_matches_the_spec() -> None:
    # First output for seed 1, computed by hand from the recurrence in docs/abi.md section 5.
    s = 1
    s ^= s >> 12
    s ^= (s << 25) & (2**64 - 1)
    s ^= s >> 27
    first = ((s * 0x2545F4914F6CDD1D) & (2**64 - 1)).to_bytes(8, "little")
    assert xorshift_bytes(1, 8) == first
    assert xorshift_bytes(0, 20) == xorshift_bytes(1, 20)
    assert len(xorshift_bytes(9, 13)) == 13


# --- inspect ----------------------------------------------------------------------------


def test_inspect_reports_metadata_exports_and_cid() -> None:
    wasm = wat_module("ok_echo", meta=metadata("codec", name="echo", description="echo codec"))
    info = inspect_module(wasm)
    assert (info.abi, info.kind, info.name, info.version, info.codes) == (1, "codec", "echo", "1.0.0", (ECHO_CODE,))
    assert info.exports["ac_decode"] == "func (i32, i32) -> (i32)" and info.exports["memory"] == "memory"
    assert info.size == len(wasm) and info.imports == ()
    assert info.cid.codec == 0x55 and info.cid.hash_code == 0x12
    given = CID.parse("bafkreifzhtkmfqpkj536d2unxix5ggf5x7wh6casyyhgp4r6iea4jujysq")
    assert inspect_module(wasm, cid=given).cid == given


@pytest.mark.parametrize(
    "meta, words",
    [
        ({"abi": 2, "kind": "codec", "name": "x", "version": "1.0.0", "codes": [1]}, "abi"),
        ({"abi": 1, "kind": "linker", "name": "x", "version": "1.0.0", "codes": [1]}, "kind"),
        ({"abi": 1, "kind": "codec", "name": "", "version": "1.0.0", "codes": [1]}, "name"),
        ({"abi": 1, "kind": "codec", "name": "x", "version": "1.0.0", "codes": []}, "codes"),
        ({"abi": 1, "kind": "codec", "name": "x", "version": "1.0.0", "codes": [-1]}, "codes"),
        ({"abi": 1, "kind": "codec", "name": "x", "version": "1.0.0", "codes": ["1"]}, "codes"),
        ({"abi": 1, "kind": "task", "name": "x", "version": "1.0.0", "codes": []}, "functions"),
        ({"abi": 1, "kind": "hasher", "name": "x", "version": "1.0.0", "codes": [1]}, "must export"),
        # the rules a signed manifest holds the module to: one inspected as valid can be published
        ({"abi": 1, "kind": "codec", "name": "x", "version": "1.0.0", "codes": [1, 1]}, "a code twice"),
        ({"abi": 1, "kind": "codec", "name": "x", "version": "1.0.0", "codes": list(range(65))}, "at most 64"),
        ({"abi": 1, "kind": "codec", "name": "../x", "version": "1.0.0", "codes": [1]}, "not a module name"),
        ({"abi": 1, "kind": "codec", "name": "Git", "version": "1.0.0", "codes": [1]}, "not a module name"),
        ({"abi": 1, "kind": "codec", "name": "x" * 65, "version": "1.0.0", "codes": [1]}, "not a module name"),
        ({"abi": 1, "kind": "codec", "name": "x", "version": "1", "codes": [1]}, "not a semantic version"),
        ({"abi": 1, "kind": "codec", "name": "x", "version": "01.0.0", "codes": [1]}, "not a semantic version"),
    ],
)
def test_inspect_rejects_bad_metadata(meta: dict[str, Any], words: str) -> None:
    with pytest.raises(ModuleRejected, match=words):
        inspect_module(wat_module("ok_echo", meta=meta))


def test_inspect_rejects_missing_duplicate_or_garbled_section() -> None:
    bare = wasmtime.wat2wasm((HOSTILE / "ok_echo.wat").read_text())
    with pytest.raises(ModuleRejected, match="found 0"):
        inspect_module(bare)
    twice = wat_module("ok_echo") + custom_section("autocodec.module", encode(metadata(), "dag-cbor"))
    with pytest.raises(ModuleRejected, match="found 2"):
        inspect_module(twice)
    with pytest.raises(ModuleRejected, match="DAG-CBOR"):
        inspect_module(bare + custom_section("autocodec.module", b"\xa1\xff"))
    with pytest.raises(ModuleRejected, match="not a map"):
        inspect_module(bare + custom_section("autocodec.module", encode([1], "dag-cbor")))
