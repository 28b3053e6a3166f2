"""A CAR file as a block source (an exported extension set bundle, a DAG snapshot)."""

from __future__ import annotations

import hashlib
import os
import secrets
import stat
import threading
from array import array
from collections.abc import Callable, Iterator
from typing import BinaryIO, TypeVar

from .._inputs import as_path, of_type
from ..cid import CID
from ..config import DEFAULT_LIMITS, Limits
from ..errors import (BlockNotFound, DigestTooLong, FetchTooLarge, HashMismatch, InvalidBlock, InvalidCar, SourceUnavailable,
                      WeakDigest)
from ..store import CarReader, read_section_at
from ._fetcher import MIN_FETCH_DIGEST

T = TypeVar("T")
_CAR_HINT = "the CAR file is malformed or truncated: export it again, or fetch from another source"


class _OffsetIndex:
    """Where each CID's section is in one CAR file, in arrays of machine integers.

    While the file is read, ``add`` appends to two ``array('Q')``: a 64-bit keyed BLAKE2b hash
    of the CID's bytes and the byte offset of its section. ``finish`` then builds an open-
    addressing hash table (linear probing) of positions in those arrays, in an ``array('I')`` of
    4/3 slots per section (``'Q'`` past 2**32 - 1 sections). Size: 16 bytes per section plus
    about 5.3 per slot, about 22 bytes per section in all (arrays over-allocate a little as they
    grow), whatever the blocks' sizes; nothing is rebuilt as it grows. The hash key is random
    per index, so a crafted CAR cannot pile its CIDs into one run of slots. A hash only narrows
    the search: the caller reads the section back and compares its CID.
    """

    def __init__(self) -> None:
        self._key = secrets.token_bytes(16)
        self._hashes = array("Q")
        self._offsets = array("Q")
        self._table = array("I")
        self.count = 0  # distinct CIDs, once finished

    @property
    def slots(self) -> int:
        return len(self._table)

    @property
    def nbytes(self) -> int:
        """The bytes of its arrays (without their over-allocation)."""
        return sum(len(a) * a.itemsize for a in (self._hashes, self._offsets, self._table))

    def _hash(self, cid: CID) -> int:
        return int.from_bytes(hashlib.blake2b(bytes(cid), digest_size=8, key=self._key).digest(), "little")

    def add(self, cid: CID, offset: int) -> None:
        """The section at ``offset`` holds ``cid`` (offsets in file order)."""
        self._hashes.append(self._hash(cid))
        self._offsets.append(offset)

    def finish(self, same: Callable[[int, int], bool]) -> None:
        """Build the table. Of sections of one CID (``same(offset, offset)``) the last is kept,
        as the last of duplicates wins in a dict."""
        sections = len(self._offsets)
        slots = sections + sections // 3 + 1
        table = array("I" if sections < 0xFFFF_FFFF else "Q", [0]) * slots
        hashes, offsets, count = self._hashes, self._offsets, 0
        for position, digest in enumerate(hashes):
            slot = (digest * slots) >> 64
            while table[slot]:
                other = table[slot] - 1
                if hashes[other] == digest and same(offsets[other], offsets[position]):
                    table[slot] = position + 1
                    break
                slot = slot + 1 if slot + 1 < slots else 0
            else:
                table[slot] = position + 1
                count += 1
        self._table, self.count = table, count

    def candidates(self, cid: CID) -> Iterator[int]:
        """The offsets of the sections that may hold ``cid`` (its hash matches)."""
        table, hashes, slots = self._table, self._hashes, len(self._table)
        if not slots:
            return
        digest = self._hash(cid)
        slot = (digest * slots) >> 64
        while table[slot]:
            position = table[slot] - 1
            if hashes[position] == digest:
                yield self._offsets[position]
            slot = slot + 1 if slot + 1 < slots else 0


_Identity = tuple[int, int, int, int]


