"""Bounded compilation: small modules compile in-process, anything bigger in a child process
with a heap limit and a wall-clock deadline.

Invariants:
- ``compile_module`` returns a ``wasmtime.Module`` for ``engine`` or raises
  ``CompileRefused`` (a ``ModuleRejected``); it never holds a lock while compiling.
- In-process only when the code section is at most ``limits.inline_compile_bytes``, defines at
  most ``limits.inline_compile_functions`` functions, has at most
  ``limits.inline_compile_loops`` bytes of ``_wasmparse.COSTLY_OPCODES`` (``loop``,
  ``call_indirect``, ``table.get`` and the 0xFC prefix: they dominate compile cost), no function body
  over ``limits.inline_compile_body_bytes`` (branches cost more than linearly within one
  function: one 125 KB body of nested ``if`` or of ``br_if`` took 10-11 s) and at most
  ``limits.inline_compile_locals`` declared locals in all (each costs compile time: 1990
  functions of 49 151 locals, 14 KB of code, took ~8 s). The worst case within these bounds is
  about two seconds and ~140 MiB. Otherwise a fresh
  interpreter (``python -m autocodec.loader._compile``) compiles with ``RLIMIT_DATA =
  limits.compile_memory_bytes`` and ``RLIMIT_CPU``, is killed at ``limits.compile_timeout_ms``,
  and hands back wasmtime's serialized artifact on stdout; the parent deserializes it (the
  child is our own code on bytes we chose, so the artifact is trusted like our own compile).
- The child compiles with the same deterministic feature set and stack limit as the engine,
  without the pooling allocator (it never instantiates); wasmtime checks on deserialize that
  the artifact fits the engine.
- A refusal for exceeding a bound is a ``CompileRefused`` (every one is remembered): callers record it so
  the same bytes are refused at once next time instead of compiling again. That includes a
  child's artifact that does not fit the engine's pooling allocator (a table or instance state
  over a pooled instance's): before, it was compiled again in a child at every load. An initial
  memory over ``max_memory_bytes``, or an initial table over ``max_table_elements``, is
  ``MemoryLimitExceeded`` before any compile, on either path (as instantiating it would be,
  pooled or not; a table over the cap compiled in the child was ``CompileRefused`` before).
- At most ``limits.concurrent_compiles`` child processes run at once in this process (counted
  process-wide, each caller against its own limits): a compile that finds none free waits up
  to ``limits.compile_timeout_ms`` for one, else ``CompileBusy`` (a passing state, never
  remembered). A slot taken is given back whatever is raised after it, Ctrl-C included
  (``compile_slot``). A process made by ``os.fork`` starts with every slot free. In-process
  compiles are not counted: they are small by the checks above, and shipped modules never
  queue behind hostile ones.
"""

from __future__ import annotations

import json
import os
import sys
import threading
import time
from dataclasses import asdict, replace

import wasmtime

from ..config import SandboxLimits
from ..errors import CompileBusy, CompileRefused, MemoryLimitExceeded, ModuleRejected, SandboxError
from ._engine import WASM_PAGE, EngineSpec, _config
from ._wasmparse import WasmSummary

_EXIT_MEMORY = 3
_EXIT_INVALID = 4


_lock = threading.Lock()
"""Guards ``_running`` and ``_generation``. A C lock taken with ``with _lock:``: entering and
leaving it run no Python code, so a signal's exception (``KeyboardInterrupt``) is never raised
between its acquire and release calls with the lock left held (``threading.Condition``'s own
``__enter__`` and ``__exit__`` are Python methods, where one can be)."""
_slots = threading.Condition(_lock)
"""Waiting for a slot (``_slots.wait`` and ``notify_all`` with ``_lock`` held)."""
_running = 0
"""Child compile processes running now in this process (guarded by ``_lock``)."""
_generation = 0
"""Forks this process has been through (``_after_fork_in_child``): a slot is given back only in
the process (generation) that took it."""


