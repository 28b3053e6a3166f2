"""Module-level conveniences over a process-wide default ``Runtime`` (on ``$AUTOCODEC_HOME``).

The default runtime is created on first need only: builtin work (Ed25519 here) never
touches the home folder.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # pragma: no cover
    from ._runtime import Runtime

_lock = threading.Lock()
_default: "Runtime | None" = None


def default_runtime() -> "Runtime":
    global _default
    with _lock:
        if _default is None:
            from ._runtime import Runtime

            _default = Runtime()
        return _default


def verify_signature(key_type: str | int, public_key: bytes, message: bytes, signature: bytes, *,
                     runtime: "Runtime | None" = None) -> bool:
    """True if ``signature`` is valid for ``message`` under ``public_key`` of ``key_type``.

    Ed25519 (``ed25519-pub``) is builtin; other key types (``secp256k1-pub``: BIP-340 Schnorr)
    run a crypto extension from the pinned sets. Malformed keys or signatures are False or a
    typed error, never a crash; an unknown key type is ``UnknownKeyType``/``NotTrusted``.
    """
    from ..codes import key_type_code

    if key_type_code(key_type) == 0xED and runtime is None:
        from ..verify import InvalidKey, PublicKey

        try:
            return PublicKey(bytes(public_key)).verify(bytes(signature), bytes(message))
        except InvalidKey:
            return False
    return (runtime or default_runtime()).verify_signature(key_type, public_key, message, signature)
