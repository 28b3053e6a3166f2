"""``autocodec block put|get|stat|ls|check|rm``: raw blocks in the embedded store."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING, Any

from ._actions import command_with_actions
from ._cidbase import add_cid_base_option
from ._kubo import (add_enc_option, bool_flag, enc_line, go_int, kubo_file_args, kubo_mhtype, refuse_big_block,
                    refuse_missing_files)
from ._runtime import add_source_options
from ._options import nonempty, or_default
from ._text import counted

if TYPE_CHECKING:  # pragma: no cover
    from ..registry import Runtime
    from ..cid import CID

EPILOG = """examples:
  echo hello | autocodec block put                     # -> bafkrei... (raw, sha2-256)
  autocodec block put --codec git-raw --hash sha1 obj  # a raw git object under git's own id
  autocodec block get CID > out.bin                    # --node/--gateway fetch what the store lacks
  autocodec block stat CID
  autocodec block ls --codec dag-cbor
  autocodec block check                                # re-read every block; exit 1 if any is corrupt
"""


def register(sub: Any) -> None:
    bsub = command_with_actions(sub, "block", "put, get, stat, list, check and remove raw blocks", EPILOG)

    put = bsub.add_parser("put", help="store a block and print its CIDv1")
    put.add_argument("files", nargs="*", default=["-"], metavar="FILE",
                     help="blocks' bytes, one block per file (default: stdin; several in Kubo's order)")
    put.add_argument("--codec", "--cid-codec", default="raw", type=or_default("raw"),
                     help="a name or code of the multicodec table, as Kubo (default raw)")
    put.add_argument("--hash", "--mhtype", default="sha2-256", type=or_default("sha2-256"),
                     help="a hash function's name as Kubo spells it, or a private-use code for an extension "
                          "hasher (default sha2-256)")
    put.add_argument("--mhlen", type=go_int, default=-1, metavar="N",
                     help="a digest of N bytes: the hash's cut to at least 20, or for blake3 up to 128 (default -1: "
                          "the whole digest; identity ignores it, as Kubo)")
    put.add_argument("-f", "--format", default="", metavar="FORMAT",
                     help="Kubo's deprecated form of --cid-codec: v0 (a CIDv0: dag-pb, sha2-256), protobuf (dag-pb), "
                          "cbor (dag-cbor) or a codec name; not with another --cid-codec than raw")
    bool_flag(put, None, "allow-big-block", False, "store a block over 2 MiB, which IPFS peers do not exchange")
    bool_flag(put, None, "pin", False, "accepted for Kubo compatibility (the store keeps every block)")
    add_cid_base_option(put)
    add_enc_option(put, 'one {"Key", "Size"} a block')
    add_source_options(put)
    put.set_defaults(func=run_put)

    get = bsub.add_parser("get", help="write a block's bytes to stdout (fetched from a source if not local)")
    get.add_argument("cid", metavar="CID", help="a CID, or a path (CID/a/b, /ipfs/CID/a/b) to the block it reaches")
    add_source_options(get)
    get.set_defaults(func=run_get)

    stat = bsub.add_parser("stat", help="print a stored block's CID and size, as Kubo (Key:, Size:)")
    stat.add_argument("cid", metavar="CID", help="a CID, or a path (CID/a/b, /ipfs/CID/a/b) to the block it reaches")
    add_cid_base_option(stat)
    add_enc_option(stat, '{"Key", "Size"}')
    stat.set_defaults(func=run_stat)

    ls = bsub.add_parser("ls", help="list the CIDs of stored blocks")
    ls.add_argument("--codec", type=nonempty("a multicodec name or 0xCODE"), help="only blocks of this codec (name or 0xCODE)")
    add_cid_base_option(ls)
    ls.set_defaults(func=run_ls)

    check = bsub.add_parser("check", help="read every stored block back and report corrupt ones (exit 1)")
    check.set_defaults(func=run_check)

    rm = bsub.add_parser("rm", help="remove blocks from the store, each in turn (as `ipfs block rm`)")
    rm.add_argument("cid", metavar="CID", nargs="+", help="a CID, or a path to the block it reaches")
    rm.add_argument("-f", "--force", action="store_true",
                    help="a block not in the store is no error (as Kubo), and blocks that pinned sets need are "
                         "removed too (`autocodec pin repair` fetches them back)")
    rm.add_argument("-q", "--quiet", action="store_true", help="print no 'removed CID' lines")
    add_cid_base_option(rm)
    rm.set_defaults(func=run_rm)


def run_put(args: argparse.Namespace) -> int:
    from contextlib import suppress

    from ..cid import CID
    from ..errors import InvalidBlock, UnknownCodec
    from ._cidbase import cid_text
    from ._io import BLOCK_HINT, read_input, write_line
    from ._local_modules import open_runtime

    mh_code = kubo_mhtype(args.hash)
    refuse_insecure_hash(mh_code)
    codec, version = _format_codec(args, mh_code)
    names = kubo_file_args(args.files)
    refuse_missing_files(names)
    with open_runtime(args) as rt:
        for name in names:
            data = read_input(name, rt.limits.decode.max_block_bytes, "block", hint=BLOCK_HINT, error=InvalidBlock)
            refuse_big_block(len(data), args.allow_big_block)
            cid = rt.cid_for(data, codec, mh_code, length=_digest_length(mh_code, data, args.mhlen))
            if version == 0:
                cid = CID.build(codec, cid.multihash, version=0)
            # Refuse a malformed block before storing it; with no decoder for the codec, the block
            # is stored as given, like any IPFS node would.
            with suppress(UnknownCodec):
                try:
                    rt.decode_block(cid, data, verified=True)
                except InvalidBlock as exc:
                    _explain_compressed(codec, data, exc)
                    raise
            rt.store.put(cid, data)
            key = cid_text(cid, args.cid_base)
            write_line(enc_line(args, key, {"Key": key, "Size": len(data)}))
    return 0


KUBO_INSECURE_HASHES = frozenset({0x18, 0x20, 0x22, 0xD5, 0x1013, 0x1014, 0x1015, *range(0xB201, 0xB214),
                                  *range(0xB241, 0xB254)})
"""The hashes no block is stored under: those Kubo 0.43.1 computes but refuses, boxo verifcid's
allowlist leaving them out (shake-128, sha2-384, murmur3-x64-64, md5, sha2-224, sha2-512-224,
sha2-512-256, blake2b-8..152; measured: ``ipfs dag import`` of a block under each, with its true
digest, fails with "potentially insecure hash functions not allowed"), and blake2s-8..152, which
Kubo does not compute ("no such hash registered") and whose digests are under its 20-byte
minimum. Every other code off the allowlist is one Kubo does not compute at all
(sha2-256-trunc254-padded, poseidon, x11...): here a pinned extension hasher may provide it."""


def refuse_insecure_hash(code: int, where: str = "") -> None:
    """Refuse a multihash in ``KUBO_INSECURE_HASHES``, as Kubo's ``block put``, ``dag put`` and
    ``dag import`` do ("potentially insecure hash functions not allowed"). A code Kubo does not
    compute passes: an extension hasher's, or ``UnknownHash`` later. ``where`` leads the message
    (``dag import``'s block)."""
    from .._multiformats import codec_name
    from ..errors import InvalidInput

    if code not in KUBO_INSECURE_HASHES:
        return
    raise InvalidInput(f"{where}{codec_name(code)} is a potentially insecure hash function (Kubo refuses it too)",
                       hint="use sha2-256, sha2-512, sha3-*, blake2b-160..512, blake3, keccak-*, ...")


_FORMATS = {"protobuf": 0x70, "cbor": 0x71, "v0": 0x70}
"""``--format``'s own names (Kubo's ``block put``); any other value is a codec name or code."""


def _format_codec(args: argparse.Namespace, mh_code: int) -> tuple[int, int]:
    """The codec and CID version ``--codec`` and the deprecated ``--format`` ask for, read and
    checked as Kubo 0.43.1 does (``kubo_multicodec``): ``--format`` goes with the default raw
    codec only, spelled ``raw`` or left out (``0x55`` or ``85`` is refused beside it, as Kubo
    compares the text), and ``v0`` with the whole sha2-256 digest only."""
    from ..errors import InvalidInput
    from ._kubo import kubo_multicodec

    codec = kubo_multicodec(args.codec)
    if not args.format:
        return codec, 1
    if args.codec != "raw":  # the text, as Kubo compares it: ``--cid-codec=0x55`` is a custom codec there
        raise InvalidInput("--format (deprecated) and a --cid-codec other than raw cannot be used together",
                           hint="give only --cid-codec")
    if args.format == "v0" and (mh_code != 0x12 or args.mhlen not in (-1, 32)):
        raise InvalidInput("a CIDv0 is a whole sha2-256 digest only", hint="leave --mhtype and --mhlen out")
    return _FORMATS.get(args.format) or kubo_multicodec(args.format), 0 if args.format == "v0" else 1


def _digest_length(mh_code: int, data: bytes, length: int) -> int | None:
    """``--mhlen`` as ``Runtime.cid_for`` takes it, as Kubo reads it (go-multihash's ``Sum``): any
    negative length is the whole digest (blake3's: -1 only) and identity ignores it; an identity
    CID over verifcid's 128 bytes is refused (the runtime cuts, extends or refuses the other
    lengths)."""
    from ..errors import InvalidInput
    from ..unixfs._add import IDENTITY_MAX_BYTES

    if mh_code == 0x00:
        if len(data) > IDENTITY_MAX_BYTES:
            raise InvalidInput(f"an identity CID holds at most {IDENTITY_MAX_BYTES} bytes (Kubo refuses longer ones), "
                               f"the block has {len(data)}", hint="hash it, e.g. with sha2-256")
        return None
    if mh_code == 0x1E and length < -1:  # go-multihash's blake3 constructor takes -1 only, then Sum refuses
        raise InvalidInput(f"a blake3 digest cannot be {length} bytes long", hint="give a length from 20 to 128")
    return None if length < 0 else length


def _explain_compressed(codec: int, data: bytes, exc: Exception) -> None:
    """A git object refused because it is still zlib-compressed (a loose object file) says so."""
    import zlib

    from ..errors import InvalidBlock

    if codec != 0x78 or data[:1] != b"\x78":
        return
    try:
        inflated = zlib.decompressobj().decompress(data, 64)
    except zlib.error:
        return
    if b" " in inflated[:16]:
        raise InvalidBlock("the git object is zlib-compressed (a loose object file from .git/objects)",
                           hint="decompress it first, e.g. `git cat-file` or Python's zlib.decompress") from exc


def run_get(args: argparse.Namespace) -> int:
    from ._io import write_stdout
    from ._local_modules import open_runtime, recheck

    data = _stored_sha256_block(args)
    if data is None:
        with open_runtime(args) as rt:
            cid = _block_of(rt, args.cid)
            data = rt.get(cid)
            recheck(rt, cid, data)
    write_stdout(data)
    return 0


def _stored_sha256_block(args: argparse.Namespace) -> bytes | None:
    """The block a plain SHA-256 CID names, read as ``cat`` reads it (``_cat_local``: the home's
    store first, the full runtime only for a block it lacks), without starting the extension
    runtime (start-up); None where the runtime is needed from the start (a path, another hash
    to re-check, ``--module``/``--node``/``--gateway``, no home yet)."""
    from ..cid import CID
    from ._cat_local import local_first
    from ._local_modules import _SHA2_256

    if "/" in args.cid:
        return None
    cid = CID.parse(args.cid)
    if cid.hash_code != _SHA2_256:  # ``recheck`` re-hashes these through the runtime
        return None
    local = local_first(args)
    if local is None:
        return None
    with local:
        return local.get(cid)


def run_stat(args: argparse.Namespace) -> int:
    from ._cidbase import cid_text
    from ._io import write_line
    from ._local_modules import open_runtime

    with open_runtime(args) as rt:
        cid = _block_of(rt, args.cid)
        stat = rt.store.stat(cid)
    key = cid_text(cid, args.cid_base)  # Kubo's two lines (``cid inspect`` names codec and hash)
    write_line(enc_line(args, f"Key: {key}\nSize: {stat.size}", {"Key": key, "Size": stat.size}))
    return 0


def _block_of(rt: "Runtime", text: str) -> "CID":
    """The block ``text`` names, as Kubo's ``block get/stat`` read it: a CID, or a path
    (``CID/a/b``, ``/ipfs/CID/a/b``) resolved to the last block it reaches (the blocks on the
    way are read; a rest of the path inside that block is ignored, as in Kubo)."""
    from ..cid import CID
    from ..dag import resolve_cid

    if "/" not in text:
        return CID.parse(text)
    return resolve_cid(rt, text, limits=rt.limits)[0]


def run_ls(args: argparse.Namespace) -> int:
    from ..codes import codec_code
    from ._cidbase import cid_text
    from ._io import write_lines
    from ._local_modules import open_runtime

    wanted = codec_code(args.codec) if args.codec else None
    with open_runtime(args) as rt:
        write_lines(cid_text(cid, args.cid_base) for cid in rt.store if wanted is None or cid.codec == wanted)
    return 0


def run_check(args: argparse.Namespace) -> int:
    from ..errors import StoreCorrupt
    from ._io import write_line
    from ._local_modules import open_runtime

    with open_runtime(args) as rt:
        total = len(rt.store)
        bad = rt.store.check()
    for cid in bad:
        write_line(f"corrupt {cid}")
    if bad:
        raise StoreCorrupt(f"{len(bad)} of {counted(total, 'block')} {'is' if len(bad) == 1 else 'are'} corrupt")
    write_line(f"all {total} blocks intact" if total != 1 else "the 1 block is intact")
    return 0


def run_rm(args: argparse.Namespace) -> int:
    """Kubo's ``block rm``: each argument in turn (an unreadable one stops there); a block that
    cannot be removed is reported and the rest are still removed; the command fails at the end
    if any was not (with that block's own error when it was the only one)."""
    import sys

    from ..errors import AutocodecError, BlockNeeded, BlockNotFound
    from ._cidbase import cid_text
    from ._io import write_line
    from ._local_modules import open_runtime

    failures: list[AutocodecError] = []
    with open_runtime(args) as rt:
        needed = None if args.force else rt.pins.needed()
        for text in args.cid:
            cid = _block_of(rt, text)
            try:
                if needed is not None:
                    rt.pins.guard_removal([cid], needed=needed)
                if not rt.store.delete(cid) and not args.force and cid.hash_code != 0x00:  # identity: held by the CID
                    raise BlockNotFound(f"block {cid} is not in the store")
            except (BlockNeeded, BlockNotFound) as exc:
                failures.append(exc)
                continue
            if not args.quiet:
                write_line(f"removed {cid_text(cid, args.cid_base)}")
    if len(failures) == 1:
        raise failures[0]
    if failures:
        for failure in failures:
            print(f"cannot remove: {failure.message}", file=sys.stderr)
        first = failures[0]
        raise type(first)(f"{len(failures)} of {counted(len(args.cid), 'block')} not removed", hint=first.hint)
    return 0