class compile_slot:  # lower case: used as ``with compile_slot(limits):``, as the function it replaced
    """Holds one of ``limits.concurrent_compiles`` child compile slots for a ``with`` block; waits
    up to ``limits.compile_timeout_ms`` for one to be free, else ``CompileBusy``.

    Airtight against an exception at any point (a ``KeyboardInterrupt`` from Ctrl-C included): the
    count and this holder's mark of its slot change in one step under ``_lock``, and ``__enter__``
    gives the slot back itself if anything raises after it was taken, so no point lies between
    taking the slot and the block whose ``__exit__`` gives it back (with ``contextmanager`` one
    did: after the generator's increment, and after its ``yield`` inside ``__enter__``). Giving
    back is idempotent, and only in the process (fork generation) that took the slot.
    """

    __slots__ = ("_limits", "_taken_in")

    def __init__(self, limits: SandboxLimits) -> None:
        self._limits = limits
        self._taken_in = -1  # the fork generation this holder took its slot in; -1: none held

    def __enter__(self) -> None:
        try:
            self._take()
        except BaseException:
            self._give_back()  # taken and then interrupted: not left counted
            raise

    def __exit__(self, *exc: object) -> None:
        self._give_back()

    def _take(self) -> None:
        global _running
        limits = self._limits
        most = limits.concurrent_compiles
        end = time.monotonic() + limits.compile_timeout_ms / 1000
        with _lock:
            while _running >= most:
                left = end - time.monotonic()
                if left <= 0:
                    raise CompileBusy(f"{_running} modules are being compiled in child processes, the "
                                      f"concurrent_compiles limit ({most}), and none finished within "
                                      f"compile_timeout_ms ({limits.compile_timeout_ms} ms)")
                _slots.wait(left)
            _running, self._taken_in = _running + 1, _generation  # one step: no call between them

    def _give_back(self) -> None:
        global _running
        with _lock:
            if self._taken_in == _generation:  # else none held, or forked since: the child started free
                _running, self._taken_in = _running - 1, -1
                _slots.notify_all()  # waiters may hold other limits: each judges its own


def _after_fork_in_child() -> None:
    """A forked child starts with every slot free: the parent threads that held slots (and
    perhaps ``_lock``) do not exist here, so nothing would give them back."""
    global _lock, _slots, _running, _generation
    _lock = threading.Lock()
    _slots, _running, _generation = threading.Condition(_lock), 0, _generation + 1


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_after_fork_in_child)


def in_process(summary: WasmSummary | None, limits: SandboxLimits) -> bool:
    """Whether ``summary``'s code is small enough to compile without a child process."""
    return (
        summary is not None
        and summary.code_bytes <= limits.inline_compile_bytes
        and summary.functions <= limits.inline_compile_functions
        and summary.loop_bytes <= limits.inline_compile_loops
        and summary.largest_body <= limits.inline_compile_body_bytes
        and summary.locals <= limits.inline_compile_locals
    )


def compile_module(
    engine: wasmtime.Engine, spec: EngineSpec, wasm: bytes, summary: WasmSummary | None, limits: SandboxLimits
) -> wasmtime.Module:
    """Compile ``wasm`` for ``engine`` within ``limits`` (see the module invariants)."""
    if summary is not None and summary.memory_pages * WASM_PAGE > limits.max_memory_bytes:
        raise MemoryLimitExceeded(f"the module's initial memory ({summary.memory_pages} pages of 64 KiB) is over "
                                  f"the cap ({limits.max_memory_bytes} bytes, max_memory_bytes)", hint=_CAP_HINT)
    if summary is not None and summary.table_elements > limits.max_table_elements:
        raise MemoryLimitExceeded(f"the module's initial table ({summary.table_elements} elements) is over the cap "
                                  f"({limits.max_table_elements} elements, max_table_elements)", hint=_CAP_HINT)
    if in_process(summary, limits):
        return _inline(engine, wasm)
    with compile_slot(limits):
        artifact = _in_child(spec, wasm, limits)
    try:
        return wasmtime.Module.deserialize(engine, artifact)
    except wasmtime.WasmtimeError as exc:
        first = _first_line(exc)
        if "pooling allocator" in first:  # the child has no pool: only here is the module measured against it
            raise CompileRefused(f"the module's table or instance state is over what a pooled instance may hold: "
                                 f"{first}", hint=_POOL_HINT) from None
        raise ModuleRejected(f"the compiled module does not fit the engine: {first}") from None  # pragma: no cover


_CAP_HINT = ("the module cannot start within the sandbox's caps; declare a smaller initial memory or table, or "
             "raise max_memory_bytes or max_table_elements under [limits.sandbox] in config.toml")


def _inline(engine: wasmtime.Engine, wasm: bytes) -> wasmtime.Module:
    try:
        return wasmtime.Module(engine, wasm)
    except wasmtime.WasmtimeError as exc:
        raise _refusal(_first_line(exc)) from None


_POOL_HINT = ("declare fewer globals, table elements and segments (or raise max_table_elements, or set "
              "pooled_instances = 0, under [limits.sandbox] in config.toml)")


