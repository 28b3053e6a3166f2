"""Publishing a module: vectors run, then module, vectors, source tree and signed manifest stored.

Invariants:
- A module is published only if it passes ABI v1's static checks and every one of its test
  vectors in the sandbox; nothing is stored otherwise.
- Kind, codes and name come from the module's own ``autocodec.module`` section, so a
  manifest can never claim codes its module does not declare.
- The manifest names the module, vectors and source tree by CID; all of them are stored in the
  home's block store, so ``set export`` and ``--to-node`` can ship them. A module of at most
  1 MiB is one raw block; a larger one is stored as the UnixFS file DAG ``ipfs add
  --cid-version=1`` makes of it (its CID the DAG's root: ``verify._moduledag``), so every block
  is one IPFS peers accept and move (Kubo 0.43.1: 2 MiB for ``block put``, under 4 MiB by bitswap). The source tree is the
  module's own folder only (``_sourcetree``): never files that happen to sit near the ``.wasm``.
- The vectors file is read under the home's ``limits.trust.max_vectors_bytes`` (``read_vectors``):
  refused from its size before any byte is read, and never read past the limit (a file that grows).
  The same limit, and no other, bounds its decoding (``loader.decode_vectors``) and the DAG-CBOR
  block stored for it (which a canary fetches under it): ``VectorsTooLarge`` before anything is
  stored. Its default is Kubo 0.43.1's block limit (2 MiB: ``block put``/``dag put`` refuse a
  byte more, "big blocks can't be exchanged with other peers").
- One publisher key signs one module per name, kind and version in a home: publishing other
  bytes under a version it already published is refused (``VersionTaken``) before the vectors
  run; the same bytes again answer the manifest already signed (``Published.existing``) while
  it is in the store, unexpired and lasts as long as asked, so a retried publish makes no second,
  different manifest (a longer lifetime asked for signs a new one: a renewal).
"""

from __future__ import annotations

import math
import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from .. import builtin
from ..cid import CID
from ..errors import InvalidDocument, InvalidInput, ModuleTooLarge, VectorsTooLarge, VersionTaken
from ..log import get_logger
from ._sourcetree import source_folder, source_tree

if TYPE_CHECKING:  # pragma: no cover
    from ..verify import Manifest, SigningKey
    from ._runtime import Runtime

log = get_logger("registry")

SCHEMA = [
    "CREATE TABLE IF NOT EXISTS registry_published ("
    " manifest_cid TEXT PRIMARY KEY, name TEXT NOT NULL, kind TEXT NOT NULL, version TEXT NOT NULL,"
    " publisher TEXT NOT NULL, module_cid TEXT NOT NULL, published_at INTEGER NOT NULL)",
]


class VectorsFailed(InvalidInput):
    hint = "fix the module (or its vectors) and publish again; nothing was stored"


@dataclass(frozen=True)
class Published:
    manifest_cid: CID
    manifest: "Manifest"
    module_cid: CID
    vectors_cid: CID
    source_cid: CID | None
    cases: int
    existing: bool = False
    """True when the same module, name and version was published before: its manifest is answered."""
    module_blocks: tuple[CID, ...] = ()
    """Every block ``module_cid`` names, all in the store: the module itself, or (over 1 MiB) its
    UnixFS file DAG's blocks, the root last."""


def _vectors_places(module_path: Path) -> list[Path]:
    """Where a module's ``vectors.json`` is looked for when none is named, in order: beside the
    module, else in the folder named after it (``module build X -o X.wasm``)."""
    return [module_path.parent / "vectors.json", module_path.with_suffix("") / "vectors.json"]


def default_vectors(module_path: Path) -> Path:
    """The vectors ``publish_module`` and ``autocodec module test`` take for a module when none
    is named: the first of ``_vectors_places`` that is a file (the first place when none is)."""
    places = _vectors_places(module_path)
    return next((path for path in places if path.is_file()), places[0])


def _find_vectors(module_path: Path, vectors: Path | None) -> Path:
    """``vectors`` (a file, or a folder holding ``vectors.json``); without it, ``default_vectors``."""
    if vectors is not None:
        candidates = [vectors / "vectors.json" if vectors.is_dir() else vectors]
    else:
        candidates = _vectors_places(module_path)
    for path in candidates:
        if path.is_file():
            return path
    raise InvalidInput(
        f"no test vectors for {module_path.name} (looked for {', '.join(map(str, candidates))})",
        hint="give a vectors folder holding vectors.json (docs/abi.md section 5); modules are never published untested",
    )


