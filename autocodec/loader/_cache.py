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
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import os
import secrets
import tempfile
from pathlib import Path

import wasmtime

from ..log import get_logger

MAGIC = b"ACWASMC1"
_MAC_LEN = 32
_log = get_logger("loader")


class CompiledCache:
    """Artifacts for one engine fingerprint under ``cache_dir``."""

    def __init__(self, cache_dir: Path) -> None:
        self.dir = Path(cache_dir)
        self._key: bytes | None = None

    def _load_key(self) -> bytes:
        if self._key is None:
            self.dir.mkdir(parents=True, exist_ok=True)
            path = self.dir / "hmac.key"
            if not path.exists():
                # Write a complete key under a temporary name, then link it into place:
                # concurrent processes agree on whichever key was linked first.
                fd, tmp = tempfile.mkstemp(dir=self.dir, prefix=".key-")  # mode 0600
                try:
                    with os.fdopen(fd, "wb") as f:
                        f.write(secrets.token_bytes(32))
                    with contextlib.suppress(FileExistsError):
                        os.link(tmp, path)
                finally:
                    self._discard(Path(tmp))
            key = path.read_bytes()
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
        except (ValueError, OSError, wasmtime.WasmtimeError) as exc:
            _log.warning("compiled cache entry rejected; recompiling", path=str(path), reason=str(exc))
            self._discard(path)
            return None

    def put(self, name: str, module: wasmtime.Module) -> None:
        try:
            artifact = module.serialize()
            blob = MAGIC + self._mac(name, artifact) + artifact
            self.dir.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=self.dir, prefix=".tmp-", suffix=".cwasm")
            try:
                with os.fdopen(fd, "wb") as f:
                    f.write(blob)
                os.replace(tmp, self.dir / name)
            except BaseException:
                self._discard(Path(tmp))
                raise
        except (OSError, wasmtime.WasmtimeError) as exc:
            _log.warning("compiled cache write failed", dir=str(self.dir), error=str(exc))

    @staticmethod
    def _discard(path: Path) -> None:
        with contextlib.suppress(OSError):
            path.unlink()
