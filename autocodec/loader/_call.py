"""Calling guest functions: the fast path through wasmtime's unchecked C call, and the
public ``Func.__call__`` fallback, both ending in the same typed errors.

Invariants:
- Only functions whose signature the loader checked (``(i32, i32) -> i32``, ``(i32) -> i32``,
  ``() -> i32``) are called, so the unchecked call's raw-value buffer is always big enough
  (``max(params, results)`` slots) and typed correctly.
- The fast path uses private ctypes prototypes of its own (never mutating wasmtime-py's
  shared function objects); ctypes releases the GIL for the call, so threads run in parallel.
  The store accessors around a call (memory base and size, fuel, epoch deadline) return at
  once and keep the GIL: releasing it for them made a thread wait for it again after each
  (the Bao fetch's receiving thread spent 0.23 s of a 1 GiB fetch there, 62 us a call).
- A trap, an error or an interrupt on either path becomes a ``SandboxError`` via
  ``trap_error``: out of fuel -> ``FuelExhausted``, epoch interrupt -> ``DeadlineExceeded``,
  anything else -> ``GuestTrap``. The wasm trap/error objects are freed.
- A trap's message is the same on every host and wasmtime release: its trap code, never
  wasmtime's wording or backtrace (function names, offsets, phrasing), which would put
  release-dependent text into signed IPVM receipts; the full text goes to the debug log.
"""

from __future__ import annotations

import ctypes
import os

import wasmtime
from wasmtime import _ffi as ffi

from ..errors import DeadlineExceeded, FuelExhausted, GuestTrap, SandboxError
from ..log import get_logger

_log = get_logger("loader")

_vp = ctypes.c_void_p
_unchecked = ctypes.CFUNCTYPE(_vp, _vp, _vp, _vp, ctypes.c_size_t, _vp)(("wasmtime_func_call_unchecked", ffi.dll))
memory_data = ctypes.PYFUNCTYPE(_vp, _vp, _vp)(("wasmtime_memory_data", ffi.dll))
memory_data_size = ctypes.PYFUNCTYPE(ctypes.c_size_t, _vp, _vp)(("wasmtime_memory_data_size", ffi.dll))
set_fuel = ctypes.PYFUNCTYPE(_vp, _vp, ctypes.c_uint64)(("wasmtime_context_set_fuel", ffi.dll))
set_epoch_deadline = ctypes.PYFUNCTYPE(None, _vp, ctypes.c_uint64)(("wasmtime_context_set_epoch_deadline", ffi.dll))

_MAX_MESSAGE = 300


def slow_calls_default() -> bool:
    """``AUTOCODEC_SLOW_CALLS=1`` selects the public ``Func.__call__`` path."""
    return os.environ.get("AUTOCODEC_SLOW_CALLS", "") not in ("", "0")


def trap_error(code: wasmtime.TrapCode | None, message: str) -> SandboxError:
    """The typed error for a guest trap."""
    text = " ".join(message.split())[:_MAX_MESSAGE]
    _log.debug("guest.trap", code=None if code is None else code.name.lower(), detail=text)
    if code == wasmtime.TrapCode.OUT_OF_FUEL:
        return FuelExhausted("the module ran out of fuel")
    if code == wasmtime.TrapCode.INTERRUPT:
        return DeadlineExceeded("the module ran past its deadline")
    if code == wasmtime.TrapCode.STACK_OVERFLOW:
        return GuestTrap("the module overflowed its stack")
    if code is None:
        return GuestTrap(f"the module failed: {_without_backtrace(text)}")
    return GuestTrap(f"the module trapped ({code.name.lower().replace('_', ' ')})")


def _without_backtrace(text: str) -> str:
    """wasmtime's error text without its backtrace ("error while executing at wasm backtrace:
    0: 0x28 - <unknown>!<wasm function 1> ... Caused by: "), which names this host's frames."""
    head, found, rest = text.partition("wasm backtrace:")
    if not found:
        return text
    _, caused, cause = rest.partition("Caused by:")
    return cause.strip() if caused else head.replace("error while executing at", "").strip() or "an error"


def exception_error(exc: Exception) -> SandboxError:
    """Map an exception from wasmtime-py (``Trap`` or ``WasmtimeError``)."""
    if isinstance(exc, wasmtime.Trap):
        return trap_error(exc.trap_code, exc.message)
    return trap_error(None, str(exc))


def _signed(value: int) -> int:
    value &= 0xFFFFFFFF
    return value - (1 << 32) if value >= 1 << 31 else value


def _raise_raw(error: int | None, trap: int | None) -> None:
    if trap:
        trap_obj = wasmtime.Trap._from_ptr(ctypes.cast(trap, ctypes.POINTER(ffi.wasm_trap_t)))
        raise exception_error(trap_obj)
    if error:
        err_obj = wasmtime.WasmtimeError._from_ptr(ctypes.cast(error, ctypes.POINTER(ffi.wasmtime_error_t)))
        raise exception_error(err_obj)


