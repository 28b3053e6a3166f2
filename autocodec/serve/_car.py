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
- Each block's links are found by the codec that serves its code when the walk reaches it
  (the trust state of that moment: a live upgrade in mid-response is used from the next
  block on; a revoked codec raises, and the gateway cuts the response). A codec that no
  pinned set lists is a leaf, except one that served links earlier in the same response:
  it was withdrawn mid-response (e.g. dropped by its set's publisher through an update),
  and the walk raises ``CodecWithdrawn`` rather than end a shortened CAR that looks whole.
"""

from __future__ import annotations

import io
import itertools
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from .. import builtin
from ..cid import CID
from ..codes import codec_name
from ..config import DEFAULT_LIMITS, Limits
from ..errors import InvalidInput, NotTrusted, UnknownCodec
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
    winning (IPIP-523, as boxo's ``buildCarParams``); ``InvalidInput`` when bad, in boxo's words."""
    scope = query.get("dag-scope", "all")
    if scope not in SCOPES:
        raise InvalidInput("unsupported application/vnd.ipld.car scope parameter",
                           hint=f"use dag-scope={', '.join(SCOPES)}")

    def asked(key: str, default: str) -> str:
        return query.get(f"car-{key}") or accept_params.get(key) or default

    version = asked("version", "1")
    if version != "1":
        raise InvalidInput("unsupported application/vnd.ipld.car version: only version=1 is supported",
                           hint="ask for version=1 or leave the version out")
    order = asked("order", "dfs")
    if order not in ("dfs", "unk"):
        raise InvalidInput("unsupported application/vnd.ipld.car order parameter", hint="use order=dfs or order=unk")
    dups = asked("dups", "n")
    if dups not in ("y", "n"):
        raise InvalidInput("unsupported application/vnd.ipld.car dups parameter", hint="use dups=y or dups=n")
    entity_bytes = query.get("entity-bytes")
    if entity_bytes is not None:
        try:
            _unixfs.parse_entity_bytes(entity_bytes)
        except ValueError as exc:
            raise InvalidInput(f"invalid application/vnd.ipld.car entity-bytes URL parameter: {exc}",  # boxo's words
                               hint="write entity-bytes as from:to, e.g. 0:1023 or -512:*") from None
    # order=unk lets the server choose: blocks are always sent in dfs order, and the answer
    # names the order asked for (as Kubo v0.43.1 does)
    return CarParams(scope, entity_bytes, order, dups == "y")


def car_etag(content_path: str, root: CID, params: CarParams) -> str:
    """The weak ETag of a CAR answer, as Kubo 0.43.1's gateway (boxo's ``getCarEtag``) computes
    it, so a validator from either server is recognised by both: ``W/"{root}.car.{h}"``, ``h``
    the XXH64 (``_xxhash``) in Go's base 32 of the immutable content path (``/ipfs/...`` as
    resolved, decoded and cleaned), then each parameter that differs from its default as a NUL,
    ``name=`` and the value, in this order: ``scope`` (not ``all``), ``order`` (not ``dfs``),
    ``dups`` (``y``), ``range`` (``entity-bytes`` other than ``0:*``: ``from`` and, unless
    ``*``, ``to``, each as 8 little-endian bytes of its two's complement)."""
    from ._xxhash import go_base32, xxh64

    data = content_path.encode("utf-8", "surrogateescape")
    if params.scope != "all":
        data += b"\x00scope=" + params.scope.encode()
    if params.order != "dfs":
        data += b"\x00order=" + params.order.encode()
    if params.dups:
        data += b"\x00dups=y"
    if params.entity_bytes is not None:
        first, last = _unixfs.parse_entity_bytes(params.entity_bytes)
        if first != 0 or last is not None:
            data += b"\x00range=" + b"".join((n & (1 << 64) - 1).to_bytes(8, "little")
                                             for n in (first, last) if n is not None)
    return f'W/"{root}.car.{go_base32(xxh64(data))}"'


def _is_identity(cid: CID) -> bool:
    return cid.hash_code == 0


class CodecWithdrawn(NotTrusted):
    """An extension codec that found links earlier in a response is served by nothing now."""


class _ResponseLinks:
    """``runtime.links`` for one response, remembering which extension codecs served it."""

    def __init__(self, runtime: Any, root: CID, data: bytes) -> None:
        self.runtime = runtime
        self.root = root
        self.data = data
        self.served: set[int] = set()
        self._root_links: list[CID] | None = None

    def prime(self) -> None:
        """Find the root's links now (before anything is yielded, so before the status is
        sent): a root whose codec is refused is an error status, not a cut CAR."""
        try:
            self._root_links = self.links(self.root, self.data)
        except UnknownCodec:
            self._root_links = []

    def get(self, wanted: CID) -> bytes:
        return self.data if wanted == self.root else bytes(self.runtime.get(wanted))

    def links(self, of: CID, block: bytes) -> list[CID]:
        if self._root_links is not None and of == self.root:
            found_first, self._root_links = self._root_links, None
            return found_first
        try:
            found: list[CID] = self.runtime.links(of, block)
        except UnknownCodec:
            if of.codec in self.served:
                raise CodecWithdrawn(
                    f"codec {codec_name(of.codec)} found links earlier in this response and is served by nothing now "
                    "(withdrawn from its pinned set while the response was sent)",
                    hint="request it again: a new request uses the current trust state") from None
            raise
        if not builtin.has_codec(of.codec):
            self.served.add(of.codec)
        return found


def _all(runtime: Any, cid: CID, data: bytes, dups: bool) -> Iterator[tuple[CID, bytes]]:
    """The DAG under ``cid``, DFS pre-order; repeated blocks again when ``dups`` (``dag.walk``
    is this order with ``dups=n``; it is used for that case). The root's links are found in
    this call, the rest as the iterator is read."""
    source = _ResponseLinks(runtime, cid, data)
    source.prime()
    return _walk_all(source, cid, data, dups)


def _walk_all(source: _ResponseLinks, cid: CID, data: bytes, dups: bool) -> Iterator[tuple[CID, bytes]]:
    runtime = source.runtime
    if not dups:
        from ..dag import walk

        yield from walk(source, cid, once_per_block=True)  # Kubo 0.43.1's gateway: a block linked
        return  # as CIDv0 and CIDv1 is one section (its CAR storage keys by multihash; measured)
    stack: list[tuple[CID, bytes | None]] = [(cid, data)]
    while stack:
        current, block = stack.pop()
        block = runtime.get(current) if block is None else block
        yield current, block
        try:
            children = source.links(current, block)
        except UnknownCodec:
            children = []
        stack.extend((child, None) for child in reversed(children))


def entity_blocks(runtime: Any, cid: CID, data: bytes, params: CarParams,
                  limits: Limits | None = None) -> Iterator[tuple[CID, bytes]]:
    """The blocks of the terminal entity ``cid`` for ``params.scope`` (the block itself first).
    With ``dag-scope=all`` the root's links are found in this call (a blocking call: run it on
    a worker thread), so a refused codec raises here, before a response's status is sent."""
    if params.scope == "all":
        return _all(runtime, cid, data, params.dups)
    return _entity(runtime, cid, data, params, limits or DEFAULT_LIMITS)


def _entity(runtime: Any, cid: CID, data: bytes, params: CarParams, limits: Limits) -> Iterator[tuple[CID, bytes]]:
    if params.scope == "block":
        if cid.hash_code != 0 or data:
            yield cid, data
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
