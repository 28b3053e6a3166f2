"""One live guest instance and the ABI v1 calling convention (docs/abi.md section 2).

Invariants:
- An instance has its own ``Store`` (memory and table caps from the store limiter, one
  instance per store) and is used by one thread at a time; it is not shared. A second thread
  entering a guest call while one is inside (a stream shared between threads) is refused with
  ``InvalidInput`` and breaks the instance, never enters the ``Store``: two threads in one
  wasmtime ``Store`` abort the process (a Rust panic in its trap handler).
- Every call (``call``: input + operation + result) starts with a full fuel budget and a
  fresh epoch deadline, including instantiation (a start function is bounded too); a decode
  (``proportional=True``) gets a budget proportional to its input instead, capped by the full one.
- The host never trusts a guest number: the input pointer, the result slot and the result
  ``ptr + len`` are checked against the memory size, ``len`` against ``max_output_bytes``,
  before any byte is read or written; memory is re-fetched after every call (it may grow).
- A trap, ``AC_ERR_NOMEM`` or a refused input with memory over half the cap is
  reported as ``MemoryLimitExceeded`` (wasmtime reports a refused grow only to the guest), and
  so is a refused input that cannot fit under the cap beside the memory the module holds
  (``_no_room``: the input's size and the cap, never "could not allocate").
- After any ``SandboxError`` the instance is *broken*: it refuses further calls, so state
  left by a half-run call can never leak into another result.
- ``reset`` (only after ``enable_reset`` accepted the instance) puts it back to its exact
  post-instantiation state: memory pages that were zero right after instantiation are
  dropped (zeros again) or, when calls touch them, zeroed in place, the others copied back
  from a snapshot, and every mutable global gets its initial value back. Its cost follows
  what calls write and the data pages, never the span between them (a module with data on
  its first and last page of 4 MiB: 863 us a call before, 7.6 us now); tables and segments cannot change (``_reset`` admits only such
  modules). ``enable_reset`` checks once per instance that a reset gives back the recorded
  memory byte for byte. A grown memory or any failure means no reset: the instance is discarded.
- ``call_and_reset`` is ``call`` then ``reset`` (same results, same errors); with the C
  accelerator (``_hot``) both run in one C call, except on the calls where ``reset`` learns
  which pages the module touches (those take the Python path).
"""

from __future__ import annotations

import ctypes
import mmap
import os
import re
import struct
import threading
from typing import Any

import wasmtime
from wasmtime import _ffi as ffi

from ..abi import Status
from ..config import SandboxLimits
from ..errors import (
    GuestError,
    GuestFault,
    GuestTrap,
    InvalidInput,
    MemoryLimitExceeded,
    OutputTooLarge,
    SandboxError,
)
from . import _call, _hot
from ._callcap import capped_ticks
from ._engine import WASM_PAGE, deadline_ticks

_PAGE = os.sysconf("SC_PAGE_SIZE") if hasattr(os, "sysconf") else 4096
_memmove = ctypes.memmove
_string_at = ctypes.string_at
_libc = ctypes.CDLL(None)
_madvise = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int)(("madvise", _libc))
_mincore = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.c_void_p, ctypes.c_size_t, ctypes.c_void_p)(("mincore", _libc))
_memcmp = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.c_void_p, ctypes.c_void_p, ctypes.c_size_t)(("memcmp", _libc))
_memset = ctypes.memset
_WINDOW_PAGES = 256  # at most this many pages are rewritten in place on each reset
_LEARN_FIRST = 64  # resets between two looks at the touched pages (``reset``), at first
_LEARN_MOST = 4096  # and at most, after looks that found nothing new
_LEARN_WIDE = 64  # a window wider than this many pages is looked at every _LEARN_FIRST resets
_LEARN_STEP = 4096  # an input this much larger than any learned from makes its reset learn
_ZERO_PAGE = bytes(_PAGE)
_GAP_PAGES = 16
"""Zero pages between two runs restored in place are restored too when fewer than this: a
64 KiB memset (~2 us) costs about what an ``madvise`` call and the faults after it do, so a
module with data on every other page is not reset by thousands of one-page calls."""
_DATA, _ZERO, _DROP = b"d"[0], b"z"[0], b"-"[0]
_RUNS = re.compile(rb"d+|z+|-+")
_ZERO_RUNS = re.compile(rb"z+")
_GAPS = re.compile(rb"(?<=[dz])-{1,%d}(?=[dz])" % (_GAP_PAGES - 1))
_AS_KEPT = bytes.maketrans(b"\x00\x01", b"d-")  # outside the window: data pages kept, zero pages dropped
_IN_WINDOW = bytes.maketrans(b"\x00\x01", b"dz")


_PM_PRESENT, _PM_FILE = 1 << 63, 1 << 61  # /proc/<pid>/pagemap: page present; file page or shared anonymous
_pagemap: int | None = -1  # its descriptor, opened on first use; None: unreadable here (mincore instead)


