"""Checks of the arguments the public API takes, so that a wrong type is a typed error.

Invariant: a value of the wrong type is never converted into something else (``bytes(5)`` is
five zero bytes, not a block); ``InvalidInput`` names the argument and the type it got.
"""

from __future__ import annotations

from typing import Any

from .errors import InvalidInput


def as_bytes(data: Any, what: str) -> bytes:
    """``data`` as ``bytes`` when it is bytes-like (bytes, bytearray, memoryview); else
    ``InvalidInput`` saying what ``what`` needs."""
    if type(data) is bytes:
        return data
    if isinstance(data, (bytes, bytearray, memoryview)):
        return bytes(data)
    extra = " (encode text first, e.g. str.encode())" if isinstance(data, str) else ""
    raise InvalidInput(f"{what} needs bytes, not {type(data).__name__}{extra}")


def check_bytes(data: Any, what: str) -> None:
    """``InvalidInput`` unless ``data`` is bytes-like, without copying it (for arguments passed
    on as they are: an extension's adapter would take ``bytes(5)`` as five zero bytes)."""
    if not isinstance(data, (bytes, bytearray, memoryview)):
        as_bytes(data, what)  # raises, with the hint for text


def of_type(value: Any, kind: type | tuple[type, ...], what: str) -> None:
    """``InvalidInput`` unless ``value`` is ``None`` or a ``kind``: an option of the wrong type is
    named here, not met later as an ``AttributeError`` from deep inside."""
    if value is not None and not isinstance(value, kind):
        names = " or ".join(k.__name__ for k in (kind if isinstance(kind, tuple) else (kind,)))
        raise InvalidInput(f"{what} needs {names}, not {type(value).__name__}")
