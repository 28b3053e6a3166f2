"""``autocodec dag get|put|resolve|import|export|stat``: Kubo's ``ipfs dag`` over every codec.

Names, flags and output shapes follow Kubo v0.43 (``core/commands/dag``): ``get`` writes the
node (or the value a path reaches) encoded with ``--output-codec`` and no trailing newline;
``resolve`` prints ``CID[/remainder]`` (no newline) in the base of the input CID unless
``--cid-base``; ``put`` prints one CIDv1 line per input; ``import`` prints ``Pinned root\\tCID\\t
success`` per root; ``export`` streams a CARv1 to stdout; ``stat`` prints Kubo's table and summary.
Paths cross links of every codec the runtime decodes (git, Ethereum, Bitcoin... through the
pinned Wasm modules). The store keeps every block (there is no garbage collector), so a
"pinned" root is one whose whole DAG is present.
"""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING, Any

from ._actions import command_with_actions
from ._cidbase import add_cid_base_option
from ._kubo import add_enc_option, bool_flag, enc_line, go_json
from ._local_modules import add_module_option
from ._options import nonempty, or_default
from ._runtime import add_source_options

if TYPE_CHECKING:  # pragma: no cover
    from ..cid import CID
    from ..errors import AutocodecError

EPILOG = """examples:
  autocodec dag get bafy.../tree/src/hash/main.py/hash   # across git links
  autocodec dag get /ipfs/QmDir/docs/readme.md           # UnixFS names (HAMT too)
  autocodec dag get /ipld/QmDir/Links/0/Hash             # plain IPLD pathing of DAG-PB
  autocodec dag resolve k2jvsl.../a/b                    # -> CID/remainder, in the input's base
  echo '{"a": 1}' | autocodec dag put --store-codec dag-cbor
  autocodec dag export bafy... > dag.car && autocodec dag import dag.car
  autocodec dag stat bafy...
"""


