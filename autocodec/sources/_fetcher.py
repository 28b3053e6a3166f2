"""Verified fetching through the local store and an ordered list of sources."""

from __future__ import annotations

import copy
import threading
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from .._inputs import need_iterable, need_store, whole_number
from ..cid import CID
from ..errors import (AutocodecError, BlockNotFound, DigestTooLong, FetchBusy, HashMismatch, InvalidInput, UnknownHash,
                      UnsupportedFormat, WeakDigest)
from ..log import get_logger
from ._base import BlockSource

if TYPE_CHECKING:  # pragma: no cover
    from ..store import BlockStore

log = get_logger("sources")

IDENTITY = 0x00
MIN_FETCH_DIGEST = 20  # Kubo's minimum for any CID but identity (boxo verifcid: DefaultMinDigestSize)
MAX_FETCH_DIGEST = 128  # Kubo's maximum (boxo verifcid: "digest too large"); builtin.MAX_DIGEST


class Fetcher:
    """``get(cid)``: the local store first, then each source in order.

    Invariants: bytes from a source are returned only after ``verify(cid, data)`` passed
    (through ``store.put``, which verifies, when there is a store); a verified block is cached
    in the store, unless the store is read-only (a read-only home: it is given out uncached); a
    source that serves bytes not matching the CID is skipped (logged as a warning
    if a later source serves the block; otherwise the raised ``HashMismatch`` names it); at most
    ``max_concurrent`` network fetches run at once (``None``: no cap), one more is ``FetchBusy``
    at once, never queued, so local answers never wait behind slow peers; any typed failure of a
    source (unreachable, timed out, not trustless, a malformed CAR) moves on to the next source,
    and when none has the block the error is the last failure's type, listing every source's
    reason, with that source's hint; a CID whose digest is under ``MIN_FETCH_DIGEST`` bytes
    (not identity) is ``WeakDigest`` before any source is asked, as Kubo refuses it
    (boxo's verifcid): its bytes could not be told from a forgery; one over ``MAX_FETCH_DIGEST`` is
    ``DigestTooLong``, stored or not, as Kubo refuses it too; a CID this process cannot check
    (an unknown hash, a digest longer than its hasher can make) is refused as ``verify`` refuses
    it (``UnsupportedFormat``) before any source is asked, not after a network search.
    """

    def __init__(
        self,
        store: "BlockStore | None",
        sources: Sequence[BlockSource] = (),
        *,
        verify: Callable[[CID, bytes], None] | None = None,
        max_concurrent: int | None = None,
        offline: bool = False,
    ) -> None:
        if offline and sources:
            raise InvalidInput("an offline Fetcher takes no sources: it reads the store only",
                               hint="leave the sources out, or make the Fetcher with offline=False")
        if store is not None:
            need_store(store, "put", "Fetcher")
        need_iterable(sources, "Fetcher's sources", "block sources")
        self.sources = list(sources)
        for source in self.sources:
            if not callable(getattr(source, "get", None)):
                raise InvalidInput(f"each of Fetcher's sources needs a get(cid) method (a GatewaySource, NodeSource "
                                   f"or CarSource), not {type(source).__name__}")
        if max_concurrent is not None and whole_number(max_concurrent, "Fetcher's max_concurrent") == 0:
            raise InvalidInput("Fetcher's max_concurrent needs a whole number from 1, not 0 (0 fetches at once "
                               "would refuse every one)", hint="give None for no cap")
        if verify is not None and not callable(verify):
            raise InvalidInput(f"Fetcher's verify needs a function (CID, bytes), not {type(verify).__name__}")
        self.store = store
        self.offline = offline
        """No source, by choice: a block not in the store is Kubo's offline "not found locally"."""
        self.max_concurrent = max_concurrent
        self._slots = threading.BoundedSemaphore(max_concurrent) if max_concurrent else None
        if verify is None and store is not None:
            verify = store.verify
        if verify is None:
            from ..builtin import verify_cid

            verify = verify_cid
        self.verify: Callable[[CID, bytes], None] = verify

    def without(self, name: str) -> "Fetcher":
        """This fetcher less its sources named ``name``: the same store, verification and fetch
        slots (for a caller that already asked that source)."""
        other = copy.copy(self)
        other.sources = [source for source in self.sources if getattr(source, "name", None) != name]
        return other

    def get(self, cid: CID) -> bytes:
        if self.store is not None:
            try:
                return self.store.get(cid)
            except BlockNotFound:
                pass
        if not self.sources or self._slots is None:
            return self._fetch(cid)
        if not self._slots.acquire(blocking=False):
            raise FetchBusy(f"block {cid} is not stored here, and all {self.max_concurrent} network fetch slots "
                            "are busy")
        try:
            return self._fetch(cid)
        finally:
            self._slots.release()

    def _check_verifiable(self, cid: CID) -> None:
        """``UnsupportedFormat`` (``UnknownHash``, ``DigestLengthUnsupported``) when no bytes could
        ever be verified under ``cid`` here: ``verify`` of empty bytes raises it before comparing
        (any other outcome, a mismatch or even a match, says the hash can be checked)."""
        try:
            self.verify(cid, b"")
        except UnsupportedFormat:
            raise
        except AutocodecError:
            pass

    def _fetch(self, cid: CID) -> bytes:
        """Ask each source in order (the local store was already asked)."""
        if self.sources and cid.hash_code != IDENTITY and len(cid.digest) < MIN_FETCH_DIGEST:
            raise WeakDigest(f"block {cid} is not stored here, and its digest is {len(cid.digest)} bytes: a block "
                             f"from another node is taken only under a digest of at least {MIN_FETCH_DIGEST} bytes")
        if len(cid.digest) > MAX_FETCH_DIGEST:  # nothing is stored under it either
            raise DigestTooLong(f"block {cid}: its digest is {len(cid.digest)} bytes, and Kubo refuses digests over "
                                f"{MAX_FETCH_DIGEST} bytes (no block is stored or fetched under it)")
        if self.sources:
            self._check_verifiable(cid)
        failures: list[str] = []
        liars: list[str] = []
        last_error: AutocodecError | None = None
        for source in self.sources:
            try:
                data = source.get(cid)
            except BlockNotFound as exc:
                failures.append(exc.message)
                continue
            except AutocodecError as exc:  # FetchError, or a source's own (a malformed CAR): the next one may have it
                failures.append(exc.message)
                last_error = exc
                continue
            try:
                self.verify(cid, data)
            except HashMismatch as exc:
                liars.append(source.name)
                failures.append(f"{source.name} served bytes that do not match {cid}")
                last_error = HashMismatch(f"{source.name} served bytes that do not match {cid}: {exc.message}")
                continue
            except UnknownHash:
                raise
            for liar in liars:  # said once here; when no source has it, the error says it instead
                log.warning("source served a block that does not match its CID", source=liar, cid=str(cid))
            if self.store is not None and not getattr(self.store, "read_only", False):
                self.store.put(cid, data)
            log.debug("fetched block", cid=str(cid), source=source.name, size=len(data))
            return data
        if last_error is not None:  # its hint too: a source's own advice (a redirect, a 429) says what to do
            raise type(last_error)(f"{cid}: " + "; ".join(failures), hint=last_error.hint)
        if self.offline:  # Kubo 0.43.1's words (``ipfs --offline block get CID``)
            raise BlockNotFound(f"block was not found locally (offline): ipld: could not find {cid}",
                                hint="put or import the block; this run fetches nothing")
        if not self.sources:
            raise BlockNotFound(f"block {cid} is not in the local store and no node or gateway is configured")
        raise BlockNotFound(f"block {cid} is in none of the sources tried: local store; " + "; ".join(failures),
                            hint="put the block on the node or gateway, or check the CID")
