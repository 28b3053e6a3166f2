"""The embedded block store: content-addressed blocks in one SQLite database in the home folder.

Invariants:
- Nothing enters unverified. ``put``/``put_many`` check every block against its CID's
  multihash with the injected ``verify(cid, data)`` (default ``autocodec.builtin.verify_cid``;
  the registry injects one that can run hasher extensions) and refuse blocks over
  ``limits.decode.max_block_bytes``. A block that fails is not written.
- Nothing leaves unchecked. ``get`` detects a block that changed on disk (``StoreCorrupt``)
  without needing the CID's hasher: a sha2-256 CID (almost every CID) is its own checksum,
  re-hashed with hashlib (~1-2 GB/s, far cheaper than the SQLite read); any other block has a
  sha2-256 checksum of its bytes stored beside it at ``put``. So corruption is found even for
  blocks whose hasher is an extension that is not loaded when reading.
- Blocks are keyed by their CIDv1 bytes (a CIDv0 is stored as its v1 equivalent, so both
  forms find the same block), and found by multihash, as Kubo's blockstore keys them: ``get``,
  ``has`` and ``stat`` of a CID no row holds answer from a row of another CID of the same
  multihash (same bytes: the hash says so; ``stat`` reports the codec asked), and ``delete``
  removes every row of the multihash (an index on the key's multihash, ``MULTIHASH_SCHEMA``).
  Listings (``cids``, ``check``, the block sequence) name the rows, each under its own CID.
  Identity-multihash CIDs hold their data inline and are never stored; ``get``/``has``/``stat``
  answer them from the CID; a put of one holding over ``autocodec.builtin.MAX_IDENTITY_DIGEST``
  bytes is refused (``DigestTooLong``), as Kubo refuses it.
- Layout: a store made anew has ``NEW_STORE_PAGE_BYTES`` pages; an older store keeps its own.
- Every read-write connection to the home's database, a ``BlockStore``'s or another wing's, is
  made by ``connect_writable``, so the file is created the store's way whoever opens it first.
- Crash safety: WAL journal (checkpointed every ``WAL_CHECKPOINT_BYTES``; a commit that finds it past
  ``WAL_RESET_FACTOR`` times that, as writers in other processes leave it, folds it in and truncates
  it: ``_bound_wal``), ``synchronous=NORMAL``; each write is one transaction, so a
  process killed mid-write leaves the last committed state and no partial block (a power
  loss may lose the last few commits, never consistency). ``put_many`` commits in batches of
  ``limits.store.batch_blocks``/``batch_bytes``; on an ``Exception`` from the input (a bad
  block, or the caller's iterable failing) the verified blocks before it are committed, then
  the error propagates; an interrupt (``KeyboardInterrupt``) writes no more than the batches
  already committed.
- Threads: one connection per ``BlockStore`` object, shared by threads and serialised by a
  re-entrant lock; for parallel readers open one ``BlockStore`` per thread or process (WAL
  lets readers proceed beside one writer; writers wait up to ``busy_timeout_ms``).
- Lifecycle: after ``close`` (harmless twice) every call, ``with`` included, is a
  ``StoreError`` saying the store is closed. In a child made by ``os.fork`` a store opened
  before the fork is one too, saying so: SQLite connections must not cross a fork
  (``autocodec._forks``); the child neither uses nor closes the parent's connection.
  A write (``transaction``) first checks that the database file opened is still the one at
  its path: SQLite would go on writing into a file removed or replaced under the process, and
  lose it all at ``close``; that is a ``StoreError`` (reads go on from the file held open).
- New blocks are numbered in the order they are stored (``last_insert_mark``/``inserted_since``,
  for event triggers) by a sequence never reused (``block_seq``: SQLite ``AUTOINCREMENT``, kept
  in step with ``blocks`` by SQL triggers, so every process's writes are numbered, an older
  autocodec's included). Its wing (``store-seq``) is made on first use, numbering the blocks
  already stored in row order; writers commit one at a time, so a reader never sees a number
  before a smaller one that is still to come.
- Other wings keep their tables in the same database: they ``register_migration`` their
  ``CREATE TABLE IF NOT EXISTS`` statements (applied at ``open``, or at once with
  ``ensure_schema``) and use ``transaction()`` to write atomically with blocks.
- A home whose folder or store file this process cannot write (a read-only mount, permissions)
  is opened read-only (``read_only``; ``_read_only`` alone decides): every read works, every
  write is a ``StoreError`` saying the home is read-only. With no pending ``-wal`` the database
  is opened ``immutable`` (no ``-shm`` needed; a writer elsewhere, through another mount of the
  same folder, must not start while it is open); with one, through its ``-shm``, else refused.
- Every sqlite error becomes a ``StoreError``: "database or disk is full" is ``StorageFull``, and
  so is no room for the ``-shm`` file (``SQLITE_IOERR_SHMSIZE``), which even a read needs. A write
  that meets the process's file size limit instead (``RLIMIT_FSIZE``: SQLite says only "disk I/O
  error") is ``FileSizeLimit``, told apart by ``_size_limit``.
- A corrupt row (a value of the wrong column type, a key that is no CID, bytes that fail the
  checksum) is ``StoreCorrupt`` for that block only; ``check`` lists it and goes on. Messages
  name the CID, never the store's path (they may end up in an HTTP body); logs carry the path.
  Putting the block again repairs it: a verified write replaces a row that does not hold
  exactly its bytes (``_UPSERT``; a row that does is left alone, at the cost of comparing it).
"""

from __future__ import annotations

import hashlib
import os
import sqlite3
import stat
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeGuard

from .._fileid import file_identity
from .._forks import watch
from .._inputs import as_bytes, need_iterable, pair, whole_number
from ..cid import CID
from ..config import DEFAULT_LIMITS, Limits
from ..errors import (BlockNotFound, FileSizeLimit, InvalidBlock, InvalidCID, StorageFull, StoreCorrupt,
                      StoreError)
from ..home import Home
from ..log import get_logger
from ._schema import migrate, register_migration
from ._size_limit import met_size_limit

Verifier = Callable[[CID, bytes], None]
"""Raises ``HashMismatch`` (or ``UnknownHash``) unless ``data`` hashes to ``cid``'s multihash."""

