"""Where blocks come from: the local store, CAR files, an IPFS node (Kubo RPC API) and
trustless HTTP gateways, tried in a configured order.

Invariants:
- A source only *fetches*; ``Fetcher`` verifies every block against its CID before anyone
  sees it and caches it in the local store. A source that serves wrong bytes is reported
  (``HashMismatch`` naming the source) and the next source is tried.
- Every network fetch is bounded: a whole-operation deadline (``FetchLimits.deadline_s``,
  retries and every byte included, enforced by a watchdog on the socket), a per-read timeout,
  retries with backoff, and a size cap from ``autocodec.config.FetchLimits``. A dead, slow or
  trickling source is a typed ``FetchError`` in bounded time, never a hang; and every fetch made
  inside ``cancellable(cancel)`` ends with ``FetchCancelled`` soon after ``cancel.cancel()``.
- A gateway that does not answer as a trustless gateway is ``NotTrustless``, not a mismatch.
"""

from __future__ import annotations

from ._base import BlockSource, operation_deadline
from ._car import CarSource
from ._fetcher import Fetcher
from ._gateway import GatewaySource
from ._http import Answer, Cancel, Deadline, cancellable, exchange, go_offline, is_offline, obey
from ._node import (AUTH_ENV, NodeSource, give_secret, named_node, node_address, node_url, public_node,
                    take_env_secret, without_userinfo)

__all__ = [
    "AUTH_ENV",
    "Answer",
    "BlockSource",
    "Cancel",
    "CarSource",
    "Deadline",
    "Fetcher",
    "GatewaySource",
    "NodeSource",
    "cancellable",
    "exchange",
    "give_secret",
    "go_offline",
    "is_offline",
    "node_address",
    "node_url",
    "obey",
    "operation_deadline",
    "named_node",
    "public_node",
    "take_env_secret",
    "without_userinfo",
]