def _touched(base: int, pages: int) -> "list[bool] | ctypes.Array[ctypes.c_ubyte] | None":
    """Per page from ``base``: whether a dropped page was mapped again since, so touched by the
    guest; None when the kernel would not say. From ``/proc/self/pagemap`` where it can be read
    (a private anonymous page now, where a dropped page has none), else ``mincore`` (resident).
    ``mincore`` alone is blind where wasmtime maps a module's memory image (its data segments)
    copy-on-write from a memfd: a dropped page of that mapping reads the image again, and the
    image's pages are always resident, so every page looked touched; the image covers the
    memory up to its last data page, all of it for a module with data on its last page."""
    global _pagemap
    if _pagemap == -1:
        try:
            _pagemap = os.open("/proc/self/pagemap", os.O_RDONLY | getattr(os, "O_CLOEXEC", 0))
        except OSError:
            _pagemap = None
    if _pagemap is not None:
        try:
            raw = os.pread(_pagemap, pages * 8, base // _PAGE * 8)
        except OSError:
            raw = b""
        if len(raw) == pages * 8:
            return [v & _PM_PRESENT != 0 and v & _PM_FILE == 0 for v in memoryview(raw).cast("Q")]
    vec = (ctypes.c_ubyte * pages)()
    if _mincore(base, pages * _PAGE, vec):
        return None
    return [bool(v & 1) for v in vec]


def _pagemap_after_fork() -> None:
    """A forked child (a bulk worker) reads its own pagemap: the inherited descriptor names the
    parent's (``/proc/self`` is resolved when it is opened)."""
    global _pagemap
    if _pagemap not in (-1, None):
        try:
            os.close(_pagemap)
        except OSError:  # pragma: no cover
            pass
    _pagemap = -1


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_pagemap_after_fork)


def _kept(zero_pages: bytes, lo: int, hi: int) -> bytes:
    """Per page, how a reset restores it: ``d`` (copied from the snapshot: it was not zero),
    ``z`` (zeroed in place: in the window ``[lo, hi)`` or a short gap between kept pages) or
    ``-`` (dropped: zero after instantiation, and not expected to be touched)."""
    kept = bytearray(zero_pages.translate(_AS_KEPT))
    kept[lo:hi] = zero_pages[lo:hi].translate(_IN_WINDOW)
    return _GAPS.sub(lambda gap: b"z" * len(gap.group()), bytes(kept))
_MADV_DONTNEED = 4  # Linux: a private anonymous page reads as zeros after it
_ONES = re.compile(rb"\x01+")


def _droppable(base: int, zero_pages: bytes) -> bytes | None:
    """``zero_pages`` (1: the page was all zeros after instantiation) without the pages that a
    drop does not give back as zeros; None when ``madvise`` fails. wasmtime maps a memory with
    data segments copy-on-write from an image of them, where ``madvise(DONTNEED)`` brings back
    the image's bytes: a page of data that code run before the snapshot cleared (a start
    function, ``ac_result``) is zero in the snapshot but not after a drop, so it must be copied
    back from the snapshot like a data page, never dropped. Drops every zero page once and
    reads it (at most the memory's size; resettable memories are small). The first zero page
    is written before its drop: a mapping where a drop keeps what a call wrote (shared) is
    None too, as every page of a mapping behaves alike."""
    kept = bytearray(zero_pages)
    probe = True
    for run in _ONES.finditer(zero_pages):
        start, end = run.span()
        if probe:
            _memset(base + start * _PAGE, 0xA5, 1)
        if _madvise(base + start * _PAGE, (end - start) * _PAGE, _MADV_DONTNEED):
            return None
        if probe and _string_at(base + start * _PAGE, 1) == b"\xa5":
            return None
        probe = False
        now = _string_at(base + start * _PAGE, (end - start) * _PAGE)
        if now.count(0) != len(now):
            for i in range(start, end):
                if now[(i - start) * _PAGE : (i - start + 1) * _PAGE] != _ZERO_PAGE:
                    kept[i] = 0
    return bytes(kept)


_vp = ctypes.c_void_p
# Accessors that return at once keep the GIL (as _call's store accessors do); the libc calls above may wait.
_global_get = ctypes.PYFUNCTYPE(None, _vp, _vp, _vp)(("wasmtime_global_get", ffi.dll))
_global_set = ctypes.PYFUNCTYPE(_vp, _vp, _vp, _vp)(("wasmtime_global_set", ffi.dll))

OK, ERR_INVALID, ERR_UNSUPPORTED, ERR_NOMEM, ERR_INTERNAL = Status  # the ABI's status codes: autocodec.abi
_MAX_MESSAGE = 1000
_SLOT = struct.Struct("<II")
_NO_ROOM_HINT = ("give a smaller input, or if it is legitimately this large, raise max_memory_bytes under "
                 "[limits.sandbox] in config.toml")
