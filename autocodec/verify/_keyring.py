"""Private signing keys kept as files under ``Home.keys_dir``.

Layout: ``keys/NAME.pem`` (PKCS#8 PEM, optionally encrypted with the best encryption
``cryptography`` offers) and ``keys/NAME.did`` (the public did:key, for listing without a
passphrase).

Invariants:
- Key files are created with mode 0600 (``O_EXCL``: never overwritten) in a 0700 folder.
- Like ssh, a private key file readable or writable by group or others is refused, and
  nothing is read from it.
- The DID a key signs as is always derived from the private key itself, never read from the
  ``.did`` file, so a tampered ``.did`` file cannot make a key sign under another identity.
- Names are plain (``[A-Za-z0-9][A-Za-z0-9._-]*``, at most 64 chars): no path traversal.
"""

from __future__ import annotations

import os
import re
import stat
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from ..errors import ConfigError, InvalidInput, KeyNotFound
from ._ed25519 import PublicKey

if TYPE_CHECKING:  # pragma: no cover - cryptography is imported where a key is used (start-up)
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")
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
        """A key from a 32-byte RFC 8032 seed (for reproducible test keys)."""
        from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

        return cls(Ed25519PrivateKey.from_private_bytes(seed))

    @property
    def did(self) -> str:
        return self.public.did

    def sign(self, message: bytes) -> bytes:
        return self._key.sign(message)

    def to_pem(self, passphrase: bytes | None = None) -> bytes:
        from cryptography.hazmat.primitives import serialization

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


class KeyRing:
    """The named keys of one home folder."""

    def __init__(self, keys_dir: Path) -> None:
        self.dir = Path(keys_dir)

    def _path(self, name: str, suffix: str) -> Path:
        if not isinstance(name, str) or not _NAME.fullmatch(name):
            raise InvalidInput(
                f"invalid key name {str(name)[:80]!r}",
                hint="use letters, digits, '.', '_' or '-' (at most 64 characters)",
            )
        return self.dir / f"{name}{suffix}"

    def generate(self, name: str, passphrase: bytes | None = None) -> SigningKey:
        """Create and store a new key; refuses to overwrite an existing one."""
        pem_path = self._path(name, ".pem")
        self.dir.mkdir(mode=0o700, parents=True, exist_ok=True)
        key = SigningKey.generate()
        try:
            fd = os.open(pem_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            raise ConfigError(f"key {name!r} already exists", hint="choose another name") from None
        with os.fdopen(fd, "wb") as fh:
            fh.write(key.to_pem(passphrase))
        os.chmod(pem_path, 0o600)  # whatever the umask did
        self._path(name, ".did").write_text(key.did + "\n", encoding="ascii")
        return key

    def load(self, name: str, passphrase: bytes | None = None) -> SigningKey:
        pem_path = self._path(name, ".pem")
        try:
            fd = os.open(pem_path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
        except FileNotFoundError:
            raise KeyNotFound(f"no key named {name!r} in {self.dir}") from None
        except OSError as exc:
            raise ConfigError(f"cannot open key {name!r}: {exc.strerror}") from None
        with os.fdopen(fd, "rb") as fh:
            mode = os.fstat(fh.fileno()).st_mode
            if not stat.S_ISREG(mode):
                raise ConfigError(f"key {name!r} is not a regular file")
            if mode & 0o077:
                raise ConfigError(
                    f"key file {pem_path} has permissions {stat.S_IMODE(mode):04o}: too open, refusing to use it",
                    hint=f"run `chmod 600 {pem_path}`",
                )
            data = fh.read(_MAX_KEY_FILE_BYTES + 1)
        if len(data) > _MAX_KEY_FILE_BYTES:
            raise ConfigError(f"key file {pem_path} is too large to be a key")
        return SigningKey(_parse_pem(name, data, passphrase))

    def did(self, name: str) -> str:
        """The public DID of a key, from its ``.did`` file (no passphrase needed)."""
        path = self._path(name, ".did")
        if not self._path(name, ".pem").exists():
            raise KeyNotFound(f"no key named {name!r} in {self.dir}")
        try:
            text = path.read_text(encoding="ascii").strip()
        except (OSError, UnicodeDecodeError) as exc:
            raise ConfigError(f"cannot read the public part of key {name!r}: {exc}") from None
        return PublicKey.from_did(text).did

    def list(self) -> list[KeyEntry]:
        if not self.dir.is_dir():
            return []
        out = []
        for pem in sorted(self.dir.glob("*.pem")):
            name = pem.stem
            if not _NAME.fullmatch(name):
                continue
            try:
                did = self.did(name)
            except (ConfigError, InvalidInput):
                did = "?"
            encrypted = b"ENCRYPTED" in pem.read_bytes()[:64]
            out.append(KeyEntry(name, did, encrypted))
        return out


def _parse_pem(name: str, data: bytes, passphrase: bytes | None) -> Ed25519PrivateKey:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    encrypted = b"ENCRYPTED PRIVATE KEY" in data[:64]
    if encrypted and not passphrase:
        raise ConfigError(f"key {name!r} is encrypted", hint="give the passphrase it was saved with")
    try:
        key = serialization.load_pem_private_key(data, password=passphrase if encrypted else None)
    except (ValueError, TypeError) as exc:
        if encrypted:
            raise ConfigError(f"cannot decrypt key {name!r}: wrong passphrase?") from None
        raise ConfigError(f"key file for {name!r} is malformed: {exc}") from None
    except Exception as exc:  # noqa: BLE001 - cryptography raises UnsupportedAlgorithm and friends
        raise ConfigError(f"key file for {name!r} cannot be loaded: {exc}") from None
    if not isinstance(key, Ed25519PrivateKey):
        raise ConfigError(f"key {name!r} is not an Ed25519 key")
    return key
