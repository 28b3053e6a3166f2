"""Bao on several threads: the tree of a content of known length cut into tiles.

A tile is an aligned run of ``t`` chunks (``t`` a power of two, a multiple of the encoder's
256-chunk groups); the last one may be shorter. Every tile is a subtree of Bao's tree (a
left subtree is complete, so splits above the tiles fall on multiples of ``t``), so one guest
instance encodes or verifies it on its own (a subtree stream, docs/abi.md, verifier) and the
few parents above the tiles are joined on the host (``Joiner.parent``). Wasmtime runs guest
code without holding the GIL, so the tiles hash on every core.

Invariants:
- The same bytes and root hash as the one-stream path: each tile's pieces are written where
  the one-stream encoder's would go (``node_offset``), the parents above them in pre-order.
- Verified output is in content order and only verified: a tile's bytes are written once every
  tile before it was, and the first bad node (a chunk or parent in a tile, or a parent above
  the tiles, whichever comes first in the encoding) stops the call after exactly the bytes
  before it, with the one-stream path's message.
- Memory is bounded: at most ``threads + 2`` tiles are in flight (one being read, the others
  checked or waiting to be handed out), each at most ``TILE_MAX_CHUNKS`` KiB of content plus
  its parents, and ``plan`` shrinks tiles so they hold at most ``IN_FLIGHT_BYTES`` of content
  together (``MAX_THREADS`` threads at most); an encoding thread writes its tile's pieces
  straight from the guest's output (``_TileWriter``), keeping only the parents above its
  256-chunk groups (64 bytes each) until the tile ends.
- No copies of a combined tile, nor of any tile of regular files: it is received (or read by
  its pool thread) straight into the memory of the guest instance that verifies it
  (``DecodeStream.region``), verified there in windows and handed out as views of that
  memory; the instance (one per tile in flight, ``_InstancePool``) takes its next tile only
  after those views were used. Outboard tiles of other streams are copied into reused host
  buffers and run in one guest instance per pool thread (``_ThreadInstances``). Either way a
  stream is started anew by its init call, and the instances end with the operation, so no
  state crosses from one operation into another.
- Used only when it can be (``plan``) and the module has ``ac_vfy_parent``: encoding and
  hashing need a known length and file descriptors (positional reads and writes, so threads
  never share a file position). Verification, once the header gave the length, reads regular
  files (``file_at``: seekable, long enough) by positional reads on the tiles' threads, and
  any other readable (pipes, HTTP responses) in order on the caller's thread; either way the
  parents above the tiles are checked on the caller's thread, in order, and the streams end
  where sequential reads would leave them. With one CPU, fewer than ``MIN_TILES`` tiles, a
  range or a slice, the callers run one stream.
"""

from __future__ import annotations

import os
import stat
import struct
import threading
from collections import deque
from collections.abc import Callable, Generator, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass

from .._inputs import is_closed, read_failed
from ..errors import AutocodecError, GuestError, GuestFault, InvalidInput
from ..loader import _callcap
from ..loader._instance import GuestInstance
from ..loader._verifier import (
    DONE,
    FAILED,
    MODE_COMBINED,
    MODE_HASH,
    MODE_OUTBOARD,
    NEED_TREE,
    TREE_HOLD,
    DecodeStream,
    Subtree,
    Verifier,
)
from ._steps import Readable
from ._tree import (CHUNK, GROUP_CHUNKS, HEADER, PARENT, chunk_count, emission_order, encoded_size, leaves, left_chunks,
                    node_offset)

TILE_MAX_CHUNKS = 4096
"""The largest tile: 4 MiB of content, whose 4095 parents (262080 bytes) the module holds at
once (``TREE_HOLD``)."""
TILE_MIN_CHUNKS = 4 * GROUP_CHUNKS
MIN_TILES = 4
"""Fewer tiles than this is not worth the threads (the one stream runs)."""
MAX_THREADS = 8
IN_FLIGHT_BYTES = 32 * 1024 * 1024
"""Content bytes of the tiles in flight at once (``threads + 2`` tiles: one being read, the
rest checked or waiting): tiles shrink on many-CPU machines so memory stays bounded."""
_LEN = struct.Struct("<Q")


def workers() -> int:
    """Threads for Bao work: the CPUs this process may run on, at most ``MAX_THREADS``."""
    try:
        cpus = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        cpus = os.cpu_count() or 1
    return max(1, min(cpus, MAX_THREADS))


