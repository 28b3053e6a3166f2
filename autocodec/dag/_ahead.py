"""Links found ahead of a DAG walk, many blocks at a time, in the bulk worker processes.

A depth-first walk visits every block on its pending stack sooner or later, so the blocks near
the top can be read and their links found in one bulk job (``autocodec.loader._pool``) while
this process writes; the walk then takes ``(data, links)`` from here instead of reading the
block and finding its links itself.

Invariants:
- The walk's order and output are unchanged: an entry is the block's bytes as the local store
  returns them (the runtime's ``get`` reads the store first, so it is what the walk would
  have read) and the exact links its codec gives (the same builtin walker or the same trusted
  extension adapter ``Runtime.links`` uses, resolved here before the workers fork).
- Only successes are kept: a block that is not stored here, fails its read, has a codec that
  does not resolve, or whose links fail is left to the walk's own path, which then raises (or
  fetches, or skips) exactly as without this.
- Bounded: at most ``max_items`` blocks and ``max_bytes`` of data are held; a job is started
  only for ``min_items`` or more blocks (small DAGs stay serial), and after a futile look the
  next one waits ``min_items`` visits.
"""

from __future__ import annotations

from collections.abc import Callable, Container, Sequence
from typing import Any

from ..cid import CID
from ..errors import AutocodecError


_RAW = 0x55


class LinksAhead:
    """Cached ``(data, links)`` of blocks a walk over ``runtime`` is about to visit."""

    def __init__(self, runtime: Any, *, workers: int | None = None, min_items: int = 64,
                 max_items: int = 4096, max_bytes: int = 32 << 20) -> None:
        from ..loader._pool import cores

        self._rt = runtime
        self.workers = workers if workers is not None else cores()
        self.min_items = min_items
        self.max_items = max_items
        self.max_bytes = max_bytes
        self._cache: dict[CID, tuple[bytes, list[CID]]] = {}
        self._table: dict[int, Any] = {}  # codec -> extension adapter, or None for the builtin walker
        self._refused: set[int] = set()
        self._job: int | None = None
        self._visits = 0
        self._next_try = 0
        self.hits = 0

    def take(self, key: CID, pending: Sequence[Any], seen: Container[CID] = (),
             cid_of: Callable[[Any], CID] | None = None) -> tuple[bytes, list[CID]] | None:
        """The cached entry of ``key`` (a CIDv1), filling the cache from the top of the walk's
        stack ``pending`` first when it is a miss and a bulk job is worth it (``cid_of``: the
        CID of a stack entry; ``seen``: CIDv1s already visited, not to read again)."""
        self._visits += 1
        got = self._cache.pop(key, None)
        if got is None and self.workers > 1 and self._visits >= self._next_try:
            self._fill(key, pending, seen, cid_of)
            got = self._cache.pop(key, None)
        if got is not None:
            self.hits += 1
        return got

    def _fill(self, key: CID, pending: Sequence[Any], seen: Container[CID], cid_of: Callable[[Any], CID] | None) -> None:
        store = self._rt.store
        wanted: list[CID] = [key]
        chosen = {key}
        for entry in reversed(pending):  # the top of the stack is visited first
            if len(wanted) >= self.max_items:
                break
            k = (entry if cid_of is None else cid_of(entry)).to_v1()
            # raw blocks have no links: reading them early would only hold their bytes longer
            if k in chosen or k in seen or k in self._cache or k.hash_code == 0 or k.codec == _RAW:
                continue
            chosen.add(k)
            wanted.append(k)
        if len(wanted) < self.min_items:
            self._next_try = self._visits + self.min_items
            return
        items: list[tuple[bytes, bytes]] = []
        size = 0
        for cid in wanted:
            if size >= self.max_bytes or not self._resolve(cid.codec):
                continue
            try:
                data = store.get(cid)
            except AutocodecError:  # not here, or corrupt: the walk's own read decides
                continue
            items.append((bytes(cid), data))
            size += len(data)
        if len(items) < self.min_items:
            self._next_try = self._visits + self.min_items
            return
        from ..loader import _pool

        found = _pool.run_bulk(self._job_id(), items, self.workers, total_bytes=size)
        unchecked = CID._unchecked  # noqa: SLF001 - bytes of CIDs the worker's codec built
        for (raw, data), links in zip(items, found, strict=True):
            if isinstance(links, list):
                self._cache[unchecked(raw)] = (data, [unchecked(r) for r in links])

    def __enter__(self) -> LinksAhead:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _resolve(self, codec: int) -> bool:
        """Whether blocks of ``codec`` can be done ahead (their links finder is known here)."""
        if codec in self._table:
            return True
        if codec in self._refused:
            return False
        from ..abi import Kind

        try:
            adapter = self._rt.resolver.adapter(Kind.CODEC, codec)
        except AutocodecError:  # unknown or untrusted: the walk's own path decides
            self._refused.add(codec)
            return False
        self._table[codec] = adapter
        if self._job is not None:  # the workers must know the new codec: a new job
            from ..loader import _pool

            _pool.unregister(self._job)
            self._job = None
        return True

    def _job_id(self) -> int:
        from ..loader import _pool

        if self._job is None:
            self._job = _pool.register(_links_job(dict(self._table)))
        return self._job

    def close(self) -> None:
        from ..loader import _pool

        if self._job is not None:
            _pool.unregister(self._job)
            self._job = None
        self._cache.clear()


def _links_job(table: dict[int, Any]) -> Callable[[list[tuple[bytes, bytes]]], list[list[bytes] | None]]:
    """A bulk job: each block's links as CID bytes (``Runtime.links``'s finder), ``None`` on error."""
    from ..store import builtin_links

    def work(items: list[tuple[bytes, bytes]]) -> list[list[bytes] | None]:
        out: list[list[bytes] | None] = []
        for raw, data in items:
            cid = CID._unchecked(raw)  # noqa: SLF001 - bytes of a CID parsed in the caller
            adapter = table[cid.codec]
            try:
                found = builtin_links(cid, data) if adapter is None else adapter.links(data)
                out.append([bytes(c) for c in found])
            except AutocodecError:
                out.append(None)
        return out

    return work
