"""Loader behaviour: determinism, the fast call path against the public API, threads, the
compiled-module cache, per-extension limits, and the DAG-CBOR Wasm module of wasm-src/."""

from __future__ import annotations

import os
import stat
import threading
import time
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from autocodec import FuelExhausted, GuestError, MemoryLimitExceeded, OutputTooLarge, SandboxError
from autocodec.builtin import encode
from autocodec.loader import Sandbox, inspect_module, xorshift_bytes
from tests.conftest import CODEC_FIXTURES, WASM_SRC
from tests._wat import small_limits, wat_module

DAG_CBOR_WASM = WASM_SRC / "dag-cbor" / "dag-cbor.wasm"


def test_a_stateful_module_cannot_leak_state_between_operations() -> None:
    """leaky_state.wat counts calls and grows memory on purpose; through the host, decode A,
    B, A gives what fresh instances give, and B's memory growth does not reach A."""
    loaded = Sandbox(small_limits()).load(wat_module("leaky_state"))
    codec = loaded.codec()
    fresh = {d: Sandbox(small_limits()).load(wat_module("leaky_state")).codec().decode(d) for d in (b"", b"\x05")}
    assert fresh[b""] == 1001  # first call, one page
    sequence = [codec.decode(d) for d in (b"", b"\x05", b"", b"\x05", b"")]
    assert sequence == [fresh[b""], fresh[b"\x05"], fresh[b""], fresh[b"\x05"], fresh[b""]]
    # ...whereas one instance reused by hand would drift: proof the test can fail.
    instance = loaded.instance()
    raw = [instance.call("ac_decode", d) for d in (b"", b"\x05", b"")]
    assert raw[0] != raw[2]


def test_sticky_state_is_not_kept_by_a_reused_instance() -> None:
    """sticky_state.wat keeps counters in hidden globals, data and zero pages; the reused
    instance (tests/test_isolation.py has the rest) answers as a fresh one every time."""
    codec = Sandbox(small_limits()).load(wat_module("sticky_state")).codec()
    assert [codec.decode(b"") for _ in range(4)] == [1111] * 4


@pytest.mark.parametrize("name, kind", [("ok_echo", "codec"), ("ok_fnv", "hasher")])
def test_fast_and_slow_call_paths_agree(name: str, kind: str) -> None:
    fast = Sandbox(small_limits(), fast_calls=True).load(wat_module(name, kind))
    slow = Sandbox(small_limits(), fast_calls=False).load(wat_module(name, kind))
    assert fast.fast and not slow.fast
    for seed in range(20):
        data = xorshift_bytes(seed, seed * 97)
        if kind == "codec":
            assert fast.codec().decode(data) == slow.codec().decode(data) == data
        else:
            assert fast.hasher().digest(data) == slow.hasher().digest(data)
    if kind == "codec":
        for loaded in (fast, slow):
            with pytest.raises(GuestError):
                loaded.codec().decode(b"\xff")


def test_slow_calls_selected_by_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AUTOCODEC_SLOW_CALLS", "1")
    assert Sandbox(small_limits()).fast_calls is False
    monkeypatch.setenv("AUTOCODEC_SLOW_CALLS", "0")
    assert Sandbox(small_limits()).fast_calls is True


def test_u32_arguments_above_2_gib_pass_through_both_paths() -> None:
    for fast in (True, False):
        instance = Sandbox(small_limits(), fast_calls=fast).load(wat_module("ok_echo")).instance()
        # The guest sees 0xC0000000 as an unsigned length, cannot grow that far, returns 0.
        assert instance.invoke("ac_input", 3 * 2**30) == 0
        assert instance.invoke("ac_input", 100) == 4096


def test_decode_from_two_threads() -> None:
    codec = Sandbox(small_limits()).load(wat_module("ok_echo")).codec()
    inputs = [xorshift_bytes(seed, 1 + seed * 13) for seed in range(200)]
    errors: list[BaseException] = []
    results: dict[int, list[object]] = {}

    def work(tid: int) -> None:
        try:
            results[tid] = [codec.decode(data) for data in inputs]
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert results[0] == results[1] == inputs


def test_hostile_call_in_one_thread_does_not_disturb_another() -> None:
    good = Sandbox(small_limits()).load(wat_module("ok_echo")).codec()
    bad = Sandbox(small_limits()).load(wat_module("loop_export")).codec()
    caught: list[type] = []

    def spin() -> None:
        for _ in range(3):
            try:
                bad.decode(b"")
            except SandboxError as exc:
                caught.append(type(exc))

    t = threading.Thread(target=spin)
    t.start()
    for i in range(300):
        assert good.decode(bytes([i % 200])) == bytes([i % 200])
    t.join()
    assert caught == [FuelExhausted] * 3