def plan(length: int, threads: int) -> int | None:
    """Chunks per tile for a content of ``length`` bytes on ``threads`` threads, or None when
    one stream is the better choice. Tiles shrink (to ``TILE_MIN_CHUNKS``) until there are
    about four per thread, so the threads finish close together."""
    total = chunk_count(length)
    if threads < 2:
        return None
    t = TILE_MAX_CHUNKS
    assert (t - 1) * PARENT <= TREE_HOLD, "a tile's parents are held in the guest at once"
    while t > TILE_MIN_CHUNKS and (total < 4 * threads * t or (threads + 2) * t * CHUNK > IN_FLIGHT_BYTES):
        t //= 2
    return t if total >= MIN_TILES * t else None


class Failure(Exception):
    """A tile or parent failed its check (``message`` is the one-stream path's); raised after
    every verified byte before it was yielded."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def _parent_failure(first: int, at: int) -> str:
    return f"bao: parent node over chunk {first} (encoding offset {at}) does not match the root hash"


def _short(at: int) -> str:
    return f"bao: the encoding ended early (after {at} encoded bytes)"


# --- encoding ------------------------------------------------------------------------------------


def encode_fd(verifier: Verifier, src_fd: int, src_at: int, length: int, dst_fd: int | None, dst_base: int, *,
              outboard: bool, t: int, threads: int, group_log: int = 0) -> bytes:
    """Write the combined (or outboard) encoding of ``src_fd[src_at:src_at+length]`` at
    ``dst_base`` of ``dst_fd`` with positional reads and writes (``dst_fd`` None: only hash);
    returns the root hash. ``InvalidInput`` when the file is shorter than ``length``."""
    total, leaf = chunk_count(length), 1 << group_log
    mode = MODE_HASH if dst_fd is None else MODE_OUTBOARD if outboard else MODE_COMBINED
    if dst_fd is not None:
        _pwrite_all(dst_fd, memoryview(_LEN.pack(length)), dst_base)

    own = _ThreadInstances(verifier)

    def tile(first: int) -> bytes:
        n = min(t, total - first)
        lo, hi = first * CHUNK, min(length, (first + n) * CHUNK)
        enc = verifier.encoder(hi - lo, mode, first=first, instance=own.get(), group_log=group_log)
        writer = None
        if dst_fd is not None:  # the tile's encoding is a standalone one's without its header
            at = dst_base + node_offset(first, n, length, outboard=outboard, leaf=leaf) - HEADER
            writer = _TileWriter(dst_fd, at, hi - lo, outboard, leaf)
        read_into, ended = _pread_into(src_fd, src_at + lo, src_at + hi), False
        while not ended:
            out, _, ended = enc.pull(read_into, enc.max_piece)
            if writer is not None:
                writer.write(out)
        rest, cv = enc.final()
        if writer is not None:
            writer.write(rest)
            writer.close()
        return cv

    tiles = range(0, total, t)  # aligned runs of t chunks (the last may be shorter): subtrees
    pool = ThreadPoolExecutor(threads, thread_name_prefix="bao-tile", initializer=_callcap.inherit())
    try:  # a failed tile or an interrupt cancels the tiles not started yet
        cvs = dict(zip(tiles, pool.map(tile, tiles)))
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
    joiner = verifier.joiner()

    def join(first: int, n: int) -> bytes:
        if n <= t:
            return cvs[first]
        left = left_chunks(n)
        node = join(first, left) + join(first + left, n - left)
        if dst_fd is not None:
            _pwrite_all(dst_fd, memoryview(node), dst_base + node_offset(first, n, length, outboard=outboard, leaf=leaf))
        return joiner.parent(node, root=n == total)

    return join(0, total)


SMALL_PIECE = 4096
"""Encoder pieces shorter than this (the 64-byte parents above the 256-chunk groups, a short
last group) are kept by ``_TileWriter`` and written together at the tile's end."""