def register(sub: Any) -> None:
    dsub = command_with_actions(sub, "dag", "get, put, resolve, import, export and stat IPLD DAGs (Kubo's `ipfs dag`)", EPILOG)

    def action(name: str, help_text: str) -> argparse.ArgumentParser:
        parser: argparse.ArgumentParser = dsub.add_parser(name, help=help_text, epilog=EPILOG,
                                                          formatter_class=argparse.RawDescriptionHelpFormatter)
        return parser

    get = action("get", "print the node (or the value) a path reaches, encoded with --output-codec")
    get.add_argument("ref", metavar="PATH", help="CID or path: CID/a/b, /ipfs/CID/name, /ipld/CID/Links/0/Hash")
    get.add_argument("--output-codec", default="dag-json", metavar="CODEC", type=nonempty("a codec name"),
                     help="dag-json (default), dag-cbor, json, cbor, raw, or a codec an extension encodes")
    add_source_options(get)
    get.set_defaults(func=run_get)

    put = action("put", "store objects read with --input-codec as --store-codec blocks; print their CIDs")
    put.add_argument("files", nargs="*", default=["-"], metavar="FILE", help="objects (default: stdin)")
    put.add_argument("--store-codec", default="dag-cbor", metavar="CODEC", type=nonempty("a codec name"),
                     help="codec of the stored block (default dag-cbor)")
    put.add_argument("--input-codec", default="dag-json", metavar="CODEC", type=nonempty("a codec name"),
                     help="codec of the input (default dag-json)")
    put.add_argument("--hash", default="sha2-256", metavar="NAME", type=or_default("sha2-256"),
                     help="multihash (default sha2-256)")
    bool_flag(put, None, "pin", False, "accepted for Kubo compatibility (the store keeps every block)")
    bool_flag(put, None, "allow-big-block", False, "store a block over 2 MiB, which IPFS peers do not exchange")
    add_cid_base_option(put, json_ignores=True)
    add_enc_option(put, '{"Cid": {"/": CID}}, the CID in its default base as Kubo writes it')
    add_module_option(put)
    put.set_defaults(func=run_put)

    res = action("resolve", "print the last block a path reaches and the path left inside it")
    res.add_argument("ref", metavar="PATH")
    add_cid_base_option(res, json_ignores=True)
    add_enc_option(res, '{"Cid": {"/": CID}, "RemPath"}, the CID in its default base as Kubo writes it')
    add_source_options(res)
    res.set_defaults(func=run_resolve)

    imp = action("import", "verify and store every block of CAR files; report their roots")
    imp.add_argument("files", nargs="*", metavar="FILE", help="CARv1/CARv2 files (- or none: stdin, as Kubo)")
    imp.add_argument("--pin-roots", action=argparse.BooleanOptionalAction, default=True,
                     help="check each root's DAG is complete and report it pinned (default: yes)")
    imp.add_argument("--silent", action="store_true", help="no output")
    imp.add_argument("--stats", action="store_true", help="print the number of blocks and bytes imported")
    bool_flag(imp, None, "allow-big-block", False, "store blocks over 2 MiB, which IPFS peers do not exchange "
                                                   "(refused without it, as Kubo)")
    bool_flag(imp, None, "local-only", False, "import a partial CAR: implies --pin-roots=false, as Kubo")
    add_cid_base_option(imp, json_ignores=True)
    add_enc_option(imp, 'Kubo\'s {"Root": ...} and {"Stats": ...} objects, CIDs in their default base')
    add_module_option(imp)
    imp.set_defaults(func=run_import)

    exp = action("export", "stream the DAG under a root as a CARv1 on stdout (every codec's links)")
    exp.add_argument("root", metavar="ROOT", help="CID or path of the root")
    exp.add_argument("-p", "--progress", action=argparse.BooleanOptionalAction, default=None,
                     help="progress on stderr (default: when stderr is a terminal)")
    bool_flag(exp, None, "local-only", False, "export from the local store only: --node and --gateway are not asked "
                                              "(a block missing here is an error, not skipped as in Kubo)")
    add_source_options(exp)
    exp.set_defaults(func=run_export)

    stat = action("stat", "count the blocks and bytes of DAGs (each CID once, as Kubo)")
    stat.add_argument("roots", nargs="+", metavar="ROOT")
    stat.add_argument("-p", "--progress", action=argparse.BooleanOptionalAction, default=None,
                      help="progress on stderr (default: when stderr is a terminal)")
    add_enc_option(stat, "Kubo's UniqueBlocks, TotalSize, Ratio and DagStats")
    add_cid_base_option(stat)
    add_source_options(stat)
    stat.set_defaults(func=run_stat)


def _encode_output(rt: Any, value: Any, code: int) -> bytes:
    """``value`` in ``code``: a builtin codec's own encoding (plain JSON already indented, floats
    and escapes as Kubo writes them: ``-0``, ``1e-7``, ``\\u2028``), else the runtime's module."""
    from .. import builtin

    if builtin.has_codec(code):
        return builtin.encode(value, code, limits=rt.limits.decode)
    data: bytes = rt.encode(value, code)
    return data


def run_get(args: argparse.Namespace) -> int:
    from .. import builtin
    from ..dag import parse_path, resolve
    from ._fast import LocalBuiltins, NeedRuntime, usable
    from ._io import write_stdout
    from ._kubo import kubo_multicodec
    from ._local_modules import open_runtime

    code = kubo_multicodec(args.output_codec)
    if usable(args, parse_path(args.ref).root) and builtin.has_codec(code):
        try:  # builtin blocks in the store: no extension runtime to start (``_fast``)
            with LocalBuiltins() as local:
                found = resolve(local, args.ref, limits=local.limits)
                write_stdout(_encode_output(local, found.value, code))
                return 0
        except NeedRuntime:
            pass
    with open_runtime(args) as rt:
        found = resolve(rt, args.ref, limits=rt.limits)
        out = _encode_output(rt, found.value, code)
    write_stdout(out)
    return 0