class CarSource:
    """Serves the blocks of one CAR file (v1 or v2), read from the file when asked.

    The first use reads the whole file once, streaming, into an index of where each block's
    section is (``_OffsetIndex``: about 22 bytes per section; a CARv2's own index is not used);
    ``get`` then reads that one section back from the file and compares its CID with the asked
    one. Memory is the index plus one block, whatever the file's
    size. A file over ``limits.fetch.max_car_bytes`` is refused, and so is anything but a
    regular file (a FIFO or device could block the read forever): every read is bounded by the
    file's size, so no deadline is needed. A file that changed since it was indexed (another
    size, modification time or inode) is indexed again.

    Invariants: every failure is typed and names the file: ``SourceUnavailable`` (cannot be
    read: missing, unreadable), ``FetchTooLarge``, ``InvalidCar`` (malformed or truncated; the
    ``Fetcher`` then asks the next source); a file that failed once fails at once after that
    (it is not parsed again for every block). Blocks are unverified, as from any source.
    """

    _index_type: type[_OffsetIndex] = _OffsetIndex

    def __init__(self, path: str | os.PathLike[str], *, limits: Limits | None = None) -> None:
        of_type(limits, Limits, "CarSource's limits")
        self.path = as_path(path, "CarSource")
        self.name = f"car:{self.path}"
        self._limits = limits or DEFAULT_LIMITS
        self._index: _OffsetIndex | None = None
        self._identity: _Identity | None = None
        self._failed: InvalidCar | FetchTooLarge | SourceUnavailable | None = None
        self._lock = threading.Lock()
        self.roots: list[CID] = []

    def _use(self, action: Callable[[BinaryIO, _OffsetIndex], T]) -> T:
        """``action(open file, its index)``, every failure typed, named and remembered."""
        if self._failed is not None:
            raise type(self._failed)(self._failed.message, hint=self._failed.hint)
        try:
            with self._open() as stream:
                return action(stream, self._indexed(stream))
        except InvalidCar as exc:
            if str(self.path) not in exc.message:
                exc = InvalidCar(f"{self.path}: {exc.message}", hint=_CAR_HINT)
            self._failed = exc
        except FetchTooLarge as exc:
            self._failed = exc
        except OSError as exc:
            reason = exc.strerror or type(exc).__name__
            self._failed = SourceUnavailable(f"cannot read the CAR file {self.path}: {reason}",
                                             hint="check the path and its permissions")
        raise type(self._failed)(self._failed.message, hint=self._failed.hint) from None

    def _open(self) -> BinaryIO:
        # O_NONBLOCK: opening a FIFO must not wait for a writer (a regular file reads as usual)
        fd = os.open(self.path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
        try:
            info = os.fstat(fd)
            if not stat.S_ISREG(info.st_mode):
                # a FIFO or device could block the reader forever or never end
                raise InvalidCar(f"{self.path} is not a regular file", hint="give the path of a CAR file")
            cap = self._limits.fetch.max_car_bytes
            if info.st_size > cap:
                raise FetchTooLarge(f"{self.path} is over the {cap}-byte CAR limit",
                                    hint="raise limits.fetch.max_car_bytes in config.toml if the file is trusted")
            return os.fdopen(fd, "rb")
        except BaseException:
            os.close(fd)
            raise

    def _indexed(self, stream: BinaryIO) -> _OffsetIndex:
        """The index of the open file: the one built before, unless the file changed since."""
        info = os.fstat(stream.fileno())
        identity = (info.st_dev, info.st_ino, info.st_size, info.st_mtime_ns)
        with self._lock:
            if self._index is None or self._identity != identity:
                fd = stream.fileno()
                reader = CarReader(stream, limits=self._limits)
                index = self._index_type()
                for cid, _block in reader:
                    index.add(cid, reader.section_offset)

                def same(offset: int, other: int) -> bool:  # a duplicate, or two CIDs of one hash
                    return read_section_at(fd, offset, limits=self._limits)[0] == \
                        read_section_at(fd, other, limits=self._limits)[0]

                index.finish(same)
                self._index, self._identity, self.roots = index, identity, list(reader.roots)
            return self._index

    def scan(self) -> list[CID]:
        """Read and index the file now (if not done yet) and return its roots (``[]`` if none)."""
        return self._use(lambda _stream, _index: list(self.roots))

    def get(self, cid: CID) -> bytes:
        def find(stream: BinaryIO, index: _OffsetIndex) -> bytes | None:
            for offset in index.candidates(cid):
                found, data = read_section_at(stream.fileno(), offset, limits=self._limits)
                if found == cid:
                    return data
            return None

        data = self._use(find)
        if data is None:
            raise BlockNotFound(f"block {cid} is not in {self.path}")
        return data

    def all_blocks(self) -> dict[CID, bytes]:
        """Every block of the file, in file order (the last of duplicates wins): the whole file
        in memory, for small bundles; ``get`` reads one block at a time."""
        def read_all(stream: BinaryIO, _index: _OffsetIndex) -> dict[CID, bytes]:
            stream.seek(0)
            return dict(CarReader(stream, limits=self._limits))

        return self._use(read_all)


def check_car_root(car: bytes, root: CID, source: str, limits: Limits | None = None) -> bytes:
    """The DAG under ``root`` as a CARv1 (DFS pre-order, each block once), from ``car``: an
    untrusted answer to a DAG export asked for ``root``.

    Invariants: its header names exactly ``root`` (else ``HashMismatch``: an answer for another
    CID); every section parses, to the last byte (else ``InvalidCar``: a CAR cut mid-section or
    right after a section's length, which ``dag import`` takes as go-car does, or Kubo's
    gateway's "[Gateway Error: CAR stream truncated ...]" written after its last block);
    every block hashes to its CID (else ``HashMismatch`` naming ``source`` and the block); every
    block the DAG links, through the codecs read here (dag-pb, dag-cbor, dag-json), is present
    (else ``InvalidCar``: the trustless-gateway spec has clients treat an incomplete CAR as a
    failed retrieval). Blocks out of order or repeated are taken; blocks the DAG does not link
    are dropped (the spec has clients ignore them), unless a block of another codec is met:
    its links cannot be followed here, so every block is kept and the caller walks the rest.
    A block under a digest shorter than ``MIN_FETCH_DIGEST`` (not identity) could be forged: the
    DAG linking one is ``WeakDigest``, as ``Fetcher`` refuses it; an unlinked one is dropped.
    An identity CID over ``MAX_IDENTITY_DIGEST`` bytes linked is ``DigestTooLong`` (Kubo 0.43.1's
    gateway cuts its CAR there). Identity CIDs are never written. A section is written once per
    multihash, as Kubo's gateway writes it (a block linked as CIDv0 and CIDv1 is sent once), but
    the walk visits each (codec, multihash) once: the same bytes linked as raw and as dag-cbor are
    walked as dag-cbor too, so its links are followed and checked, as Kubo's gateway follows them.
    A linked block of a read codec that does not decode is ``InvalidBlock`` naming ``source`` and
    the block. Memory: the
    answer, its blocks and the CAR written (about three times the answer at the peak), plus the
    walk's pending links: up to about six times for an answer of blocks dense with links.
    """
    import io

    from ..builtin import MAX_IDENTITY_DIGEST, verify_cid
    from ..store import CarWriter, builtin_links

    limits = limits or DEFAULT_LIMITS
    try:
        reader = CarReader(io.BytesIO(car), limits=limits)
    except InvalidCar as exc:
        raise InvalidCar(f"{source} answered something that is not a CAR for {root}: {exc.message}",
                         hint="use another source") from None
    if reader.roots != [root]:
        got = ", ".join(str(r) for r in reader.roots[:3]) or "no root"
        raise HashMismatch(f"{source} answered a CAR of {got}, not of the asked {root}")
    blocks: dict[bytes, tuple[CID, bytes]] = {}
    try:
        for cid, data in reader:
            try:
                verify_cid(cid, data)
            except HashMismatch:
                raise HashMismatch(f"{source} answered a CAR for {root} whose block {cid} has bytes that do not "
                                   "match it", hint="use another source") from None
            blocks.setdefault(cid.multihash, (cid, data))
    except InvalidCar as exc:
        raise _not_whole(source, root, exc.message) from None
    if reader.bare_length_at is not None:  # go-car's end of a file, but an answer cut there is short
        raise _not_whole(source, root, f"truncated CAR: section length at byte {reader.bare_length_at} and no "
                                       "section after it")
    out = io.BytesIO()
    writer = CarWriter(out, [root])
    written: set[bytes] = set()  # multihashes with a section: each block's bytes once
    walked: set[tuple[int, bytes]] = set()  # (codec, multihash): CIDv0 and CIDv1 of a block are one
    opaque = False  # a block whose links are not read here: what is below it cannot be told
    stack = [root]
    while stack:
        cid = stack.pop()
        if (cid.codec, cid.multihash) in walked:
            continue
        walked.add((cid.codec, cid.multihash))
        if cid.hash_code != 0 and len(cid.digest) < MIN_FETCH_DIGEST:  # as Fetcher: forgeable
            raise WeakDigest(f"{source} answered a CAR for {root} whose DAG links {cid}: its digest is "
                             f"{len(cid.digest)} bytes, and a block from another node is taken only under a "
                             f"digest of at least {MIN_FETCH_DIGEST} bytes")
        if cid.hash_code == 0:  # identity: the bytes are the digest, never a section
            if len(cid.digest) > MAX_IDENTITY_DIGEST:  # Kubo's gateway stops its CAR there
                raise DigestTooLong(f"{source} answered a CAR for {root} whose DAG links the identity CID {cid} "
                                    f"of {len(cid.digest)} bytes: Kubo refuses one over {MAX_IDENTITY_DIGEST}")
            data = cid.digest
        elif cid.multihash in blocks:
            data = blocks[cid.multihash][1]
            if cid.multihash not in written:
                written.add(cid.multihash)
                writer.write(cid, data)
        else:
            raise _not_whole(source, root, f"block {cid}, linked in the DAG, is not in it")
        if cid.codec not in (0x55, 0x70, 0x71, 0x0129):
            opaque = True
        try:
            links = builtin_links(cid, data, strict=limits.decode.strict_blocks)
        except InvalidBlock as exc:
            raise InvalidBlock(f"{source} answered a CAR for {root} whose block {cid} does not decode: "
                               f"{exc.message}", hint="use another source") from None
        stack.extend(reversed(links))
    if opaque:
        for multihash, (cid, data) in blocks.items():
            if multihash not in written and (cid.hash_code == 0 or len(cid.digest) >= MIN_FETCH_DIGEST):
                writer.write(cid, data)
    return out.getvalue()


def _not_whole(source: str, root: CID, why: str) -> InvalidCar:
    return InvalidCar(f"{source} answered not a whole CAR for {root} ({why}): it stopped short or carries bytes "
                      "that are not CAR sections", hint="try again later, or use another source")