class _TileWriter:
    """Writes one tile's encoder output at its final offsets (``emission_order`` of a standalone
    encoding of the tile; its offset ``at`` in the file is where that encoding's header would
    be): each piece of at least ``SMALL_PIECE`` bytes with ``pwrite`` straight from the guest's
    output, pieces that follow each other in the file and in the output in one call (a
    256-chunk group and its right sibling); shorter pieces (the parents above the groups) are
    copied and written at ``close``, runs that touch each other in one call. 17 writes for a
    tile of 4096 chunks and no copy of its content: assembling the tile in a host buffer
    and writing it in one piece cost an extra copy and, measured here, twice the system time
    (docs/bao.md, *Where the CPU goes*)."""

    def __init__(self, fd: int, at: int, length: int, outboard: bool, leaf: int) -> None:
        self._fd, self._at = fd, at
        self._items = emission_order(length, outboard=outboard, leaf=leaf)
        self._pos = self._left = 0
        self._wrote = self._expect = 0  # bytes placed, and bytes of the pieces started so far
        self._small: list[tuple[int, bytes]] = []

    def write(self, out: bytes | memoryview) -> None:
        """Place ``out`` (the next output of the encoder; a view valid until its next call)."""
        view = memoryview(out)
        if view.format != "B":  # a ctypes view ("<B")
            view = view.cast("B")
        done, run, run_from = 0, -1, 0  # run: the file position (from ``at``) of view[run_from:done]
        while done < len(view):
            if not self._left:
                try:
                    self._pos, self._left = next(self._items)
                except StopIteration:
                    raise GuestFault(f"the encoder wrote more than the tile's tree holds ({self._wrote} bytes, "
                                     f"{self._wrote + len(view) - done} given)") from None
                self._expect += self._left
                continue
            take = min(self._left, len(view) - done)
            self._wrote += take
            if take < SMALL_PIECE:
                self._small.append((self._pos, bytes(view[done:done + take])))
            elif run < 0 or run + (done - run_from) != self._pos:
                if run >= 0:
                    _pwrite_all(self._fd, view[run_from:done], self._at + run)
                run, run_from = self._pos, done
            self._pos += take
            self._left -= take
            done += take
            if take < SMALL_PIECE and run >= 0:  # a kept piece ends the run before it
                _pwrite_all(self._fd, view[run_from:done - take], self._at + run)
                run = -1
        if run >= 0:
            _pwrite_all(self._fd, view[run_from:done], self._at + run)

    def close(self) -> None:
        """Write the kept pieces, runs that touch each other in one call; ``GuestFault`` (before
        any kept piece is written) when the encoder wrote less than the tile's tree holds, which
        would leave a hole of zeros in the file."""
        self._expect += sum(n for _, n in self._items)
        if self._wrote != self._expect:
            raise GuestFault(f"the encoder wrote less than the tile's tree holds ({self._wrote} of {self._expect} "
                             "bytes)")
        small = sorted(self._small)
        self._small = []
        i = 0
        while i < len(small):
            start, parts = small[i][0], [small[i][1]]
            end = start + len(parts[0])
            i += 1
            while i < len(small) and small[i][0] == end:
                parts.append(small[i][1])
                end += len(small[i][1])
                i += 1
            _pwrite_all(self._fd, memoryview(b"".join(parts)), self._at + start)


class _ThreadInstances:
    """One guest instance per pool thread for the tiles of one operation (a fresh instance per
    tile would fault its memory in again: about 1 ms a tile, measured). It lives as long as
    the operation's pool threads."""

    def __init__(self, verifier: Verifier) -> None:
        self._verifier = verifier
        self._local = threading.local()

    def get(self) -> GuestInstance:
        instance: GuestInstance | None = getattr(self._local, "instance", None)
        if instance is None or instance.broken:
            instance = self._local.instance = self._verifier.instance()
        return instance


def _pread_into(fd: int, at: int, end: int) -> Callable[[memoryview], int]:
    """A ``readinto`` over ``fd[at:end]`` by positional reads (no shared file position)."""
    pos = at

    def read_into(room: memoryview) -> int:
        nonlocal pos
        want = min(len(room), end - pos)
        if want <= 0:
            return 0
        got = os.preadv(fd, [room[:want]], pos)
        if got == 0:
            raise InvalidInput(f"the file changed while it was encoded (it ends at {pos - at} bytes of a tile)")
        pos += got
        return got

    return read_into


def _pwrite_all(fd: int, data: memoryview, at: int) -> None:
    while data:
        wrote = os.pwrite(fd, data, at)
        data, at = data[wrote:], at + wrote


# --- verification ----------------------------------------------------------------------------------


