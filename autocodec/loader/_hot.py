"""The optional C accelerator for one top-level call on a reusable instance (``_hotcall.c``).

``Runner`` is the C type, bound to wasmtime's own C functions (looked up in the library
wasmtime-py loaded), or ``None`` when the extension was not built (no C compiler at install)
or ``AUTOCODEC_SLOW_CALLS`` is set: then ``GuestInstance`` makes the same calls through ctypes,
with the same results and errors. The outcome codes are ``_hotcall.c``'s ``RESULT_*``.

``frame`` and ``frame_packed`` build batch frames in one C call (``_adapters._frame``), or are
``None`` without the extension (Python's join then builds the same bytes).
"""

from __future__ import annotations

import ctypes
import importlib
from typing import Any

from wasmtime import _ffi as ffi

from ._call import slow_calls_default

Runner: Any = None
frame: Any = None
frame_packed: Any = None
TRAP = INPUT_NULL = INPUT_OOB = OUT_LARGE = OUT_OOB = STATUS = NOT_RESET = FUEL = -1


def _address(name: str) -> int:
    value = ctypes.cast(getattr(ffi.dll, name), ctypes.c_void_p).value
    if not value:  # pragma: no cover - wasmtime-py always exports these
        raise ImportError(name)
    return value


try:
    _ext: Any = importlib.import_module(f"{__package__}._hotcall")
    _ext.bind(*(_address(n) for n in ("wasmtime_func_call_unchecked", "wasmtime_context_set_fuel",
                                      "wasmtime_context_set_epoch_deadline", "wasmtime_memory_data",
                                      "wasmtime_memory_data_size", "wasmtime_global_set")))
except (ImportError, AttributeError):  # pragma: no cover - built by setup.py; absent without a C compiler
    _ext = None

if _ext is not None:  # an extension built before these existed has neither: Python's join then
    frame, frame_packed = getattr(_ext, "frame", None), getattr(_ext, "frame_packed", None)

if _ext is not None and not slow_calls_default():
    Runner = _ext.Runner
    TRAP, INPUT_NULL, INPUT_OOB = _ext.RESULT_TRAP, _ext.RESULT_INPUT_NULL, _ext.RESULT_INPUT_OOB
    OUT_LARGE, OUT_OOB, STATUS = _ext.RESULT_OUT_LARGE, _ext.RESULT_OUT_OOB, _ext.RESULT_STATUS
    NOT_RESET, FUEL = _ext.RESULT_NOT_RESET, _ext.RESULT_FUEL
