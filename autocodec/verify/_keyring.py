"""Private signing keys kept as files under ``Home.keys_dir``.

Layout: ``keys/NAME.pem`` (PKCS#8 PEM, optionally encrypted with the best encryption
``cryptography`` offers) and ``keys/NAME.did`` (the public did:key, for listing without a
passphrase).

Invariants:
- Key files are created with mode 0600 in a 0700 folder, atomically: written to a temporary
  file in the same folder, fsynced, then linked to ``NAME.pem`` (never overwriting a key); on
  any error (a full disk) the temporary file is removed and no ``NAME.pem``/``NAME.did`` is left.
- A temporary key file is locked while it is written (``_partfiles.create``); every key write
  first removes the ones killed writers left (``.NAME.????????.tmp``, unlocked, over a minute
  old), so no stray copy of a private key outlives the process that wrote it.
- One bad entry in the folder (a directory, an unreadable or non-key file named ``*.pem``) is
  listed as unusable and refused by name when used; it never hides the other keys.
- Like ssh, a private key file readable or writable by group or others is refused, and
  nothing is read from it.
- The DID a key signs as is always derived from the private key itself, never read from the
  ``.did`` file, so a tampered ``.did`` file cannot make a key sign under another identity.
- Names are plain (``[A-Za-z0-9][A-Za-z0-9._-]*``, at most 64 chars): no path traversal.
- ``rename`` and ``remove`` move or delete a key's ``.pem`` and ``.did`` together; ``remove``
  checks every name before it deletes any, ``rename`` never replaces a key unless forced, and
  neither deletes a folder that stands where a key file should be.
"""

from __future__ import annotations

import contextlib
import errno
import os
import re
import stat
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from .. import _partfiles
from .._inputs import as_bytes, as_path, bytes_like
from ..errors import ConfigError, FileSizeLimit, InvalidInput, KeyNotFound, StorageFull, StoreError
from ._ed25519 import PublicKey

if TYPE_CHECKING:  # pragma: no cover - cryptography is imported where a key is used (start-up)
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")
_TEMP = re.compile(r"\.([A-Za-z0-9][A-Za-z0-9._-]{0,63})\.[^.]+\.tmp")
_MAX_KEY_FILE_BYTES = 16 * 1024


class SigningKey:
    """An Ed25519 private key and the did:key it signs as."""

    __slots__ = ("_key", "public")

    def __init__(self, key: Ed25519PrivateKey) -> None:
        from cryptography.hazmat.primitives import serialization

        self._key = key
        raw = key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
        self.public = PublicKey(raw)

    @classmethod
    def generate(cls) -> SigningKey:
        from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

        return cls(Ed25519PrivateKey.generate())

    @classmethod
    def from_seed(cls, seed: bytes) -> SigningKey:
        """A key from a 32-byte RFC 8032 seed (for reproducible test keys); else ``InvalidInput``."""
        from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

        seed = as_bytes(seed, "SigningKey.from_seed")
        if len(seed) != 32:
            raise InvalidInput(f"an Ed25519 seed is 32 bytes, not {len(seed)}")
        return cls(Ed25519PrivateKey.from_private_bytes(seed))

    @property
    def did(self) -> str:
        return self.public.did

    def seed(self) -> bytes:
        """The 32-byte RFC 8032 seed: the private key itself (for export; keep it secret)."""
        from cryptography.hazmat.primitives import serialization

        return self._key.private_bytes(serialization.Encoding.Raw, serialization.PrivateFormat.Raw,
                                       serialization.NoEncryption())

    def sign(self, message: bytes) -> bytes:
        """The Ed25519 signature of ``message`` (bytes-like, else ``InvalidInput``)."""
        return self._key.sign(message if type(message) is bytes else bytes_like(message, "SigningKey.sign"))

    def to_pem(self, passphrase: bytes | None = None) -> bytes:
        """The key as PKCS#8 PEM, encrypted with ``passphrase`` (bytes; None: not encrypted).
        An empty passphrase is refused: it wrote the key unencrypted without a word."""
        from cryptography.hazmat.primitives import serialization

        passphrase = _passphrase(passphrase, "to_pem", storing=True)

        enc: serialization.KeySerializationEncryption = (
            serialization.BestAvailableEncryption(passphrase) if passphrase else serialization.NoEncryption()
        )
        return self._key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, enc)

    def __repr__(self) -> str:
        return f"SigningKey({self.did})"