class _Buffers:
    """Reused tile buffers (a fresh 4 MiB ``bytearray`` faults its pages in again: about as
    long as hashing a tenth of it, measured). A buffer is back in the pool only when nothing
    yielded from it can be asked for any more."""

    def __init__(self) -> None:
        self._free: list[bytearray] = []
        self._lock = threading.Lock()

    def take(self, n: int) -> bytearray:
        with self._lock:
            for i, buf in enumerate(self._free):
                if len(buf) >= n:
                    return self._free.pop(i)
        return bytearray(n)

    def give(self, *bufs: bytearray | None) -> None:
        with self._lock:
            self._free.extend(buf for buf in bufs if buf is not None)


@dataclass(slots=True)
class _Checked:
    """A verified tile: ``content[:got]`` verified; ``error`` the failure after it. ``bufs``
    go back to the pool once the content was used."""

    content: memoryview
    got: int
    error: str | None
    bufs: tuple[bytearray | None, ...]


@dataclass(slots=True)
class _InPlace:
    """A combined tile verified in its own instance's memory: the verified bytes are the
    ``spans`` (address, length) there, in order; ``error`` the failure after them. The instance
    goes back to the pool once they were used."""

    dec: DecodeStream
    spans: list[tuple[int, int]]
    error: str | None


class _InstancePool:
    """Guest instances for the combined tiles in flight, taken and given back on the caller's
    thread: a tile's verified bytes stay in its instance until they were used, so each tile in
    flight has one (at most ``cap``: ``threads + 2``)."""

    def __init__(self, verifier: Verifier, cap: int) -> None:
        self._verifier, self._cap = verifier, cap
        self._free: list[GuestInstance] = []
        self._made = 0

    def take(self) -> GuestInstance:
        if self._free:
            return self._free.pop()
        if self._made >= self._cap:  # pragma: no cover - iter_verified keeps threads + 2 in flight
            raise RuntimeError("more Bao tiles in flight than instances")
        self._made += 1
        return self._verifier.instance()

    def give(self, instance: GuestInstance) -> None:
        if instance.broken:
            self._made -= 1
        else:
            self._free.append(instance)


def _check_outboard(dec: DecodeStream, tree: memoryview, data: memoryview) -> tuple[int, str | None]:
    """Verify a tile's content ``data`` against its parents ``tree`` (held in the guest at
    once: a tile's parents fit ``TREE_HOLD``). The verified bytes are ``data`` itself (the
    ranges flag names them in place: nothing is copied out). Returns how many bytes from the
    start were verified and the failure, if any."""
    got = 0
    try:
        if tree:
            dec.tree(tree)
        at, piece = 0, dec.max_piece
        while True:
            step = dec.data(data[at:at + piece])
            got += len(step.verified)
            at += step.data_used
            if step.need in (DONE, FAILED) or step.need == NEED_TREE or not (step.data_used or step.tree_used):
                break  # done, failed, or the tile's parents or content ended: final says which
        dec.final()
    except GuestError as exc:
        return got, exc.message
    return got, None


def _check_in_place(dec: DecodeStream, ptr: int, n: int,
                    fill: Callable[[int, int], int] | None = None) -> _InPlace:
    """Verify the tile of ``n`` bytes at ``ptr`` in its instance (a combined tile, or an
    outboard tile's content whose parents the stream holds), window by window
    (``DecodeStream.data_at``: nothing is copied in or out). Without ``fill`` the bytes are
    there; with it, ``fill(at, end)`` reads the tile's bytes ``[at, end)`` into place just
    before the window that needs them (so they are checked while still in the CPU's cache) and
    returns how many it read; a short read ends the tile there."""
    spans: list[tuple[int, int]] = []
    at = filled = 0
    try:
        while True:
            end = min(n, at + dec.max_piece)
            if fill is not None and filled < end:
                got = fill(filled, end)
                filled += got
                if filled < end:
                    n = end = filled  # the file ended early: final says where
            tree_used, used, need, where, length = dec.data_at(ptr + at, end - at)
            if length:
                spans.append((where, length))
            at += used
            if need in (DONE, FAILED, NEED_TREE) or not (used or tree_used):
                break  # done, failed, or the tile's bytes ended: final says which
        dec.final()
    except GuestError as exc:
        return _InPlace(dec, spans, exc.message)
    return _InPlace(dec, spans, None)


