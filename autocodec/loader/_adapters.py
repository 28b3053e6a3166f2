"""Per-kind adapters over a ``LoadedModule`` (docs/abi.md section 3).

Invariants:
- Each top-level operation runs in an instance in its post-instantiation state
  (``LoadedModule.run``: fresh, or reused after an exact reset); a stream (hasher
  ``stream()``, one chunker ``boundaries()`` run) keeps one instance for its life and nothing else.
- Guest output is untrusted: DAG-CBOR from a codec is decoded by the builtin decoder under
  ``DecodeLimits`` (depth and the structural allocation budget ``max_gas``, a ``GuestFault``
  when over; its size is already capped by ``max_output_bytes``); batch frames, chunk offsets
  and verify bytes are checked structurally.
  Output that breaks the ABI is a ``GuestFault``; an error status is a ``GuestError``.
- No single guest call receives more than ``limits.stream_chunk_bytes`` of streamed data
  (hasher and chunker inputs are cut into pieces; a codec block is passed whole).
- Every ``SandboxError`` or ``GuestError`` an adapter raises or returns names its module
  (``AutocodecError.module``, ``LoadedModule.ref``), attached as it leaves (the ``try`` costs a
  call that succeeds nothing).
"""

from __future__ import annotations

import struct
import threading
from array import array
from bisect import bisect_right
from collections.abc import Iterable, Iterator
from itertools import accumulate, chain
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from .._inputs import as_bytes, bytes_like
from ..cid import CID
from ..config import DEFAULT_LIMITS
from ..errors import (AutocodecError, DigestLengthUnsupported, GuestError, GuestFault, InvalidInput, SandboxError,
                      UnknownKeyType)
from . import _hot

if TYPE_CHECKING:  # pragma: no cover
    from ..errors import ModuleRef
    from ._info import ModuleInfo
    from ._instance import GuestInstance
    from ._sandbox import LoadedModule

_FROM_MODULE = (SandboxError, GuestError)
"""The errors a module call raises that are the module's doing (named with ``LoadedModule.ref``)."""

_U32 = struct.Struct("<I")
_FRAME = struct.Struct("<II")


def _cbor_decode(data: bytes, what: str) -> Any:
    """Decode guest output. Its size was already capped by ``max_output_bytes`` when it was
    read, so the depth limit and the structural allocation budget (``max_gas`` over items and
    map keys, string and byte contents free) apply here, counted on the bytes before any host
    object is built (a decoded value is larger than its block: a 4 MiB block must not be
    refused because its data model is 5 MiB; 64 MiB of empty lists must not become 67M objects)."""
    decode = _decode_small or _bind_decode_small()
    try:
        return decode(data, _OUTPUT_LIMITS if len(data) <= _OUTPUT_MAX else _output_limits(len(data)))
    except AutocodecError as exc:
        raise GuestFault(f"{what} is not valid DAG-CBOR: {exc.message}") from None


def _cbor_encode(value: Any) -> bytes:
    data: bytes = _builtin().encode(value, _DAG_CBOR)
    return data


_DAG_CBOR = 0x71
_builtin_module: Any = None


_OUTPUT_LIMITS = replace(DEFAULT_LIMITS.decode, content_gas=False)


_OUTPUT_MAX = _OUTPUT_LIMITS.max_block_bytes
_decode_small: Any = None  # builtin.decode_dag_cbor_small, bound on first use


def _bind_decode_small() -> Any:
    global _decode_small
    _decode_small = _builtin().decode_dag_cbor_small
    return _decode_small


_decode_records: Any = None  # builtin.decode_dag_cbor_records, bound on first use


def _bind_decode_records() -> Any:
    global _decode_records
    _decode_records = _builtin().decode_dag_cbor_records
    return _decode_records


def _output_limits(size: int) -> Any:
    # Imports stay at module level: an import statement here ran once per decoded item and
    # was about half the host-side cost of a batched decode (~2 us of ~4 us per item).
    decode = _OUTPUT_LIMITS
    return decode if size <= decode.max_block_bytes else replace(decode, max_block_bytes=size)


def _builtin() -> Any:
    """``autocodec.builtin``, imported on first use (it is heavier than the loader)."""
    global _builtin_module
    if _builtin_module is None:
        from .. import builtin

        _builtin_module = builtin
    return _builtin_module