_PAGE = 1_000
NEW_STORE_PAGE_BYTES = 65_536
"""SQLite page size of a store made anew (SQLite's largest; its default is 4 KiB). A 256 KiB block
is 4 pages instead of a chain of 64 overflow pages, so a bulk write does a fraction of the page
work and I/O (docs/performance.md, "Bulk writes into the store"). It applies only to a database
file with no content yet: an existing WAL store keeps its page size (SQLite changes it only by
``VACUUM`` outside WAL mode) and works as before."""
WAL_CHECKPOINT_BYTES = 16 << 20
"""How much the write-ahead log holds before a commit folds it into the database (SQLite's
``wal_autocheckpoint``, set in pages: SQLite's default of 1,000 pages is 64 MiB with 64 KiB pages),
and the size a ``-wal`` file is cut back to after a checkpoint (``journal_size_limit``). So the
``-wal`` of a long-lived process stays near this plus one batch (``limits.store.batch_bytes``)."""
WAL_RESET_FACTOR = 4
"""A ``-wal`` past this many ``WAL_CHECKPOINT_BYTES`` after a commit (concurrent writers kept SQLite's
checkpoints from starting it over) is checkpointed and truncated by that writer (``_bound_wal``)."""
_WAL_RESET_WAIT_MS = 1_000  # how long that checkpoint waits for other connections before giving up
_WAL_RESET_TRIES = 5  # how often it is tried when refused at once (2 ms apart)
_ROWID_MAX = (1 << 63) - 1  # SQLite's largest INTEGER (a rowid)
_BYTES_TYPES = frozenset({"blob", "text"})  # "text": a BLOB whose type bit flipped; its bytes are checked

SCHEMA = register_migration(
    "store",
    1,
    [
        """CREATE TABLE IF NOT EXISTS blocks (
            cid BLOB PRIMARY KEY,
            codec INTEGER NOT NULL,
            size INTEGER NOT NULL,
            data BLOB NOT NULL,
            checksum BLOB
        )""",
    ],
)

_VARINT_ENDS = "substr(cid, {}, 1) < x'80'"
MULTIHASH_OF_KEY = (
    "substr(cid, CASE "
    + " ".join(f"WHEN {_VARINT_ENDS.format(at)} THEN {at + 1}" for at in range(2, 10))
    + " ELSE 11 END)"
)
"""The multihash in a row's key, in SQL (built-in functions only, so any SQLite, an older
autocodec's included, keeps its index): a key is ``0x01``, the codec's varint (up to 9 bytes;
a byte >= 0x80 says another follows), then the multihash."""
MULTIHASH_WING = "store-by-multihash"
MULTIHASH_SCHEMA = register_migration(
    MULTIHASH_WING,
    1,
    [f"CREATE INDEX IF NOT EXISTS blocks_by_multihash ON blocks ({MULTIHASH_OF_KEY})"],
)
"""Blocks found by multihash, as Kubo's blockstore keys them (``get``/``has``/``stat``/``delete``).
A wing of its own, not a second step of the store's: an older autocodec that does not know it
opens the store as before (SQLite keeps the index up to date under its writes too)."""

_DATA_COLUMNS = "CAST(data AS BLOB), typeof(data), CAST(checksum AS BLOB), typeof(checksum)"
_SIZE_COLUMNS = "CAST(size AS BLOB), typeof(size), typeof(codec)"
_SELECT = {
    columns: (f"SELECT {columns} FROM blocks WHERE cid = ?",
              f"SELECT {columns} FROM blocks WHERE {MULTIHASH_OF_KEY} = ? LIMIT 1")
    for columns in (_DATA_COLUMNS, _SIZE_COLUMNS, "1")
}
"""Per column list: the SELECT of a block's row by its key, and by its multihash (the index's
expression, spelled as the index spells it, so SQLite uses it)."""
_DELETE_BY_MULTIHASH = f"DELETE FROM blocks WHERE {MULTIHASH_OF_KEY} = ?"

SEQ_WING = "store-seq"
SEQ_SCHEMA = (
    "CREATE TABLE IF NOT EXISTS block_seq (seq INTEGER PRIMARY KEY AUTOINCREMENT, cid BLOB NOT NULL UNIQUE)",
    "INSERT OR IGNORE INTO block_seq (cid) SELECT cid FROM blocks ORDER BY rowid",
    "CREATE TRIGGER IF NOT EXISTS block_seq_stored AFTER INSERT ON blocks "
    "BEGIN INSERT OR REPLACE INTO block_seq (cid) VALUES (new.cid); END",
    "CREATE TRIGGER IF NOT EXISTS block_seq_removed AFTER DELETE ON blocks "
    "BEGIN DELETE FROM block_seq WHERE cid = old.cid; END",
    "CREATE TRIGGER IF NOT EXISTS block_seq_rekeyed AFTER UPDATE OF cid ON blocks "
    "BEGIN DELETE FROM block_seq WHERE cid = old.cid; INSERT OR REPLACE INTO block_seq (cid) VALUES (new.cid); END",
)
"""The store's block sequence: one row per stored block, numbered when it was stored (a block
removed and stored again gets a new number; a repair in place keeps its own). ``AUTOINCREMENT``
never hands out a number twice, unlike a rowid, which SQLite reuses once the newest row is gone."""

log = get_logger("store")


@dataclass(frozen=True, slots=True)
class BlockStat:
    """What the store knows about a block without reading it."""

    cid: CID
    size: int
    codec: int
    inline: bool = False
    """True for identity CIDs, whose bytes live in the CID itself."""


def _key(cid: CID) -> bytes:
    return bytes(cid.to_v1())


def _need_cid(cid: Any) -> None:
    """``InvalidCID`` unless ``cid`` is a ``CID`` (text is parsed by ``CID.parse`` first)."""
    if not isinstance(cid, CID):
        how = ": parse its text form with CID.parse" if isinstance(cid, str) else ""
        raise InvalidCID(f"blocks are named by a CID, not {type(cid).__name__}{how}")


def _is_identity(cid: CID) -> bool:
    return cid.multihash[:1] == b"\x00"  # the identity multihash code is 0x00