@dataclass(frozen=True, slots=True)
class FileAt:
    """A stream that is a regular file, read by positional reads (so threads never share its
    position): its descriptor and the offset where the stream (its header, if any) starts."""

    fd: int
    base: int


def file_at(f: object, back: int, need: int) -> FileAt | None:
    """``f`` as a ``FileAt`` when it is a seekable regular file holding at least ``need``
    bytes from ``back`` bytes before its position (the header already read), else None."""
    try:
        fd = int(f.fileno())  # type: ignore[attr-defined]
        if not f.seekable():  # type: ignore[attr-defined]
            return None
        info = os.fstat(fd)
        base = int(f.tell()) - back  # type: ignore[attr-defined]
    except (AttributeError, OSError, ValueError):
        return None
    if not stat.S_ISREG(info.st_mode) or base < 0 or info.st_size < base + need:
        return None
    return FileAt(fd, base)


def _pread_full(fd: int, room: memoryview, at: int) -> int:
    """Fill ``room`` from ``fd`` at ``at`` (less only at the file's end); how many bytes."""
    got = 0
    while got < len(room):
        k = os.preadv(fd, [room[got:]], at + got)
        if not k:
            break
        got += k
    return got


def _check_at(verifier: Verifier, cv: bytes, sub: Subtree, instance: GuestInstance, mode: int, group_log: int,
              tree: tuple[FileAt, int, int] | None, data: FileAt, data_at: int, size: int) -> _InPlace:
    """Read one tile by positional reads and verify it in ``instance`` (runs on a pool thread):
    an outboard tile's parents (``tree``: file, offset, size) are handed to the guest first,
    then its content (or a combined tile, parents and chunks) is read straight into the
    guest's memory at ``data_at`` and verified where it is (``_check_in_place``)."""
    dec = verifier.decoder(cv, mode, ranges=True, subtree=sub, instance=instance, group_log=group_log)
    if tree is not None and tree[2]:
        parents = os.pread(tree[0].fd, tree[2], tree[1])
        try:
            dec.tree(parents)
        except GuestError as exc:
            return _InPlace(dec, [], exc.message)
    ptr = dec.region(size)[0]

    def fill(lo: int, hi: int) -> int:
        return _pread_full(data.fd, dec.view(ptr + lo, hi - lo), data_at + lo)  # a new view: memory may move

    return _check_in_place(dec, ptr, size, fill)


def _check_tile(verifier: Verifier, own: _ThreadInstances, cv: bytes, sub: Subtree, tree: bytearray, tree_n: int,
                data: bytearray, data_n: int, group_log: int) -> _Checked:
    """Verify one outboard tile (its parents ``tree[:tree_n]``, its content ``data[:data_n]``)
    against its chaining value; runs on a pool thread."""
    view = memoryview(data)[:data_n]
    dec = verifier.decoder(cv, MODE_OUTBOARD, ranges=True, subtree=sub, instance=own.get(), group_log=group_log)
    got, error = _check_outboard(dec, memoryview(tree)[:tree_n], view)
    return _Checked(view, got, error, (tree, data))


def _read_full(src: Readable, buf: bytearray, n: int) -> int:
    """Read up to ``n`` bytes of ``src`` into ``buf`` (fewer only at its end); how many."""
    return _read_full_view(src, memoryview(buf)[:n])


def _read_full_view(src: Readable, view: memoryview) -> int:
    """Fill ``view`` from ``src`` (less only at its end); how many bytes. A source closed (or
    failing) in the middle is ``read_failed``'s ``InvalidInput``, as on the one-stream path."""
    got, n = 0, len(view)
    into = getattr(src, "readinto", None)
    try:
        while got < n:
            if into is not None:
                k = into(view[got:n])
            else:
                piece = src.read(n - got)
                view[got:got + len(piece)] = piece
                k = len(piece)
            if not k:
                break
            got += k
    except ValueError as exc:
        raise read_failed(src, "decode", exc) from (None if is_closed(src) else exc)
    return got


STALL_S = 0.05
"""A served stream that brings no byte for this long is stalled: the tiles verified so far are
written, and the tile being received is verified as its bytes arrive (``_verify_arriving``)."""