class _Named:
    """An adapter whose module errors name its module (``_module``)."""

    _loaded: LoadedModule
    served_by: str | None = None
    """The pinned set whose resolution made this adapter (set by the registry), named too."""

    @property
    def _module(self) -> ModuleRef:
        """Made only for an error being raised: a call that succeeds never builds it."""
        ref = self._loaded.ref
        return ref if self.served_by is None else ref._replace(set_name=self.served_by)


def _pieces(data: bytes | bytearray | memoryview, size: int) -> Iterator[memoryview]:
    view = memoryview(data).cast("B")
    for start in range(0, len(view), size):
        yield view[start : start + size]


class Codec(_Named):
    """An IPLD codec in Wasm: native bytes <-> data model. Safe to share between threads
    (each call runs in an instance of its own)."""

    def __init__(self, loaded: LoadedModule) -> None:
        self._loaded = loaded
        self.codes = loaded.info.codes

    def decode(self, data: bytes) -> Any:
        if type(data) is not bytes:
            data = bytes_like(data, "Codec.decode")
        try:
            out = self._loaded.run("ac_decode", data, proportional=True)
            return _cbor_decode(out, "the module's decode output")
        except _FROM_MODULE as exc:
            exc.from_module(self._module)
            raise

    def encode(self, value: Any) -> bytes:
        try:
            return self._loaded.run("ac_encode", _cbor_encode(value))
        except _FROM_MODULE as exc:
            exc.from_module(self._module)
            raise

    def links(self, data: bytes) -> list[CID]:
        if type(data) is not bytes:
            data = bytes_like(data, "Codec.links")
        if "ac_links" in self._loaded.info.exports:
            try:
                found = _cbor_decode(self._loaded.run("ac_links", data, proportional=True), "the module's links output")
                if not isinstance(found, list) or not all(isinstance(c, CID) for c in found):
                    raise GuestFault("ac_links did not return a list of CIDs")
            except _FROM_MODULE as exc:
                exc.from_module(self._module)
                raise
            return found
        return list(_walk_links(self.decode(data)))

    def decode_many(self, blocks: list[bytes]) -> list[Any | AutocodecError]:
        """Decode many blocks in few calls; item ``i`` is a value or the error for block ``i``."""
        results: list[Any | AutocodecError] = []
        for batch in self.cut_batches(blocks):
            results.extend(self._batch(batch))
        return results

    def cut_batches(self, blocks: Iterable[bytes | bytearray | memoryview]) -> list[list[bytes]]:
        """``blocks`` (as ``bytes``) in the batches ``decode_many`` sends, in order: a batch
        closes before a block that would make it pass ``max_batch_items`` blocks or
        ``stream_chunk_bytes`` (4 framing bytes counted per block); a larger block is a batch
        of its own. A batch of ``max_batch_items`` blocks is taken whole when its framed size
        fits (one sum over it); otherwise it is cut with a running sum and a bisection (no
        Python code per block either way): a batch's fuel and deadline are proportional to it,
        so every caller cuts the same way."""
        given = list(blocks)
        items: list[bytes] = (given if set(map(type, given)) <= {bytes}  # type: ignore[assignment]
                              else [as_bytes(b, "Codec.decode_many") for b in given])
        return [items[start:end] for start, end in self._batch_bounds(array("Q", map(len, items)))]

    def _batch_bounds(self, lengths: array[int]) -> list[tuple[int, int]]:
        """``cut_batches``'s cut as ``[start, end)`` ranges, from the blocks' lengths alone."""
        limits = self._loaded.limits
        most, cap = max(1, limits.max_batch_items), limits.stream_chunk_bytes
        out: list[tuple[int, int]] = []
        i, n = 0, len(lengths)
        ends: list[int] | None = None  # ends[k]: framed size of the first k blocks, made when first needed
        while i < n:
            j = min(n, i + most)
            if 4 * (j - i) + sum(lengths[i:j]) <= cap + 4:  # the common case: small blocks (the rule above)
                out.append((i, j))
                i = j
                continue
            if ends is None:
                ends = list(accumulate(map((4).__add__, lengths), initial=0))
            j = max(i + 1, min(n, i + most, bisect_right(ends, ends[i] + cap + 4, i + 1) - 1))
            out.append((i, j))
            i = j
        return out

    def _batch(self, batch: list[bytes]) -> list[Any | AutocodecError]:
        frame = _frame(batch)
        try:
            out = self._loaded.run("ac_decode_batch", frame, proportional=True)
            return _parse_batch(out, len(batch), self)
        except (SandboxError, GuestError):
            if len(batch) == 1:
                return [self._one(batch[0])]
            # One hostile or huge block must not decide the others: bisect until it is alone.
            half = len(batch) // 2
            return self._batch(batch[:half]) + self._batch(batch[half:])

    def _one(self, block: bytes) -> Any | AutocodecError:
        try:
            return self.decode(block)
        except AutocodecError as exc:
            return exc