def read_vectors(path: Path, limit: int) -> bytes:
    """The bytes of the vectors file ``path``: never more than ``limit + 1`` are read. A size
    over ``limit`` is refused before any byte is read (``VectorsTooLarge``); so is a file that
    holds more once read (it grew, or is a device whose size says nothing)."""
    try:
        with path.open("rb") as stream:
            size = os.fstat(stream.fileno()).st_size
            if size > limit:
                raise VectorsTooLarge(f"{path} is {size} bytes, over the {limit}-byte vectors limit")
            data = stream.read(limit + 1)
    except OSError as exc:
        raise InvalidInput(f"cannot read {path}: {exc.strerror or exc}") from None
    if len(data) > limit:
        raise VectorsTooLarge(f"{path} holds more than the {limit}-byte vectors limit")
    return data


def _toolchain(folder: Path | None) -> dict[str, str] | None:
    """What built the module, from its source folder's language; None when no folder names it
    (a bare ``.wasm``: nothing known is recorded rather than a guess)."""
    if folder is None:
        return None
    from ..modkit import ModuleBuildError, detect_lang, toolchain

    try:
        return toolchain(detect_lang(folder))
    except ModuleBuildError:  # no sources of one known language in the folder
        return None


_MAX_LIFETIME_DAYS = 1 << 30
"""The longest lifetime a document is signed for (about 2.9 million years): its expiry, seconds
since 1970, then stays far below the 2^53 the documents' ``expires`` field holds."""


def check_lifetime(days: float | None) -> None:
    """``InvalidInput`` for a lifetime that would sign a document already expired (0 or less),
    one that is not a finite number of days, or one past ``_MAX_LIFETIME_DAYS``; None means
    the document does not expire."""
    if days is None:
        return
    if not math.isfinite(days):
        raise InvalidInput(f"a lifetime of {days} days is not a number of days",
                           hint="give a positive number of days, or none for a document that does not expire")
    if not days > 0:
        raise InvalidInput(f"a lifetime of {days} days would sign a document that has already expired",
                           hint="give a positive number of days")
    if days > _MAX_LIFETIME_DAYS:
        raise InvalidInput(f"a lifetime of {days} days is longer than the {_MAX_LIFETIME_DAYS} days a document's "
                           "expiry can hold", hint="give fewer days, or none for a document that does not expire")


def _earlier_of_version(runtime: "Runtime", name: str, kind: str, version: str, publisher: str,
                        module: CID) -> CID | None:
    """The manifest ``publisher`` signed before for ``module`` as ``name`` ``version`` (None if
    none); ``VersionTaken`` when what it signed under that version is other module bytes."""
    rows = runtime.store.read_rows(
        "SELECT manifest_cid, module_cid FROM registry_published WHERE name = ? AND kind = ? AND version = ? "
        "AND publisher = ? ORDER BY published_at DESC, rowid DESC", (name, kind, version, publisher))
    other = [m for _cid, m in rows if m != str(module)]
    if other:
        raise VersionTaken(f"{name} {version} was already published with this key as module {other[0]}; "
                           f"this is other bytes ({module}) under the same version")
    return CID.parse(rows[0][0]) if rows else None


def _still_valid(runtime: "Runtime", manifest_cid: CID, now: int, asked: int | None) -> "Manifest | None":
    """The manifest signed as ``manifest_cid``, if the store still holds it, it has not expired
    and it lasts at least until ``asked`` (None: never expires); else None (a new one is signed,
    as when renewing a manifest's expiry)."""
    from ..verify import Manifest, open_envelope

    if not runtime.store.has(manifest_cid):
        return None
    limits = runtime.limits.trust
    env = open_envelope(runtime.store.get(manifest_cid), "manifest", max_bytes=limits.max_document_bytes,
                        max_signatures=limits.max_signatures)
    manifest = Manifest.from_value(env.document, max_module_bytes=limits.max_module_bytes)
    if manifest.expires is not None and (manifest.expires <= now or asked is None or manifest.expires < asked):
        return None
    return manifest