def run_resolve(args: argparse.Namespace) -> int:
    from ..dag import parse_path, resolve_cid
    from ._cidbase import resolved_text
    from ._io import write_stdout
    from ._local_modules import open_runtime

    path = parse_path(args.ref)
    with open_runtime(args) as rt:
        cid, remainder = resolve_cid(rt, path, limits=rt.limits)
    if args.enc == "json":  # Kubo writes the CID as go-cid's JSON, whatever --cid-base says
        rest = "".join("/" + seg for seg in remainder)
        write_stdout(go_json({"Cid": {"/": str(cid)}, "RemPath": rest}).encode())
        return 0
    text = resolved_text(path.root, path.root_text, cid, args.cid_base)
    write_stdout((text + "".join("/" + seg for seg in remainder)).encode())
    return 0


def run_put(args: argparse.Namespace) -> int:
    from .. import builtin
    from ..errors import InvalidBlock, UnknownCodec
    from ._cidbase import cid_text
    from ..codes import codec_name
    from ._io import DOCUMENT_HINT, read_input, reading_document, write_line
    from ._kubo import kubo_file_args, kubo_multicodec, refuse_big_block, refuse_missing_files
    from ._local_modules import open_runtime
    from .cmd_block import refuse_insecure_hash

    input_code, store_code = kubo_multicodec(args.input_codec), kubo_multicodec(args.store_codec)
    mh_code = kubo_multicodec(args.hash)  # Kubo reads --hash as any multicodec too
    refuse_insecure_hash(mh_code)
    names = kubo_file_args(args.files)
    refuse_missing_files(names)
    with open_runtime(args) as rt:
        made: list[tuple[CID, bytes]] = []  # stored once every document is read, as Kubo's one batch
        for name in names:
            raw = read_input(name, rt.limits.decode.max_block_bytes, "object", error=InvalidBlock,
                             hint=DOCUMENT_HINT)
            with reading_document(codec_name(input_code)):
                if builtin.has_codec(input_code):
                    value = builtin.decode(raw, input_code, limits=rt.limits.decode,
                                           strict=rt.limits.decode.strict_blocks)
                else:
                    value = rt.decode_block(rt.cid_for(raw, input_code), raw, verified=True)
            if store_code == 0x70:  # dag-pb: links stored sorted, as Kubo's dag put stores them
                value = builtin.sort_dag_pb_links(value)
            data = _encode_output(rt, value, store_code)
            refuse_big_block(len(data), args.allow_big_block)
            if len(data) > rt.limits.decode.max_block_bytes:
                from ..errors import InvalidBlock

                raise InvalidBlock(f"the encoded {args.store_codec} block is {len(data)} bytes, over "
                                   f"limits.decode.max_block_bytes ({rt.limits.decode.max_block_bytes})")
            cid = rt.cid_for(data, store_code, mh_code)
            try:  # refuse what the store codec itself would not read back
                rt.decode_block(cid, data, verified=True)
            except UnknownCodec:
                pass
            made.append((cid, data))
            write_line(enc_line(args, cid_text(cid, args.cid_base), {"Cid": {"/": str(cid)}}))
        for cid, data in made:  # a document that fails leaves nothing stored (its CIDs before it printed)
            rt.store.put(cid, data)
    return 0


def run_import(args: argparse.Namespace) -> int:
    from ..errors import InvalidInput
    from ..progress import no_progress, stderr_progress
    from ._io import open_input, write_line
    from ._kubo import refuse_missing_files
    from ._local_modules import open_runtime

    args.files = args.files or ["-"]  # no file: standard input, as Kubo's dag import
    if args.files.count("-") > 1:
        raise InvalidInput("stdin (-) can be read only once")
    refuse_missing_files(args.files)
    roots: dict[Any, None] = {}  # every file's roots, each once, in order (a set: 10,000s of roots)
    blocks = size = 0
    show = sys.stderr.isatty() and not args.silent
    loud = not args.silent or args.enc == "json"  # Kubo's --silent quiets its text only
    pin = args.pin_roots and not args.local_only
    with open_runtime(args) as rt:
        imported = _ImportedLinks(rt) if pin else None
        for name in args.files:
            stream = open_input(name)
            try:
                got = _import_one(rt, stream, stderr_progress(f"import {name}") if show else no_progress,
                                  args.allow_big_block, imported)
            finally:
                if name != "-":
                    stream.close()
            blocks += got[1]
            size += got[2]
            roots.update(dict.fromkeys(got[0]))
        if imported is not None:
            for root in roots:
                _report_root(args, root, _pin_error(imported, root), loud)
    if args.stats and loud:
        write_line(enc_line(args, f"Imported {blocks} blocks ({size} bytes)",
                            {"Stats": {"BlockCount": blocks, "BlockBytesCount": size}}))
    return 0


