"""A runtime-free path for reading builtin blocks from the local store (start-up cost).

``decode`` and ``dag get`` of DAG-CBOR, DAG-JSON, DAG-PB, raw... blocks that the store holds
need neither the sandbox (wasmtime), the trust store (cryptography) nor the fetchers: this
source serves them with the builtin codecs over the ``BlockStore`` alone.

Invariants:
- ``LocalBuiltins`` answers only what it can answer exactly as the full ``Runtime`` would
  (same bytes: ``BlockStore.get`` checks them; same decoders: the builtins); anything else
  (a codec or hash only an extension serves, a block not stored) raises ``NeedRuntime``
  and the caller starts over on the full runtime, so results never depend on the path taken.
- It is used only when the command has no ``--module``, ``--node`` or ``--gateway``.
"""

from __future__ import annotations

import argparse
from typing import Any

from ..cid import CID


class NeedRuntime(Exception):
    """The fast path cannot answer; use the full runtime."""


def usable(args: argparse.Namespace, root: CID | None = None) -> bool:
    """True when the command line asks for nothing beyond the local store and the builtins
    (and ``root``, if given, is a builtin block: a path from it may still leave them)."""
    if getattr(args, "modules", None) or getattr(args, "node", None) or getattr(args, "gateway", None):
        return False
    if root is not None:
        from .. import builtin

        return builtin.has_codec(root.codec) and builtin.has_hash(root.hash_code)
    return True


class LocalBuiltins:
    """``get``/``decode_block``/``links`` over the local store with builtin codecs only."""

    def __init__(self) -> None:
        from ..home import Home
        from ._runtime import home_limits
        from ..store import BlockStore

        home = Home.resolve()
        self.limits = home_limits(home)  # the limits a Runtime of this home has
        self.store = BlockStore.open(home, limits=self.limits)

    def close(self) -> None:
        self.store.close()

    def __enter__(self) -> "LocalBuiltins":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _builtin(self, cid: CID) -> None:
        from .. import builtin

        if not (builtin.has_codec(cid.codec) and builtin.has_hash(cid.hash_code)):
            raise NeedRuntime(str(cid))

    def get(self, cid: CID) -> bytes:
        from ..errors import BlockNotFound

        self._builtin(cid)
        try:
            data: bytes = self.store.get(cid)
        except BlockNotFound:
            raise NeedRuntime(str(cid)) from None
        return data

    def decode_block(self, cid: CID, data: bytes, *, verified: bool = False) -> Any:
        from .. import builtin

        self._builtin(cid)
        if not verified:
            builtin.verify_cid(cid, data)
        return builtin.decode(data, cid.codec, limits=self.limits.decode, strict=self.limits.decode.strict_blocks)

    def links(self, cid: CID, data: bytes) -> list[CID]:
        from ..store import builtin_links

        self._builtin(cid)
        return list(builtin_links(cid, data, strict=self.limits.decode.strict_blocks))