def _frame(items: list[bytes]) -> bytes:
    """A batch frame (``ac_decode_batch``, ``ac_hash_batch``): ``u32 count``, then ``u32 len,
    bytes`` for each item (little-endian); one C call with the extension, else joined by C loops."""
    if _hot.frame is not None:
        out: bytes | None = _hot.frame(items)
        if out is not None:
            return out
    return b"".join([_U32.pack(len(items)), *chain.from_iterable(zip(map(_U32.pack, map(len, items)), items))])


def _frame_packed(buffer: Any, start: int, lengths: bytes) -> bytes:
    """``_frame`` of the items lying back to back in ``buffer`` (any bytes-like object, an mmap
    included) from ``start``, their lengths the ``array("Q")`` bytes ``lengths``, without cutting
    them out one by one (with the extension). ``ValueError`` when they pass the buffer's end."""
    if _hot.frame_packed is not None:
        framed: bytes = _hot.frame_packed(buffer, start, lengths)
        return framed
    sizes = array("Q")
    sizes.frombytes(lengths)
    if start < 0 or start + sum(sizes) > len(buffer):
        raise ValueError("the items pass the end of the buffer")
    items, pos = [], start
    for n in sizes:
        items.append(bytes(buffer[pos : pos + n]))
        pos += n
    return _frame(items)


def _frame_end(items: list[bytes], i: int, most: int) -> int:
    """The end of ``Hasher.digest_many``'s call that starts at input ``i``: ``j`` for a batch
    frame of inputs ``i..j-1`` (``u32 count`` then ``u32 len, bytes`` each: at most
    ``_BATCH_BYTES`` framed and ``most`` inputs), ``i + 1`` for an input larger than
    ``_BATCH_ITEM``, hashed on its own (it also ends the frame before it). ``_hotcall.c``'s
    ``hash_frames`` cuts by the same rule."""
    size, j, n = 4, i, len(items)
    while j < n and j - i < most:
        length = len(items[j])
        if length > _BATCH_ITEM or size + 4 + length > _BATCH_BYTES:
            break
        size += 4 + length
        j += 1
    return j if j > i else i + 1


def _parse_batch(out: bytes, count: int, codec: _Named | None = None) -> list[Any | AutocodecError]:
    """Each item of ``ac_decode_batch``'s output: its value, or its error (naming ``codec``'s
    module, when given). The short items the C helper decodes come from one call for the whole
    batch; the others, and any frame the helper does not accept, take the item-by-item parse
    (which names a malformed frame)."""
    got = (_decode_records or _bind_decode_records())(out, count, _OUTPUT_LIMITS)
    if got is None:
        return _parse_items(out, count, codec)
    values: list[Any | AutocodecError] = got[0]
    for i, status, start, length in got[1]:
        values[i] = _parse_item(status, out[start : start + length], codec)
    return values


def _parse_items(out: bytes, count: int, codec: _Named | None = None) -> list[Any | AutocodecError]:
    results: list[Any | AutocodecError] = []
    pos = 0
    for _ in range(count):
        if pos + _FRAME.size > len(out):
            raise GuestFault("ac_decode_batch returned a truncated result frame")
        status, length = _FRAME.unpack_from(out, pos)
        pos += _FRAME.size
        if length > len(out) - pos:
            raise GuestFault("ac_decode_batch returned an item past the end of its frame")
        results.append(_parse_item(status, out[pos : pos + length], codec))
        pos += length
    if pos != len(out):
        raise GuestFault("ac_decode_batch returned trailing bytes after its last item")
    return results