class _Live:
    """A served stream (``_body.Body``: ``ready``, ``arriving``) read tile by tile, noting
    whether its sender stalled."""

    def __init__(self, src: Readable) -> None:
        self.src = src
        self.stalled = False

    def arrived(self) -> bool:
        """True when bytes come within ``STALL_S``; else the stream is ``stalled``."""
        self.stalled = not self.src.arriving(STALL_S)  # type: ignore[attr-defined]
        return not self.stalled

    def read(self, dec: DecodeStream, ptr: int, at: int, end: int) -> int:
        """Wait for bytes, then read those that have arrived (at most ``end - at``) to
        ``ptr + at``; 0 at the stream's end."""
        k = int(self.src.ready(end - at))  # type: ignore[attr-defined]
        return _read_full_view(self.src, dec.view(ptr + at, k)) if k else 0


def _receive(live: _Live, dec: DecodeStream, ptr: int, size: int) -> tuple[int, AutocodecError | None]:
    """Read a tile of ``size`` bytes to ``ptr`` as they arrive; stops early at the stream's
    end or when its sender stalls (``live.stalled``). How many bytes were read, and the
    stream's failure (a ``FetchError``) if a read failed."""
    got = 0
    try:
        while got < size and live.arrived():
            k = live.read(dec, ptr, got, size)
            if not k:
                break
            got += k
    except AutocodecError as exc:
        return got, exc
    return got, None


def _verify_arriving(live: _Live, dec: DecodeStream, ptr: int, got: int, size: int) -> Generator[
        memoryview, None, int]:
    """Verify a tile whose first ``got`` bytes are at ``ptr`` on this thread, window by window,
    yielding each verified piece at once and reading the rest as it arrives; ``Failure`` at the
    first bad node. Returns how many bytes of the tile were read."""
    at, stop = 0, False
    try:
        while True:
            while at < got:
                end = min(got, at + dec.max_piece)
                tree_used, used, need, where, length = dec.data_at(ptr + at, end - at)
                if length:
                    yield dec.view(where, length)
                at += used
                if need in (DONE, FAILED, NEED_TREE):
                    stop = True
                    break
                if not (used or tree_used):
                    break  # the next node has not all arrived
            if stop or got >= size:
                break
            k = live.read(dec, ptr, got, size)
            if not k:
                break
            got += k
        dec.final()
    except GuestError as exc:
        raise Failure(exc.message) from None
    return got