def test_fuel_is_deterministic_per_call() -> None:
    """The same call under the same fuel budget always ends the same way."""
    data = xorshift_bytes(11, 30_000)
    outcomes = set()
    for _ in range(3):
        hasher = Sandbox(small_limits(fuel=100_000)).load(wat_module("ok_fnv", "hasher")).hasher()
        try:
            outcomes.add(hasher.digest(data))
        except FuelExhausted:
            outcomes.add("fuel")
    assert outcomes == {"fuel"}
    assert Sandbox(small_limits(fuel=10**7)).load(wat_module("ok_fnv", "hasher")).hasher().digest(data)


def test_per_extension_limits_override_the_sandbox() -> None:
    sandbox = Sandbox(small_limits())
    wasm = wat_module("memory_bomb")
    with pytest.raises(MemoryLimitExceeded):
        sandbox.load(wasm, limits=small_limits(max_memory_bytes=4 * 2**20)).codec().decode(b"")
    roomy = sandbox.load(wat_module("ok_echo"), limits=small_limits(max_memory_bytes=64 * 2**20)).codec()
    big = xorshift_bytes(1, 3 * 2**20)
    limits = small_limits(max_memory_bytes=64 * 2**20, max_output_bytes=8 * 2**20, fuel=10**9)
    assert sandbox.load(wat_module("ok_echo"), limits=limits).codec().decode(big) == big
    with pytest.raises(OutputTooLarge):
        sandbox.load(wat_module("ok_echo"), limits=small_limits(max_output_bytes=2**20)).codec().decode(big)
    assert roomy.decode(b"ok") == b"ok"


def test_load_checks_the_given_cid() -> None:
    from autocodec import HashMismatch
    from autocodec.loader import raw_cid

    wasm = wat_module("ok_echo")
    loaded = Sandbox(small_limits()).load(wasm, cid=raw_cid(wasm))
    assert loaded.info.cid == raw_cid(wasm)
    with pytest.raises(HashMismatch):
        Sandbox(small_limits()).load(wasm, cid=raw_cid(wasm + b"x"))


def test_pool_exhaustion_is_a_typed_error_and_recovers() -> None:
    loaded = Sandbox(small_limits(pooled_instances=4)).load(wat_module("ok_fnv", "hasher"))
    hasher = loaded.hasher()
    streams = []
    with pytest.raises(SandboxError, match="live module instances"):
        for _ in range(10):
            streams.append(hasher.stream())
    streams.clear()
    import gc

    gc.collect()
    assert hasher.digest(b"abc") == hasher.digest(b"abc")


# --- compiled cache ----------------------------------------------------------------------


def test_cache_writes_once_and_reuses(tmp_path: Path) -> None:
    cache = tmp_path / "compiled"
    wasm = wat_module("ok_echo")
    Sandbox(small_limits(), cache).load(wasm)
    [artifact] = cache.glob("*.cwasm")
    key = cache / "hmac.key"
    assert stat.S_IMODE(key.stat().st_mode) == 0o600 and len(key.read_bytes()) == 32
    before = artifact.stat().st_mtime_ns
    assert Sandbox(small_limits(), cache).load(wasm).codec().decode(b"q") == b"q"
    assert artifact.stat().st_mtime_ns == before  # served from the cache, not rewritten
    assert not list(cache.glob(".tmp-*"))
    # Different engine limits -> a different artifact; the first stays valid.
    Sandbox(small_limits(max_wasm_stack_bytes=128 * 1024), cache).load(wasm)
    assert len(list(cache.glob("*.cwasm"))) == 2


def test_artifact_under_another_key_is_rejected(tmp_path: Path) -> None:
    cache = tmp_path / "compiled"
    wasm = wat_module("ok_echo")
    Sandbox(small_limits(), cache).load(wasm)
    (cache / "hmac.key").write_bytes(os.urandom(32))  # as if copied from another home
    [artifact] = cache.glob("*.cwasm")
    old = artifact.read_bytes()
    assert Sandbox(small_limits(), cache).load(wasm).codec().decode(b"k") == b"k"
    assert artifact.read_bytes() != old


def _variant(wasm: bytes, i: int) -> bytes:
    """``wasm`` with one more custom section: the same module, other bytes (another cache entry)."""
    name = b"variant"
    body = bytes([len(name)]) + name + str(i).encode()
    return wasm + b"\x00" + bytes([len(body)]) + body


