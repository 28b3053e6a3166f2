"""Checks of the arguments the public API takes, so that a wrong type is a typed error.

Invariant: a value of the wrong type is never converted into something else (``bytes(5)`` is
five zero bytes, not a block); ``InvalidInput`` names the argument and the type it got.
"""

from __future__ import annotations

import operator
import os
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any, ParamSpec, TypeVar, cast

from .cid import CID
from .errors import InvalidCID, InvalidInput


def as_bytes(data: Any, what: str) -> bytes:
    """``data`` as ``bytes`` when it is bytes-like (bytes, bytearray, memoryview); else
    ``InvalidInput`` saying what ``what`` needs."""
    if type(data) is bytes:
        return data
    if isinstance(data, (bytes, bytearray, memoryview)):
        return bytes(data)
    extra = " (encode text first, e.g. str.encode())" if isinstance(data, str) else ""
    raise InvalidInput(f"{what} needs bytes, not {type(data).__name__}{extra}")


def bytes_like(data: Any, what: str) -> bytes:
    """``data`` to pass on without copying when it is bytes-like and ``len()`` counts its bytes
    (bytes, bytearray, a flat memoryview of single bytes); the bytes of any other memoryview
    (``memoryview(array('I', ...))``: ``len()`` counts its items, and a guest was handed that
    many bytes); else ``InvalidInput`` saying what ``what`` needs. Typed ``bytes`` as the public
    signatures type their bytes-like arguments: what it returns reads as bytes do (``len``,
    slices, the buffer protocol)."""
    if isinstance(data, (bytes, bytearray)):
        return cast(bytes, data)
    if isinstance(data, memoryview):
        return cast(bytes, data) if data.itemsize == 1 and data.ndim == 1 else data.tobytes()
    return as_bytes(data, what)  # raises, with the hint for text


def of_type(value: Any, kind: type | tuple[type, ...], what: str) -> None:
    """``InvalidInput`` unless ``value`` is ``None`` or a ``kind``: an option of the wrong type is
    named here, not met later as an ``AttributeError`` from deep inside."""
    if value is not None and not isinstance(value, kind):
        names = " or ".join(k.__name__ for k in (kind if isinstance(kind, tuple) else (kind,)))
        raise InvalidInput(f"{what} needs {names}, not {type(value).__name__}")


def as_path(value: Any, what: str) -> Path:
    """``value`` (a str or an ``os.PathLike``) as a ``Path``; else ``InvalidInput``, and for an
    empty str too (``Path("")`` is the current folder, which nobody names that way)."""
    if isinstance(value, Path):
        return value
    if not isinstance(value, (str, os.PathLike)) or not isinstance(os.fspath(value), str):
        raise InvalidInput(f"{what} needs a path (str or pathlib.Path), not {type(value).__name__}")
    if not os.fspath(value):
        raise InvalidInput(f"{what} needs a path, not an empty string")
    return Path(nameable(value, what))


def nameable(path: str | os.PathLike[str], what: str) -> str:
    """``path`` as a str the file system can take; else ``InvalidInput``: a NUL character, or a
    lone surrogate no file name encodes to (``open`` raised ValueError, UnicodeEncodeError)."""
    text = os.fspath(path)
    try:
        encoded = os.fsencode(text)
    except UnicodeEncodeError:
        raise InvalidInput(f"{what}: {text!r} is no file name (a character no file name can hold)"[:200],
                           hint="name the file in characters the file system can store") from None
    if b"\0" in encoded:
        raise InvalidInput(f"{what}: {text!r} is no file name (it holds a NUL character)"[:200],
                           hint="name the file without NUL characters") from None
    return text


def need_cid(value: Any, what: str) -> CID:
    """``value`` when it is a ``CID``; else ``InvalidCID`` (``bytes(5)`` would be written as
    five zero bytes where a CID belongs, a str as CBOR text)."""
    if isinstance(value, CID):
        return value
    how = ": parse its text form with CID.parse" if isinstance(value, str) else ""
    raise InvalidCID(f"{what} needs a CID, not {type(value).__name__}{how}")


def as_cid(value: Any, what: str) -> CID:
    """``value`` when it is a ``CID``, its text parsed (``CID.parse``) when it is a str; else
    ``InvalidCID`` naming ``what``. For entries that key rows by a CID's text: ``str(5)`` or a
    CID in another base was read as a CID nothing is stored under (a silent "not found")."""
    if isinstance(value, CID):
        return value
    if isinstance(value, str):
        return CID.parse(value)
    raise InvalidCID(f"{what} needs a CID, not {type(value).__name__}")


def need_text(value: Any, what: str) -> str:
    """``value`` when it is a ``str``; else ``InvalidInput`` naming ``what`` (an address or URL
    of another type was an ``AttributeError`` from its first ``strip``)."""
    if isinstance(value, str):
        return value
    raise InvalidInput(f"{what} needs text (str), not {type(value).__name__}")


def need_seconds(value: Any, what: str) -> float:
    """``value`` as a number of seconds (an int or a float, not a bool), NaN refused: every
    comparison with NaN is False, so a NaN bound was never reached (no bound at all)."""
    if type(value) is not float and type(value) is not int:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise InvalidInput(f"{what} needs a number of seconds, not {type(value).__name__}")
    if value != value:
        raise InvalidInput(f"{what} needs a number of seconds, not NaN")
    return float(value)