def _pin_error(source: _ImportedLinks, root: CID) -> AutocodecError | None:
    """Why the DAG under ``root`` cannot be pinned from the local store (an ``AutocodecError``),
    or None when every block of it is here. A root not held is Kubo's blockstore miss,
    ``ipld: could not find ROOT`` (it reads the root before the pin walk); a block below it is
    the walk's ``block was not found locally (offline): ...``."""
    from contextlib import nullcontext

    from ..dag import walk
    from ..dag._ahead import LinksAhead
    from ..errors import AutocodecError, BlockNotFound

    refused = _root_cid_refused(root)
    if refused is not None:
        return refused
    reached = False
    try:
        # bulk read-ahead pays only when blocks are read back (the import's own are not)
        with nullcontext(None) if source.links_known else LinksAhead(source.rt) as ahead:
            for _ in walk(source, root, ahead):
                reached = True
    except BlockNotFound as exc:
        return exc if reached else BlockNotFound(f"ipld: could not find {root}", hint=exc.hint)
    except AutocodecError as exc:
        return exc
    return None


def _root_cid_refused(root: CID) -> AutocodecError | None:
    """What Kubo 0.43.1 says of a root (or a block the pin walk reaches) whose CID its blockstore
    refuses before any lookup (boxo verifcid, in its words): a hash it calls insecure, a digest under
    20 bytes, an identity digest over 128. No block is stored here under such a CID either, so it is
    never found; Kubo's reason is the truer one. A hash Kubo does not compute (verifcid: "insecure" too) is left to the
    lookup: a pinned extension hasher may have stored the block (docs/bounds.md)."""
    from .._multiformats import codec_name
    from ..builtin import MAX_IDENTITY_DIGEST, MIN_TRUNCATED_DIGEST, hasher_for
    from ..errors import DigestTooLong, InvalidInput, UnknownHash
    from .cmd_block import KUBO_INSECURE_HASHES

    size = len(root.digest)
    if root.hash_code in KUBO_INSECURE_HASHES:
        return InvalidInput("potentially insecure hash functions not allowed",
                            hint=f"the CID's hash, {codec_name(root.hash_code)}, is one Kubo refuses too")
    try:
        hasher_for(root.hash_code)
    except UnknownHash:
        return None
    if root.hash_code == 0 and size > MAX_IDENTITY_DIGEST:
        return DigestTooLong(f"digest too large: identity digest got {size} bytes, maximum {MAX_IDENTITY_DIGEST}")
    if root.hash_code != 0 and size < MIN_TRUNCATED_DIGEST:
        return InvalidInput(f"digest too small: {codec_name(root.hash_code)} digest got {size} bytes, "
                            f"minimum {MIN_TRUNCATED_DIGEST}")
    return None


def _report_root(args: argparse.Namespace, root: CID, error: AutocodecError | None, loud: bool) -> None:
    """One root's line, as Kubo 0.43.1 reports it: in JSON every root with its ``PinErrorMsg``
    (empty when pinned; the import still succeeds); in text ``Pinned root`` (unless ``loud`` is
    off: ``--silent``) or, for a root that cannot be pinned, the error that ends the command
    (exit 1), the root quoted as Go's ``%q``. Unlike Kubo, ``--silent`` text fails too: silence
    is for the lines, not the outcome (docs/bounds.md)."""
    from ._cidbase import cid_text
    from ._io import write_line

    if args.enc == "json":
        write_line(go_json({"Root": {"Cid": {"/": str(root)}, "PinErrorMsg": error.message if error else ""}})[:-1])
        return
    if error is not None:
        raise type(error)(f'pinning root "{cid_text(root, args.cid_base)}" FAILED: {error.message}',
                          hint=error.hint) from None
    if loud:
        write_line(f"Pinned root\t{cid_text(root, args.cid_base)}\tsuccess")


