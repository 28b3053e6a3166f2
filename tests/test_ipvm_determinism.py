"""IPVM determinism: a task that probes its sandbox gets the same answer in every home and process.

The probe module (WAT, below) looks at what could differ between hosts: how deep it may recurse
(the wasm stack), whether ``table.grow`` and ``memory.grow`` succeed, the bit patterns of NaNs
it computes, and how deep a result the host accepts. Receipts are memoized and compared across
homes by invocation CID, so none of it may depend on a home's configuration, the process's
environment (TZ, LANG, umask) or anything but the invocation.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from autocodec import builtin
from autocodec.cid import CID, encode_varint
from autocodec.ipvm import Executor, Invocation
from autocodec.registry import Runtime

PROBE_WAT = """(module
  (memory (export "memory") 1)
  (table $t 1 funcref)
  (func (export "ac_abi_version") (result i32) (i32.const 1))
  (func (export "ac_result") (result i32) (i32.const 16))
  (func (export "ac_input") (param $n i32) (result i32)
    (if (i32.gt_u (local.get $n) (i32.const 60000)) (then (return (i32.const 0))))
    (i32.const 4096))
  (func $down (param $n i32) (result i32)
    (if (result i32) (local.get $n)
      (then (i32.add (call $down (i32.sub (local.get $n) (i32.const 1))) (i32.const 1)))
      (else (i32.const 0))))
  (func $bool (param $at i32) (param $ok i32)
    (i32.store8 (local.get $at) (select (i32.const 0xf5) (i32.const 0xf4) (local.get $ok))))
  (func $be (param $at i32) (param $v i64) (param $n i32)  ;; the low $n bytes of $v, big-endian
    (loop $next
      (local.set $n (i32.sub (local.get $n) (i32.const 1)))
      (i64.store8 (i32.add (local.get $at) (local.get $n)) (local.get $v))
      (local.set $v (i64.shr_u (local.get $v) (i64.const 8)))
      (br_if $next (local.get $n))))
  (func $answer (param $len i32) (result i32)
    (i32.store (i32.const 16) (i32.const 32))
    (i32.store (i32.const 20) (local.get $len))
    (i32.const 0))
  ;; The frame is {"fn": "p", "args": [N]} with N < 24: N is the byte at offset 12.
  (func (export "ac_task") (param $p i32) (param $n i32) (result i32)
    (local $probe i32) (local $zero i32) (local $i i32)
    (local.set $probe (i32.load8_u offset=12 (local.get $p)))
    (local.set $zero (i32.load8_u (i32.const 0)))  ;; 0, read at run time: nothing below is folded
    (if (i32.eq (local.get $probe) (i32.const 1)) (then  ;; recurse 3000 deep: true
      (call $bool (i32.const 32) (i32.eq (call $down (i32.const 3000)) (i32.const 3000)))
      (return (call $answer (i32.const 1)))))
    (if (i32.eq (local.get $probe) (i32.const 2)) (then  ;; grow the table by 5000: true
      (call $bool (i32.const 32) (i32.ge_s (table.grow $t (ref.null func) (i32.const 5000)) (i32.const 0)))
      (return (call $answer (i32.const 1)))))
    (if (i32.eq (local.get $probe) (i32.const 3)) (then  ;; grow memory twice: [did the first, the second]
      (i32.store8 (i32.const 32) (i32.const 0x82))
      (call $bool (i32.const 33) (i32.ge_s (memory.grow (i32.const 1)) (i32.const 0)))
      (call $bool (i32.const 34) (i32.ge_s (memory.grow (i32.const 1)) (i32.const 0)))
      (return (call $answer (i32.const 3)))))
    (if (i32.eq (local.get $probe) (i32.const 4)) (then  ;; [bits of f32 0/0, bits of f64 sqrt(-1)]
      (i32.store8 (i32.const 32) (i32.const 0x82))
      (i32.store8 (i32.const 33) (i32.const 0x1a))
      (call $be (i32.const 34) (i64.extend_i32_u (i32.reinterpret_f32
        (f32.div (f32.convert_i32_u (local.get $zero)) (f32.convert_i32_u (local.get $zero))))) (i32.const 4))
      (i32.store8 (i32.const 38) (i32.const 0x1b))
      (call $be (i32.const 39) (i64.reinterpret_f64
        (f64.sqrt (f64.sub (f64.convert_i32_u (local.get $zero)) (f64.const 1)))) (i32.const 8))
      (return (call $answer (i32.const 15)))))
    ;; probes 5, 6, 7: a result 41, 1023 or 1021 lists deep
    (local.set $n (select (i32.const 40) (select (i32.const 1022) (i32.const 1020)
      (i32.eq (local.get $probe) (i32.const 6))) (i32.eq (local.get $probe) (i32.const 5))))
    (loop $nest
      (i32.store8 (i32.add (i32.const 32) (local.get $i)) (i32.const 0x81))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $nest (i32.lt_u (local.get $i) (local.get $n))))
    (i32.store8 (i32.add (i32.const 32) (local.get $n)) (i32.const 0x80))
    (call $answer (i32.add (local.get $n) (i32.const 1)))))"""

MEMORY = 2 * 65536  # the probes' memory cap: one page more than the module starts with


def _nested(depth: int) -> Any:
    value: Any = []
    for _ in range(depth - 1):
        value = [value]
    return value


# canonical NaNs: x86 computes 0/0 as 0xffc00000 (sign set); wasmtime canonicalizes it here
EXPECTED = [True, True, [True, False], [0x7FC00000, 0x7FF8000000000000], _nested(41)]


def probe_module(wat: str = PROBE_WAT) -> bytes:
    import wasmtime

    wasm = bytes(wasmtime.wat2wasm(wat))
    meta = {"abi": 1, "kind": "task", "name": "probe", "codes": [], "version": "1.0.0", "functions": ["p"],
            "description": "looks at its sandbox"}
    name = b"autocodec.module"
    payload = encode_varint(len(name)) + name + builtin.encode(meta, "dag-cbor")
    return wasm + b"\x00" + encode_varint(len(payload)) + payload


def _invocations(module: CID) -> list[Invocation]:
    return [Invocation(module, "p", [n], memory=MEMORY) for n in range(1, 6)]


# Runs the probes in a home given on the command line; prints [[invocation, receipt], ...] as JSON.
_CHILD = """
import json, sys
from pathlib import Path
from autocodec.cid import CID
from autocodec.ipvm import Executor, Invocation
from autocodec.registry import Runtime
with Runtime(Path(sys.argv[1]), default_set=False) as rt:
    ex = Executor(rt)
    out = []
    for n in range(1, 6):
        o = ex.run(Invocation(CID.parse(sys.argv[2]), "p", [n], memory=int(sys.argv[3])))
        out.append([str(o.invocation), str(o.receipt_cid)])
