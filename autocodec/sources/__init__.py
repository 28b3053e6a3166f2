"""Where blocks come from: the local store, CAR files, an IPFS node (Kubo RPC API) and
trustless HTTP gateways, tried in a configured order.

Invariants:
- A source only *fetches*; ``Fetcher`` verifies every block against its CID before anyone
  sees it and caches it in the local store. A source that serves wrong bytes is reported
  (``HashMismatch`` naming the source) and the next source is tried.
- Every network fetch is bounded: a timeout, retries with backoff, and a size cap from
  ``autocodec.config.FetchLimits``. A dead or slow source is a typed ``FetchError`` in
  bounded time, never a hang.
"""

from __future__ import annotations

from ._base import BlockSource
from ._car import CarSource
from ._fetcher import Fetcher
from ._gateway import GatewaySource
from ._node import NodeSource, node_address

__all__ = ["BlockSource", "CarSource", "Fetcher", "GatewaySource", "NodeSource", "node_address"]