def _max_identity_digest() -> int:
    from ..builtin import MAX_IDENTITY_DIGEST  # imported on first use, as _builtin_verify

    return MAX_IDENTITY_DIGEST


def _inline_data(cid: CID) -> bytes:
    """The bytes an identity CID holds; ``DigestTooLong`` past ``MAX_IDENTITY_DIGEST`` bytes, where
    Kubo 0.43.1 refuses to read the CID at all (boxo verifcid: "digest too large")."""
    from ..builtin import check_identity_digest

    check_identity_digest(cid)
    return cid.digest


def _is_sha2_256(multihash: bytes) -> bool:
    return len(multihash) == 34 and multihash[:2] == b"\x12\x20"


_UPSERT = (
    "INSERT INTO blocks (cid, codec, size, data, checksum) VALUES (?, ?, ?, ?, ?) "
    "ON CONFLICT (cid) DO UPDATE SET codec = excluded.codec, size = excluded.size, data = excluded.data, "
    "checksum = excluded.checksum WHERE blocks.data IS NOT excluded.data OR blocks.size IS NOT excluded.size "
    "OR blocks.checksum IS NOT excluded.checksum OR blocks.codec IS NOT excluded.codec"
)
"""A verified block is written once; a row already there is left alone when it holds exactly these
bytes, and replaced when it does not (a row damaged on disk or by hand is repaired by putting the
block again, as ``StoreCorrupt`` advises)."""


def _checksum(multihash: bytes, data: bytes) -> bytes | None:
    """The out-of-band checksum stored with ``data``: none when the CID is sha2-256 itself."""
    return None if _is_sha2_256(multihash) else hashlib.sha256(data).digest()


_CHECKSUM_TYPES = _BYTES_TYPES | {"null"}


def _row_intact(data: object, data_type: str, checksum: bytes | None, checksum_type: str, cid: CID,
                digest: bytes | None = None) -> TypeGuard[bytes]:
    """The one verdict ``get`` and ``check`` give a block's row: ``data`` and ``checksum`` (read
    ``CAST`` as bytes) are of byte types, and the SHA-256 of ``data`` (``digest`` when given,
    else computed here) equals the stored checksum, or the CID's digest when the CID is
    sha2-256 and none is stored."""
    if type(data) is not bytes or data_type not in _BYTES_TYPES or checksum_type not in _CHECKSUM_TYPES:
        return False
    if digest is None:
        digest = hashlib.sha256(data).digest()
    if checksum is None:
        mh = cid.multihash
        return _is_sha2_256(mh) and digest == mh[2:]
    return digest == checksum


_CHECK_WINDOW_BYTES = 32 << 20
_PARALLEL_HASH_BYTES = 4 << 20  # below this a window is hashed in the calling thread


def _windows(sized: list[tuple[bytes, int | None]], budget: int) -> Iterator[tuple[bytes, bytes]]:
    """Key ranges ``(first, last)`` of consecutive rows whose data add up to about ``budget``
    bytes (a row larger than the budget is a window of its own); none for no rows."""
    if not sized:
        return
    first, total = sized[0][0], 0
    for i, (key, size) in enumerate(sized):
        n = size if isinstance(size, int) else 0
        if total and total + n > budget:
            yield first, sized[i - 1][0]
            first, total = key, 0
        total += n
    yield first, sized[-1][0]