@dataclass(frozen=True, slots=True)
class KeyEntry:
    name: str
    did: str
    encrypted: bool
    problem: str | None = None
    """Why the key cannot be used (its file is a directory, unreadable, ...); None if it looks usable."""


class KeyRing:
    """The named keys of one home folder."""

    def __init__(self, keys_dir: str | os.PathLike[str]) -> None:
        self.dir = as_path(keys_dir, "KeyRing's folder")

    def _path(self, name: str, suffix: str) -> Path:
        if not isinstance(name, str) or not _NAME.fullmatch(name):
            raise InvalidInput(
                f"invalid key name {str(name)[:80]!r}",
                hint="use letters, digits, '.', '_' or '-' (at most 64 characters)",
            )
        return self.dir / f"{name}{suffix}"

    def generate(self, name: str, passphrase: bytes | None = None) -> SigningKey:
        """Create and store a new key; refuses to overwrite an existing one.

        Written atomically (see the module invariants): a failure leaves no file behind.
        """
        return self.add(name, None, passphrase)

    def add(self, name: str, key: SigningKey | None, passphrase: bytes | None = None) -> SigningKey:
        """Store ``key`` (None: a new one) as ``name``, encrypted with ``passphrase`` when given;
        ``ConfigError`` if the name is taken (never overwritten). Atomic as ``generate``."""
        pem_path = self._path(name, ".pem")
        did_path = self._path(name, ".did")
        if key is not None and not isinstance(key, SigningKey):
            raise InvalidInput(f"KeyRing.add stores a SigningKey (or None for a new one), not {type(key).__name__}",
                               hint="make one with SigningKey.generate() or SigningKey.from_seed(SEED)")
        passphrase = _passphrase(passphrase, "add" if key is not None else "generate", storing=True)  # refused before any file is made
        self.dir.mkdir(mode=0o700, parents=True, exist_ok=True)
        self._sweep_temporaries()
        if os.path.lexists(pem_path):
            raise _taken(name)
        key = key if key is not None else SigningKey.generate()
        tmp = self._write_temp(name, key.to_pem(passphrase))
        try:
            self._place(tmp, pem_path, name)
        finally:
            _remove(tmp)
        try:
            self._write_did(name, key.did, did_path)
        except BaseException:
            _remove(pem_path)  # ours: linked above; a key without its .did is never left behind
            raise
        return key

    def _place(self, source: Path, target: Path, name: str, hint: str = "choose another name") -> None:
        """Give ``source``'s file the name ``target`` too (a hard link: atomic, and never
        replacing a key created meanwhile); ``ConfigError`` if ``target`` exists."""
        try:
            os.link(source, target, follow_symlinks=False)
        except FileExistsError:
            raise _taken(name, hint) from None
        except OSError as exc:
            if exc.errno not in (errno.EPERM, errno.ENOTSUP, errno.EOPNOTSUPP, errno.EXDEV):
                raise _write_error(name, target, exc) from None
            if os.path.lexists(target):  # a folder without hard links: rename, checked first
                raise _taken(name, hint) from None
            os.rename(source, target)

    def _write_did(self, name: str, did: str, did_path: Path) -> None:
        """``did_path`` replaced by a file holding ``did``; the folder synced."""
        did_tmp = self._write_temp(name, (did + "\n").encode("ascii"))
        try:
            os.replace(did_tmp, did_path)
        finally:
            _remove(did_tmp)
        _fsync_dir(self.dir)

    def remove(self, *names: str) -> list[str]:
        """Delete the named keys (their ``.pem`` and ``.did``); the names removed, in order.

        All or nothing up front: if one name is invalid or has no key, ``KeyNotFound`` (or
        ``InvalidInput``) is raised before any key is touched. A ``NAME.pem`` that is a folder
        is refused by name (``ConfigError``), never deleted with what it holds."""
        unique = list(dict.fromkeys(names))
        for name in unique:
            pem_path = self.require(name)
            if os.path.isdir(pem_path) and not os.path.islink(pem_path):
                raise ConfigError(f"key file {pem_path} is a directory, not a key; nothing was removed",
                                  hint=f"look at what {pem_path} holds and remove it yourself")
        for name in unique:
            pem_path = self._path(name, ".pem")
            try:
                os.unlink(pem_path)
            except FileNotFoundError:
                pass  # removed meanwhile: gone as asked
            except OSError as exc:
                raise ConfigError(f"cannot remove key {name!r} ({pem_path}): {exc.strerror or exc}",
                                  hint=f"check that {self.dir} is writable") from None
            _remove(self._path(name, ".did"))
        _fsync_dir(self.dir)
        return unique

    def rename(self, old: str, new: str, *, force: bool = False) -> None:
        """Give key ``old`` the name ``new`` (its ``.pem`` and ``.did`` move together).

        ``KeyNotFound`` if ``old`` has no key; ``ConfigError`` if ``new`` has one and ``force``
        is false (with ``force`` it is replaced). Renaming a key to its own name does nothing."""
        old_pem = self.require(old)
        new_pem, new_did = self._path(new, ".pem"), self._path(new, ".did")
        if old == new:
            return
        did = self.did(old)  # the public part moves with it (an encrypted key needs no passphrase)
        self._sweep_temporaries()
        if force and os.path.isdir(new_pem) and not os.path.islink(new_pem):
            raise ConfigError(f"key file {new_pem} is a directory", hint=f"remove or rename {new_pem}")
        did_tmp = self._write_temp(new, (did + "\n").encode("ascii"))  # ready before the key moves
        try:
            if force:
                try:
                    os.replace(old_pem, new_pem)
                except OSError as exc:
                    raise _write_error(new, new_pem, exc) from None
            else:
                self._place(old_pem, new_pem, new, hint="choose another name, or allow overwriting it")
                _remove(old_pem)  # linked above: the key now lives under its new name only
            os.replace(did_tmp, new_did)
        finally:
            _remove(did_tmp)
        _remove(self._path(old, ".did"))
        _fsync_dir(self.dir)

    def require(self, name: str) -> Path:
        """The ``.pem`` path of a key that exists (a file, link or folder); else ``KeyNotFound``."""
        pem_path = self._path(name, ".pem")
        if not os.path.lexists(pem_path):
            raise KeyNotFound(f"no key named {name!r} in {self.dir}")
        return pem_path

    def has(self, name: str) -> bool:
        """Whether ``name`` is taken (by a key, or a bad entry that holds its place)."""
        return os.path.lexists(self._path(name, ".pem"))

    def require_free(self, name: str) -> None:
        """``ConfigError`` if ``name`` is taken (``add`` would refuse it)."""
        if self.has(name):
            raise _taken(name)

    def _sweep_temporaries(self) -> None:
        """Remove the temporary key files killed writers left, whatever key they were for."""
        with contextlib.suppress(OSError):
            names = {m.group(1) for entry in os.listdir(self.dir) if (m := _TEMP.fullmatch(entry))}
            for name in names:
                _partfiles.sweep(self.dir, f".{name}.", ".tmp")

    def _write_temp(self, name: str, data: bytes) -> Path:
        """``data`` in a new 0600 file of the keys folder, locked while written, fsynced;
        removed again on any error."""
        try:
            fd, tmp = _partfiles.create(self.dir, f".{name}.", ".tmp", 0o600)
        except OSError as exc:
            raise _write_error(name, self.dir / f".{name}.tmp", exc) from None
        try:
            try:
                os.fchmod(fd, 0o600)  # whatever the umask did
                view = memoryview(data)
                while view:
                    written = os.write(fd, view)
                    if written <= 0:
                        raise OSError(errno.EIO, "short write")
                    view = view[written:]
                os.fsync(fd)
            finally:
                os.close(fd)
        except OSError as exc:
            _remove(tmp)
            raise _write_error(name, tmp, exc) from None
        except BaseException:
            _remove(tmp)
            raise
        return tmp

    def load(self, name: str, passphrase: bytes | None = None) -> SigningKey:
        passphrase = _passphrase(passphrase, "load")
        pem_path = self._path(name, ".pem")
        fd = _open_key_file(name, pem_path)
        try:
            mode = os.fstat(fd).st_mode
            if mode & 0o077:
                raise ConfigError(
                    f"key file {pem_path} has permissions {stat.S_IMODE(mode):04o}: too open, refusing to use it",
                    hint=f"run `chmod 600 {pem_path}`",
                )
            data = _read_fd(name, pem_path, fd, _MAX_KEY_FILE_BYTES + 1)
        finally:
            os.close(fd)
        if not data:
            raise ConfigError(f"key file {pem_path} is empty (a key whose writing was interrupted?)",
                              hint=f"remove {pem_path} and create the key again")
        if len(data) > _MAX_KEY_FILE_BYTES:
            raise ConfigError(f"key file {pem_path} is too large to be a key")
        return SigningKey(_parse_pem(name, data, passphrase))

    def did(self, name: str) -> str:
        """The public DID of a key, from its ``.did`` file (no passphrase needed)."""
        path = self._path(name, ".did")
        os.close(_open_key_file(name, self._path(name, ".pem")))  # KeyNotFound, or a bad entry named
        try:
            text = path.read_text(encoding="ascii").strip()
        except (OSError, UnicodeDecodeError) as exc:
            reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
            raise KeyFileInvalid(f"cannot read the public part of key {name!r} ({path}): {reason}",
                                 hint=f"a key is written as NAME.pem with its NAME.did; restore {path.name}, "
                                      "or move the key away and generate a new one") from None
        return PublicKey.from_did(text).did

    def list(self) -> list[KeyEntry]:
        if not self.dir.is_dir():
            return []
        out = []
        try:
            pems = sorted(self.dir.glob("*.pem"))
        except OSError as exc:
            raise ConfigError(f"cannot list the keys folder {self.dir}: {exc.strerror or exc}") from None
        for pem in pems:
            name = pem.stem
            if not _NAME.fullmatch(name):
                continue
            problem: str | None = None
            head = b""
            try:
                fd = _open_key_file(name, pem)
                try:
                    head = _read_fd(name, pem, fd, 64)
                finally:
                    os.close(fd)
                if not head:
                    problem = "empty file"
            except (ConfigError, KeyNotFound) as exc:
                problem = exc.message
            try:
                did = self.did(name)
            except (ConfigError, InvalidInput, KeyNotFound) as exc:
                did = "?"
                problem = problem or exc.message
            out.append(KeyEntry(name, did, b"ENCRYPTED" in head, problem))
        return out