_SlotView = ctypes.c_uint32.__ctype_le__ * 2  # the ABI's little-endian u32 pair, on any host


def _mapped_copy(base: int, size: int) -> "ctypes.Array[ctypes.c_char]":
    """A copy of the ``size`` bytes at ``base`` in a private anonymous mapping of its own,
    unmapped when the returned array is dropped. A reset snapshot is as large as the guest's
    memory (hundreds of KiB and more); made as a malloc block (with two ``bytes`` copies beside
    it), it went to malloc's heap once glibc's moving mmap threshold had risen past that size,
    and a server upgrading sets live grew by about 0.3 MiB of RSS per upgrade that it never gave
    back (``malloc_trim`` gave all of it back: free heap, not live objects)."""
    snapshot = (ctypes.c_char * size).from_buffer(mmap.mmap(-1, size))
    _memmove(snapshot, base, size)
    return snapshot


def _instantiation_error(exc: Exception, limits: SandboxLimits) -> SandboxError:
    text = str(exc)
    lowered = text.lower()
    if isinstance(exc, wasmtime.WasmtimeError) and not isinstance(exc, wasmtime.Trap):
        if "concurrent limit" in lowered:  # the pooling allocator is full
            return SandboxError(
                "too many live module instances (limits.sandbox.pooled_instances); close open streams or retry",
            )
        if "memory" in lowered or "table" in lowered:
            return MemoryLimitExceeded(
                f"the module needs more memory or table space than the cap "
                f"({limits.max_memory_bytes} bytes, {limits.max_table_elements} table elements)"
            )
    return _call.exception_error(exc)