def _parse_item(status: int, item: bytes, codec: _Named | None = None) -> Any | AutocodecError:
    error: AutocodecError
    if status == 0:
        limits = _OUTPUT_LIMITS if len(item) <= _OUTPUT_MAX else _output_limits(len(item))  # as ``_cbor_decode``
        try:
            return (_decode_small or _bind_decode_small())(item, limits)  # items are short: one C call each
        except AutocodecError as exc:
            error = GuestFault(f"the module's decode output is not valid DAG-CBOR: {exc.message}")
    elif status in (1, 2, 3, 4):
        error = GuestError(status, item[:1000].decode("utf-8", "replace") or f"error status {status}")
    else:
        error = GuestFault(f"ac_decode_batch gave unknown status {status}")
    if codec is not None:
        error.from_module(codec._module)
    return error


def _walk_links(value: Any) -> Iterator[CID]:
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, CID):
            yield item
        elif isinstance(item, dict):
            stack.extend(reversed(list(item.values())))
        elif isinstance(item, list):
            stack.extend(reversed(item))


class HashStream(_Named):
    """A streaming hash in one instance: ``update`` any number of times, then ``final`` once.

    Safe to share between threads, as a ``hashlib`` object is: each ``update`` is hashed whole,
    one at a time (in the order the threads take the stream's lock), and ``final`` waits for
    an ``update`` in progress; an ``update`` after ``final`` is ``InvalidInput``."""

    def __init__(self, loaded: LoadedModule, served_by: str | None = None) -> None:
        self._loaded = loaded
        self.served_by = served_by
        self._info = loaded.info
        self._chunk = loaded.limits.stream_chunk_bytes
        self._lock = threading.Lock()  # one update or final in the instance at a time
        try:
            self._instance: GuestInstance | None = loaded.instance()
            self._instance.call("ac_hash_init")
        except _FROM_MODULE as exc:
            exc.from_module(self._module)
            raise

    def update(self, data: bytes | bytearray | memoryview) -> None:
        data = bytes_like(data, "HashStream.update")
        with self._lock:
            instance = self._open()
            try:
                for piece in _pieces(data, self._chunk):
                    instance.call("ac_hash_update", piece)
            except _FROM_MODULE as exc:
                exc.from_module(self._module)
                raise

    def final(self, length: int | None = None) -> bytes:
        """The digest of the stream; ``length``: that many bytes of the hash's extended output
        (``ac_hash_final_xof``; ``Hasher.digest``'s ``length``)."""
        with self._lock:
            instance = self._open()
            if length is not None:
                _check_extends(self._info, length)
            self._instance = None
        try:
            if length is None:
                return instance.call("ac_hash_final")
            return _sized(instance.call("ac_hash_final_xof", _xof_length(length)), length, "ac_hash_final_xof")
        except _FROM_MODULE as exc:
            exc.from_module(self._module)
            raise

    def _open(self) -> GuestInstance:
        """The stream's instance (the caller holds the lock); ``InvalidInput`` after ``final``."""
        if self._instance is None:
            raise InvalidInput("the hash stream is already finalised")
        return self._instance


_XOF_MAX = 65536
"""The longest extended output the host asks for (blake3's module makes up to this much)."""


def _xof_length(length: int) -> bytes:
    if type(length) is not int or not 1 <= length <= _XOF_MAX:
        raise InvalidInput(f"a digest length is 1 to {_XOF_MAX} bytes, not {length!r}")
    return length.to_bytes(4, "little")


def _extends(info: ModuleInfo) -> bool:
    """Whether a hasher makes digests of a given length (``ac_hash_xof`` and ``ac_hash_final_xof``)."""
    return "ac_hash_xof" in info.exports and "ac_hash_final_xof" in info.exports


def _check_extends(info: ModuleInfo, length: int) -> None:
    """``DigestLengthUnsupported`` unless the module makes digests of a given length."""
    _xof_length(length)
    if not _extends(info):
        raise DigestLengthUnsupported(f"the {info.name} {info.version} hasher makes digests of its own length only "
                                      f"(no extendable output): it cannot make one of {length} bytes")


def _sized(out: bytes, length: int, op: str) -> bytes:
    if len(out) != length:
        raise GuestFault(f"{op} returned {len(out)} bytes, {length} were asked")
    return out


