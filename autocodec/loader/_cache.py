"""Compiled-module cache: wasmtime artifacts on disk, integrity-protected with HMAC-SHA256.

``Module.deserialize`` runs the machine code it is given, so an artifact is trusted only if
it carries a valid HMAC under this home's key.

Invariants:
- An entry is keyed by (module identity, wasmtime version, engine fingerprint): an artifact
  is never offered to an engine that did not produce it.
- The key is 32 random bytes in ``<cache_dir>/hmac.key``, mode 0600, created atomically
  (temp file + hard link, so concurrent processes agree on one key); the file
  format is ``MAGIC || HMAC-SHA256(key, MAGIC || name || artifact) || artifact``.
- A missing, truncated, tampered or incompatible artifact is logged, deleted and recompiled;
  it is never deserialized. Writes are atomic (temp file in the same folder + rename).
- Cache failures (read-only folder, full disk) degrade to compiling; they never fail a load.
- The key is checked like an ssh private key before use: a regular file (no symlink) owned by
  this user with mode 0600 or stricter, in a folder owned by this user that group and others
  cannot write. Otherwise nothing from the cache is trusted or written (logged), loads compile.
- A module that could not be compiled within the compile bounds is remembered as
  ``<name>.refused`` (``refuse``/``refused``), so it is refused again without compiling.
- The folder is bounded: after each write, the oldest-written entries (artifacts and refusals)
  are removed until at most ``max_entries`` remain holding at most ``max_bytes`` (the entry just
  written always stays; the sandbox passes ``SandboxLimits.compiled_cache_entries`` and
  ``compiled_cache_bytes``). A removed entry is a miss: that module is compiled again. A process
  that upgraded sets for weeks kept every version's artifact it had ever compiled.
- Temporary files (``.tmp-????????.cwasm``, ``.tmp-????????.refused``) are locked by their
  writer while it writes (``_partfiles``); what a killed writer left is removed by a later write
  to the cache once it is a minute old, never a live writer's. A warm start writes nothing and
  sweeps nothing.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import hmac
import os
import stat
from pathlib import Path

import wasmtime

from ..config import DEFAULT_LIMITS
from ..log import get_logger

MAGIC = b"ACWASMC1"
_MAC_LEN = 32
MAX_ENTRIES = DEFAULT_LIMITS.sandbox.compiled_cache_entries
"""Most entries (artifacts and refusals) one cache folder keeps by default; the oldest-written go first."""
MAX_BYTES = DEFAULT_LIMITS.sandbox.compiled_cache_bytes
"""Most bytes of entries one cache folder keeps by default (the default set's artifacts are a few MiB)."""
_log = get_logger("loader")


class CompiledCache:
    """Artifacts for one engine fingerprint under ``cache_dir``."""

    def __init__(self, cache_dir: Path, *, max_entries: int = MAX_ENTRIES, max_bytes: int = MAX_BYTES) -> None:
        self.dir = Path(cache_dir)
        self.max_entries = max_entries
        self.max_bytes = max_bytes
        self._key: bytes | None = None

    def _load_key(self) -> bytes:
        if self._key is None:
            self.dir.mkdir(parents=True, exist_ok=True, mode=0o700)
            path = self.dir / "hmac.key"
            _check_private(self.dir, directory=True)
            if not path.exists():
                # Write a complete key under a temporary name, then link it into place:
                # concurrent processes agree on whichever key was linked first.
                import secrets
                import tempfile

                fd, tmp = tempfile.mkstemp(dir=self.dir, prefix=".key-")  # mode 0600
                try:
                    with os.fdopen(fd, "wb") as f:
                        f.write(secrets.token_bytes(32))
                    with contextlib.suppress(FileExistsError):
                        os.link(tmp, path)
                finally:
                    self._discard(Path(tmp))
            key = _read_private(path)
            if len(key) != 32:
                raise OSError(f"{path} is not a 32-byte key")
            self._key = key
        return self._key

    @staticmethod
    def entry_name(identity: str, fingerprint: str) -> str:
        return hashlib.sha256(f"{identity}\0{fingerprint}".encode()).hexdigest() + ".cwasm"

    def _mac(self, name: str, artifact: bytes | bytearray | memoryview) -> bytes:
        mac = hmac.new(self._load_key(), MAGIC + name.encode(), hashlib.sha256)
        mac.update(artifact)
        return mac.digest()

    def get(self, engine: wasmtime.Engine, name: str) -> wasmtime.Module | None:
        """The cached module, or None (missing or rejected: a rejected file is deleted)."""
        path = self.dir / name
        try:
            blob = path.read_bytes()
        except FileNotFoundError:
            return None
        except OSError as exc:
            _log.warning("compiled cache unreadable", path=str(path), error=str(exc))
            return None
        try:
            head = len(MAGIC) + _MAC_LEN
            view = memoryview(blob)
            if len(blob) <= head or blob[: len(MAGIC)] != MAGIC:
                raise ValueError("truncated or not an artifact")
            if not hmac.compare_digest(blob[len(MAGIC) : head], self._mac(name, view[head:])):
                raise ValueError("HMAC mismatch (tampered or written under another key)")
            return wasmtime.Module.deserialize(engine, blob[head:])
        except UnsafeKey as exc:  # nothing from this cache is trusted; the entry is left alone
            _log.warning("compiled cache not used: its key is not private", path=str(path), reason=str(exc))
            return None
        except (ValueError, OSError, wasmtime.WasmtimeError) as exc:
            _log.warning("compiled cache entry rejected; recompiling", path=str(path), reason=str(exc))
            self._discard(path)
            return None

    def refused(self, name: str) -> str | None:
        """The remembered reason ``name`` could not be compiled within bounds, or None."""
        try:
            with open(self.dir / (name + ".refused"), "rb") as f:
                return f.read(1000).decode("utf-8", "replace") or "refused before"
        except OSError:
            return None

    def refuse(self, name: str, reason: str) -> None:
        """Remember that ``name`` could not be compiled within bounds (best effort)."""
        try:
            self.dir.mkdir(parents=True, exist_ok=True, mode=0o700)
            fd, tmp = self._temp(".refused")
            try:
                with os.fdopen(fd, "wb") as f:
                    f.write(reason.encode("utf-8")[:1000])
                os.replace(tmp, self.dir / (name + ".refused"))
            except BaseException:
                self._discard(tmp)
                raise
        except OSError as exc:
            _log.warning("compiled cache: cannot record a refusal", dir=str(self.dir), error=str(exc))
            return
        self._bound(keep=name + ".refused")

    def put(self, name: str, module: wasmtime.Module) -> None:
        try:
            artifact = module.serialize()
            blob = MAGIC + self._mac(name, artifact) + artifact
            self.dir.mkdir(parents=True, exist_ok=True)
            fd, tmp = self._temp(".cwasm")
            try:
                with os.fdopen(fd, "wb") as f:
                    f.write(blob)
                os.replace(tmp, self.dir / name)
            except BaseException:
                self._discard(tmp)
                raise
        except (OSError, wasmtime.WasmtimeError) as exc:  # UnsafeKey included: nothing is written
            _log.warning("compiled cache write failed", dir=str(self.dir), error=str(exc))
            return
        self._bound(keep=name)

    def _bound(self, keep: str) -> None:
        """Remove the oldest-written entries beyond ``max_entries`` / ``max_bytes`` (never ``keep``)."""
        entries: list[tuple[int, str, int]] = []
        try:
            with os.scandir(self.dir) as found:
                for entry in found:
                    if entry.name.startswith(".") or not entry.name.endswith((".cwasm", ".refused")):
                        continue  # temporary files and the key are not entries
                    with contextlib.suppress(OSError):
                        st = entry.stat(follow_symlinks=False)
                        entries.append((st.st_mtime_ns, entry.name, st.st_size))
        except OSError as exc:
            _log.warning("compiled cache not bounded: folder unreadable", dir=str(self.dir), error=str(exc))
            return
        total = sum(size for _, _, size in entries)
        count = len(entries)
        removed = 0
        for _, name, size in sorted(entries):
            if count <= self.max_entries and total <= self.max_bytes:
                break
            if name == keep:
                continue
            self._discard(self.dir / name)  # another process may have removed it first: same outcome
            count -= 1
            total -= size
            removed += 1
        if removed:
            _log.info("compiled cache bounded", dir=str(self.dir), removed=removed, entries=count, bytes=total)

    def _temp(self, suffix: str) -> tuple[int, Path]:
        """A new locked temporary file in the cache folder, after removing what killed writers
        left there (here: a warm start, every lookup a hit, never writes)."""
        from .._partfiles import create, sweep

        for kind in (".cwasm", ".refused"):
            sweep(self.dir, ".tmp-", kind)
        return create(self.dir, ".tmp-", suffix)

    @staticmethod
    def _discard(path: Path) -> None:
        with contextlib.suppress(OSError):
            path.unlink()


class UnsafeKey(OSError):
    """The HMAC key (or its folder) could be read or replaced by another user."""


def _check_private(path: Path, *, directory: bool) -> None:
    """Like ssh with a private key: refuse a file or folder another user could read or change.

    The key must be owned by this user, a regular file (not a symlink) and mode 0600 or
    stricter; its folder owned by this user and not writable by group or others.
    """
    st = os.lstat(path)
    kind = stat.S_ISDIR(st.st_mode) if directory else stat.S_ISREG(st.st_mode)
    if not kind:
        raise UnsafeKey(f"{path} is not a {'folder' if directory else 'regular file'}")
    if hasattr(os, "getuid") and st.st_uid != os.getuid():
        raise UnsafeKey(f"{path} is owned by uid {st.st_uid}, not this user")
    loose = 0o022 if directory else 0o077
    if st.st_mode & loose:
        raise UnsafeKey(f"{path} has mode {stat.S_IMODE(st.st_mode):o}; other users could read or change it")


def _read_private(path: Path) -> bytes:
    """The key file's bytes after ``_check_private`` on the opened file (no symlinks)."""
    flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0)
    try:
        fd = os.open(path, flags)
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise UnsafeKey(f"{path} is a symbolic link") from None
        raise
    with os.fdopen(fd, "rb") as f:
        st = os.fstat(f.fileno())
        if not stat.S_ISREG(st.st_mode):
            raise UnsafeKey(f"{path} is not a regular file")
        if hasattr(os, "getuid") and st.st_uid != os.getuid():
            raise UnsafeKey(f"{path} is owned by uid {st.st_uid}, not this user")
        if st.st_mode & 0o077:
            raise UnsafeKey(f"{path} has mode {stat.S_IMODE(st.st_mode):o}; it must be 0600 like a private key")
        return f.read(64)