def _refusal(first: str) -> SandboxError:
    if "pooling allocator" in first and ("memory" in first or "table" in first):
        return MemoryLimitExceeded(f"the module's initial memory or table is over the cap: {first}")
    if "pooling allocator" in first:
        return ModuleRejected(f"the module's instance state is over what a pooled instance may hold: {first}",
                              hint=_POOL_HINT)
    return ModuleRejected(f"the module does not compile: {first}")


def _first_line(exc: BaseException) -> str:
    lines = str(exc).strip().splitlines()
    return lines[0] if lines else type(exc).__name__


def _in_child(spec: EngineSpec, wasm: bytes, limits: SandboxLimits) -> bytes:
    child_spec = replace(spec, pool_memory_bytes=0, pool_instances=0, pool_table_elements=0)
    args = json.dumps({"spec": asdict(child_spec), "memory": limits.compile_memory_bytes,
                       "cpu_s": -(-limits.compile_timeout_ms // 1000) + 1})
    timeout = limits.compile_timeout_ms / 1000
    import subprocess  # here: a warm start (compiled cache hit) starts no child

    try:
        child = subprocess.Popen([sys.executable, "-m", "autocodec.loader._compile", args], stdin=subprocess.PIPE,
                                 stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=_child_env())
    except OSError as exc:
        raise ModuleRejected(f"cannot start the compiler process: {exc.strerror or exc}") from None
    with child:
        try:
            stdout, stderr = child.communicate(wasm, timeout=timeout)
        except subprocess.TimeoutExpired:
            used = _cpu_seconds(child.pid)
            child.kill()
            child.communicate()
            if used is not None and timeout >= 1 and used < timeout / 4:  # starved by a busy machine (a shorter
                # deadline is too short to tell: the CPU clock counts 10 ms ticks): nothing known, retried
                raise CompileBusy(
                    f"the compiler process had {used:.1f} s of CPU in the {timeout:g} s of compile_timeout_ms",
                    hint="the machine is busy; load the module again later (the refusal is not remembered)",
                ) from None
            raise CompileRefused(
                f"compiling the module took longer than compile_timeout_ms ({limits.compile_timeout_ms} ms)") from None
        except BaseException:
            child.kill()
            raise
    proc = subprocess.CompletedProcess(child.args, child.returncode, stdout, stderr)
    if proc.returncode == 0 and proc.stdout:
        return proc.stdout
    if proc.returncode == _EXIT_INVALID:
        raise _refusal(proc.stderr.decode("utf-8", "replace").strip()[:300])
    out_of_memory = b"memory allocation" in proc.stderr or b"MemoryError" in proc.stderr
    if proc.returncode == _EXIT_MEMORY or proc.returncode < 0 or out_of_memory:  # OOM abort, SIGKILL, SIGXCPU
        raise CompileRefused(
            f"compiling the module needed more than compile_memory_bytes ({limits.compile_memory_bytes}) "
            f"or its CPU time (exit {proc.returncode})"
        )
    raise CompileRefused(f"the compiler process failed (exit {proc.returncode})")


def _cpu_seconds(pid: int) -> float | None:
    """The CPU time (user and system) process ``pid`` has used, from Linux's ``/proc/PID/stat``;
    None where that cannot be read (another system: a timeout is then taken as the module's)."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            fields = f.read().rsplit(b")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError):
        return None


def _child_env() -> dict[str, str]:
    env = dict(os.environ)
    env.pop("PYTHONSTARTUP", None)
    return env


def _child_main(argv: list[str]) -> int:  # pragma: no cover - runs in the child process
    import resource

    doc = json.loads(argv[0])
    memory, cpu_s = int(doc["memory"]), int(doc["cpu_s"])
    resource.setrlimit(resource.RLIMIT_DATA, (memory, memory))
    resource.setrlimit(resource.RLIMIT_CPU, (cpu_s, cpu_s + 1))
    wasm = sys.stdin.buffer.read()
    try:
        engine = wasmtime.Engine(_config(EngineSpec(**doc["spec"])))
        artifact = wasmtime.Module(engine, wasm).serialize()
    except MemoryError:
        return _EXIT_MEMORY
    except wasmtime.WasmtimeError as exc:
        sys.stderr.write(_first_line(exc))
        return _EXIT_INVALID
    sys.stdout.buffer.write(artifact)
    sys.stdout.flush()
    return 0


if __name__ == "__main__":  # pragma: no cover - the child process
    sys.exit(_child_main(sys.argv[1:]))