_BATCH_BYTES = 32 * 1024
"""A hash batch's frame at most: what a reset instance restores in place (measured: 2.1 us per 1 KiB
input in 32 KiB frames, 10-24 us in 64-256 KiB ones, whose pages are dropped and faulted in again)."""
_BATCH_ITEM = 8 * 1024
"""Inputs larger than this are hashed one per call (the call's cost no longer matters)."""


class Hasher(_Named):
    """A multihash function in Wasm; returns the raw digest (not the multihash). Safe to share
    between threads (each call runs in an instance of its own; ``stream`` objects too, see
    ``HashStream``)."""

    def __init__(self, loaded: LoadedModule) -> None:
        self._loaded = loaded
        self.codes = loaded.info.codes

    def digest(self, data: bytes | bytearray | memoryview, length: int | None = None) -> bytes:
        """The digest of ``data``; ``length``: the first ``length`` bytes of the hash's extended
        output instead (a multihash digest of that length, as go-multihash's ``Sum`` makes it:
        ``ac_hash_xof``), ``DigestLengthUnsupported`` from a module without it."""
        if type(data) is not bytes:
            data = bytes_like(data, "Hasher.digest")
        if length is not None:
            return self._extended(data, length)
        if len(data) <= self._loaded.limits.stream_chunk_bytes:
            try:
                return self._loaded.run("ac_hash", data)
            except _FROM_MODULE as exc:
                exc.from_module(self._module)
                raise
        stream = self.stream()
        stream.update(data)
        return stream.final()

    @property
    def extends(self) -> bool:
        """Whether the module makes digests of a given length (``ac_hash_xof`` and ``ac_hash_final_xof``)."""
        return _extends(self._loaded.info)

    def _extended(self, data: bytes | bytearray | memoryview, length: int) -> bytes:
        _check_extends(self._loaded.info, length)
        prefix = _xof_length(length)
        if len(data) + 4 <= self._loaded.limits.stream_chunk_bytes:
            try:
                return _sized(self._loaded.run("ac_hash_xof", prefix + bytes(data)), length, "ac_hash_xof")
            except _FROM_MODULE as exc:
                exc.from_module(self._module)
                raise
        stream = self.stream()
        stream.update(data)
        return stream.final(length)

    def digest_many(self, inputs: Iterable[bytes | bytearray | memoryview]) -> list[bytes | AutocodecError]:
        """The digest of each input (or its error), in order: small inputs go many to a guest
        call when the module exports ``ac_hash_batch`` (the call's fixed cost, a few
        microseconds, paid once per frame of up to ``_BATCH_BYTES``), the others one by one.
        With the C runner, runs of frames go in one C call that writes each frame straight into
        the guest and holds the GIL only to cut the frames and to make the digests' bytes
        objects (``GuestInstance.hash_frames``), so threads hashing shares of their own scale;
        otherwise each frame is built just before its call (the same 32 KiB of memory, reused).
        A hash has one digest size: every digest of the call has the first one's size, else
        ``GuestFault`` (a frame that lies about its digests' size or count is caught so)."""
        if not self.batches:  # a wrong type raises here, not as that input's result
            return [self._one(data if type(data) is bytes else as_bytes(data, "Hasher.digest_many")) for data in inputs]
        try:  # a list of its own: bytes in the end (see below); the caller's list is left alone
            return self._digest_frames(list(inputs))
        except _FROM_MODULE as exc:
            exc.from_module(self._module)
            raise

    def _digest_frames(self, items: list[Any]) -> list[bytes | AutocodecError]:
        """``digest_many``'s batched path over ``items`` (a list of its own)."""
        most = min(self._loaded.limits.max_batch_items, _BATCH_BYTES // 4)
        loaded = self._loaded
        results: list[bytes | AutocodecError] = []
        i, n = 0, len(items)
        converted = False
        size = 0  # the call's digest size, once one digest was made
        while i < n:
            many = loaded.run_frames("ac_hash_batch", items, i, most, _BATCH_BYTES, _BATCH_ITEM, size)
            if many is not None and many[0] > i:  # frames in one C call, the GIL released, of one size
                i = many[0]
                size = size or len(many[1][0])
                results.extend(many[1])
                continue
            if not converted:  # the C path stopped (before a bytearray, a memoryview, a large input...): the rest
                # made bytes once, or InvalidInput for an item of another type (bytes(5) is five zero bytes)
                items[i:] = [data if type(data) is bytes else as_bytes(data, "Hasher.digest_many") for data in items[i:]]
                converted = True
            j = _frame_end(items, i, most)
            if len(items[i]) > _BATCH_ITEM:
                done = [self._one(items[i])]
                size = _one_size(done, size)
            else:
                done, size = self._frame(items[i:j], size)
            results.extend(done)
            i = j
        return results

    def _frame(self, items: list[bytes], size: int) -> tuple[list[bytes | AutocodecError], int]:
        """One batch frame on the checked path: each input's digest, or when the frame is
        refused each input's own result or error; and the call's digest size (``size``, 0 when
        not known yet), which they have (``_one_size``)."""
        try:
            out = self._loaded.run("ac_hash_batch", _frame(items))
        except AutocodecError:
            done = list(map(self._one, items))
            return done, _one_size(done, size)
        each, rest = divmod(len(out), len(items))
        if rest or not each:
            raise GuestFault("ac_hash_batch did not return one digest of one size per input")
        digests: list[bytes | AutocodecError] = [out[k:k + each] for k in range(0, len(out), each)]
        return digests, _one_size(digests[:1], size)

    @property
    def batches(self) -> bool:
        """Whether the module hashes many inputs per call (``ac_hash_batch``)."""
        return "ac_hash_batch" in self._loaded.info.exports

    @property
    def batches_off_gil(self) -> bool:
        """Whether ``digest_many`` hashes its frames with the GIL released (so threads, each
        hashing inputs of its own, scale: ``autocodec.bulk.digest_many``)."""
        return self.batches and self._loaded.frames_off_gil

    def _one(self, data: bytes | bytearray | memoryview) -> bytes | AutocodecError:
        try:
            return self.digest(data)
        except AutocodecError as exc:
            return exc

    def stream(self) -> HashStream:
        return HashStream(self._loaded, self.served_by)


def _one_size(digests: list[bytes | AutocodecError], size: int) -> int:
    """``size`` (0: that of the first digest in ``digests``) after checking that every digest
    in ``digests`` has it; ``GuestFault`` when one does not (a hash has one digest size)."""
    for digest in digests:
        if type(digest) is bytes and len(digest) != size:
            if size:
                raise GuestFault(f"the module gave a {len(digest)}-byte digest where its others have {size} bytes: "
                                 "a hash has one digest size")
            size = len(digest)
    return size


class Chunker(_Named):
    """A content-defined (or fixed-size) chunker in Wasm. Safe to share between threads; each
    ``boundaries`` iterator is one thread's at a time, as a ``DecodeStream`` is (its own
    instance): a second thread pulling while one is inside is ``InvalidInput``."""

    def __init__(self, loaded: LoadedModule, params: dict[str, Any]) -> None:
        self._loaded = loaded
        self._params = _cbor_encode(params)

    def boundaries(self, buffers: Iterable[bytes | bytearray | memoryview]) -> Iterator[int]:
        """Absolute end offsets of the chunks of the stream ``buffers``, in order (nothing runs
        before the first is asked for). One thread pulls at a time (``_OneThread``)."""
        return _OneThread(self._boundaries(buffers))

    def _boundaries(self, buffers: Iterable[bytes | bytearray | memoryview]) -> Iterator[int]:
        try:
            yield from self._ends(buffers)
        except _FROM_MODULE as exc:
            exc.from_module(self._module)
            raise

    def _ends(self, buffers: Iterable[bytes | bytearray | memoryview]) -> Iterator[int]:
        instance = self._loaded.instance()
        try:
            instance.call("ac_chunk_init", self._params)
        except GuestError as exc:  # the module refused its parameters: the caller's to change, no block is bad
            refused = InvalidInput(f"chunker {self._loaded.info.name} refused its parameters: {exc.message}",
                                   hint="give the parameters the chunker module documents")
            refused.from_module(self._module)
            raise refused from None
        fed = last = 0
        for buffer in buffers:
            buffer = bytes_like(buffer, "Chunker.boundaries")
            for piece in _pieces(buffer, self._loaded.limits.stream_chunk_bytes):
                fed += len(piece)
                out = instance.call("ac_chunk_update", piece)
                for end in _offsets(out, last, fed, "ac_chunk_update"):
                    last = end
                    yield end
        out = instance.call("ac_chunk_final")
        ends = _offsets(out, last, fed, "ac_chunk_final")
        yield from ends
        final = ends[-1] if ends else last
        if fed and final != fed:
            raise GuestFault(f"the chunker's last chunk ends at {final}, the stream at {fed}")


class _OneThread(Iterator[int]):
    """An iterator of ``Chunker.boundaries``, pulled by one thread at a time: a second thread's
    ``next`` while the first is inside is ``InvalidInput`` (it was the generator's ``ValueError:
    generator already executing``); the first thread's pull goes on unharmed."""

    __slots__ = ("_items", "_busy")

    def __init__(self, items: Iterator[int]) -> None:
        self._items = items
        self._busy = threading.Lock()

    def __iter__(self) -> _OneThread:
        return self

    def __next__(self) -> int:
        if not self._busy.acquire(blocking=False):
            raise InvalidInput("a Chunker.boundaries iterator was pulled by two threads at once",
                               hint="an iterator is one thread's at a time: give each thread its own boundaries()")
        try:
            return next(self._items)
        finally:
            self._busy.release()


def _offsets(out: bytes, last: int, fed: int, op: str) -> list[int]:
    """The chunk ends in ``out`` (u64 each), each checked as it is read: strictly increasing
    within ``(last, fed]``. Only checked ends are kept, so the list holds at most ``fed - last``
    of them, whatever the guest wrote (a full output cap of garbage once became millions of
    integers before the first was checked)."""
    if len(out) % 8:
        raise GuestFault(f"{op} output is not a whole number of u64 offsets")
    ends: list[int] = []
    for (end,) in struct.iter_unpack("<Q", out):
        if not last < end <= fed:
            raise GuestFault(f"{op} gave chunk end {end}, outside ({last}, {fed}]")
        ends.append(end)
        last = end
    return ends


class Crypto(_Named):
    """Signature verification in Wasm."""

    def __init__(self, loaded: LoadedModule) -> None:
        self._loaded = loaded
        self.codes = loaded.info.codes

    def verify(self, key_type: int, public_key: bytes, message: bytes, signature: bytes) -> bool:
        if key_type not in self.codes:
            raise UnknownKeyType(f"module {self._loaded.info.name} does not verify key type 0x{key_type:x}")
        public_key, message, signature = (as_bytes(x, "Crypto.verify") for x in (public_key, message, signature))
        frame = b"".join(
            [_U32.pack(key_type), _U32.pack(len(public_key)), public_key, _U32.pack(len(signature)), signature, message]
        )
        try:
            out = self._loaded.run("ac_verify", frame)
            if out not in (b"\x00", b"\x01"):
                raise GuestFault("ac_verify must return exactly one byte, 0 or 1")
        except _FROM_MODULE as exc:
            exc.from_module(self._module)
            raise
        return out == b"\x01"


class Task(_Named):
    """An IPVM task module: named pure functions over the data model."""

    def __init__(self, loaded: LoadedModule) -> None:
        self._loaded = loaded
        self.functions = loaded.info.functions

    def call(self, fn: str, args: list[Any]) -> Any:
        return self.call_with_stats(fn, args)[0]

    def call_with_stats(self, fn: str, args: list[Any]) -> tuple[Any, int]:
        """``(result, fuel_used)``: the fuel the ``ac_task`` call consumed (deterministic for
        the same module, input and engine; a ``FuelExhausted`` call used its whole budget)."""
        if fn not in self.functions:
            known = ", ".join(self.functions)
            raise InvalidInput(f"module {self._loaded.info.name} has no function {fn!r} (it has {known})")
        try:
            instance = self._loaded.instance()
            out = instance.call("ac_task", _cbor_encode({"fn": fn, "args": list(args)}))
            used = instance.limits.fuel - instance.store.get_fuel()
            return _cbor_decode(out, "the task's result"), used
        except _FROM_MODULE as exc:  # a receipt keeps the type and message only
            exc.from_module(self._module)
            raise
