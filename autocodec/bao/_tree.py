"""Bao's tree shape on the host: sizes, the range rule, pre-order flip and slice extraction.

Format facts from the Bao specification (oconnor663/bao, docs/spec.md): 1024-byte chunks,
an 8-byte little-endian length header, 64-byte parent nodes, pre-order layout; a subtree of
n > 1 chunks puts the largest power of two of chunks below n on the left (BLAKE3's tree).

Chunk groups (as Iroh's bao-tree crate): with ``leaf`` = 2^group_log chunks, a subtree of at
most ``leaf`` chunks is one leaf (its bytes in a row, no parents inside), so only the parents
above the groups are stored; ``leaf`` = 1 is Bao's format. The root hash does not change.

Invariants:
- ``flip_to_preorder`` rewrites the encoder's output in place, reading and writing backwards
  with buffers of ``_BLOCK`` bytes and a stack of at most 2 x 64 entries: memory is bounded
  for any content length, no byte is overwritten before it was read, and it takes one step
  per 256-chunk group (the encoder orders each group itself).
- ``extract_slice`` copies exactly the header, parents and chunks the verifier's range rule
  checks (``autocodec.bao.covered``), so a slice decodes with the same range on its own.
"""

from __future__ import annotations

import struct
from collections.abc import Callable, Iterator
from functools import lru_cache
from typing import TYPE_CHECKING, BinaryIO

from .._inputs import need_stream, read_failed, whole_number
from ..errors import InvalidInput
from ..loader._verifier import MODE_COMBINED

if TYPE_CHECKING:  # pragma: no cover
    from ..loader._verifier import Verifier

CHUNK = 1024
PARENT = 64
HEADER = 8
_BLOCK = 1 << 20
GROUP_CHUNKS = 256
"""The bao module's encoder writes each aligned group of this many chunks (a subtree) in
pre-order itself; only the parents above the groups come in post-order."""
_LEN = struct.Struct("<Q")