def test_cache_folder_stays_within_its_entry_and_byte_caps(tmp_path: Path) -> None:
    # A server upgrading a set for weeks compiled each version once and kept every artifact:
    # the folder had no bound. Now the oldest-written go once a cap is passed (a miss compiles).
    folder = tmp_path / "compiled"
    wasm = wat_module("ok_echo")
    sandbox = Sandbox(small_limits(), folder)
    assert sandbox.cache is not None
    sandbox.cache.max_entries = 3
    seen: set[Path] = set()
    for i in range(8):
        sandbox.load(_variant(wasm, i))
        now = set(folder.glob("*.cwasm"))
        assert len(now) == min(i + 1, 3) and len(now - seen) == 1  # the one just written is kept
        seen |= now
    artifacts = list(folder.glob("*.cwasm"))
    size = artifacts[0].stat().st_size
    assert (folder / "hmac.key").exists() and not list(folder.glob(".tmp-*"))
    again = Sandbox(small_limits(), folder)  # an evicted version is compiled again, and kept
    assert again.cache is not None
    again.cache.max_entries = 3
    before = set(folder.glob("*.cwasm"))
    assert again.load(_variant(wasm, 0)).codec().decode(b"z") == b"z"
    now = set(folder.glob("*.cwasm"))
    assert len(now - before) == 1 and len(now) == 3
    again.cache.max_entries = 100
    again.cache.max_bytes = size * 2 + size // 2
    for i in range(8, 11):
        again.load(_variant(wasm, i))
        assert len(list(folder.glob("*.cwasm"))) <= 2
    assert sum(p.stat().st_size for p in folder.glob("*.cwasm")) <= again.cache.max_bytes