def _sha256_all(datas: list[bytes]) -> list[bytes]:
    """The SHA-256 of each input, in order; on every core when they are many bytes."""
    if sum(map(len, datas)) < _PARALLEL_HASH_BYTES:
        return [hashlib.sha256(d).digest() for d in datas]
    from concurrent.futures import ThreadPoolExecutor

    try:
        workers = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):  # pragma: no cover - non-Linux
        workers = os.cpu_count() or 1
    step = -(-len(datas) // workers)
    with ThreadPoolExecutor(workers) as pool:
        parts = pool.map(lambda i: [hashlib.sha256(d).digest() for d in datas[i : i + step]], range(0, len(datas), step))
        return [digest for part in parts for digest in part]


def _damaged_page(exc: sqlite3.Error) -> bool:
    """Whether SQLite found a page of the database file damaged (``SQLITE_CORRUPT``)."""
    code = getattr(exc, "sqlite_errorcode", None)
    return (isinstance(code, int) and code & 0xFF == sqlite3.SQLITE_CORRUPT) or "malformed" in str(exc)


def _listed(raw: bytes) -> CID:
    """A stored key as ``check`` lists it: its CID, or its bytes when it is no valid CID."""
    try:
        return CID(raw)
    except InvalidCID:
        return CID._unchecked(raw)


def _builtin_verify(cid: CID, data: bytes) -> None:
    """The default verifier, ``autocodec.builtin.verify_cid``, imported on first use."""
    from ..builtin import verify_cid

    verify_cid(cid, data)


_SQLITE_IOERR_SHMSIZE = 4874
"""SQLite could not grow the ``-shm`` file beside a WAL database (no room on its file system):
every connection needs it, a read too, so a home on a full disk cannot even be read."""
_NO_ROOM_HINT = ("free disk space where the home is and run it again: SQLite needs some 32 KiB beside "
                 "store.sqlite even to read it; nothing stored was lost")


def translate_sqlite_error(exc: sqlite3.Error, doing: str, path: Path | None = None) -> StoreError:
    """A typed ``StoreError`` for an sqlite3 exception raised while ``doing`` something to the
    database at ``path`` (given, a write past the file size limit is told apart: ``FileSizeLimit``)."""
    code = getattr(exc, "sqlite_errorcode", None)
    text = str(exc)
    limit = met_size_limit(code, path)
    if limit is not None:
        return FileSizeLimit(f"cannot {doing}: a store file met this process's file size limit of "
                             f"{limit} bytes ({text})")
    if (isinstance(code, int) and code & 0xFF == sqlite3.SQLITE_READONLY) or "readonly database" in text:
        return StoreError(f"cannot {doing}: the home is read-only ({text})", hint=_READ_ONLY_HINT)
    if code == sqlite3.SQLITE_FULL or "database or disk is full" in text:
        return StorageFull(f"cannot {doing}: the store is full ({text})")
    if code == _SQLITE_IOERR_SHMSIZE:
        return StorageFull(f"cannot {doing}: the disk has no room for the store's shared index ({text})",
                           hint=_NO_ROOM_HINT)
    if code in (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED) or "locked" in text:
        return StoreError(
            f"cannot {doing}: the store is locked by another process ({text})",
            hint="wait for the other autocodec process, or raise limits.store.busy_timeout_ms",
        )
    if code in (sqlite3.SQLITE_NOTADB, sqlite3.SQLITE_CORRUPT) or "not a database" in text or "malformed" in text:
        return StoreError(
            f"cannot {doing}: the database file is damaged or not an autocodec store ({text})",
            hint="move the damaged store.sqlite aside and re-import your blocks",
        )
    return StoreError(f"cannot {doing}: {text}")


def _check_files(path: Path) -> None:
    """``StoreError`` naming the file when the database (or its ``-wal``/``-shm`` companion) is
    there but is not a regular file: SQLite would say only "unable to open database file" or
    "disk I/O error", which reads as a full or read-only disk."""
    for name in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
        anew = "a new, empty store is made in its place" if name == path else "it is made anew"
        try:
            mode = os.stat(name).st_mode
        except FileNotFoundError:
            continue
        except OSError as exc:
            raise StoreError(f"cannot open the store: {name}: {exc.strerror or exc}",
                             hint=f"move {name} aside ({anew})") from None
        if not stat.S_ISREG(mode):
            kind = "a folder" if stat.S_ISDIR(mode) else "a device, FIFO or socket"
            raise StoreError(f"cannot open the store: {name} is {kind}, not a database file",
                             hint=f"move {name} aside ({anew})")


_READ_ONLY_HINT = ("the home folder or its store.sqlite cannot be written (a read-only mount, or permissions): "
                   "commands that only read work; write to a writable home")


def _read_only(root: Path, path: Path) -> bool:
    """Whether the store must be opened read-only: its file exists, but it or the home folder
    (where SQLite makes the ``-wal`` and ``-shm`` files) cannot be written by this process. A
    home with no store that cannot be written is a ``StoreError`` saying so."""
    writable = os.access(root, os.W_OK)
    if not os.path.exists(path):
        if writable:
            return False
        raise StoreError(f"cannot create the store {path}: the home is read-only", hint=_READ_ONLY_HINT)
    return not (writable and os.access(path, os.W_OK))


def connect_writable(path: Path, timeout_s: float) -> sqlite3.Connection:
    """A read-write autocommit connection to a home's database, set up the store's way: a file made
    now gets ``NEW_STORE_PAGE_BYTES`` pages and WAL mode (whoever opens the home first, a
    ``BlockStore`` or another wing), and every connection has ``synchronous=NORMAL`` and the WAL
    bounds of ``WAL_CHECKPOINT_BYTES``. Every wing that connects to the home's database directly
    uses this; sqlite errors are raised as they are (the caller translates them)."""
    conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False, timeout=timeout_s)
    try:
        conn.execute(f"PRAGMA page_size={NEW_STORE_PAGE_BYTES}")  # new files only (see its docstring)
        mode = conn.execute("PRAGMA journal_mode=WAL").fetchone()[0]
        if str(mode).lower() != "wal":
            raise StoreError(f"cannot put the store {path} in WAL mode (got {mode!r})")
        conn.execute("PRAGMA synchronous=NORMAL")
        page = int(conn.execute("PRAGMA page_size").fetchone()[0])
        conn.execute(f"PRAGMA wal_autocheckpoint={max(1, WAL_CHECKPOINT_BYTES // page)}")
        conn.execute(f"PRAGMA journal_size_limit={WAL_CHECKPOINT_BYTES}")
    except BaseException:
        conn.close()
        raise
    return conn


def _connect_read_only(path: Path) -> sqlite3.Connection:
    """A read-only connection to the store of a home that cannot be written.

    A WAL database opened ``mode=ro`` needs its ``-shm`` file, which a read-only folder cannot
    get: with no ``-wal`` file (or an empty one: every write folded into the database, as the
    last connection to close leaves it) the database alone is the whole store, opened
    ``immutable=1`` (no locks, no ``-shm``). A non-empty ``-wal`` holds writes not yet in the
    database: read through the ``-shm`` beside it (``mode=ro``, its locks seen), else refused,
    as reading the database alone would silently miss them.
    """
    from urllib.request import pathname2url

    uri = "file:" + pathname2url(os.path.abspath(path)) + "?mode=ro"
    wal = path.with_name(path.name + "-wal")
    try:
        pending = os.stat(wal).st_size > 0
    except FileNotFoundError:
        pending = False
    if not pending:
        return sqlite3.connect(uri + "&immutable=1", uri=True, isolation_level=None, check_same_thread=False)
    try:
        conn = sqlite3.connect(uri, uri=True, isolation_level=None, check_same_thread=False)
        conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
        return conn
    except sqlite3.Error:
        raise StoreError(f"cannot open the store {path}: its home is read-only and {wal.name} holds writes "
                         "not yet folded into the database",
                         hint="run any command once on the home where it can be written (it folds them in), "
                              "then read it read-only") from None


@contextmanager
def _sqlite_errors(doing: str, path: Path) -> Iterator[None]:
    try:
        yield
    except sqlite3.Error as exc:
        raise translate_sqlite_error(exc, doing, path) from exc