def _open_key_file(name: str, path: Path) -> int:
    """A read descriptor of a key's regular file (not following a symlink, not blocking on a
    FIFO); ``KeyNotFound`` if missing, else ``ConfigError`` naming the file."""
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0))
    except FileNotFoundError:
        raise KeyNotFound(f"no key named {name!r} in {path.parent}") from None
    except OSError as exc:
        if exc.errno == errno.ELOOP and os.path.islink(path):
            raise ConfigError(f"key file {path} is a symbolic link: a key is read only from a regular file in the "
                              "keys folder, never through a link (which could point anywhere)",
                              hint=f"replace the link by the key file itself, mode 0600, or remove {path}") from None
        raise ConfigError(f"cannot open key {name!r} ({path}): {exc.strerror or exc}",
                          hint=f"make {path} a readable key file, or remove it") from None
    try:
        mode = os.fstat(fd).st_mode
    except OSError as exc:
        os.close(fd)
        raise ConfigError(f"cannot read key {name!r} ({path}): {exc.strerror or exc}") from None
    if not stat.S_ISREG(mode):
        os.close(fd)
        what = "a directory" if stat.S_ISDIR(mode) else "not a regular file"
        raise ConfigError(f"key file {path} is {what}", hint=f"remove or rename {path}")
    return fd


