"""Moving DAGs between the block store and CAR files.

Invariants:
- ``import_car`` verifies every block (through the store's verifier) and commits in the
  store's batches: an import stopped by a bad block, a malformed file or a killed process
  leaves every block before it stored and intact, and none after.
- ``export_car`` writes the DAG under ``root`` that the store holds, depth-first in link
  order, each CID once: a CIDv0 and its CIDv1 form are two CIDs, so a block linked under both
  is written under each, as Kubo 0.43.1's ``dag export`` writes it (go-car's traversal keeps
  a set of CIDs, measured); links are found with the injectable ``links`` finder (default
  ``builtin_links``), and links to blocks the store does not hold are counted, not followed.
  Every block written is read through ``get``, so a corrupt block stops the export.
"""

from __future__ import annotations

import io
import os
import stat
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, BinaryIO

from .._inputs import as_path, need_store, need_stream
from ..cid import CID
from ..log import get_logger
from ..progress import Progress, no_progress
from ._blockstore import BlockStore
from ._car import CarReader, CarWriter
from ._links import LinkFinder, builtin_links

if TYPE_CHECKING:  # pragma: no cover
    from ..dag._ahead import LinksAhead
    from ._verify_many import BlockVerifier

log = get_logger("store")

_PROGRESS_EVERY = 256  # blocks between progress calls (the reporter throttles further)
_PROGRESS_BYTES = 8 * 1024 * 1024  # ... or bytes, whichever comes first


@dataclass(frozen=True, slots=True)
class CarImport:
    roots: list[CID]
    blocks: int
    bytes: int
    version: int = 1


@dataclass(frozen=True, slots=True)
class CarExport:
    root: CID
    blocks: int
    bytes: int
    missing: list[CID] = field(default_factory=list)
    """Linked blocks that the store does not hold (so they are not in the CAR)."""


def _size_of(stream: BinaryIO) -> int | None:
    """The stream's total size when it is a regular file (pipes and sockets have none)."""
    try:
        info = os.fstat(stream.fileno())
    except (OSError, AttributeError, ValueError, io.UnsupportedOperation):
        return None
    return info.st_size if stat.S_ISREG(info.st_mode) else None


def import_car(
    store: BlockStore,
    source: str | os.PathLike[str] | BinaryIO,
    *,
    progress: Progress = no_progress,
    verifier: BlockVerifier | None = None,
) -> CarImport:
    """Verify and store every block of a CAR file or binary stream (hashes checked over every
    core by ``verifier`` when given: see ``_verify_many``; same blocks stored, same errors)."""
    need_store(store, "put_many", "import_car")
    if isinstance(source, (str, os.PathLike)):
        try:
            stream: BinaryIO = open(as_path(source, "import_car"), "rb")  # noqa: SIM115 (closed below)
        except OSError as exc:
            from ..errors import InvalidInput

            raise InvalidInput(f"cannot open {source}: {exc.strerror or exc}", hint="check the path") from None
        owned = True
    else:
        need_stream(source, "read", "import_car's source (a path or a file object)")
        stream, owned = source, False
    try:
        total = _size_of(stream)
        reader = CarReader(stream, limits=store.limits)

        def blocks() -> Iterator[tuple[CID, bytes]]:
            reported = 0
            for n, item in enumerate(reader, 1):
                yield item
                if n % _PROGRESS_EVERY == 0 or reader.offset - reported >= _PROGRESS_BYTES:
                    reported = reader.offset
                    progress(reported, total)

        if verifier is None:
            count = store.put_many(blocks())
        else:
            from ._verify_many import put_many_verified

            count = put_many_verified(store, blocks(), verifier)
        progress(reader.offset, total if total is not None else reader.offset)
        log.info("car_imported", blocks=count, bytes=reader.offset, roots=[str(r) for r in reader.roots])
        return CarImport(list(reader.roots), count, reader.offset, reader.version)
    finally:
        if owned:
            stream.close()


def export_car(
    store: BlockStore,
    root: CID,
    out: BinaryIO,
    *,
    links: LinkFinder = builtin_links,
    ahead: LinksAhead | None = None,
) -> CarExport:
    """Write the DAG under ``root`` held by the store as a CARv1 with ``root`` as its root.

    ``ahead`` (built on the runtime whose links ``links`` follows): blocks near the top of the
    stack are read and their links found in bulk worker processes; same bytes out."""
    need_store(store, "get", "export_car")
    need_stream(out, "write", "export_car")
    first = store.get(root)  # BlockNotFound before anything is written
    writer = CarWriter(out, [root])
    seen: set[CID] = {root}  # CIDs as linked: a CIDv0 and its CIDv1 are written each (Kubo)
    missing: list[CID] = []
    count = 0
    stack: list[tuple[CID, bytes | None]] = [(root, first)]
    while stack:
        cid, data = stack.pop()
        found = None
        if data is None:
            got = ahead.take(cid.to_v1(), stack, cid_of=_first) if ahead is not None else None
            if got is not None:
                data, found = got
            elif not store.has(cid):
                missing.append(cid)
                continue
            else:
                data = store.get(cid)
        writer.write(cid, data)  # an identity CID's too, as Kubo 0.43.1's dag export writes it
        count += 1
        children = []
        for child in links(cid, data) if found is None else found:
            if child not in seen:
                seen.add(child)
                children.append(child)
        stack.extend((child, None) for child in reversed(children))
    log.info("car_exported", root=str(root), blocks=count, missing=len(missing))
    return CarExport(root, count, writer.bytes_written, missing)


def _first(entry: tuple[CID, bytes | None]) -> CID:
    return entry[0]


def export_car_file(
    store: BlockStore, root: CID, path: str | os.PathLike[str], *, links: LinkFinder = builtin_links,
    ahead: LinksAhead | None = None,
) -> CarExport:
    """``export_car`` to a file, written beside it and renamed into place only when complete.

    The file is written under a name of its own (``.NAME.????????.part``, ``_partfiles``), so
    exports to one path from several processes at once each put a whole CAR in place (the last
    one stays); what a killed export left there is removed by a later export to that path."""
    from .._partfiles import write_whole

    need_store(store, "get", "export_car_file")
    return write_whole(as_path(path, "export_car_file"), lambda out: export_car(store, root, out, links=links, ahead=ahead))