def iter_verified(verifier: Verifier, root: bytes, length: int, src: Readable, outboard: Readable | None, *,
                  t: int, threads: int, group_log: int = 0) -> Iterator[memoryview]:
    """The verified content of an encoding whose 8-byte header (``length``) was read: ``src``
    is the rest of the combined encoding, or with ``outboard`` (the rest of the outboard) the
    content. Streams are read in order on this thread; tiles are checked on ``threads``
    threads; pieces are yielded in content order, each valid until the next. ``Failure`` at
    the first bad node, after every byte before it."""
    total, leaf = chunk_count(length), 1 << group_log
    joiner = verifier.joiner()
    tree_src = outboard if outboard is not None else src
    pending: deque[Future[_Checked | _InPlace]] = deque()
    pool = ThreadPoolExecutor(threads, thread_name_prefix="bao-tile", initializer=_callcap.inherit())
    own, buffers, instances = _ThreadInstances(verifier), _Buffers(), _InstancePool(verifier, threads + 2)
    tree_pos, data_pos = HEADER, 0 if outboard is not None else HEADER
    node = bytearray(PARENT)
    tree_file = file_at(tree_src, HEADER, HEADER + encoded_size(0, total, length, outboard=outboard is not None,
                                                                 leaf=leaf))
    data_file = tree_file if outboard is None else file_at(src, 0, length)
    files = None if tree_file is None or data_file is None else (tree_file, data_file)
    live = _Live(src) if files is None and outboard is None and hasattr(src, "ready") else None

    def ready(limit: int) -> Iterator[memoryview]:
        while len(pending) > limit:
            checked = pending.popleft().result()
            if isinstance(checked, _InPlace):
                for where, length in checked.spans:
                    yield checked.dec.view(where, length)
                if checked.error is not None:
                    raise Failure(checked.error)
                instances.give(checked.dec.instance)  # the pieces yielded from it are no longer valid
                continue
            if checked.got:
                yield checked.content[:checked.got]
            if checked.error is not None:
                raise Failure(checked.error)
            buffers.give(*checked.bufs)  # the piece yielded from them is no longer valid

    try:
        stack = [(0, total, root)]
        failure = None
        while stack:
            first, n, cv = stack.pop()
            if n > t:  # a parent above the tiles: checked here, in order
                if live is not None and not live.arrived():
                    yield from ready(0)  # a stalled sender: what is verified goes out meanwhile
                if files is not None:
                    got = _pread_full(files[0].fd, memoryview(node), files[0].base + tree_pos)
                else:
                    got = _read_full(tree_src, node, PARENT)
                at = tree_pos
                tree_pos += got
                if outboard is None:
                    data_pos = tree_pos
                if got < PARENT:
                    failure = _short(tree_pos if outboard is None else tree_pos + data_pos)
                    break
                if joiner.parent(bytes(node), root=n == total) != cv:
                    failure = _parent_failure(first, at)
                    break
                left = left_chunks(n)
                stack.append((first + left, n - left, bytes(node[32:])))
                stack.append((first, left, bytes(node[:32])))
                continue
            lo, hi = first * CHUNK, min(length, (first + n) * CHUNK)
            if files is not None:  # each tile read by its pool thread, straight into its guest
                tree_file, data_file = files
                if outboard is not None:
                    parents = (leaves(n, leaf) - 1) * PARENT
                    pending.append(pool.submit(
                        _check_at, verifier, cv, Subtree(first, hi - lo, tree_pos, data_pos), instances.take(),
                        MODE_OUTBOARD, group_log, (tree_file, tree_file.base + tree_pos, parents), data_file,
                        data_file.base + data_pos, hi - lo))
                    tree_pos, data_pos = tree_pos + parents, data_pos + hi - lo
                else:
                    size = encoded_size(first, n, length, outboard=False, leaf=leaf)
                    pending.append(pool.submit(
                        _check_at, verifier, cv, Subtree(first, hi - lo, 0, data_pos), instances.take(), MODE_COMBINED,
                        group_log, None, data_file, data_file.base + data_pos, size))
                    data_pos = tree_pos = data_pos + size
                short = False  # a file that shrank meanwhile: the tile's check says where it ended
            elif outboard is not None:
                sub = Subtree(first, hi - lo, tree_pos, data_pos)
                parents = (leaves(n, leaf) - 1) * PARENT
                tree, data = buffers.take(parents), buffers.take(hi - lo)
                tree_n = _read_full(tree_src, tree, parents)
                data_n = _read_full(src, data, hi - lo)  # all of it: the parents there are still check some
                tree_pos, data_pos = tree_pos + tree_n, data_pos + data_n
                short = tree_n < parents or data_n < hi - lo
                pending.append(pool.submit(_check_tile, verifier, own, cv, sub, tree, tree_n, data, data_n, group_log))
            else:  # received straight into the guest that verifies it, and verified there
                size = encoded_size(first, n, length, outboard=False, leaf=leaf)
                dec = verifier.decoder(cv, MODE_COMBINED, ranges=True, subtree=Subtree(first, hi - lo, 0, data_pos),
                                       instance=instances.take(), group_log=group_log)
                ptr, room = dec.region(size)
                if live is None:
                    data_n = _read_full_view(src, room)
                    del room  # the guest's calls may move its memory
                else:
                    del room
                    data_n, broke = _receive(live, dec, ptr, size)
                    if broke is not None:  # what came before the break is verified and written first
                        yield from ready(0)
                        try:
                            yield from _verify_arriving(live, dec, ptr, data_n, data_n)
                        except Failure as exc:
                            if "ended early" not in exc.message:
                                raise  # a bad node before the break: that is the first failure
                        raise broke
                    if data_n < size and live.stalled:  # verify what came, in order, as more comes
                        yield from ready(0)
                        data_n = yield from _verify_arriving(live, dec, ptr, data_n, size)
                        instances.give(dec.instance)
                        data_pos = tree_pos = data_pos + data_n
                        if data_n < size:
                            break
                        continue
                data_pos = tree_pos = data_pos + data_n
                short = data_n < size
                pending.append(pool.submit(_check_in_place, dec, ptr, data_n))
            if short:  # the tile's check says where it ended
                break
            yield from ready(threads)
        yield from ready(0)
        if failure is not None:
            raise Failure(failure)
        if files is not None:  # the streams end where sequential reads would have left them
            tree_src.seek(files[0].base + tree_pos)  # type: ignore[attr-defined]
            src.seek(files[1].base + data_pos)  # type: ignore[attr-defined]
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