def _read_fd(name: str, path: Path, fd: int, limit: int) -> bytes:
    chunks: list[bytes] = []
    size = 0
    try:
        while size < limit:
            chunk = os.read(fd, limit - size)
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
    except OSError as exc:
        raise ConfigError(f"cannot read key {name!r} ({path}): {exc.strerror or exc}") from None
    return b"".join(chunks)


def _taken(name: str, hint: str = "choose another name, or remove the existing key first to replace it "
                                   "(a removed key is gone for good: export it first if it may be needed)") -> ConfigError:
    return ConfigError(f"key {name!r} already exists", hint=hint)


def _write_error(name: str, path: Path, exc: OSError) -> ConfigError | StoreError:
    """A full disk or quota is ``StorageFull``; ``EFBIG`` under a finite file size limit is
    ``FileSizeLimit``; anything else, the folder's (``ConfigError``)."""
    from ..store._size_limit import efbig_limit

    if exc.errno in (errno.ENOSPC, errno.EDQUOT):
        return StorageFull(f"cannot write key {name!r} in {path.parent}: {exc.strerror or exc}",
                           hint="free disk space; no key file was left behind")
    if (limit := efbig_limit(exc)) is not None:
        return FileSizeLimit(f"cannot write key {name!r} in {path.parent}: {exc.strerror or exc}: the key file met "
                             f"this process's file size limit of {limit} bytes",
                             hint="raise the file size limit (the shell's ulimit, RLIMIT_FSIZE) and run it again: "
                                  "no key file was left behind")
    return ConfigError(f"cannot write key {name!r} in {path.parent}: {exc.strerror or exc}",
                       hint=f"check that {path.parent} is writable")


