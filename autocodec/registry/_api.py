"""Module-level conveniences that need no ``Runtime`` from the caller.

Invariant: there is no process-wide runtime. A call that needs the registry and was given no
``runtime`` opens one on the default home for that call only and closes it before returning;
builtin work (Ed25519) never touches the home folder.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:  # pragma: no cover
    from ._runtime import Runtime


def verify_signature(key_type: str | int, public_key: bytes, message: bytes, signature: bytes, *,
                     runtime: "Runtime | None" = None) -> bool:
    """True if ``signature`` is valid for ``message`` under ``public_key`` of ``key_type``.

    Ed25519 (``ed25519-pub``) is builtin; other key types (``secp256k1-pub``: BIP-340 Schnorr)
    run a crypto extension from the pinned sets. Malformed keys or signatures are False or a
    typed error, never a crash; an unknown key type is ``UnknownKeyType``/``NotTrusted``.
    """
    from .._inputs import as_bytes
    from ..codes import key_type_code

    public_key, message, signature = (as_bytes(x, "verify_signature") for x in (public_key, message, signature))
    if key_type_code(key_type) == 0xED and runtime is None:
        from ..verify import InvalidKey, PublicKey

        try:
            return PublicKey(public_key).verify(signature, message)
        except InvalidKey:
            return False
    if runtime is not None:
        return runtime.verify_signature(key_type, public_key, message, signature)
    from ._runtime import Runtime

    with Runtime() as opened:  # the default home, for this call only
        return opened.verify_signature(key_type, public_key, message, signature)