def _import_one(rt: Any, stream: Any, progress: Any, big_blocks: bool,
                imported: _ImportedLinks | None) -> tuple[list[Any], int, int]:
    """Verify and store every block of one CAR stream: (roots, blocks, block bytes), as Kubo counts.
    A block over 2 MiB stops the import unless ``big_blocks`` (Kubo's ``--allow-big-block``); so
    does a block of a builtin codec that does not decode (``dag._import_check``), the blocks
    before it kept, and so does a block whose CID's hash Kubo calls insecure (``cmd_block.
    refuse_insecure_hash``); bytes that are not their CID's are that error (``HashMismatch``), not a
    decode one, as Kubo's reader checks them first. ``imported`` learns every block's links once
    the whole stream is stored."""
    from ..dag._import_check import decode_for_import
    from ..errors import InvalidBlock
    from ..store import CarReader
    from ..store._verify_many import put_many_verified, runtime_verifier
    from .cmd_block import refuse_insecure_hash

    reader = CarReader(stream, limits=rt.store.limits)
    limits = rt.limits.decode
    counts = [0, 0]
    pending: dict[bytes, list[Any]] = {}  # links of this stream's blocks, known once all are stored

    def blocks() -> Any:
        for cid, data in reader:
            _refuse_big(cid, data, big_blocks)
            refuse_insecure_hash(cid.hash_code, f"import failed at block {cid}: ")
            try:
                value = decode_for_import(cid, data, limits)
            except InvalidBlock:
                rt.store.verify(cid, data)  # only on this path: the bulk verifier checks the rest
                raise
            counts[0] += 1
            counts[1] += len(data)
            if counts[0] % 1024 == 0:
                progress(reader.offset, None)
            if imported is not None:
                imported.note(cid, data, pending, value)
            yield cid, data

    verifier = runtime_verifier(rt)  # large windows of blocks checked over every core
    try:
        put_many_verified(rt.store, blocks(), verifier)
    finally:
        verifier.close()
    if imported is not None:
        imported.stored(pending)  # put_many returned: every block noted was verified and committed
    progress(reader.offset, reader.offset)
    return list(reader.roots), counts[0], counts[1]


def _refuse_big(cid: Any, data: bytes, allowed: bool) -> None:
    """Kubo's ``dag import`` check: a block over 2 MiB fails the import, naming the block."""
    from ..errors import InvalidInput
    from ._kubo import refuse_big_block

    try:
        refuse_big_block(len(data), allowed)
    except InvalidInput as exc:
        raise InvalidInput(f"import failed at block {cid}: {exc.message}", hint=exc.hint) from None


MAX_IMPORTED_LINKS = 250_000
"""Blocks and links together that ``dag import`` keeps for its pin walk (a link ~120 bytes, a
block ~150 bytes more: ~30-40 MB at most, whatever the CAR holds: one 4 MiB block may hold
~500,000 links); the blocks past the bound are read back from the store."""