def _remove(path: Path) -> None:
    with contextlib.suppress(OSError):  # best effort: a temporary file is named .NAME.*.tmp
        os.unlink(path)


def _fsync_dir(folder: Path) -> None:
    """Make the folder's new entries durable (best effort: not every system can fsync a folder)."""
    try:
        fd = os.open(folder, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


class KeyFileInvalid(ConfigError):
    """A file in the keys folder is not a usable autocodec key (not PEM, not Ed25519, no .did)."""

    hint = ("a key is an Ed25519 private key in PEM (PKCS#8), as key generation writes it; "
            "move this file out of the keys folder and generate a new key")


def _passphrase(passphrase: bytes | None, what: str, *, storing: bool = False) -> bytes | None:
    """``passphrase`` as bytes, or None; else ``InvalidInput`` (a str was refused by
    cryptography as "Password must be 1 or more bytes", and ``load`` said "wrong passphrase?"
    for the right one given as text). ``storing``: an empty one is refused too (it left the
    key unencrypted without a word)."""
    if passphrase is None:
        return None
    passphrase = as_bytes(passphrase, f"{what}'s passphrase")
    if storing and not passphrase:
        raise InvalidInput("an empty passphrase would leave the key unencrypted",
                           hint="give a passphrase of at least one byte, or None to store the key unencrypted")
    return passphrase


def _parse_pem(name: str, data: bytes, passphrase: bytes | None) -> Ed25519PrivateKey:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    encrypted = b"ENCRYPTED PRIVATE KEY" in data[:64]
    if encrypted and not passphrase:
        raise ConfigError(f"key {name!r} is encrypted", hint="give the passphrase it was saved with")
    try:
        key = serialization.load_pem_private_key(data, password=passphrase if encrypted else None)
    except (ValueError, TypeError):
        if encrypted:
            raise ConfigError(f"cannot decrypt key {name!r}: wrong passphrase?",
                              hint="give the passphrase the key was created with") from None
        raise KeyFileInvalid(f"the key file of {name!r} is not a PEM private key") from None
    except Exception:  # noqa: BLE001 - cryptography raises UnsupportedAlgorithm and friends
        raise KeyFileInvalid(f"the key file of {name!r} holds a private key of a kind that cannot be loaded") from None
    if not isinstance(key, Ed25519PrivateKey):
        raise KeyFileInvalid(f"key {name!r} is not an Ed25519 key (autocodec signs with Ed25519 only)")
    return key