def instantiate(store: wasmtime.Store, module: wasmtime.Module) -> ffi.wasmtime_instance_t:
    """Instantiate ``module`` (no imports) in ``store``; raises the raw wasmtime error/trap
    as ``wasmtime.WasmtimeError``/``wasmtime.Trap`` for the caller to classify."""
    instance = ffi.wasmtime_instance_t()
    trap = ctypes.POINTER(ffi.wasm_trap_t)()
    context = store._context()
    error = ffi.wasmtime_instance_new(context, module.ptr(), None, 0, ctypes.byref(instance), ctypes.byref(trap))
    if trap:
        raise wasmtime.Trap._from_ptr(trap)
    if error:
        raise wasmtime.WasmtimeError._from_ptr(error)
    return instance


def export(store: wasmtime.Store, instance: ffi.wasmtime_instance_t, name: str) -> ffi.wasmtime_extern_t:
    """One export by name (no enumeration of the others); ``KeyError`` if absent."""
    item = ffi.wasmtime_extern_t()
    raw = name.encode()
    if not ffi.wasmtime_instance_export_get(
        store._context(), ctypes.byref(instance), ctypes.create_string_buffer(raw), len(raw), ctypes.byref(item)
    ):
        raise KeyError(name)
    return item


class Calls:
    """Calls into one instance's functions (``(i32, i32) -> i32``, ``(i32) -> i32`` or
    ``() -> i32``, as checked at load); one object per instance, one thread at a time."""

    __slots__ = ("fast", "_store", "_context", "_raw", "_first", "_second", "_raw_addr", "_trap", "_trap_addr")

    def __init__(self, store: wasmtime.Store, *, fast: bool) -> None:
        self.fast = fast
        self._store = store
        self._context = ctypes.cast(store._context(), _vp).value
        self._raw = (ffi.wasmtime_val_raw_t * 2)()
        self._first, self._second = self._raw[0], self._raw[1]
        self._raw_addr = ctypes.addressof(self._raw)
        self._trap = _vp()
        self._trap_addr = ctypes.addressof(self._trap)

    def call(self, func: ffi.wasmtime_func_t, nparams: int, a: int = 0, b: int = 0) -> int:
        """Call ``func`` and return its i32 result as an unsigned number."""
        if not self.fast:
            return self._slow(func, nparams, a, b)
        if nparams:
            self._first.i32 = a
            if nparams == 2:
                self._second.i32 = b
        self._trap.value = None
        error = _unchecked(self._context, ctypes.addressof(func), self._raw_addr, max(nparams, 1), self._trap_addr)
        if error or self._trap.value:
            _raise_raw(error, self._trap.value)
        return self._first.i32 & 0xFFFFFFFF

    def bind(self, func: ffi.wasmtime_func_t, nparams: int):  # type: ignore[no-untyped-def]
        """A caller ``(a=0, b=0) -> int`` for one function, with everything that does not
        change between calls (function address, argument count, ctypes argument objects)
        computed once: the hot path is one ctypes call and one trap check."""
        if not self.fast:
            return lambda a=0, b=0: self._slow(func, nparams, a, b)
        unchecked, raise_raw = _unchecked, _raise_raw
        context, addr = _vp(self._context), _vp(ctypes.addressof(func))
        raw, trap_ptr, trap = _vp(self._raw_addr), _vp(self._trap_addr), self._trap
        first, second, nargs = self._first, self._second, max(nparams, 1)

        def call(a: int = 0, b: int = 0) -> int:
            if nparams:
                first.i32 = a
                if nparams == 2:
                    second.i32 = b
            trap.value = None
            error = unchecked(context, addr, raw, nargs, trap_ptr)
            if error or trap.value:
                raise_raw(error, trap.value)
            return first.i32 & 0xFFFFFFFF

        return call

    def _slow(self, func: ffi.wasmtime_func_t, nparams: int, a: int, b: int) -> int:
        f = wasmtime.Func._from_raw(func)
        args = (_signed(a), _signed(b))[:nparams]
        try:
            result = f(self._store, *args)
        except (wasmtime.Trap, wasmtime.WasmtimeError) as exc:
            raise exception_error(exc) from None
        return int(result) & 0xFFFFFFFF


# --- standalone callers (benchmarks compare them with Func.__call__) -------------------------


def fast_caller(store: wasmtime.Store, func: wasmtime.Func, nparams: int):  # type: ignore[no-untyped-def]
    """A one-function caller on the fast path."""
    return Calls(store, fast=True).bind(func._func, nparams)


def slow_caller(store: wasmtime.Store, func: wasmtime.Func, nparams: int):  # type: ignore[no-untyped-def]
    """A one-function caller through the public ``Func.__call__``."""
    return Calls(store, fast=False).bind(func._func, nparams)