def test_unwritable_cache_degrades_to_compiling(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    assert Sandbox(small_limits(), blocker / "compiled").load(wat_module("ok_echo")).codec().decode(b"w") == b"w"


# --- the DAG-CBOR module built by wasm-src/build.py ----------------------------------------


needs_dagcbor = pytest.mark.skipif(not DAG_CBOR_WASM.exists(), reason="wasm-src/dag-cbor/dag-cbor.wasm not built")


@needs_dagcbor
def test_dag_cbor_module_agrees_with_builtin_on_official_fixtures() -> None:
    from autocodec.builtin import decode

    codec = Sandbox().load(DAG_CBOR_WASM.read_bytes()).codec()
    blocks = sorted((CODEC_FIXTURES / "fixtures").glob("*/*.dag-cbor"))
    if not blocks:
        pytest.skip("official codec fixtures not present")
    datas = [p.read_bytes() for p in blocks]
    for data in datas:
        want = decode(data, "dag-cbor")
        assert codec.decode(data) == want
        assert codec.encode(want) == data
    assert codec.decode_many(datas) == [decode(d, "dag-cbor") for d in datas]


@needs_dagcbor
def test_dag_cbor_module_inspects_and_lists_links() -> None:
    from autocodec import CID

    wasm = DAG_CBOR_WASM.read_bytes()
    info = inspect_module(wasm)
    assert info.kind == "codec" and 0x71 in info.codes and "ac_links" in info.exports
    codec = Sandbox().load(wasm).codec()
    link = CID.parse("bafyreigbtj4x7ip5legnfznufuopl4sg4knzc2cof6duas4b3q2fy6swua")
    data = encode({"a": link, "b": [link, 1]}, "dag-cbor")
    assert codec.links(data) == [link, link]
    with pytest.raises(GuestError):
        codec.decode(b"\xa1")


def test_measure_functions_return_every_number() -> None:
    from autocodec.loader._measure import measure_all

    numbers = measure_all(wat_module("ok_echo"), b"a small block", quick=True)
    expected = {"fast_call_us", "slow_call_us", "func_call_us", "instantiate_us", "compile_ms", "cached_artifact_ms",
                "load_cold_ms", "load_warm_ms", "decode_us", "decode_many_per_block_us", "ops_per_s_1_thread",
                "ops_per_s_2_threads", "speedup"}
    assert set(numbers) == expected
    assert all(value > 0 for value in numbers.values())
    from autocodec.loader._measure import hash_scaling

    scaling = hash_scaling(Sandbox().load(wat_module("ok_fnv", "hasher")), size=4096, total=4)
    assert set(scaling) == {"hash_mib_s_1_thread", "hash_mib_s_2_threads", "hash_speedup"}


def test_address_space_limit_falls_back_to_on_demand_instances() -> None:
    """Under ``ulimit -v`` the pool's reservation would abort the process inside wasmtime;
    the loader must notice first and use on-demand instances."""
    import resource
    import subprocess
    import sys

    def limit() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (16 * 2**30, 16 * 2**30))

    code = (
        "from autocodec.loader import Sandbox\n"
        "from tests._wat import wat_module\n"
        "print(Sandbox().load(wat_module('ok_echo')).codec().decode(b'fits'))\n"
    )
    repo = Path(__file__).resolve().parents[1]
    done = subprocess.run([sys.executable, "-c", code], cwd=repo, preexec_fn=limit,  # noqa: PLW1509
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip() == "b'fits'"
    assert "on-demand" in done.stderr


def test_deadline_still_fires_in_a_forked_child() -> None:
    # Fuel for a few seconds of looping: without a ticker in the child this ends in
    # FuelExhausted (a failure), not a hang.
    codec = Sandbox(small_limits(fuel=3 * 10**9, deadline_ms=100)).load(wat_module("loop_export")).codec()
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child reports through the pipe
        outcome = b"returned"
        try:
            codec.decode(b"")
        except SandboxError as exc:
            outcome = type(exc).__name__.encode()
        finally:
            os.write(write_end, outcome)
            os._exit(0)
    os.close(write_end)
    try:
        with os.fdopen(read_end, "rb") as pipe:
            outcome = pipe.read()
    finally:
        os.waitpid(pid, 0)
    assert outcome == b"DeadlineExceeded"


@pytest.mark.parametrize("fast", [True, False])
def test_nan_results_are_canonical(fast: bool) -> None:
    """x86 produces the negative default NaN (0xffc00000) for 0/0; the engine canonicalizes."""
    codec = Sandbox(small_limits(), fast_calls=fast).load(wat_module("nan_bits")).codec()
    assert codec.decode(b"\x00\x00") == 0x7FC00000


def test_repeated_load_returns_the_same_compiled_module() -> None:
    sandbox = Sandbox(small_limits())
    wasm = wat_module("ok_echo")
    first = sandbox.load(wasm)
    assert sandbox.load(wasm) is first
    assert sandbox.load(wasm, limits=small_limits(fuel=12345)) is not first


@pytest.mark.parametrize("fast", [True, False], ids=["fast", "slow"])
def test_guest_calls_release_the_gil(fast: bool) -> None:
    """While one thread is inside a long guest call, Python in another thread keeps running:
    the main thread finishes its work while the spinning call is still in progress."""
    spinner = Sandbox(small_limits(fuel=10**15, deadline_ms=3000), fast_calls=fast).load(wat_module("loop_export"))
    good = Sandbox(small_limits(), fast_calls=fast).load(wat_module("ok_echo")).codec()
    started = threading.Event()
    outcome: list[str] = []

    def spin() -> None:
        started.set()
        try:
            spinner.codec().decode(b"")
        except SandboxError as exc:
            outcome.append(type(exc).__name__)

    thread = threading.Thread(target=spin)
    thread.start()
    started.wait()
    time.sleep(0.2)  # the spinner is now inside the guest; with the GIL held we would not wake
    for i in range(50):
        assert good.decode(bytes([i])) == bytes([i])
    assert thread.is_alive()  # the guest call is still running: the GIL was not held
    thread.join()
    assert outcome == ["DeadlineExceeded"]


def _plain_batches(blocks: list[bytes], most: int, cap: int) -> list[list[bytes]]:
    """The batch rule said plainly, one block at a time: a block closes the open batch when the
    batch holds ``most`` blocks or the block would take it past ``cap`` (4 bytes each counted)."""
    out: list[list[bytes]] = []
    batch: list[bytes] = []
    size = 0
    for block in blocks:
        if batch and (len(batch) >= most or size + len(block) > cap):
            out.append(batch)
            batch, size = [], 0
        batch.append(block)
        size += len(block) + 4
    if batch:
        out.append(batch)
    return out


@given(st.lists(st.integers(0, 300), max_size=200), st.integers(1, 40), st.integers(0, 1200))
@settings(max_examples=300, deadline=None)
def test_decode_batches_are_cut_as_the_plain_rule_cuts_them(lengths: list[int], most: int, cap: int) -> None:
    """``Codec.cut_batches`` (a running sum and a bisection) cuts exactly where a block-by-block
    loop would: the batch boundaries decide each call's fuel and deadline."""
    from types import SimpleNamespace

    from autocodec.loader import Codec

    codec = Codec.__new__(Codec)
    codec._loaded = SimpleNamespace(limits=SimpleNamespace(max_batch_items=most, stream_chunk_bytes=cap))  # type: ignore[assignment]  # noqa: SLF001
    blocks = [bytes([k % 256]) * n for k, n in enumerate(lengths)]
    got = codec.cut_batches([bytearray(b) if k % 3 == 0 else b for k, b in enumerate(blocks)])
    assert got == _plain_batches(blocks, most, cap)
    assert all(type(b) is bytes for batch in got for b in batch)
