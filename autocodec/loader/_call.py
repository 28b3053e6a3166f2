"""Calling guest functions: the fast path through wasmtime's unchecked C call, and the
public ``Func.__call__`` fallback, both ending in the same typed errors.

Invariants:
- Only functions whose signature the loader checked (``(i32, i32) -> i32``, ``(i32) -> i32``,
  ``() -> i32``) are called, so the unchecked call's raw-value buffer is always big enough
  (``max(params, results)`` slots) and typed correctly.
- The fast path uses private ctypes prototypes of its own (never mutating wasmtime-py's
  shared function objects); ctypes releases the GIL for the call, so threads run in parallel.
- A trap, an error or an interrupt on either path becomes a ``SandboxError`` via
  ``trap_error``: out of fuel -> ``FuelExhausted``, epoch interrupt -> ``DeadlineExceeded``,
  anything else -> ``GuestTrap``. The wasm trap/error objects are freed.
"""

from __future__ import annotations

import ctypes
import os
from typing import Protocol

import wasmtime
from wasmtime import _ffi as ffi

from ..errors import DeadlineExceeded, FuelExhausted, GuestTrap, SandboxError

_vp = ctypes.c_void_p
_unchecked = ctypes.CFUNCTYPE(_vp, _vp, _vp, _vp, ctypes.c_size_t, _vp)(("wasmtime_func_call_unchecked", ffi.dll))
memory_data = ctypes.CFUNCTYPE(_vp, _vp, _vp)(("wasmtime_memory_data", ffi.dll))
memory_data_size = ctypes.CFUNCTYPE(ctypes.c_size_t, _vp, _vp)(("wasmtime_memory_data_size", ffi.dll))
set_fuel = ctypes.CFUNCTYPE(_vp, _vp, ctypes.c_uint64)(("wasmtime_context_set_fuel", ffi.dll))
set_epoch_deadline = ctypes.CFUNCTYPE(None, _vp, ctypes.c_uint64)(("wasmtime_context_set_epoch_deadline", ffi.dll))

_MAX_MESSAGE = 300


def slow_calls_default() -> bool:
    """``AUTOCODEC_SLOW_CALLS=1`` selects the public ``Func.__call__`` path."""
    return os.environ.get("AUTOCODEC_SLOW_CALLS", "") not in ("", "0")


def trap_error(code: wasmtime.TrapCode | None, message: str) -> SandboxError:
    """The typed error for a guest trap."""
    text = " ".join(message.split())[:_MAX_MESSAGE]
    if code == wasmtime.TrapCode.OUT_OF_FUEL:
        return FuelExhausted("the module ran out of fuel")
    if code == wasmtime.TrapCode.INTERRUPT:
        return DeadlineExceeded("the module ran past its deadline")
    if code == wasmtime.TrapCode.STACK_OVERFLOW:
        return GuestTrap("the module overflowed its stack")
    if code is None:
        return GuestTrap(f"the module failed: {text}")
    return GuestTrap(f"the module trapped ({code.name.lower()}): {text}")


def exception_error(exc: Exception) -> SandboxError:
    """Map an exception from wasmtime-py (``Trap`` or ``WasmtimeError``)."""
    if isinstance(exc, wasmtime.Trap):
        return trap_error(exc.trap_code, exc.message)
    return trap_error(None, str(exc))


class Caller(Protocol):
    def __call__(self, a: int = 0, b: int = 0) -> int: ...


def _signed(value: int) -> int:
    value &= 0xFFFFFFFF
    return value - (1 << 32) if value >= 1 << 31 else value


def slow_caller(store: wasmtime.Store, func: wasmtime.Func, nparams: int) -> Caller:
    """A caller through wasmtime-py's public, checked API."""

    def call(a: int = 0, b: int = 0) -> int:
        a, b = _signed(a), _signed(b)
        try:
            if nparams == 2:
                result = func(store, a, b)
            elif nparams == 1:
                result = func(store, a)
            else:
                result = func(store)
        except (wasmtime.Trap, wasmtime.WasmtimeError) as exc:
            raise exception_error(exc) from None
        return int(result) & 0xFFFFFFFF

    return call


def _raise_raw(error: int | None, trap: int | None) -> None:
    if trap:
        trap_obj = wasmtime.Trap._from_ptr(ctypes.cast(trap, ctypes.POINTER(ffi.wasm_trap_t)))
        raise exception_error(trap_obj)
    if error:
        err_obj = wasmtime.WasmtimeError._from_ptr(ctypes.cast(error, ctypes.POINTER(ffi.wasmtime_error_t)))
        raise exception_error(err_obj)


def fast_caller(store: wasmtime.Store, func: wasmtime.Func, nparams: int) -> Caller:
    """A caller through ``wasmtime_func_call_unchecked`` with a preallocated value buffer."""
    slots = max(nparams, 1)
    raw = (ffi.wasmtime_val_raw_t * slots)()
    trap = _vp()
    context = ctypes.cast(store._context(), _vp).value
    func_struct = func._func  # kept alive by this closure
    func_addr = ctypes.addressof(func_struct)
    raw_addr, trap_addr = ctypes.addressof(raw), ctypes.addressof(trap)
    first = raw[0]
    second = raw[1] if slots > 1 else None
    unchecked = _unchecked

    def call(a: int = 0, b: int = 0) -> int:
        if nparams:
            first.i32 = a
            if second is not None:
                second.i32 = b
        trap.value = None
        error = unchecked(context, func_addr, raw_addr, slots, trap_addr)
        if error or trap.value:
            _raise_raw(error, trap.value)
        return first.i32 & 0xFFFFFFFF

    call._keep = (store, func, func_struct, raw, trap)  # type: ignore[attr-defined]
    return call