class _ImportedLinks:
    """The pin walk's source: the runtime's links over the local store only (a root is complete
    or it is not), with the links of the blocks this import stored already known.

    Invariant: a block is known only after the ``put_many`` that took it returned, so it was
    verified against its CID and committed; its links were found in the very bytes verified,
    which never left the process, so the walk uses them instead of reading the block back and
    hashing it again (the walk yields ``b""`` for its data: it is only walked, never output). A
    block whose links could not be found (a malformed one: its error is the walk's to report),
    any block past ``MAX_IMPORTED_LINKS``, and every block stored before the import are read from
    the store and checked, as ``get`` always does.
    """

    def __init__(self, rt: Any) -> None:
        from ..dag._import_check import NOT_DECODED
        from ..store._links import value_links

        self.rt = rt
        self._not_decoded = NOT_DECODED
        self._value_links = value_links  # bound once: note() runs for every block
        self._known: dict[bytes, list[Any]] = {}
        self._items = 0  # blocks and links noted (pending or known): at most MAX_IMPORTED_LINKS

    @property
    def links_known(self) -> bool:
        """Whether any imported block's links are known (then nothing is read ahead in bulk)."""
        return bool(self._known)

    def note(self, cid: Any, data: bytes, pending: dict[bytes, list[Any]], value: Any) -> None:
        """Find ``cid``'s links into ``pending`` (known once ``stored``): in ``value``, the block
        decoded by the import's check, or in ``data`` when it is ``NOT_DECODED``."""
        from ..errors import AutocodecError, UnknownCodec

        if self._items >= MAX_IMPORTED_LINKS:
            return
        try:
            found: list[Any] = (self.rt.links(cid, data) if value is self._not_decoded
                                else self._value_links(cid.codec, value))
        except UnknownCodec:
            found = []  # the walk does not walk it either
        except AutocodecError:
            return  # read back by the walk, which meets the same error
        if self._items + 1 + len(found) > MAX_IMPORTED_LINKS:
            self._items = MAX_IMPORTED_LINKS  # full: this block and the later ones are read back
            return
        self._items += 1 + len(found)
        pending[bytes(cid.to_v1())] = found

    def stored(self, pending: dict[bytes, list[Any]]) -> None:
        """The blocks of ``pending`` are verified and committed: their links are known."""
        self._known.update(pending)

    def get(self, cid: Any) -> bytes:
        """The block's bytes (``b""`` for one this import stored); a missing one is
        ``BlockNotFound`` in Kubo's offline words, or Kubo's reason for refusing its CID
        (``_root_cid_refused``: a link under an insecure hash, say, as Kubo's walk says)."""
        from ..errors import BlockNotFound

        if bytes(cid.to_v1()) in self._known:
            return b""
        refused = _root_cid_refused(cid) if cid.hash_code == 0 else None  # the store's own words otherwise
        if refused is not None:
            raise refused
        try:
            data: bytes = self.rt.store.get(cid)
        except BlockNotFound:
            refused = _root_cid_refused(cid)
            if refused is not None:
                raise refused from None
            raise BlockNotFound(f"block was not found locally (offline): ipld: could not find {cid}") from None
        return data

    def links(self, cid: Any, data: bytes) -> list[Any]:
        known = self._known.get(bytes(cid.to_v1()))
        if known is not None:
            return list(known)
        found: list[Any] = self.rt.links(cid, data)
        return found


def _clear_progress() -> None:
    """End a progress line on a terminal (as Kubo does) so the output starts on a clean line."""
    if sys.stderr.isatty():
        sys.stderr.write("\r\033[2K")
    else:
        sys.stderr.write("\n")
    sys.stderr.flush()


def _progress_wanted(flag: bool | None) -> bool:
    return sys.stderr.isatty() if flag is None else flag


def run_export(args: argparse.Namespace) -> int:
    from ..dag import export_car, resolve
    from ..dag._ahead import LinksAhead
    from ..errors import InvalidPath
    from ..progress import stderr_progress
    from ._io import streaming_stdout
    from ._local_modules import open_runtime

    if args.local_only:  # Kubo: implies --offline; here no source beside the store is asked
        args.node, args.gateway = None, []
    with open_runtime(args) as rt:
        found = resolve(rt, args.root, limits=rt.limits)
        if found.remainder:
            raise InvalidPath(f"{args.root} ends inside block {found.cid}, not at a block",
                              hint="export a CID or a path that ends at a link")
        report = stderr_progress("export", eager=args.progress is True) if _progress_wanted(args.progress) else None
        with streaming_stdout() as stdout, LinksAhead(rt) as ahead:  # links of many blocks over every core
            export_car(rt, found.cid, stdout, progress=(lambda n, b: report(b, None)) if report else None,
                       ahead=ahead, skip_missing=args.local_only)  # Kubo: a block not held is left out
        if report is not None:
            _clear_progress()
    return 0