class GuestInstance:
    """A fresh instance of a compiled module, ready for ABI calls."""

    def __init__(
        self,
        engine: wasmtime.Engine,
        module: wasmtime.Module,
        functions: dict[str, int],
        limits: SandboxLimits,
        *,
        fast: bool = True,
    ) -> None:
        """``functions`` maps each callable export to its parameter count (checked at load)."""
        self.limits = limits
        self.broken = False
        self._inside = threading.Lock()  # held during a guest call from Python (``invoke``)
        self._ticks = deadline_ticks(limits.deadline_ms)
        self._small_ticks = min(self._ticks, deadline_ticks(limits.decode_deadline_base_ms))
        store = wasmtime.Store(engine)
        store.set_limits(
            memory_size=limits.max_memory_bytes,
            table_elements=limits.max_table_elements,
            instances=max(1, limits.max_instances),
            tables=1,
            memories=1,
        )
        self.store = store
        self._context = ctypes.cast(store._context(), ctypes.c_void_p).value
        self._budget()
        try:
            self._instance = _call.instantiate(store, module)
        except (wasmtime.Trap, wasmtime.WasmtimeError) as exc:
            raise _instantiation_error(exc, limits) from None
        self._calls = _call.Calls(store, fast=fast)
        self._arity = functions
        self._funcs: dict[str, ffi.wasmtime_func_t] = {}
        self._callers: dict[str, object] = {}
        self._memory_struct = _call.export(store, self._instance, "memory").of.memory
        self._memory_addr = ctypes.addressof(self._memory_struct)
        self._slot = self.invoke("ac_result")
        if self._slot + _SLOT.size > self._mem_len():
            self.broken = True
            raise GuestFault(f"result slot {self._slot:#x} is outside the module's memory")
        self._known_size = -1  # ``_memory``'s cache
        self._known_base = 0
        self._slot_view = _SlotView()  # the result slot in memory, re-made when the memory moves
        self._size_checked = False  # ``_known_size`` read after the last guest call
        self._reset_size = 0  # memory size at instantiation; 0: reset not enabled
        self._globals: list[tuple[ffi.wasmtime_global_t, ffi.wasmtime_val_t]] = []  # (global, initial value)
        self._snapshot: ctypes.Array[ctypes.c_char] | None = None
        self._zero_pages = b""  # per page: 1 when it was all zeros after instantiation and a drop gives zeros back
        self._base = 0
        self._window = (0, 0)
        self._kept = b""  # per page: _DATA, _ZERO (restored in place) or _DROP (``_kept``)
        self._restores: list[tuple[bool, int, int, int]] = []
        self._drops: list[tuple[int, int]] = []  # (address, length) of zero pages outside the window
        self._resets = 0
        self._next_learn = _LEARN_FIRST  # the reset on which ``reset`` next asks the kernel
        self._learn_period = _LEARN_FIRST
        self._input_learned = 0  # the largest input a learning reset has followed (``call_and_reset``)
        self._hot: object | None = None  # the C runner (``_hot.Runner``) once reset is enabled
        self._func_addrs: dict[str, int] = {}
        self._whole: type[ctypes.Array[ctypes.c_char]] = ctypes.c_char * 0  # ``view``'s array type: the whole memory
        self._whole_size = 0  # its length

    # --- reuse ------------------------------------------------------------------------------

    def enable_reset(self, global_names: list[str], memo: dict[bytes, bytes | None] | None = None) -> bool:
        """Record the state to restore: the memory's pages (which are zero, and a copy of the
        others) and the initial value of every mutable global (``global_names``: their
        exports). ``False`` (and the instance broken) when one ``reset`` does not give back
        the recorded memory byte for byte. ``memo`` (one per module: its instances share one
        data image) keeps ``_droppable``'s answer per zero-page map, so the pages are dropped
        and read once per module, not per instance (16 ms for 4 MiB of image here)."""
        if self.broken:
            return False
        size, base = self._mem_len(), self._mem_base()
        if not size or base % _PAGE or size % _PAGE:
            return False
        for name in global_names:
            g = _call.export(self.store, self._instance, name).of.global_
            value = ffi.wasmtime_val_t()
            _global_get(self._context, ctypes.addressof(g), ctypes.addressof(value))
            self._globals.append((g, value))
        self._snapshot = snapshot = _mapped_copy(base, size)
        with memoryview(snapshot).cast("B") as image:
            zero_pages = bytes(image[i : i + _PAGE] == _ZERO_PAGE for i in range(0, size, _PAGE))
        if memo is not None and zero_pages in memo:
            droppable = memo[zero_pages]
        else:
            droppable = _droppable(base, zero_pages)
            if memo is not None:
                if len(memo) >= 4:  # a bound: instances of one module almost always agree
                    memo.clear()
                memo[zero_pages] = droppable
        if droppable is None:
            self.broken = True
            return False
        self._zero_pages = droppable
        self._base = base
        self._reset_size = size
        pages = len(self._zero_pages)
        data = [i for i in range(pages) if not self._zero_pages[i]]
        lo, hi = (data[0], data[-1] + 1) if data else (0, 0)
        self._set_window(lo, hi) if hi - lo <= _WINDOW_PAGES else self._set_window(lo, lo)
        self._resets = 0
        self._next_learn = self._learn_period = _LEARN_FIRST
        if not self.reset() or _memcmp(base, ctypes.addressof(snapshot), size):
            self._reset_size = 0
            self.broken = True
            return False
        for addr, length in self._drops:  # the check above mapped them: unmap for ``_learn``
            _madvise(addr, length, _MADV_DONTNEED)
        if _hot.Runner is not None and self._calls.fast:
            keep = (self.store, self._memory_struct, self._funcs)
            self._hot = _hot.Runner(self._context, self._memory_addr, self._func_addr("ac_input"), self._slot,
                                    self.limits.max_output_bytes, keep)
            self._push_reset()
        return True

    def _push_reset(self) -> None:
        """Hand the current restore list to the C runner (after every window change)."""
        hot: Any = self._hot
        if hot is None:
            return
        globals_ = [(ctypes.addressof(g), ctypes.addressof(v)) for g, v in self._globals]
        hot.set_reset(self._reset_size, list(self._restores), list(self._drops), globals_, (self._snapshot, self._globals))

    def _set_window(self, lo: int, hi: int) -> None:
        """Pages ``[lo, hi)``, every page that was not zero, and the gaps of under ``_GAP_PAGES``
        between them are restored in place (memset/memmove, they stay resident: no fault on the
        next touch); the other pages (all zero after instantiation) are dropped with ``madvise``.
        A module with data on its first and last page so rewrites its data pages and the pages
        its calls touch, not every page between them (``_kept``)."""
        assert self._snapshot is not None
        base, snap, zero_pages = self._base, ctypes.addressof(self._snapshot), self._zero_pages
        self._window = (lo, hi)
        self._kept = kept = _kept(zero_pages, lo, hi)
        ops: list[tuple[bool, int, int, int]] = []  # (zero?, address, snapshot address, length)
        drops: list[tuple[int, int]] = []
        for run in _RUNS.finditer(kept):
            start, end = run.span()
            if kept[start] == _DROP:
                drops.append((base + start * _PAGE, (end - start) * _PAGE))
            else:
                ops.append((kept[start] == _ZERO, base + start * _PAGE, snap + start * _PAGE, (end - start) * _PAGE))
        self._restores = ops
        self._drops = drops

    def reset(self) -> bool:
        """Back to the recorded state; ``False`` when that is impossible (the caller discards
        the instance). Pages in the window are rewritten from the snapshot (zeros by memset);
        the zero pages outside it are dropped (``madvise(DONTNEED)``: zeros on the next touch,
        free when untouched). Which pages are in the window only changes the cost, never the
        result: the first resets and then every ``_LEARN_FIRST``-th fit the window to the pages
        the last call touched (``_learn``); each time that leaves the window as it was, the next
        look waits twice as long (up to ``_LEARN_MOST`` resets, or ``_LEARN_FIRST`` for a window
        over ``_LEARN_WIDE`` pages, so that it narrows soon after large calls stop), and any other
        answer brings it back to ``_LEARN_FIRST``. A call whose input is over ``_LEARN_STEP``
        bytes larger than any since the window last narrowed is looked at on its own reset
        (``call_and_reset``), so a larger kind of call does not fault its pages in until the
        next scheduled look."""
        size = self._reset_size
        if not size or self.broken:
            return False
        if (self._known_size if self._size_checked else self._mem_len()) != size:
            return False
        resets = self._resets = self._resets + 1
        if self._learns(resets):
            quiet = not self._learn()
            if resets >= self._next_learn:
                period = self._learn_period
                lo, hi = self._window
                most = _LEARN_MOST if hi - lo <= _LEARN_WIDE else _LEARN_FIRST
                self._learn_period = period = min(most, period * 2) if quiet else _LEARN_FIRST
                self._next_learn = resets + period
        for zero, dst, src, length in self._restores:
            if zero:
                _memset(dst, 0, length)
            else:
                _memmove(dst, src, length)
        for addr, length in self._drops:
            if _madvise(addr, length, _MADV_DONTNEED):
                self.broken = True
                return False
        context = self._context
        for g, value in self._globals:
            if _global_set(context, ctypes.addressof(g), ctypes.addressof(value)):  # pragma: no cover
                self.broken = True
                return False
        return True

    def _learns(self, resets: int) -> bool:
        """Whether the reset numbered ``resets`` asks the kernel which pages were touched."""
        return 1 < resets < 10 or resets >= self._next_learn

    def _learn(self) -> bool:
        """Fit the window to the pages the last call touched: of the dropped ones, those the
        kernel has mapped again since (``_touched``); of the zero pages restored in place, those
        that are not zero now. Their span becomes the window when it is at most
        ``_WINDOW_PAGES`` (wider or narrower); otherwise the window stays. Pages that were not
        zero are restored in place whatever the window (``_set_window``), so they are not in
        it. Whether anything changed or dropped pages were touched (or the kernel would not
        say). Called before the restore, so the touched pages still hold what the call wrote."""
        pages = len(self._zero_pages)
        touched = _touched(self._base, pages)
        if touched is None:
            return True
        lo, hi = self._window
        kept = self._kept
        outside = [i for i in range(pages) if touched[i] and kept[i] == _DROP]
        inside: list[int] = []
        for run in _ZERO_RUNS.finditer(kept):
            start, end = run.span()
            now = _string_at(self._base + start * _PAGE, (end - start) * _PAGE)
            inside += [i for i in range(start, end) if now[(i - start) * _PAGE : (i - start + 1) * _PAGE] != _ZERO_PAGE]
        span = outside + inside
        new_lo, new_hi = (min(span), max(span) + 1) if span else (0, 0)
        if (new_lo, new_hi) != (lo, hi) and new_hi - new_lo <= _WINDOW_PAGES:
            if new_hi - new_lo < hi - lo:
                self._input_learned = 0  # narrowed: the next larger input learns again at once
            self._set_window(new_lo, new_hi)
            self._push_reset()
            return True
        return bool(outside)

    def _func(self, name: str) -> ffi.wasmtime_func_t:
        func = self._funcs.get(name)
        if func is None:
            func = self._funcs[name] = _call.export(self.store, self._instance, name).of.func
        return func

    def _func_addr(self, name: str) -> int:
        addr = self._func_addrs.get(name)
        if addr is None:
            addr = self._func_addrs[name] = ctypes.addressof(self._func(name))
        return addr

    def _caller(self, name: str):  # type: ignore[no-untyped-def]
        caller = self._callers.get(name)
        if caller is None:
            caller = self._callers[name] = self._calls.bind(self._func(name), self._arity[name])
        return caller

    # --- memory -----------------------------------------------------------------------------

    def _mem_len(self) -> int:
        return int(_call.memory_data_size(self._context, self._memory_addr))

    def _mem_base(self) -> int:
        return int(_call.memory_data(self._context, self._memory_addr) or 0)

    def _memory(self) -> tuple[int, int]:
        """``(size, base)`` now. The base is re-read only when the size changed: a memory
        moves only when it grows, and it never shrinks."""
        size = _call.memory_data_size(self._context, self._memory_addr)
        if size != self._known_size:
            self._known_size = size
            self._known_base = int(_call.memory_data(self._context, self._memory_addr) or 0)
            self._slot_view = _SlotView.from_address(self._known_base + self._slot)
        return size, self._known_base

    def _near_cap(self) -> bool:
        """Whether memory is over half the cap (or the cap is under a page away).

        The C API has no hook for a refused ``memory.grow`` (the guest just sees -1), so a
        failure in this state is attributed to the cap: a guest growing in steps of at most
        half the cap, or by doubling, is always over half when it is refused.
        """
        cap = self.limits.max_memory_bytes
        size = self._mem_len()
        return size * 2 > cap or size + WASM_PAGE > cap

    def _no_room(self, size: int) -> SandboxError | GuestError:
        """The error for ``ac_input(size)`` giving no address: the memory cap's
        (``MemoryLimitExceeded``, with the sizes and what to do) when the input is over the cap,
        cannot fit under it beside the memory the module holds, or the memory is near the cap
        (``_near_cap``);
        else the module's own failure (``GuestError``, ``AC_ERR_NOMEM``). The message depends on
        the module, the input and the cap only, never on the memory held (an IPVM receipt records it)."""
        cap, held = self.limits.max_memory_bytes, self._mem_len()
        if size > cap:
            return MemoryLimitExceeded(f"a {size}-byte input is over the module's memory cap of {cap} bytes "
                                       "(max_memory_bytes)", hint=_NO_ROOM_HINT)
        if held + size > cap or self._near_cap():
            # the memory the module holds is not in the words: it depends on what the pooled instance ran
            # before, and an IPVM receipt records the message
            return MemoryLimitExceeded(f"the module could not take a {size}-byte input beside the memory it holds "
                                       f"under its memory cap of {cap} bytes (max_memory_bytes)", hint=_NO_ROOM_HINT)
        return GuestError(ERR_NOMEM, f"the module could not allocate a {size}-byte input")

    def _budget_for(self, size: int | None) -> tuple[int, int]:
        """``(fuel, epoch ticks)``: the full budget, or for a decode of ``size`` input bytes one
        proportional to it."""
        limits = self.limits
        fuel, ticks = limits.fuel, self._ticks
        if size is not None and limits.decode_fuel_per_byte:
            fuel = min(fuel, limits.decode_fuel_base + limits.decode_fuel_per_byte * size)
            extra_ms = limits.decode_deadline_ms_per_mib * size // (1 << 20)
            ticks = min(ticks, deadline_ticks(limits.decode_deadline_base_ms + extra_ms)) if extra_ms else self._small_ticks
        return fuel, capped_ticks(ticks)  # a vectors run's end caps it (``_callcap``)

    def _budget(self, size: int | None = None) -> None:
        """Set the budget of ``_budget_for(size)``."""
        fuel, ticks = self._budget_for(size)
        error = _call.set_fuel(self._context, fuel)
        if error:  # pragma: no cover - the engine always consumes fuel
            _call._raise_raw(error, None)
        _call.set_epoch_deadline(self._context, ticks)

    def invoke(self, name: str, a: int = 0, b: int = 0) -> int:
        """Call export ``name`` with raw i32 arguments; a failure breaks the instance, and so
        does a call made while another thread is inside one (refused, see the module docstring)."""
        if not self._inside.acquire(False):
            self.broken = True  # the other thread's call sequence was cut into: its state is unknown
            raise InvalidInput("a module instance (a hash, chunk or verifier stream) was used by two threads at once",
                               hint="a stream is one thread's at a time: give each thread its own stream")
        try:
            status: int = self._caller(name)(a, b)
            return status
        except SandboxError as exc:
            raise self._failed(exc) from None
        finally:
            self._inside.release()

    def _failed(self, exc: SandboxError) -> SandboxError:
        """A guest call failed with ``exc``: the instance is broken; a trap with memory near
        the cap is reported as the cap."""
        self.broken = True
        if isinstance(exc, GuestTrap) and not isinstance(exc, MemoryLimitExceeded) and self._near_cap():
            cap = self.limits.max_memory_bytes
            return MemoryLimitExceeded(f"the module hit the memory cap ({cap} bytes): {exc.message}")
        return exc

    # --- the calling convention -------------------------------------------------------------

    def call(self, op: str, data: bytes | bytearray | memoryview | None = None, *, proportional: bool = False) -> bytes:
        """Run ``op`` on ``data`` (``None``: a nullary op) and return its output bytes.

        ``proportional`` (decodes): fuel and deadline grow with the input's size from a small
        base, up to the full limits (``SandboxLimits.decode_*``). Raises ``GuestError`` for an
        error status, a ``SandboxError`` otherwise.
        """
        if self.broken:
            raise GuestFault("this module instance failed earlier and cannot be reused")
        self._size_checked = False
        self._budget(len(data) if proportional and data is not None else None)
        if data is None:
            status = self.invoke(op)
        else:
            size = len(data)
            ptr = self.invoke("ac_input", size)
            if ptr == 0:
                self.broken = True
                raise self._no_room(size)
            mem_size, base = self._memory()
            if ptr + size > mem_size:
                self.broken = True
                raise GuestFault(f"ac_input returned {ptr:#x}, {size} bytes past it are outside memory")
            if size:
                _memmove(base + ptr, data if isinstance(data, bytes) else bytes(data), size)
            status = self.invoke(op, ptr, size)
        return self._status_result(op, status, self._read_result())

    def _status_result(self, op: str, status: int, out: bytes) -> bytes:
        """``out`` for an OK status, else the error the status stands for."""
        if status == OK:
            return out
        message = out[:_MAX_MESSAGE].decode("utf-8", "replace")
        if status == ERR_NOMEM and self._near_cap():
            self.broken = True
            raise MemoryLimitExceeded(f"the module ran out of memory under its cap: {message}")
        if status in (ERR_INVALID, ERR_UNSUPPORTED, ERR_NOMEM, ERR_INTERNAL):
            raise GuestError(status, message or f"the module returned error status {status}")
        self.broken = True
        raise GuestFault(f"{op} returned unknown status {status}")

    def call_and_reset(
        self, op: str, data: bytes | bytearray | memoryview, *, proportional: bool = False
    ) -> tuple[bytes, bool]:
        """``call(op, data)`` then ``reset()``: the output, and whether the instance is back in
        its recorded state (else the caller discards it). Same errors as ``call``."""
        hot: Any = self._hot
        resets = self._resets + 1
        if len(data) > self._input_learned + _LEARN_STEP:  # a larger input than any learned from: learn now
            self._input_learned = len(data)
            self._next_learn = min(self._next_learn, resets)
        if hot is None or self.broken or self._learns(resets):  # ``reset`` learns on these
            out = self.call(op, data, proportional=proportional)
            return out, self.reset()
        self._resets = resets
        fuel, ticks = self._budget_for(len(data) if proportional else None)
        outcome = hot.run(self._func_addr(op), data if data.__class__ is bytes else bytes(data), fuel, ticks, True)
        if outcome.__class__ is bytes:
            return outcome, True
        return self._hot_outcome(op, len(data), outcome)

    def hash_frames(self, op: str, items: list[bytes], start: int, most_items: int, most_bytes: int,
                    big_item: int, digest: int = 0) -> tuple[int, list[bytes]] | None:
        """``op`` (``ac_hash_batch``) over the frames of ``items[start:]`` in one C call, the GIL
        released for all of them (``_hotcall.c``'s ``hash_frames``; frames cut as
        ``_adapters._frame_end`` cuts them): ``(end, digests)`` of ``items[start:end]``, stopping
        before an input over ``big_item`` bytes or one that is not ``bytes``, at the next call
        on which ``reset`` learns, or before a frame that failed (the instance is then broken: the
        caller discards it and runs that frame again on the checked path); a frame whose digests
        are not of ``digest`` bytes (0: the first frame's size) failed. ``None``: no C runner, or ``reset`` learns on the
        next call; take the one-call path."""
        hot: Any = self._hot
        if hot is None or self.broken:
            return None
        resets = self._resets
        frames = self._next_learn - resets - 1  # up to the reset that learns next (``reset``)
        if resets < 9 or frames <= 0:  # and the first ones
            return None
        fuel, ticks = self._budget_for(None)
        end, done, digests, failed = hot.hash_frames(self._func_addr(op), items, start, most_items, most_bytes,
                                                     big_item, frames, fuel, ticks, digest)
        self._resets = resets + done
        self._size_checked = False
        if failed is not None:
            self.broken = True
            self._known_size = -1
            try:  # take ownership of wasmtime's error or trap (freed with it)
                _call._raise_raw(*failed)
            except SandboxError:
                pass
        return end, digests

    # --- calls on input written in place (streams that read straight into the guest) --------

    def prepare_input(self, size: int) -> int:
        """Begin a call whose ``size`` input bytes the caller writes in place: a full budget,
        ``ac_input(size)`` checked against the memory; returns the input's address in the
        guest (fill it through ``view``, then ``finish``). Same errors as ``call``."""
        if self.broken:
            raise GuestFault("this module instance failed earlier and cannot be reused")
        self._budget(None)
        ptr = self.invoke("ac_input", size)
        mem_size, _ = self._memory()
        if ptr == 0 or ptr + size > mem_size:
            self.broken = True
            refused = self._no_room(size) if ptr == 0 else None
            if isinstance(refused, MemoryLimitExceeded):
                raise refused
            raise GuestFault(f"ac_input gave no room for a {size}-byte input")
        return ptr

    def view(self, ptr: int, size: int, owner: object) -> memoryview:
        """Guest memory ``[ptr, ptr + size)`` as a writable view that keeps ``owner`` (the
        object that keeps this instance alive) alive while it lives. Valid until the next
        guest call: a memory that grows may move (take a new view after every call).

        The view is a slice of an array over the whole memory, of a type made once per memory
        size (``_whole``): a ctypes array type per requested size cost ~20x the rest of a view."""
        mem_size, base = self._memory()
        if ptr < 0 or size < 0 or ptr + size > mem_size:
            self.broken = True
            raise GuestFault(f"[{ptr:#x}, +{size}) is outside the module's {mem_size}-byte memory")
        if self._whole_size != mem_size:  # the memory grew since the last view (or this is the first)
            self._whole, self._whole_size = ctypes.c_char * mem_size, mem_size
        array = self._whole.from_address(base)
        array.owner = owner  # type: ignore[attr-defined]
        return memoryview(array).cast("B")[ptr:ptr + size]

    def call_in_place(self, op: str, ptr: int, size: int) -> bytes:
        """Run ``op`` on ``size`` bytes already at ``ptr``: inside the input region of this
        operation's ``prepare_input`` (a stream verifying one region in windows, each window
        its own call with a full budget; the arena keeps the region, as no ``ac_input`` runs).
        Same errors as ``call``."""
        if self.broken:
            raise GuestFault("this module instance failed earlier and cannot be reused")
        mem_size, _ = self._memory()
        if ptr == 0 or ptr + size > mem_size:
            self.broken = True
            raise GuestFault(f"[{ptr:#x}, +{size}) is outside the module's {mem_size}-byte memory")
        self._budget(None)
        status = self.invoke(op, ptr, size)
        return self._status_result(op, status, self._read_result())

    def finish(self, op: str, ptr: int, size: int) -> bytes:
        """Run ``op`` on the ``size`` bytes at ``ptr`` (from ``prepare_input``) and return its
        output, checked as ``call`` checks it."""
        status = self.invoke(op, ptr, size)
        return self._status_result(op, status, self._read_result())

    def finish_view(self, op: str, ptr: int, size: int, owner: object) -> bytes | memoryview:
        """``finish`` with an OK result given as a ``view`` (no copy out; valid until the next
        guest call) instead of bytes; an error status is raised as ``finish`` raises it."""
        status = self.invoke(op, ptr, size)
        if status != OK:
            return self._status_result(op, status, self._read_result())
        out_ptr, length, _ = self._result_range()
        return self.view(out_ptr, length, owner)

    def _hot_outcome(self, op: str, size: int, outcome: tuple[Any, ...]) -> tuple[bytes, bool]:
        """The result or error of the pure-Python path for a C runner outcome other than
        "OK and reset" (``_hotcall.c``'s ``RESULT_*``)."""
        self._known_size = -1  # the guest ran: ``_memory`` must re-read
        code = outcome[0]
        if code == _hot.NOT_RESET:
            if outcome[2] is not None:  # pragma: no cover - wasmtime_global_set on a checked global
                wasmtime.WasmtimeError._from_ptr(ctypes.cast(outcome[2], ctypes.POINTER(ffi.wasmtime_error_t)))
            self.broken = True
            return outcome[1], False
        if code == _hot.STATUS:
            status, out = outcome[1], outcome[2]
            return self._status_result(op, status, out), False
        self.broken = True
        if code == _hot.TRAP:
            try:
                _call._raise_raw(outcome[2], outcome[3])
            except SandboxError as exc:
                raise self._failed(exc) from None
            raise GuestFault(f"{op} failed without an error")  # pragma: no cover - the runner saw one
        if code == _hot.INPUT_NULL:
            raise self._no_room(size)
        if code == _hot.INPUT_OOB:
            raise GuestFault(f"ac_input returned {outcome[1]:#x}, {size} bytes past it are outside memory")
        if code == _hot.OUT_LARGE:
            cap = self.limits.max_output_bytes
            raise OutputTooLarge(f"the module returned {outcome[1]} bytes, over the {cap}-byte cap")
        if code == _hot.OUT_OOB:
            ptr, length, mem = outcome[1], outcome[2], outcome[3]
            raise GuestFault(f"the result [{ptr:#x}, +{length}) is outside the module's {mem}-byte memory")
        if code == _hot.FUEL:  # pragma: no cover - the engine always consumes fuel
            _call._raise_raw(outcome[1], None)
        raise GuestFault(f"unknown runner outcome {code}")  # pragma: no cover

    def _read_result(self) -> bytes:
        ptr, length, base = self._result_range()
        return _string_at(base + ptr, length) if length else b""

    def _result_range(self) -> tuple[int, int, int]:
        """The result slot's ``(ptr, length)`` checked against the output cap and the memory,
        and the memory's base address now."""
        size, base = self._memory()
        self._size_checked = True
        view = self._slot_view
        ptr, length = view[0], view[1]
        if length > self.limits.max_output_bytes:
            self.broken = True
            cap = self.limits.max_output_bytes
            raise OutputTooLarge(f"the module returned {length} bytes, over the {cap}-byte cap")
        if ptr + length > size:
            self.broken = True
            raise GuestFault(f"the result [{ptr:#x}, +{length}) is outside the module's {size}-byte memory")
        return ptr, length, base

    def abi_version(self) -> int:
        return self.invoke("ac_abi_version")