def need_stream(stream: Any, method: str, what: str) -> None:
    """``InvalidInput`` unless ``stream`` has a callable ``method`` (``read`` or ``write``): a
    path or bytes given for a file object is named here, not met as an ``AttributeError``."""
    if callable(getattr(stream, method, None)):
        if is_closed(stream):
            raise closed_stream(what)
        return
    mode = "reading" if method == "read" else "writing"
    hint = ""
    if isinstance(stream, (str, os.PathLike)):
        hint = f" (open the file first, e.g. open(path, {'rb' if method == 'read' else 'wb'!r}))"
    elif isinstance(stream, (bytes, bytearray, memoryview)) and method == "read":
        hint = " (wrap bytes in io.BytesIO)"
    raise InvalidInput(f"{what} needs a binary file object open for {mode}, not {type(stream).__name__}{hint}")


def closed_stream(what: str, *, during: bool = False, writing: bool = False) -> InvalidInput:
    """The error for a file object found closed: by ``need_stream`` at the start of a call, or
    (``during``) by a read (``writing``: a write) in the middle of it. One type and hint for all."""
    doing = "writing to" if writing else "reading"
    state = f"was closed while the call was {doing} it" if during else "is closed"
    return InvalidInput(f"{what} needs an open file object, and this one {state}",
                        hint="open it again, and keep it open until the call returns")


def read_failed(stream: Any, what: str, exc: ValueError) -> InvalidInput:
    """The typed error for a ``ValueError`` out of ``stream``'s ``read``/``readinto``/``seek``
    (io's word for a file closed or detached since the call began): ``closed_stream`` when the
    stream now says it is closed, else the stream's own words, named by ``what``."""
    if is_closed(stream):
        return closed_stream(what, during=True)
    return InvalidInput(f"{what} could not be read: {exc}"[:300],
                        hint="give a binary file object that stays open and readable until the call returns")


def write_failed(stream: Any, what: str) -> InvalidInput | None:
    """The typed error for a failure out of writing to ``stream`` (io's ``ValueError`` for a
    file closed since the call began, or ``EBADF`` from a write to its old descriptor):
    ``closed_stream`` when ``stream`` now says it is closed, else None and the failure stays
    what it is (a full disk is the output's ``OSError``, for the caller to name)."""
    return closed_stream(what, during=True, writing=True) if is_closed(stream) else None


_P = ParamSpec("_P")
_R = TypeVar("_R")


def guard_read(read: Callable[_P, _R], stream: Any, what: str) -> Callable[_P, _R]:
    """``read`` (``stream``'s ``read`` or ``readinto``, or a function over them) with a
    ``ValueError`` it raises turned into ``read_failed``'s ``InvalidInput``: a stream closed in
    the middle of a call gives the error a closed one gives at its start. For loops that hand
    the read on (to a guest's pull); a loop that calls the read itself catches inline."""

    def guarded(*args: _P.args, **kwargs: _P.kwargs) -> _R:
        try:
            return read(*args, **kwargs)
        except ValueError as exc:
            cause = None if is_closed(stream) else exc  # a stream's own failure keeps its traceback
            raise read_failed(stream, what, exc) from cause

    return guarded


def is_closed(stream: Any) -> bool:
    """True when ``stream`` says it is closed (``io``'s ``closed``); an object without that
    attribute, or whose ``closed`` is not ``True``, is taken as open."""
    try:
        return getattr(stream, "closed", False) is True
    except Exception:  # noqa: BLE001 - a property of the caller's object that fails says nothing
        return False


def whole_number(value: Any, what: str, *, most: int | None = None) -> int:
    """``value`` when it is an ``int`` from 0 to ``most`` (any ``operator.index`` integer, not a
    bool); else ``InvalidInput``. A float, a str or NaN is never rounded or parsed into one."""
    if type(value) is int:
        number: int = value
    elif isinstance(value, bool) or not hasattr(type(value), "__index__"):
        raise InvalidInput(f"{what} needs a whole number, not {type(value).__name__} {value!r}"[:200])
    else:
        number = operator.index(value)
    if number < 0 or (most is not None and number > most):
        top = "" if most is None else f" up to {most}"
        raise InvalidInput(f"{what} needs a whole number from 0{top}, not {number}"[:200])
    return number


def need_iterable(items: Any, what: str, of: str) -> None:
    """``InvalidInput`` unless ``items`` is an iterable of separate items (``of`` says which): a
    str, bytes or mapping is refused whole, as iterating one yields characters, ints or keys (an
    empty str quietly stood for no items)."""
    if isinstance(items, (str, bytes, bytearray, memoryview, Mapping)) or not hasattr(items, "__iter__"):
        raise InvalidInput(f"{what} needs an iterable of {of}, not {type(items).__name__}")


def pair(item: Any, what: str, of: str = "(CID, bytes) pairs") -> tuple[Any, Any]:
    """``item`` as a 2-tuple when it is a sequence of two (a tuple or a list); else
    ``InvalidInput``. Callers test ``type(item) is tuple and len(item) == 2`` first."""
    if isinstance(item, Sequence) and not isinstance(item, (str, bytes, bytearray)) and len(item) == 2:
        return item[0], item[1]
    got = type(item).__name__
    if isinstance(item, Sequence):
        got = f"a {got} of length {len(item)}"
    raise InvalidInput(f"{what} needs {of}, not {got}")


def need_store(store: Any, method: str, what: str) -> None:
    """``InvalidInput`` unless ``store`` has a callable ``method`` (``get`` to read blocks,
    ``put_many`` to write them): a path or a CID given for the store is named here, not met
    as an ``AttributeError`` from the first block."""
    if not callable(getattr(store, method, None)):
        hint = ""
        if isinstance(store, (str, os.PathLike)):
            hint = " (open it first: BlockStore.open(path))"
        elif callable(getattr(getattr(store, "store", None), method, None)):
            hint = " (give a Runtime's own: runtime.store)"
        which = "a BlockStore (or a Runtime)" if method == "get" else "a BlockStore"  # a Runtime only reads so
        raise InvalidInput(f"{what} needs {which}, not {type(store).__name__}{hint}")