def chunk_count(length: int) -> int:
    """Chunks of a content of ``length`` bytes (an empty content is one empty chunk)."""
    return max(1, -(-length // CHUNK))


def left_chunks(n: int) -> int:
    """Chunks in the left subtree of a subtree of ``n >= 2`` chunks."""
    return 1 << ((n - 1).bit_length() - 1)


def leaves(n: int, leaf: int = 1) -> int:
    """Leaves of an aligned subtree of ``n`` chunks (``leaf`` chunks per leaf): it holds one
    parent fewer."""
    return -(-n // leaf)


def span(first: int, n: int, length: int) -> tuple[int, int]:
    """Content bytes ``[lo, hi)`` of the subtree of ``n`` chunks from chunk ``first``."""
    return first * CHUNK, min(length, (first + n) * CHUNK)


def covered(start: int, count: int, length: int) -> tuple[int, int]:
    """The byte range whose chunks a range ``(start, count)`` checks: ``[start,
    start+max(count,1))`` clamped to the content, or the final chunk for a start at or past
    the end (the reference's slice rule). ``start`` and ``count`` are whole numbers, else
    ``InvalidInput`` (1.5 or NaN gave a range no chunk boundary bounds)."""
    start = whole_number(start, "a Bao range's start")
    count = whole_number(count, "a Bao range's count")
    if start >= length:
        lo = (chunk_count(length) - 1) * CHUNK
        return lo, lo + 1
    return start, min(length, start + max(count, 1))


def chunk_offset(index: int, length: int, *, leaf: int = 1) -> int:
    """Where chunk ``index`` starts in the combined encoding of a ``length``-byte content: the
    header, every parent before it in pre-order (those of the subtrees that start at or before
    it), and the chunks before it."""
    parents, first, n = 0, 0, chunk_count(length)
    if not 0 <= index < n:
        raise InvalidInput(f"chunk {index} is outside a content of {n} chunks")
    while n > leaf:
        parents += 1
        left = left_chunks(n)
        if index < first + left:
            n = left
        else:
            parents += leaves(left, leaf) - 1  # every parent of the left subtree comes first
            first, n = first + left, n - left
    return HEADER + parents * PARENT + index * CHUNK


def node_offset(first: int, n: int, length: int, *, outboard: bool, leaf: int = 1) -> int:
    """Where the subtree of ``n`` chunks from chunk ``first`` (a node of the tree) starts in the
    combined (or outboard) encoding: after the header, every parent before it in pre-order and
    (combined) the chunks before it."""
    parents, f, m = 0, 0, chunk_count(length)
    while f != first or m != n:
        if m <= leaf or not f <= first < f + m:
            raise InvalidInput(f"({first}, {n}) is not a subtree of a content of {length} bytes")
        left = 1 << ((m - 1).bit_length() - 1)  # left_chunks(m), inlined: one call per level
        if first < f + left:
            parents += 1
            m = left
        else:
            parents += -(-left // leaf)  # this parent and the left subtree's: leaves(left)
            f, m = f + left, m - left
    return HEADER + parents * PARENT + (0 if outboard else min(first * CHUNK, length))


def emission_order(length: int, *, outboard: bool, leaf: int = 1) -> Iterator[tuple[int, int]]:
    """``(offset, size)`` in the final encoding of each piece the bao module's encoder emits,
    in its order: every aligned ``GROUP_CHUNKS`` group (already in pre-order) but the last as it
    completes, then the parents its completion merges (post-order); at the end the last group
    and the parents above it, innermost first. Lets a writer that knows the length put every
    piece in place at once instead of flipping the tree afterwards."""
    total = chunk_count(length)
    groups = -(-total // GROUP_CHUNKS)
    stack: list[tuple[int, int]] = []

    def piece(first: int, n: int) -> tuple[int, int]:
        return (node_offset(first, n, length, outboard=outboard, leaf=leaf),
                encoded_size(first, n, length, outboard=outboard, leaf=leaf))

    for g in range(groups - 1):
        first, n = g * GROUP_CHUNKS, GROUP_CHUNKS
        yield piece(first, n)
        done = g + 1
        while done % 2 == 0:
            left_first, left_n = stack.pop()
            first, n = left_first, left_n + n
            yield node_offset(first, n, length, outboard=outboard, leaf=leaf), PARENT
            done //= 2
        stack.append((first, n))
    first = (groups - 1) * GROUP_CHUNKS
    n = total - first
    last = piece(first, n)
    if last[1]:
        yield last
    while stack:
        left_first, left_n = stack.pop()
        first, n = left_first, left_n + n
        yield node_offset(first, n, length, outboard=outboard, leaf=leaf), PARENT


def encoded_size(first: int, n: int, length: int, *, outboard: bool, leaf: int = 1) -> int:
    lo, hi = span(first, n, length)
    return (leaves(n, leaf) - 1) * PARENT + (0 if outboard else hi - lo)


class _BackReader:
    """Reads a file region ``[base, end)`` backwards in big blocks (``_buf[:_end]`` is unread)."""

    def __init__(self, f: BinaryIO, base: int, end: int) -> None:
        self._f, self._base, self._pos = f, base, end
        self._buf = b""
        self._end = 0

    def take(self, n: int) -> bytes:
        if self._end < n:
            size = min(_BLOCK, self._pos - self._base)
            if size + self._end < n:
                raise InvalidInput("the post-order encoding is shorter than its tree")
            self._pos -= size
            self._f.seek(self._pos)
            self._buf = self._f.read(size) + self._buf[: self._end]
            self._end = len(self._buf)
        self._end -= n
        return self._buf[self._end : self._end + n]


class _BackWriter:
    """Writes pieces backwards ending at ``end``; flushes in big blocks."""

    def __init__(self, f: BinaryIO, end: int) -> None:
        self._f, self._pos = f, end
        self._pieces: list[bytes] = []
        self._size = 0

    def put(self, piece: bytes) -> None:
        self._pieces.append(piece)
        self._size += len(piece)
        if self._size >= _BLOCK:
            self.flush()

    def flush(self) -> None:
        if not self._pieces:
            return
        data = b"".join(reversed(self._pieces))
        self._pos -= len(data)
        self._f.seek(self._pos)
        self._f.write(data)
        self._pieces, self._size = [], 0


def flip_to_preorder(f: BinaryIO, base: int, length: int, *, outboard: bool, leaf: int = 1) -> None:
    """Rewrite the tree at ``f[base:]`` as the encoder emits it (groups of ``GROUP_CHUNKS``
    chunks already in pre-order, the parents above them in post-order) into pre-order.

    Walks the tree in reverse pre-order: a parent read (from the back) is held until both its
    subtrees were written (to the back), so the write position never passes the read one.
    """
    total = chunk_count(length)
    end = base + encoded_size(0, total, length, outboard=outboard, leaf=leaf)
    reader, writer = _BackReader(f, base, end), _BackWriter(f, end)
    stack: list[tuple[int, int] | bytes] = [(0, total)]
    while stack:
        item = stack.pop()
        if isinstance(item, bytes):
            writer.put(item)
            continue
        first, n = item
        if n <= GROUP_CHUNKS:  # a group the encoder already wrote in pre-order: one block
            size = encoded_size(first, n, length, outboard=outboard, leaf=leaf)
            if size:
                writer.put(reader.take(size))
            continue
        parent = reader.take(PARENT)
        left = left_chunks(n)
        stack.append(parent)
        stack.append((first, left))
        stack.append((first + left, n - left))
    writer.flush()


class _Source:
    """Sequential reads with skipping (a seek when the file can, reading past otherwise). A
    ``ValueError`` from the file (closed in the middle of the call) is ``read_failed``'s
    ``InvalidInput`` naming ``what``, as ``need_stream`` names it closed at the start."""

    def __init__(self, f: BinaryIO, what: str) -> None:
        self._f, self._what = f, what
        try:
            self._seekable = f.seekable()
        except (AttributeError, OSError, ValueError):
            self._seekable = False

    def read(self, n: int) -> bytes:
        try:
            data = self._f.read(n)
        except ValueError as exc:
            raise read_failed(self._f, self._what, exc) from None
        if len(data) != n:
            raise InvalidInput("the encoding ends before the slice does (truncated input)")
        return data

    def skip(self, n: int) -> None:
        try:
            self._skip(n)
        except ValueError as exc:
            raise read_failed(self._f, self._what, exc) from None

    def _skip(self, n: int) -> None:
        if self._seekable:
            self._f.seek(n, 1)
            return
        while n:
            got = self._f.read(min(n, _BLOCK))
            if not got:
                raise InvalidInput("the encoding ends before the slice does (truncated input)")
            n -= len(got)


def extract_slice(start: int, count: int, encoded: BinaryIO, write: Callable[[bytes], object],
                  *, data: BinaryIO | None = None, leaf: int = 1, verifier: Verifier | None = None) -> None:
    """Write the slice ``(start, count)`` of a combined encoding (or, with ``data``, of an
    outboard encoding plus its content). Nothing is verified here: the reader of the slice
    verifies it (``decode`` with ``slice_input``). With chunk groups (``leaf`` > 1) a group
    the range covers in part goes down to its chunks, its inner parents recomputed from its
    content by ``verifier`` (bao-tree's slices)."""
    for piece in iter_slice(start, count, encoded, data=data, leaf=leaf, verifier=verifier):
        write(piece)


def _whole_leaf(lo: int, hi: int, n: int, leaf: int, lo_r: int, hi_r: int) -> bool:
    """Whether a slice sends the subtree over content ``[lo, hi)`` (``n`` chunks) as one leaf:
    a chunk, or a chunk group all of whose chunks the checked range ``[lo_r, hi_r)`` touches."""
    return n == 1 or (n <= leaf and lo >= lo_r // CHUNK * CHUNK and hi <= -(-hi_r // CHUNK) * CHUNK)


def _group_slice(verifier: Verifier | None, first: int, content: bytes, lo_r: int, hi_r: int) -> Iterator[bytes]:
    """The slice pieces inside a chunk group from chunk ``first`` that the range covers in part:
    its 1 KiB tree rebuilt from ``content`` (a subtree encoding), then walked in pre-order --
    a parent on the way to the range, a run of chunks the range covers whole as it is."""
    if verifier is None:
        raise InvalidInput("a slice of a chunk group the range covers in part needs its inner parents: give the verifier")
    enc = verifier.encoder(len(content), MODE_COMBINED, first=first)
    body = bytes(enc.update(content)) + enc.final()[0]  # one encoder group: already in pre-order
    base, pos = first * CHUNK, 0
    stack = [(0, chunk_count(len(content)))]
    while stack:
        f, n = stack.pop()
        lo, hi = span(f, n, len(content))
        outside = not (base + lo < hi_r and lo_r < base + hi)
        if outside or _whole_leaf(base + lo, base + hi, n, n, lo_r, hi_r):
            if not outside:
                yield content[lo:hi]
            pos += encoded_size(f, n, len(content), outboard=False)
        else:
            yield body[pos:pos + PARENT]
            pos += PARENT
            left = left_chunks(n)
            stack.append((f + left, n - left))
            stack.append((f, left))


def iter_slice(start: int, count: int, encoded: BinaryIO, *, data: BinaryIO | None = None,
               leaf: int = 1, verifier: Verifier | None = None) -> Iterator[bytes]:
    """The pieces of the slice ``(start, count)`` in order (header, parents, leaves). The
    arguments are checked here, not at the first piece."""
    covered(start, count, 0)  # checks the range before the header is read
    if type(leaf) is not int or leaf < 1 or leaf & (leaf - 1):
        raise InvalidInput(f"leaf must be a whole number of chunks, a power of two (1, 2, 4, ...), not {leaf!r}")
    need_stream(encoded, "read", "iter_slice's encoding")
    if data is not None:
        need_stream(data, "read", "iter_slice's content")
    return _iter_slice(start, count, encoded, data, leaf, verifier)


def _iter_slice(start: int, count: int, encoded: BinaryIO, data: BinaryIO | None, leaf: int,
                verifier: Verifier | None) -> Iterator[bytes]:
    """``iter_slice`` once its arguments are checked."""
    tree = _Source(encoded, "iter_slice's encoding")
    content = _Source(data, "iter_slice's content") if data is not None else tree
    header = tree.read(HEADER)
    (length,) = _LEN.unpack(header)
    yield header
    lo_r, hi_r = covered(start, count, length)
    stack = [(0, chunk_count(length))]
    while stack:
        first, n = stack.pop()
        lo, hi = span(first, n, length)
        if length and not (lo < hi_r and lo_r < hi):
            tree.skip((leaves(n, leaf) - 1) * PARENT)
            if data is not None:
                content.skip(hi - lo)
            else:
                tree.skip(hi - lo)
            continue
        if n <= leaf:
            if _whole_leaf(lo, hi, n, leaf, lo_r, hi_r):
                yield content.read(hi - lo)
            else:
                yield from _group_slice(verifier, first, content.read(hi - lo), lo_r, hi_r)
            continue
        if n <= GROUP_CHUNKS and lo_r <= lo and hi <= hi_r:  # a whole small subtree in range: one piece
            parents = (leaves(n, leaf) - 1) * PARENT
            if data is None:
                yield tree.read(parents + hi - lo)
            else:
                yield _interleave(tree.read(parents), content.read(hi - lo), n, leaf)
            continue
        yield tree.read(PARENT)
        left = left_chunks(n)
        stack.append((first + left, n - left))
        stack.append((first, left))


def slice_size(start: int, count: int, length: int, *, leaf: int = 1) -> int:
    """Bytes of the slice ``(start, count)`` of a content of ``length`` bytes (what
    ``iter_slice`` yields), computed from the tree's shape alone."""
    lo_r, hi_r = covered(start, count, length)
    size, stack = HEADER, [(0, chunk_count(length))]
    while stack:
        first, n = stack.pop()
        lo, hi = span(first, n, length)
        if length and not (lo < hi_r and lo_r < hi):
            continue
        if lo_r <= lo and hi <= hi_r or _whole_leaf(lo, hi, n, leaf, lo_r, hi_r):  # every node of it
            size += (leaves(n, leaf) - 1) * PARENT + hi - lo
            continue
        size += PARENT
        left = left_chunks(n)
        stack.append((first + left, n - left))
        stack.append((first, left))
    return size


@lru_cache(maxsize=64)
def _layout(n: int, leaf: int) -> tuple[tuple[bool, int, int], ...]:
    """Pre-order of a subtree of ``n`` chunks as ``(is_parent, index, chunks)`` (parents and
    leaves numbered from 0 in their own streams: a parent's index, a leaf's first chunk)."""
    order: list[tuple[bool, int, int]] = []
    parents = 0
    stack = [(0, n)]
    while stack:
        first, m = stack.pop()
        if m <= leaf:
            order.append((False, first, m))
            continue
        order.append((True, parents, 1))
        parents += 1
        left = left_chunks(m)
        stack.append((first + left, m - left))
        stack.append((first, left))
    return tuple(order)


def _interleave(parents: bytes, chunks: bytes, n: int, leaf: int = 1) -> bytes:
    """The combined pre-order bytes of a subtree from its outboard parents and its content."""
    pv, cv = memoryview(parents), memoryview(chunks)
    return b"".join([pv[i * PARENT:(i + 1) * PARENT] if is_parent else cv[i * CHUNK:(i + m) * CHUNK]
                     for is_parent, i, m in _layout(n, leaf)])
