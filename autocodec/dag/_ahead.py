"""Links found ahead of a DAG walk, many blocks at a time, in the bulk worker processes.

A depth-first walk visits every block on its pending stack sooner or later, so the blocks near
the top can be read and their links found in one bulk job (``autocodec.loader._pool``) while
this process writes; the walk then takes ``(data, links)`` from here instead of reading the
block and finding its links itself.

Invariants:
- The walk's order and output are unchanged: an entry is the block's bytes as the local store
  returns them (the runtime's ``get`` reads the store first, so it is what the walk would
  have read) and the exact links its codec gives (the same builtin walker or the same trusted
  extension adapter ``Runtime.links`` uses, resolved here for each job, so a revoked or
  upgraded codec counts from the next job on; the resolver hands back the same adapter while
  nothing changed, so the pool is not re-forked).
- Only successes are kept: a block that is not stored here, fails its read, has a codec that
  does not resolve, or whose links fail is left to the walk's own path, which then raises (or
  fetches, or skips) exactly as without this.
- Bounded: at most ``max_items`` blocks and ``max_bytes`` of data are held; a job is started
  only for ``min_items`` or more blocks (small DAGs, and narrow ones whose stack never holds
  that many, stay serial); the stack is looked at only once it holds ``min_items`` entries,
  and after a futile look (entries already seen, raw, or not stored) the next one waits
  ``min_items`` visits.
  A job's round trip costs about what finding the links of 400-500 git objects in this
  process does (measured on 2 cores: ``links_many`` of 512 git objects on 2
  workers 0.89x of 1, of 128 1.4x), so the default is 512: with 64, exporting 64 trees of 128
  blobs took 1.2x the serial time (64 jobs of ~190 blocks), and 0.94x with 512 (serial).
"""

from __future__ import annotations

from collections.abc import Callable, Container, Sequence
from typing import Any

from ..cid import CID
from ..errors import AutocodecError


_RAW = 0x55


class LinksAhead:
    """Cached ``(data, links)`` of blocks a walk over ``runtime`` is about to visit."""

    def __init__(self, runtime: Any, *, workers: int | None = None, min_items: int = 512,
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
        self._visits = 0
        self._next_try = 0
        self.hits = 0
        self.codecs_done: set[int] = set()  # codecs whose blocks had their links found in bulk

    def take(self, key: CID, pending: Sequence[Any], seen: Container[bytes] = (),
             cid_of: Callable[[Any], CID] | None = None) -> tuple[bytes, list[CID]] | None:
        """The cached entry of ``key`` (a CIDv1), filling the cache from the top of the walk's
        stack ``pending`` first when it is a miss and a bulk job is worth it (``cid_of``: the
        CID of a stack entry; ``seen``: the bytes of CIDs already visited, as the walk keys them,
        not to read again)."""
        self._visits += 1
        got = self._cache.pop(key, None)
        if (got is None and self.workers > 1 and self._visits >= self._next_try
                and len(pending) + 1 >= self.min_items):  # a smaller stack cannot fill a job
            self._fill(key, pending, seen, cid_of)
            got = self._cache.pop(key, None)
        if got is not None:
            self.hits += 1
        return got

    def _fill(self, key: CID, pending: Sequence[Any], seen: Container[bytes], cid_of: Callable[[Any], CID] | None) -> None:
        store = self._rt.store
        wanted: list[tuple[CID, int]] = [(key, key.codec)]  # (CIDv1, codec): each parsed once
        chosen = {key}
        for entry in reversed(pending):  # the top of the stack is visited first
            if len(wanted) >= self.max_items:
                break
            c = entry if cid_of is None else cid_of(entry)
            k = c.to_v1()
            if k in chosen or bytes(c) in seen or bytes(k) in seen or k in self._cache:
                continue
            codec = k.codec
            if codec == _RAW:  # no links: reading it early would only hold its bytes longer
                continue
            chosen.add(k)
            wanted.append((k, codec))
        if len(wanted) < self.min_items:
            self._next_try = self._visits + self.min_items
            return
        self._table.clear()  # resolved again each fill: a revoked or upgraded codec counts at once
        self._refused.clear()
        groups: dict[int, list[tuple[CID, bytes]]] = {}
        count = size = 0
        for cid, codec in wanted:
            if size >= self.max_bytes or not self._resolve(codec):
                continue
            try:
                data = store.get(cid)
            except AutocodecError:  # not here, or corrupt: the walk's own read decides
                continue
            groups.setdefault(codec, []).append((cid, data))
            count += 1
            size += len(data)
        if count < self.min_items:
            self._next_try = self._visits + self.min_items
            return
        from ..loader import _pool

        for codec, group in groups.items():  # one bulk call per codec: the blocks alone travel
            datas = [data for _, data in group]
            adapter = self._table[codec]
            if adapter is not None:
                found: list[Any] = _pool.links_many(adapter, datas, self.workers)
            else:
                unchecked = CID._unchecked  # noqa: SLF001 - bytes of CIDs the worker's codec built
                found = [x if not isinstance(x, list) else [unchecked(r) for r in x]
                         for x in _pool.run_bulk(self._builtin_job(codec), datas, self.workers)]
            for (cid, data), links in zip(group, found, strict=True):
                if isinstance(links, list):
                    self._cache[cid] = (data, links)
                    self.codecs_done.add(codec)

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
        return True

    def _builtin_job(self, codec: int) -> int:
        """The bulk job finding the links of ``codec`` blocks with the builtin walker."""
        from ..loader import _pool

        key = (codec, bool(self._rt.limits.decode.strict_blocks))
        job = _builtin_jobs.get(key)
        if job is None:
            job = _builtin_jobs[key] = _pool.register(_builtin_links_of(*key))
        return job

    def close(self) -> None:
        self._cache.clear()


_builtin_jobs: dict[tuple[int, bool], int] = {}  # (codec, strict) -> job id, for the process's life


def _builtin_links_of(codec: int, strict: bool) -> Callable[[list[bytes]], list[list[bytes] | None]]:
    """A bulk job: ``builtin_links`` of blocks of ``codec`` (through a CID of that codec, as the
    walker only reads the codec; ``strict``: ``DecodeLimits.strict_blocks``), as CID bytes;
    ``None`` on error (the walk decides)."""
    from ..cid import encode_varint
    from ..store import builtin_links

    shape = CID(b"\x01" + encode_varint(codec) + b"\x00\x00")  # identity, empty: only .codec is read

    def work(items: list[bytes]) -> list[list[bytes] | None]:
        out: list[list[bytes] | None] = []
        for data in items:
            try:
                out.append([bytes(c) for c in builtin_links(shape, data, strict=strict)])
            except AutocodecError:
                out.append(None)
        return out

    return work