def run_stat(args: argparse.Namespace) -> int:
    import json
    import math

    from ..dag import resolve, stat
    from ..dag._ahead import LinksAhead
    from ..errors import EncodeError, InvalidPath
    from ..progress import stderr_progress
    from ._cidbase import cid_text
    from ._io import write_stdout
    from ._local_modules import open_runtime

    with open_runtime(args) as rt:
        roots = []
        for ref in args.roots:
            found = resolve(rt, ref, limits=rt.limits)
            if found.remainder:
                raise InvalidPath("cannot return size for anything other than a DAG with a root CID",
                                  hint="give a CID or a path that ends at a link")
            roots.append(found.cid)
        report = stderr_progress("stat", eager=args.progress is True) if _progress_wanted(args.progress) else None
        with LinksAhead(rt) as ahead:  # links of many blocks over every core
            summary = stat(rt, roots, progress=(lambda n, b: report(b, None)) if report else None, ahead=ahead)
    if report is not None:
        _clear_progress()
    names = [cid_text(r.cid, args.cid_base) for r in summary.roots]
    if args.enc == "json":
        if math.isnan(summary.ratio):  # Go's encoding/json refuses NaN, so Kubo's command fails
            raise EncodeError("json: unsupported value: NaN (every block is empty: the ratio is 0/0)",
                              hint="ask for the text output, which prints the ratio as NaN")
        doc = {"UniqueBlocks": summary.unique_blocks, "TotalSize": summary.total_size,
               "SharedSize": summary.shared_size, "Ratio": summary.ratio,
               "DagStats": [{"Cid": name, **({"Size": r.size} if r.size else {}), "NumBlocks": r.blocks}
                            for name, r in zip(names, summary.roots)]}  # Kubo's omitempty: no Size 0
        kept = {k: ("@RATIO@" if k == "Ratio" else v) for k, v in doc.items() if v or k == "DagStats"}
        text = json.dumps(kept, separators=(",", ":")).replace('"@RATIO@"', _go_float32(summary.ratio))
        write_stdout((text + "\n").encode())
        return 0
    width = len(names[0])
    lines = ["", f"{'CID':<{width}}\t{'Blocks':<15}\tSize"]
    lines += [f"{name}\t{str(r.blocks):<15}\t{r.size}" for name, r in zip(names, summary.roots)]
    lines += ["", "Summary",
              f"Total Size: {summary.total_size} ({_si_bytes(summary.total_size)})",
              f"Unique Blocks: {summary.unique_blocks}",
              f"Shared Size: {summary.shared_size} ({_si_bytes(summary.shared_size)})",
              "Ratio: NaN" if math.isnan(summary.ratio) else f"Ratio: {summary.ratio:f}", "", "", ""]
    write_stdout("\n".join(lines).encode())
    return 0


def _go_float32(value: float) -> str:
    """``value`` as Go's encoding/json writes a float32: the shortest text that reads back."""
    import struct

    def f32(x: float) -> float:
        result: float = struct.unpack("f", struct.pack("f", x))[0]
        return result

    target = f32(value)
    text = repr(target)
    for digits in range(1, 10):
        candidate = f"{target:.{digits}g}"
        if f32(float(candidate)) == target:
            text = candidate
            break
    if "e" in text and -7 < int(text.split("e")[1]) < 21:
        text = f"{float(text):f}".rstrip("0").rstrip(".")
    return text


def _si_bytes(n: int) -> str:
    """go-humanize ``Bytes`` (SI units), as Kubo prints sizes."""
    import math

    if n < 10:
        return f"{n} B"
    exp = int(math.floor(math.log(n) / math.log(1000)))
    suffix = ("B", "kB", "MB", "GB", "TB", "PB", "EB")[exp]
    value = math.floor(n / 1000 ** exp * 10 + 0.5) / 10
    return f"{value:.1f} {suffix}" if value < 10 else f"{value:.0f} {suffix}"
