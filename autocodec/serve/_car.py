"""CAR responses of the trustless gateway: which blocks, in which order, framed how.

Spec: ipfs/specs http-gateways/trustless-gateway.md (``dag-scope``, ``entity-bytes``) and
IPIP-412 (``order``, ``dups`` and ``version`` parameters of ``application/vnd.ipld.car``);
the cases are those of ipfs/gateway-conformance ``tests/trustless_gateway_car_test.go``.

Invariants:
- The body is the blocks needed to verify the path (root first, HAMT shards crossed on the
  way), then the terminal entity per ``dag-scope``: ``block`` the terminal block only;
  ``entity`` a UnixFS file's blocks (only those overlapping ``entity-bytes``), a HAMT's
  shards, or the block alone for a directory or any other codec; ``all`` the whole DAG below
  the terminal block across every codec's links (``Runtime.links``).
- Order is depth-first pre-order (``order=dfs``); with ``dups=n`` each block appears once,
  with ``dups=y`` a block is written again each time the traversal meets it. Identity CIDs
  are never written. Only CARv1 is produced.
- Blocks are produced lazily, one at a time, so a response streams in bounded memory.
"""

from __future__ import annotations

import io
import itertools
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from ..cid import CID
from ..config import DEFAULT_LIMITS, Limits
from ..errors import InvalidInput, UnknownCodec
from . import _unixfs

SCOPES = ("block", "entity", "all")


@dataclass(frozen=True)
class CarParams:
    """A CAR request's parameters after negotiation (``version`` is always 1 here)."""

    scope: str = "all"
    entity_bytes: str | None = None
    order: str = "dfs"
    dups: bool = False
    version: int = 1

    def content_type(self) -> str:
        return f"application/vnd.ipld.car; version={self.version}; order={self.order}; dups={'y' if self.dups else 'n'}"


def car_params(query: Any, accept_params: dict[str, str]) -> CarParams:
    """Parameters from the query (``dag-scope``, ``entity-bytes``, ``car-version``, ``car-order``,
    ``car-dups``) and the Accept media-type parameters, a query value that is not empty
    winning (IPIP-523, as boxo's ``buildCarParams``); ``InvalidInput`` when bad."""
    scope = query.get("dag-scope", "all")
    if scope not in SCOPES:
        raise InvalidInput(f"unsupported dag-scope {scope!r}", hint=f"use one of {', '.join(SCOPES)}")

    def asked(key: str, default: str) -> str:
        return query.get(f"car-{key}") or accept_params.get(key) or default

    version = asked("version", "1")
    if version != "1":
        raise InvalidInput(f"unsupported CAR version {version!r}", hint="only version=1 is produced")
    order = asked("order", "dfs")
    if order not in ("dfs", "unk"):
        raise InvalidInput(f"unsupported CAR order {order!r}", hint="use order=dfs or order=unk")
    dups = asked("dups", "n")
    if dups not in ("y", "n"):
        raise InvalidInput(f"unsupported CAR dups {dups!r}", hint="use dups=y or dups=n")
    entity_bytes = query.get("entity-bytes")
    if entity_bytes is not None:
        try:
            _unixfs.parse_entity_bytes(entity_bytes)
        except ValueError as exc:
            raise InvalidInput(str(exc), hint="write entity-bytes as from:to, e.g. 0:1023 or -512:*") from None
    # order=unk lets the server choose: blocks are always sent in dfs order, and the answer
    # names the order asked for (as Kubo v0.43.1 does)
    return CarParams(scope, entity_bytes, order, dups == "y")


def _is_identity(cid: CID) -> bool:
    return cid.hash_code == 0


def _all(runtime: Any, cid: CID, data: bytes, dups: bool) -> Iterator[tuple[CID, bytes]]:
    """The DAG under ``cid``, DFS pre-order; repeated blocks again when ``dups`` (``dag.walk``
    is this order with ``dups=n``; it is used for that case)."""
    if not dups:
        from ..dag import walk

        class _First:
            def get(self, wanted: CID) -> bytes:
                return data if wanted == cid else bytes(runtime.get(wanted))

            def links(self, of: CID, block: bytes) -> list[CID]:
                found: list[CID] = runtime.links(of, block)
                return found

        yield from walk(_First(), cid)
        return
    stack: list[tuple[CID, bytes | None]] = [(cid, data)]
    while stack:
        current, block = stack.pop()
        block = runtime.get(current) if block is None else block
        yield current, block
        try:
            children = runtime.links(current, block)
        except UnknownCodec:
            children = []
        stack.extend((child, None) for child in reversed(children))


def entity_blocks(runtime: Any, cid: CID, data: bytes, params: CarParams,
                  limits: Limits | None = None) -> Iterator[tuple[CID, bytes]]:
    """The blocks of the terminal entity ``cid`` for ``params.scope`` (the block itself first)."""
    limits = limits or DEFAULT_LIMITS
    if params.scope == "block":
        if cid.hash_code != 0 or data:
            yield cid, data
        return
    if params.scope == "all":
        yield from _all(runtime, cid, data, params.dups)
        return
    if cid.codec not in (_unixfs.DAG_PB,):
        yield cid, data
        return
    node = _unixfs.classify(cid, data)
    if node.kind == "hamt":
        yield from _unixfs.hamt_blocks(runtime, cid, data, limits)
        return
    if node.kind != "file":
        yield cid, data
        return
    span: tuple[int, int] | None = (0, node.size - 1) if node.size else None
    if params.entity_bytes is not None:
        span = _unixfs.resolve_range(node.size, params.entity_bytes)
    if span is None:
        yield cid, data
        return
    for block_cid, block, _held, _offset in _unixfs.file_range(runtime, cid, data, span[0], span[1], limits):
        yield block_cid, block


def response_blocks(path_blocks: Sequence[tuple[CID, bytes]], entity: Iterator[tuple[CID, bytes]],
                    dups: bool) -> Iterator[tuple[CID, bytes]]:
    """Path blocks, then the entity's, without identity CIDs and (``dups=n``) without repeats."""
    seen: set[CID] = set()
    for cid, data in itertools.chain(path_blocks, entity):
        if _is_identity(cid):
            continue
        key = cid.to_v1()
        if key in seen and not dups:
            continue
        seen.add(key)
        yield cid, data


class FrameBuffer(io.BytesIO):
    """A write sink for ``autocodec.store.CarWriter`` whose bytes are taken out after each block."""

    def take(self) -> bytes:
        out = self.getvalue()
        self.seek(0)
        self.truncate()
        return out