print(json.dumps(out))
"""


def test_a_result_too_deep_for_its_receipt_is_an_error_receipt(home: Path) -> None:
    """A result 1023 lists deep decodes within the default depth (1024), but its receipt nests it
    3 deeper: signing used to raise EncodeError (no receipt, for a job whose outcome depends only
    on the invocation). It is a GuestFault receipt that verifies; 1021 deep is still a result."""
    wasm = probe_module()
    with Runtime(home, default_set=False) as rt:
        module = rt.put(wasm, "raw")
        rt.trust.allow(str(module))
        ex = Executor(rt)
        deep = ex.run(Invocation(module, "p", [6], memory=MEMORY))
        assert deep.receipt.error is not None and deep.receipt.error[0] == "GuestFault", deep.receipt.out
        assert "max_depth (1021)" in deep.receipt.error[1], deep.receipt.error
        assert ex.verify(deep.receipt_cid)[0] == deep.receipt
        assert ex.run(Invocation(module, "p", [6], memory=MEMORY)).cached
        fits = ex.run(Invocation(module, "p", [7], memory=MEMORY))
        assert builtin.encode(fits.receipt.value, "dag-cbor") == b"\x81" * 1020 + b"\x80"  # == recurses too deep
        assert ex.verify(fits.receipt_cid)[0].ran == fits.invocation  # it verifies


def test_a_trap_receipt_names_the_trap_not_wasmtimes_backtrace(home: Path) -> None:
    """A trap's error receipt carried wasmtime's own text, backtrace included ("error while
    executing at wasm backtrace: 0: 0x28 - <unknown>!<wasm function 1> ... Caused by: wasm
    trap: ..."): signed wording of one wasmtime release, which another need not write alike, so
    a receipt could fail ``verify --rerun`` after an upgrade. It is the trap code alone."""
    wasm = probe_module("""(module
  (memory (export "memory") 1)
  (func (export "ac_abi_version") (result i32) (i32.const 1))
  (func (export "ac_result") (result i32) (i32.const 16))
  (func (export "ac_input") (param i32) (result i32) (i32.const 4096))
  (func $deeper unreachable)
  (func (export "ac_task") (param i32 i32) (result i32) (call $deeper) (i32.const 0)))""")
    with Runtime(home, default_set=False) as rt:
        module = rt.put(wasm, "raw")
        rt.trust.allow(str(module))
        trapped = Executor(rt).run(Invocation(module, "p", [1], memory=MEMORY))
    assert trapped.receipt.error == ("GuestTrap", "the module trapped (unreachable)"), trapped.receipt.error


def test_a_probing_task_gets_the_same_receipt_results_in_every_home_and_process(tmp_path: Path) -> None:
    """Home A (this process, default limits) and home B (another process with TZ, LANG and umask
    changed, and a config.toml giving a smaller wasm stack and table, no instance pool and a
    shallow decode depth) run the same five probe invocations: same invocation CIDs, same
    ``out``, and each home's rerun of the other's receipt agrees. Home B used to sign a stack
    overflow, ``table.grow`` failing and a ``GuestFault`` for the deep result, where A answered ok."""
    wasm = probe_module()
    results: dict[str, list[tuple[CID, dict[str, Any]]]] = {}
    home_b = tmp_path / "b"
    with Runtime(home_b, default_set=False) as rt:
        module = rt.put(wasm, "raw")
        rt.trust.allow(str(module))
    (home_b / "config.toml").write_text(
        "[limits.sandbox]\nmax_wasm_stack_bytes = 65536\nmax_table_elements = 1000\npooled_instances = 0\n"
        "[limits.decode]\nmax_depth = 16\n")
    env = {**os.environ, "TZ": "Pacific/Chatham", "LANG": "tr_TR.UTF-8", "LC_ALL": "tr_TR.UTF-8",
           "AUTOCODEC_HOME": str(home_b)}
    child = subprocess.run([sys.executable, "-c", _CHILD, str(home_b), str(module), str(MEMORY)], env=env,
                           capture_output=True, timeout=120, preexec_fn=lambda: os.umask(0o077))
    assert child.returncode == 0, child.stderr.decode()[-3000:]
    pairs = [(CID.parse(i), CID.parse(r)) for i, r in json.loads(child.stdout)]

    with Runtime(tmp_path / "a", default_set=False) as rt_a, Runtime(home_b, default_set=False) as rt_b:
        assert rt_b.limits.sandbox.max_wasm_stack_bytes == 65536  # home B's config is in force
        rt_a.trust.allow(str(rt_a.put(wasm, "raw")))
        ex_a, ex_b = Executor(rt_a), Executor(rt_b)
        assert ex_a.key.did != ex_b.key.did
        for invocation, (ran, receipt_cid) in zip(_invocations(module), pairs, strict=True):
            mine = ex_a.run(invocation)
            assert mine.invocation == ran  # the same job, the same CID
            theirs, _ = ex_b.verify(receipt_cid)
            results.setdefault("a", []).append((mine.invocation, mine.receipt.out))
            results.setdefault("b", []).append((theirs.ran, theirs.out))
            assert theirs.issuer == ex_b.key.did and theirs.ran == ran
            # a third party (home A) checks B's receipt by running the job again
            rt_a.store.put(receipt_cid, rt_b.store.get(receipt_cid))
            ex_a.verify(receipt_cid, rerun=True)
            assert builtin.encode(mine.receipt.out, "dag-cbor") == builtin.encode(theirs.out, "dag-cbor")
    assert [out for _, out in results["a"]] == [{"ok": value} for value in EXPECTED], results["a"]


def test_a_cron_trigger_never_fires_a_minute_twice_when_the_clock_steps_back(home: Path) -> None:
    """A ``* * * * *`` trigger on an injected clock: it fires in minute M and M+1; the clock then
    steps back into minute M (an NTP correction), which used to fire M again (the runner only
    remembered the last minute, not that time had passed it). A step back of more than
    ``CLOCK_RESET_MINUTES`` is a reset clock and fires."""
    from autocodec.ipvm._stream import JobStream
    from autocodec.ipvm._triggers import Cron, Trigger, TriggerRunner

    with Runtime(home, default_set=False) as rt:
        module = rt.put(probe_module(), "raw")
        rt.trust.allow(str(module))
        now = [1_767_225_600.0 + 5]  # 2026-01-01 00:00:05 UTC
        stream = JobStream(rt.store)
        runner = TriggerRunner(Executor(rt), stream, [Trigger("tick", str(module), "p", (1,), cron=Cron.parse("* * * * *"))],
                               clock=lambda: now[0])
        fired = []
        for t in (0, 30, 60, 25, 59, 65, -4 * 3600):  # the last: 4 hours back, past CLOCK_RESET_MINUTES
            now[0] = 1_767_225_605.0 + t
            fired.append(runner.tick())
        assert fired == [1, 0, 1, 0, 0, 0, 1]
        entries = stream.since(0)
        assert [e.source for e in entries] == ["cron:tick"] * 3
        assert len({e.receipt for e in entries}) == 1  # one job, memoized: one receipt