class BlockStore:
    """Verified blocks in ``<home>/store.sqlite``. Use ``BlockStore.open``; close when done."""

    def __init__(self, conn: sqlite3.Connection, path: Path, verify: Verifier, limits: Limits) -> None:
        self._conn: sqlite3.Connection | None = conn
        self.path = path
        self.verify = verify
        self.limits = limits
        self._lock = threading.RLock()
        self._depth = 0  # transaction nesting, guarded by _lock
        self._inherited: sqlite3.Connection | None = None  # the parent's, in a forked child: never used
        self._seq_ready = False  # the block sequence is known to exist (``_block_seq``)
        self._by_multihash: bool | None = None  # the multihash index exists (``_multihash_index``)
        self._file_path = path.absolute()  # where SQLite opened it, whatever the working folder becomes
        self._file = file_identity(self._file_path)  # the file opened: a write checks it is still there
        self._wal_path = self._file_path.with_name(self._file_path.name + "-wal")
        self._wal_retry_at = 0  # the -wal size past which the next forced checkpoint is tried (``_bound_wal``)
        self.read_only = False
        """True when ``open`` found the home unwritable: reads (``transaction`` included) work, every
        write is a ``StoreError`` saying the home is read-only."""
        self.behind: dict[str, tuple[int, int]] = {}
        """Wings whose tables are older than this code's, ``{wing: (recorded, newest)}``: only on a
        read-only home, which cannot be migrated; a read their old tables cannot answer is a
        ``StoreError`` saying the home needs an upgrade (``_sqlite_error``)."""
        watch(self)

    # --- lifecycle -----------------------------------------------------------------------

    @classmethod
    def open(
        cls,
        home: Home | str | os.PathLike[str] | None = None,
        *,
        verify: Verifier | None = None,
        limits: Limits | None = None,
    ) -> BlockStore:
        """Open (creating if needed) the store of ``home`` (default: ``$AUTOCODEC_HOME``)."""
        if not isinstance(home, Home):
            home = Home.resolve(home)
        limits = limits or DEFAULT_LIMITS
        if verify is None:
            verify = _builtin_verify
        try:
            home.root.mkdir(mode=0o700, parents=True, exist_ok=True)  # private, as Home.init makes it
        except OSError as exc:
            raise StoreError(f"cannot create the home folder {home.root}: {exc.strerror or exc}") from None
        path = home.db_path
        _check_files(path)
        read_only = _read_only(home.root, path)
        doing = f"open the store {path}"
        with _sqlite_errors(doing, path):
            timeout_s = limits.store.busy_timeout_ms / 1000
            conn = _connect_read_only(path) if read_only else connect_writable(path, timeout_s)
        try:
            with _sqlite_errors(doing, path):  # translated before the close (which removes an idle -wal)
                conn.execute("PRAGMA foreign_keys=ON")
                behind = migrate(conn, read_only=read_only)
        except BaseException:
            conn.close()
            raise
        store = cls(conn, path, verify, limits)
        store.read_only, store.behind = read_only, behind
        return store

    def close(self) -> None:
        with self._lock:
            if self._conn is not None:
                self._conn.close()
                self._conn = None

    def _after_fork_in_child(self) -> None:
        """In a forked child: set the parent's connection aside (kept, so not closed either,
        until this object goes) and replace the lock a parent thread may have held."""
        if self._conn is not None:
            self._inherited, self._conn = self._conn, None
        self._lock = threading.RLock()
        self._depth = 0

    @property
    def closed(self) -> bool:
        """True once ``close`` ran (or in a process forked after the store was opened)."""
        return self._conn is None

    def __enter__(self) -> BlockStore:
        self._db()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _db(self) -> sqlite3.Connection:
        if self._conn is None:
            raise self._closed_error()
        return self._conn

    def _closed_error(self) -> StoreError:
        if self._inherited is not None:
            return StoreError("the store was opened by the parent of this process, and an SQLite connection "
                              "cannot be used after os.fork()",
                              hint="open a new BlockStore (or Runtime) in this process")
        return StoreError("the store is closed", hint="open it again (a new Runtime, or BlockStore.open)")

    # --- transactions and schema (for other wings) ---------------------------------------

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """Hold the store's lock and one write transaction; yields the connection.

        Nested uses become savepoints. Commits on normal exit, rolls back on an exception.
        sqlite errors raised inside are translated to ``StoreError``/``StorageFull``.
        """
        with self._lock:
            conn = self._db()
            outer = self._depth == 0
            if outer and not self.read_only:
                self._check_still_there()
            # read-only: reads run, a write is SQLITE_READONLY
            with _sqlite_errors("write to the store", self.path):
                conn.execute(("BEGIN" if self.read_only else "BEGIN IMMEDIATE") if outer else f"SAVEPOINT sp{self._depth}")
            self._depth += 1
            try:
                try:
                    yield conn
                except sqlite3.Error as exc:
                    raise self._sqlite_error(exc, "write to the store") from exc
            except BaseException:
                self._depth -= 1
                with suppress(sqlite3.Error):  # the original error is the one to report
                    conn.execute("ROLLBACK" if outer else f"ROLLBACK TO sp{self._depth}")
                    if not outer:
                        conn.execute(f"RELEASE sp{self._depth}")
                raise
            self._depth -= 1
            try:
                conn.execute("COMMIT" if outer else f"RELEASE sp{self._depth}")
            except sqlite3.Error as exc:
                if outer and conn.in_transaction:
                    with suppress(sqlite3.Error):
                        conn.execute("ROLLBACK")  # leave the connection usable
                raise translate_sqlite_error(exc, "commit to the store", self.path) from exc
            if outer and not self.read_only:
                self._bound_wal(conn)

    def _bound_wal(self, conn: sqlite3.Connection) -> None:
        """After a commit: a ``-wal`` grown past ``WAL_RESET_FACTOR`` times ``WAL_CHECKPOINT_BYTES``
        is folded into the database and cut to nothing now (``wal_checkpoint(TRUNCATE)``, waiting at
        most ``_WAL_RESET_WAIT_MS`` for other connections). SQLite's own checkpoint after a commit
        never waits, and starts the log over only when no other connection is reading it at that
        instant: with writers in two processes (two imports, or one and a serve) it almost never
        is, and the log grew to the size of everything both wrote (799 MB for two 400 MB imports).
        Best effort: one refused at once (another process checkpointing) is tried at the next
        commit; one that waited in vain (a long reader elsewhere, which no wait can hurry) only
        once the log has doubled, so a writer beside a long reader waits a few times, not once
        every ``WAL_CHECKPOINT_BYTES`` under the store's lock (32 MiB at a 1 MiB step beside a held
        snapshot took 52 s that way, 0.13 s without); errors are logged, never raised (the commit is done)."""
        try:
            size = os.stat(self._wal_path).st_size
        except OSError:
            return
        if size <= max(WAL_RESET_FACTOR * WAL_CHECKPOINT_BYTES, self._wal_retry_at):
            return
        busy, started = 1, time.monotonic()
        try:
            conn.execute(f"PRAGMA busy_timeout={_WAL_RESET_WAIT_MS}")
            for _ in range(_WAL_RESET_TRIES):  # refused at once while another process checkpoints
                busy = int(conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()[0])
                if not busy or time.monotonic() - started >= _WAL_RESET_WAIT_MS / 2000:
                    break
                time.sleep(0.002)
        except sqlite3.Error as exc:
            log.info("wal_checkpoint_failed", error=str(exc), path=str(self.path))
        finally:
            with suppress(sqlite3.Error):
                conn.execute(f"PRAGMA busy_timeout={int(self.limits.store.busy_timeout_ms)}")
        waited = time.monotonic() - started >= _WAL_RESET_WAIT_MS / 2000
        # refused at once (another process was checkpointing): again at the next commit; waited
        # in vain (a reader holds the log): again only once it has doubled
        self._wal_retry_at = 2 * size if busy and waited else 0
        log.debug("wal_reset", wal_bytes=size, done=not busy)

    def _check_still_there(self) -> None:
        """``StoreError`` when the database file opened is no longer the one at ``path`` (the home
        was removed, moved or replaced under this process): SQLite would go on writing into the
        file it holds open, and everything written would be lost when it closes."""
        now = file_identity(self._file_path)
        if now is None or now != self._file:
            log.warning("store_file_gone", path=str(self._file_path))
            raise StoreError("the home's store was removed or replaced while this process had it open; "
                             "nothing written now would be kept",
                             hint="open the home again (a new Runtime or BlockStore.open), after restoring it if "
                                  "it was removed by mistake")

    def ensure_schema(self, wing: str, version: int, statements: Iterable[str]) -> None:
        """Register a wing's migration and apply any pending ones to this database now."""
        register_migration(wing, version, statements)
        with self._lock, _sqlite_errors(f"migrate the {wing} schema", self.path):
            if self._depth:
                raise StoreError("ensure_schema cannot run inside a transaction")
            self.behind.update(migrate(self._db(), read_only=self.read_only))

    def _sqlite_error(self, exc: sqlite3.Error, doing: str) -> StoreError:
        """``translate_sqlite_error``, except that a table or column missing from a wing left
        behind (``behind``) is the upgrade the read-only home needs, said in one line."""
        if self.behind and ("no such table" in str(exc) or "no such column" in str(exc)):
            wings = ", ".join(f"{wing} v{old}, v{new} needed" for wing, (old, new) in sorted(self.behind.items()))
            return StoreError("the home was made by an older autocodec and needs an upgrade that its read-only "
                              f"mount prevents (its tables: {wings})",
                              hint="open the home once where it can be written (any command upgrades it), "
                                   "or read it with the autocodec release that made it")
        return translate_sqlite_error(exc, doing, self.path)

    # --- writing -------------------------------------------------------------------------

    def _admit(self, cid: CID, data: bytes) -> None:
        """Refuse an oversized or unverifiable block (raises; writes nothing). ``cid`` is a
        ``CID``: every caller checks it first (``_need_cid``: ``InvalidCID`` naming the call).
        An identity CID of over ``autocodec.builtin.MAX_IDENTITY_DIGEST`` bytes is refused whatever its data."""
        limit = self.limits.decode.max_block_bytes
        if len(data) > limit:
            raise InvalidBlock(f"block {cid} is {len(data)} bytes, over the {limit}-byte limit")
        if _is_identity(cid):
            from ..builtin import check_identity_digest  # imported on first use, as _builtin_verify

            check_identity_digest(cid)
        self.verify(cid, data)

    def put(self, cid: CID, data: bytes) -> None:
        """Verify and store one block (idempotent; it repairs a damaged row of the same CID)."""
        _need_cid(cid)
        data = as_bytes(data, "put")
        self._admit(cid, data)
        if not _is_identity(cid):
            self._write([(cid, data)])

    def put_many(self, blocks: Iterable[tuple[CID, bytes]]) -> int:
        """Verify and store blocks, one transaction per batch; returns how many were given.
        ``blocks`` is any iterable of ``(CID, bytes)`` pairs (read once, as it goes). When the
        input fails, the blocks verified before it are written, then its error raised; when a
        batch's write fails, that error is raised as it is (the batch is not tried again)."""
        need_iterable(blocks, "put_many", "(CID, bytes) pairs")
        batch: list[tuple[CID, bytes]] = []
        batch_bytes = 0
        count = 0
        limits = self.limits.store
        try:
            for item in blocks:
                cid, data = item if type(item) is tuple and len(item) == 2 else pair(item, "put_many")
                _need_cid(cid)
                data = as_bytes(data, "put_many")
                self._admit(cid, data)
                count += 1
                if _is_identity(cid):
                    continue
                batch.append((cid, data))
                batch_bytes += len(data)
                if len(batch) >= limits.batch_blocks or batch_bytes >= limits.batch_bytes:
                    full, batch, batch_bytes = batch, [], 0  # a write that fails leaves no batch to retry
                    self._write(full)
        except Exception:
            if batch:
                self._write(batch)  # keep what was verified before the input failed, wherever a batch ended
            raise
        if batch:
            self._write(batch)
        return count

    def _write(self, batch: list[tuple[CID, bytes]]) -> None:
        rows = []
        for cid, data in batch:
            codec = cid.codec
            rows.append((_key(cid), codec, len(data), data, _checksum(cid.multihash, data)))
        with self.transaction() as conn:
            conn.executemany(_UPSERT, rows)
        log.debug("blocks_written", count=len(rows))

    def delete(self, cid: CID) -> bool:
        """Remove a block, under every CID of its multihash (as Kubo's blockstore, keyed by
        multihash, removes it); True if one was there. Identity CIDs are never stored: False."""
        _need_cid(cid)
        if _is_identity(cid):
            return False
        by_multihash = self._multihash_index()
        with self.transaction() as conn:
            cur = conn.execute("DELETE FROM blocks WHERE cid = ?", (_key(cid),))
            removed = cur.rowcount > 0
            if by_multihash:
                removed = conn.execute(_DELETE_BY_MULTIHASH, (cid.multihash,)).rowcount > 0 or removed
            return removed

    # --- reading -------------------------------------------------------------------------

    def _query(self, sql: str, params: tuple[Any, ...], doing: str, cid: CID | None = None) -> Any:
        """One row; ``doing`` names the action in an error, `` {cid}`` appended only then
        (formatting a CID per read was a measurable part of a DAG walk)."""
        try:
            with self._lock:
                return self._db().execute(sql, params).fetchone()
        except sqlite3.Error as exc:
            raise self._sqlite_error(exc, doing if cid is None else f"{doing} {cid}") from exc

    def _stored_row(self, columns: str, doing: str, cid: CID) -> Any:
        """The ``columns`` (``_SELECT``'s keys) of a stored (non-identity) block's row: the row
        of the CID, else of another CID of its multihash (when the store has the index,
        ``_multihash_index``); ``BlockNotFound`` if neither."""
        by_cid, by_multihash = _SELECT[columns]
        row = self._query(by_cid, (_key(cid),), doing, cid)
        if row is None and self._multihash_index():
            row = self._query(by_multihash, (cid.multihash,), doing, cid)
        if row is None:
            raise BlockNotFound(f"block {cid} is not in the store")
        return row

    def _multihash_index(self) -> bool:
        """Whether the store has its multihash index (``MULTIHASH_SCHEMA``): every home this code
        opened to write has; a read-only home an older autocodec made may not, and its reads then
        find a block by its CID only (a lookup by multihash without the index reads every row)."""
        if self._by_multihash is None:
            found = self._query("SELECT 1 FROM sqlite_master WHERE type = 'index' AND name = 'blocks_by_multihash'",
                                (), "look up the multihash index")
            self._by_multihash = found is not None
        return self._by_multihash

    def _corrupt(self, cid: CID, what: str) -> StoreCorrupt:
        """The error for a block whose row failed its checks (``what`` it is), logged for the
        operator; the ``StoreCorrupt`` says it to the user."""
        log.info("store_corrupt", cid=str(cid), path=str(self.path))
        return StoreCorrupt(f"block {cid} {what} in the store")

    def read_row(self, sql: str, params: tuple[Any, ...] = ()) -> Any:
        """The first row of one ``SELECT`` (or ``None``), read without taking the write lock:
        for other wings' tables, where ``transaction()`` would wait for a concurrent writer."""
        if not sql.lstrip().upper().startswith("SELECT"):
            raise StoreError("read_row runs SELECT statements only")
        return self._query(sql, params, "read the store")

    def read_rows(self, sql: str, params: tuple[Any, ...] = ()) -> list[Any]:
        """Every row of one ``SELECT``, read without taking the write lock (as ``read_row``)."""
        if not sql.lstrip().upper().startswith("SELECT"):
            raise StoreError("read_rows runs SELECT statements only")
        try:
            with self._lock:
                return list(self._db().execute(sql, params).fetchall())
        except sqlite3.Error as exc:
            raise translate_sqlite_error(exc, "read the store", self.path) from exc

    def get(self, cid: CID) -> bytes:
        """The block's bytes, checked for on-disk corruption; ``BlockNotFound`` if absent."""
        _need_cid(cid)
        if _is_identity(cid):
            return _inline_data(cid)
        # CAST: a column whose type changed on disk (one flipped bit turns a BLOB into TEXT) is
        # read back as its bytes, never decoded as UTF-8; the checksum then tells if they are intact
        data, data_type, checksum, checksum_type = self._stored_row(_DATA_COLUMNS, "read", cid)
        if not _row_intact(data, data_type, checksum, checksum_type, cid):
            raise self._corrupt(cid, "is corrupt")
        return data

    def data_version(self) -> int:
        """SQLite's ``PRAGMA data_version``: changes when *another* connection commits.

        It tells other wings (the registry's generations) cheaply whether state shared with
        other processes may have changed; it takes no SQLite lock.
        """
        return int(self._query("PRAGMA data_version", (), "read the data version")[0])

    def _block_seq(self) -> bool:
        """Make the block sequence (``SEQ_SCHEMA``) once per store object; False when the home is
        read-only and has none (nothing new can then be numbered by this process either)."""
        if self._seq_ready:
            return True
        if self.read_only:
            found = self._query("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'block_seq'", (),
                                "read the block sequence")
            self._seq_ready = found is not None
            return self._seq_ready
        self.ensure_schema(SEQ_WING, 1, SEQ_SCHEMA)
        self._seq_ready = True
        return True

    def last_insert_mark(self) -> int:
        """An opaque mark of the newest block stored so far (``inserted_since`` starts after it)."""
        if not self._block_seq():
            return 0
        return int(self._query("SELECT COALESCE(MAX(seq), 0) FROM block_seq", (), "read the newest block")[0])

    def inserted_since(self, mark: int, limit: int = 1000) -> tuple[int, list[CID]]:
        """Blocks stored (by any process) after ``mark``, oldest first, at most ``limit``; and the new mark.

        For event triggers: each block stored after ``mark`` is listed once, however blocks were
        removed meanwhile (marks are never reused); a block deleted and stored again counts as
        new; keys that are not CIDs are skipped (and logged), never returned. ``mark`` (0: from
        the first block) and ``limit`` (0 reads as 1) are whole numbers, else ``InvalidInput``.
        """
        new_mark, numbered = self.numbered_since(mark, limit)
        return new_mark, [cid for _seq, cid in numbered]

    def numbered_since(self, mark: int, limit: int = 1000) -> tuple[int, list[tuple[int, CID]]]:
        """``inserted_since`` with each block's mark beside it (marks increase down the list)."""
        mark = whole_number(mark, "inserted_since's mark", most=_ROWID_MAX)
        limit = max(1, whole_number(limit, "inserted_since's limit", most=_ROWID_MAX))
        if not self._block_seq():
            return mark, []
        with self._lock, _sqlite_errors("list new blocks", self.path):
            rows = self._db().execute(
                "SELECT seq, cid FROM block_seq WHERE seq > ? AND typeof(cid) = 'blob' ORDER BY seq LIMIT ?",
                (mark, limit),
            ).fetchall()
        found: list[tuple[int, CID]] = []
        for seq, raw in rows:
            try:
                found.append((int(seq), CID(raw)))
            except InvalidCID:
                log.info("store_corrupt_key", key=raw[:64].hex(), path=str(self.path))
        return (int(rows[-1][0]) if rows else mark), found

    def has(self, cid: CID) -> bool:
        _need_cid(cid)
        if _is_identity(cid):
            return len(cid.digest) <= _max_identity_digest()
        if self._query("SELECT 1 FROM blocks WHERE cid = ?", (_key(cid),), "look up", cid) is not None:
            return True
        return self._multihash_index() and self._query(_SELECT["1"][1], (cid.multihash,), "look up", cid) is not None

    def __contains__(self, cid: object) -> bool:
        return isinstance(cid, CID) and self.has(cid)

    def stat(self, cid: CID) -> BlockStat:
        _need_cid(cid)
        if _is_identity(cid):
            return BlockStat(cid, len(_inline_data(cid)), cid.codec, inline=True)
        size, size_type, codec_type = self._stored_row(_SIZE_COLUMNS, "stat", cid)
        if size_type != "integer" or codec_type != "integer":
            raise self._corrupt(cid, "has a corrupt size or codec")
        return BlockStat(cid, int(size), cid.codec)

    def _keys(self) -> Iterator[bytes]:
        """Every stored key (BLOB keys only, in byte order), unvalidated; pages without a long lock."""
        after = b""
        while True:
            with self._lock, _sqlite_errors("list the store", self.path):
                rows = self._db().execute(
                    "SELECT cid FROM blocks WHERE typeof(cid) = 'blob' AND cid > ? ORDER BY cid LIMIT ?", (after, _PAGE)
                ).fetchall()
            for (raw,) in rows:
                yield raw
            if len(rows) < _PAGE:
                return
            after = rows[-1][0]

    def cids(self) -> Iterator[CID]:
        """Every stored CID (v1), in byte order; a key that is not a valid CID is logged and skipped."""
        for raw in self._keys():
            try:
                yield CID(raw)
            except InvalidCID:
                log.info("store_corrupt_key", key=raw[:64].hex(), path=str(self.path))

    def __iter__(self) -> Iterator[CID]:
        return self.cids()

    def __len__(self) -> int:
        return int(self._query("SELECT count(*) FROM blocks", (), "count blocks")[0])

    def check(self) -> list[CID]:
        """Read every block back; the CIDs whose rows are corrupt (empty when all is well).

        A row whose key is no longer a valid CID is listed as its stored key bytes (printable,
        not usable as a CID). A single corrupt row never stops the check, nor does a damaged page
        of the database file under some rows (SQLite: "malformed"): their windows are read again
        a row at a time, and each row SQLite cannot read is listed. Only damage to the key index
        itself stops it (``StoreError``). Rows are read in key order a window at a time (at most
        ``_CHECK_WINDOW_BYTES`` of block data, one query for the sizes and one for the rows), and
        a window's checksums are computed on every core (hashlib releases the GIL): the same
        verdicts as ``get`` and ``stat`` on each row.
        """
        bad: list[CID] = []
        after = b""
        while True:
            sized = self._rows_unless_damaged(
                "SELECT cid, length(data) FROM blocks WHERE typeof(cid) = 'blob' AND cid > ? ORDER BY cid LIMIT ?",
                (after, _PAGE),
                "list the store",
            )
            if sized is None:
                # a row's page is unreadable: list the keys from the index alone, each row on its own
                sized = [(key, None) for key in self._keys_between(after, None, _PAGE)]
                for key, _size in sized:
                    bad += self._check_window(key, key)
            else:
                for first, last in _windows(sized, _CHECK_WINDOW_BYTES):
                    bad += self._check_window(first, last)
            if len(sized) < _PAGE:
                return bad
            after = sized[-1][0]

    def _keys_between(self, after: bytes, last: bytes | None, limit: int = -1) -> list[bytes]:
        """Stored keys past ``after`` (up to ``last``), in order, read from the key index alone:
        they stay listable when a page holding rows is damaged."""
        upto, params = ("", (after, limit)) if last is None else (" AND cid <= ?", (after, last, limit))
        with self._lock, _sqlite_errors("list the store", self.path):
            return [key for (key,) in self._db().execute(
                f"SELECT cid FROM blocks WHERE typeof(cid) = 'blob' "
                f"AND cid > ?{upto} ORDER BY cid LIMIT ?", params).fetchall()]

    def _rows_unless_damaged(self, sql: str, params: tuple[Any, ...], doing: str) -> list[Any] | None:
        """Every row of one query; ``None`` when SQLite meets a damaged page under them (the caller
        reads around it), any other SQLite error translated as ``doing``."""
        try:
            with self._lock:
                return self._db().execute(sql, params).fetchall()
        except sqlite3.Error as exc:
            if not _damaged_page(exc):
                raise translate_sqlite_error(exc, doing, self.path) from exc
            return None

    def _check_window(self, first: bytes, last: bytes) -> list[CID]:
        rows = self._rows_unless_damaged(
            "SELECT cid, CAST(data AS BLOB), typeof(data), CAST(checksum AS BLOB), typeof(checksum), "
            "typeof(size), typeof(codec) FROM blocks WHERE typeof(cid) = 'blob' AND cid >= ? AND cid <= ? "
            "ORDER BY cid",
            (first, last),
            "read the store",
        )
        if rows is None:
            if first == last:  # this row's own page (or overflow page) is unreadable
                cid = _listed(first)
                log.info("store_damaged_row", cid=str(cid), path=str(self.path))
                return [cid]
            keys = [first, *self._keys_between(first, last)]
            return [cid for key in keys for cid in self._check_window(key, key)]
        digests = _sha256_all([row[1] if type(row[1]) is bytes else b"" for row in rows])
        bad: list[CID] = []
        for (raw, data, data_type, checksum, checksum_type, size_type, codec_type), digest in zip(rows, digests):
            try:
                cid = CID(raw)
            except InvalidCID:  # a key that is no CID any more: reported as stored
                bad.append(CID._unchecked(raw))
                continue
            if _is_identity(cid):  # never stored as a row: get and stat answer from the CID
                continue
            if (
                not _row_intact(data, data_type, checksum, checksum_type, cid, digest)
                or size_type != "integer"  # stat's verdict
                or codec_type != "integer"
            ):
                log.info("store_corrupt", cid=str(cid), path=str(self.path))
                bad.append(cid)
        return bad