def publish_module(
    runtime: "Runtime",
    module_path: str | Path,
    key: "SigningKey",
    *,
    version: str | None = None,
    vectors: str | Path | None = None,
    expires_days: float | None = None,
    now: int | None = None,
) -> Published:
    """Check, test and sign a module; store everything; return the manifest CID."""
    from ..loader import run_vectors
    from ..loader._vectors import decode_vectors, vectors_size_error
    from ..verify import Manifest, module_blocks, sign

    now = int(time.time()) if now is None else now
    check_lifetime(expires_days)
    path = Path(module_path)
    cap = runtime.limits.sandbox.max_module_bytes
    try:
        with path.open("rb") as stream:
            wasm = stream.read(cap + 1)  # never more: a path to /dev/zero is refused, not read whole
    except OSError as exc:
        raise InvalidInput(f"cannot read {path}: {exc.strerror}") from None
    if len(wasm) > cap:
        raise ModuleTooLarge(f"{path} is over the {cap}-byte module cap")
    blocks = module_blocks(wasm)  # one raw block, or over 1 MiB the UnixFS file DAG `ipfs add --cid-version=1` makes
    loaded = runtime.sandbox.load(wasm, cid=blocks.cid)  # its CID check asks modcid again: the DAG is not rebuilt
    info = loaded.info
    runtime.store.ensure_schema("registry", 1, SCHEMA)
    earlier = _earlier_of_version(runtime, info.name, info.kind, version or info.version, key.did, blocks.cid)
    vectors_path = _find_vectors(path, Path(vectors) if vectors else None)
    vectors_doc = read_vectors(vectors_path, runtime.limits.trust.max_vectors_bytes)
    try:
        vectors_value = decode_vectors(vectors_doc, "dag-json", runtime.limits.trust, decode=runtime.limits.decode)
    except VectorsTooLarge:
        raise
    except InvalidDocument as exc:
        raise InvalidInput(f"{vectors_path} is not valid DAG-JSON: {exc.message}") from None
    vectors_block = builtin.encode(vectors_value, "dag-cbor")
    too_large = vectors_size_error(len(vectors_block), runtime.limits.trust,
                                   f"{vectors_path} as the DAG-CBOR block a manifest names")
    if too_large is not None:  # DAG-CBOR is larger than DAG-JSON for floats (9 bytes for "1.5")
        raise too_large
    report = run_vectors(loaded, vectors_value, limits=runtime.limits.trust)
    if not report.ok:
        raise VectorsFailed(f"{info.name} fails {len(report.failures)} of {report.total} test vectors: "
                            + "; ".join(report.failures[:3]))
    if earlier is not None:
        asked = int(now + expires_days * 86400) if expires_days is not None else None
        kept = _still_valid(runtime, earlier, now, asked)
        if kept is not None and kept.vectors is not None:
            log.info("publish", manifest=str(earlier), name=info.name, version=kept.version, publisher=key.did,
                     vectors=report.total, policy="same-version-same-bytes")
            runtime.store.put_many(blocks.blocks)  # a module DAG's blocks, had the store lost one
            return Published(earlier, kept, kept.module, kept.vectors, kept.source,
                             report.total, existing=True, module_blocks=tuple(c for c, _ in blocks.blocks))
    runtime.store.put_many(blocks.blocks)
    module = blocks.cid
    vectors_cid = runtime.put(vectors_block, "dag-cbor")
    folder = source_folder(path, vectors_path, info.name)
    source = source_tree(runtime.put, folder)
    supersedes = None
    rows = runtime.store.transaction
    with rows() as conn:
        row = conn.execute(
            "SELECT manifest_cid FROM registry_published WHERE name = ? AND kind = ? AND publisher = ? "
            "ORDER BY published_at DESC, rowid DESC LIMIT 1", (info.name, info.kind, key.did)).fetchone()
    if row:
        supersedes = CID.parse(row[0])
    manifest = Manifest(
        kind=info.kind, name=info.name, codes=tuple(info.codes), module=module, size=len(wasm),
        version=version or info.version, publisher=key.did, issued=now,
        expires=int(now + expires_days * 86400) if expires_days is not None else None,
        source=source, build=_toolchain(folder), vectors=vectors_cid, supersedes=supersedes,
    )
    manifest_cid, envelope = sign(manifest, [key], limits=runtime.limits.trust)
    runtime.store.put(manifest_cid, envelope)
    with runtime.store.transaction() as conn:
        conn.execute("INSERT OR REPLACE INTO registry_published VALUES (?, ?, ?, ?, ?, ?, ?)",
                     (str(manifest_cid), info.name, info.kind, manifest.version, key.did, str(module), now))
    log.info("publish", manifest=str(manifest_cid), module=str(module), name=info.name, version=manifest.version,
             publisher=key.did, vectors=report.total, policy="vectors-pass")
    return Published(manifest_cid, manifest, module, vectors_cid, source, report.total,
                     module_blocks=tuple(c for c, _ in blocks.blocks))
