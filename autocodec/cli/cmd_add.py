"""``autocodec add`` and ``autocodec cat``: UnixFS files and directories in the store.

``add`` takes Kubo's ``ipfs add`` options under Kubo's names (``-r``, ``-H/--hidden``,
``-E/--empty-dirs``, ``-w``, ``-q``, ``-Q``, ``--silent``, ``-n/--only-hash``, ``-s/--chunker``,
``-t/--trickle``, ``--cid-version``, ``--hash``, ``--raw-leaves``, ``--max-file-links``,
``--max-directory-links``, ``--max-hamt-fanout``, ``--inline``, ``--inline-limit``,
``-p/--progress``, ``--stdin-name``, ``--ignore``, ``--ignore-rules-path``, ``--dereference-args``,
``--dereference-symlinks``, ``--pin``, ``--pin-name``; Kubo's
``--flag=false`` spellings are accepted), has Kubo's defaults, gives the same root CIDs for the
same bytes and options, and prints ``added CID NAME`` lines in Kubo's order (files as added,
then directories).  ``cat`` writes a file's bytes.  Both run on the registry ``Runtime``: Wasm
chunkers and extension hashers are the modules the pinned sets list (or ``--module`` files),
and every block is verified as it is stored; ``cat`` of blocks the home stores reads them
without starting it (``_cat_local``: the same bytes, checked by the store).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ._cidbase import add_cid_base_option
from ._kubo import bool_flag, go_int, go_int64, go_uint32, kubo_escape, kubo_file_args
from ._local_modules import add_module_option
from ._options import or_default
from ._runtime import add_source_options

if TYPE_CHECKING:  # pragma: no cover
    from collections.abc import Iterable

    from ..cid import CID
    from ..unixfs import Added, AddOptions


ADD_EPILOG = """examples:
  autocodec add big.iso                                  # same root CID as `ipfs add big.iso`
  autocodec add -r ./folder --cid-version 1              # CIDv1, raw leaves
  autocodec add -Q --chunker fastcdc-65536-262144-1048576 big.iso   # Wasm chunker, sandboxed
"""


CAT_EPILOG = """examples:
  autocodec cat QmFile > out
  autocodec cat /ipfs/QmDir/docs/readme.md    # names in directories and HAMT shards
"""


def register(sub: Any) -> None:
    add = sub.add_parser("add", help="add files or directories as UnixFS DAGs (Kubo's `ipfs add`); print their CIDs", epilog=ADD_EPILOG,
                       formatter_class=argparse.RawDescriptionHelpFormatter)
    add.add_argument("paths", nargs="*", metavar="FILE",
                     help="files to add (- or none for stdin, as Kubo; directories with -r)")
    bool_flag(add, "-r", "recursive", False, "add directories recursively")
    bool_flag(add, "-H", "hidden", False, "include files whose names start with '.'")
    bool_flag(add, "-E", "empty-dirs", True, "include empty directories (default; --empty-dirs=false skips them)")
    bool_flag(add, "-w", "wrap-with-directory", False, "wrap the added files in a directory (its CID is printed last)")
    bool_flag(add, "-q", "quiet", False, "print only CIDs, no progress")
    bool_flag(add, "-Q", "quieter", False, "print only the last root CID")
    bool_flag(add, None, "silent", False, "print no file lines (as Kubo: folders are still printed)")
    bool_flag(add, "-p", "progress", None, "show progress on stderr (default: when stderr is a terminal, as Kubo)")
    bool_flag(add, "-n", "only-hash", False, "only chunk and hash: print the CIDs, store nothing")
    add.add_argument("-s", "--chunker", default="size-262144", metavar="SPEC",
                     help="size-N (default size-262144), rabin[-AVG | -MIN-AVG-MAX], buzhash, "
                          "or fastcdc-MIN-AVG-MAX (an autocodec extension)")
    bool_flag(add, "-t", "trickle", False, "use the trickle DAG layout instead of the balanced one")
    add.add_argument("--cid-version", type=go_int, default=None,
                     help="CID version (default 0, as Kubo; 1 when --hash is not sha2-256; a negative one is the default)")
    bool_flag(add, None, "raw-leaves", None, "raw leaf blocks (default: yes with CIDv1, no with CIDv0)")
    add.add_argument("--hash", default="sha2-256", metavar="NAME", type=or_default("sha2-256"),
                     help="multihash for every block (default sha2-256; others imply CIDv1, as in Kubo; "
                          "extension hashers such as blake3 come from the pinned sets or --module)")
    add.add_argument("--max-file-links", type=go_int, default=174, metavar="N",
                     help="most links in one file node (default 174, as Kubo)")
    add.add_argument("--max-directory-links", type=go_int, default=0, metavar="N",
                     help="shard a folder holding more entries (default 0: only the 256 KiB size rule, as Kubo)")
    bool_flag(add, None, "inline", False, "name blocks of at most --inline-limit bytes by identity CIDs (as Kubo)")
    add.add_argument("--inline-limit", type=go_int, default=32, metavar="N",
                     help="the biggest block --inline names by an identity CID (default 32, at most 128, as Kubo)")
    add.add_argument("--max-hamt-fanout", type=go_int, default=256, metavar="N",
                     help="links per HAMT shard of a sharded folder: a power of 2 from 8 to 1024 (default 256, as Kubo)")
    bool_flag(add, None, "preserve-mode", False, "store each entry's permission bits (UnixFS 1.5; turns raw leaves off)")
    bool_flag(add, None, "preserve-mtime", False, "store each entry's modification time (UnixFS 1.5; raw leaves off)")
    add.add_argument("--mode", type=go_uint32, default=0, metavar="MODE",
                     help="store these permission bits in every entry, e.g. 0644 (UnixFS 1.5; raw leaves off)")
    add.add_argument("--mtime", type=go_int64, default=0, metavar="SECONDS",
                     help="store this modification time in every entry, seconds from the epoch (raw leaves off)")
    add.add_argument("--mtime-nsecs", type=go_uint32, default=0, metavar="NANOS", help="the nanoseconds of --mtime")
    add.add_argument("--stdin-name", default="", metavar="NAME",
                     help="the name stdin (-) is printed and, with -w, wrapped under (default: its CID, as Kubo)")
    add.add_argument("--ignore", action="append", default=[], metavar="RULE",
                     help="a gitignore-style rule matched against each entry's base name inside added folders "
                          "(repeatable; as Kubo: '*.log', '!keep.log'; a rule with a '/' inside matches nothing)")
    add.add_argument("--ignore-rules-path", default="", metavar="FILE",
                     help="a file of such rules, read before the --ignore rules (a missing file is an error)")
    bool_flag(add, None, "dereference-args", False, "follow symlinks named as arguments (the target's name is used)")
    bool_flag(add, None, "dereference-symlinks", False,
              "follow every symlink, as arguments and inside folders (a dangling one or a loop is an error)")
    bool_flag(add, None, "pin", True, "accepted for Kubo compatibility (the store keeps every block)")
    add.add_argument("--pin-name", default=None, metavar="NAME",
                     help="accepted for Kubo compatibility (the store keeps every block; nothing is named); "
                          "refused with --pin=false or --only-hash, as Kubo")
    add_cid_base_option(add)
    add_module_option(add)
    add.set_defaults(func=run_add)

    cat = sub.add_parser("cat", help="write the bytes of a UnixFS file to stdout", epilog=CAT_EPILOG,
                       formatter_class=argparse.RawDescriptionHelpFormatter)
    cat.add_argument("cid", nargs="+", metavar="CID[/PATH]",
                     help="a file's CID, or a directory's CID and a path in it; several are written one after "
                          "another (-o/-l count across them, as Kubo), after every one was found")
    from .cmd_bao import add_range_options  # -o/--offset, -l/--length as `ipfs cat` (issue 23)

    add_range_options(cat)
    bool_flag(cat, "-p", "progress", None, "accepted for Kubo compatibility (cat writes no progress)")
    add_source_options(cat)
    cat.set_defaults(func=run_cat)


def _metadata_options(args: argparse.Namespace) -> tuple[int, tuple[int, int] | None]:
    """``--mode`` and ``--mtime``/``--mtime-nsecs`` (read as Kubo reads them by their ``type``s:
    Go's base-0 integers, ``0644`` octal, refused in Go's words in the order given) checked as
    Kubo checks them; a zero mode or mtime stores none, as in Kubo."""
    from ..errors import InvalidInput

    mode, seconds, nanos = args.mode, args.mtime, args.mtime_nsecs
    if nanos and not seconds:
        raise InvalidInput('option "mtime-nsecs" requires "mtime" to be provided as well')
    if nanos > 999_999_999:
        raise InvalidInput("mtime nanoseconds must be in range [1, 999999999]", hint="give the rest as --mtime seconds")
    return mode, ((seconds, nanos) if seconds else None)


class _NoStore:
    """The block sink of ``--only-hash``: blocks are hashed, then dropped."""

    def put_many(self, batch: list[Any]) -> int:
        return len(batch)


def run_add(args: argparse.Namespace) -> int:
    from ._io import write_line

    names = _file_arguments(args)  # what Kubo's command line checks before adding anything
    shown: list[str] = []  # the CIDs written so far, in Kubo's order (-Q writes the last one only)
    failed = True
    try:
        _add_all(args, names, shown)
        failed = False
    finally:  # -Q: the last CID printed, also after a failure; an empty line if none (as Kubo, but
        if args.quieter and (shown or not failed):  # a refusal writes nothing to stdout here)
            write_line(shown[-1] if shown else "")
    return 0


def _file_arguments(args: argparse.Namespace) -> list[str]:
    """The paths to add in Kubo's order, each checked as Kubo's command line checks them before
    anything is added: it exists (Go's ``lstat NAME: ...`` words) and is no folder without
    ``-r``. No path at all is stdin, as in Kubo. Each path is cleaned first, as Kubo cleans it
    (``lnk/`` is the symlink ``lnk``, ``d/x/`` the file ``x``; messages name the cleaned path)."""
    import os
    import stat

    from ..errors import InvalidInput

    if "" in args.paths:  # Path("") is ".": it added the current folder (with -r) or said it was a folder
        raise InvalidInput("a path to add is empty", hint="name a file or folder, or - for standard input")
    if not args.paths:
        from ._io import tell_reading_stdin

        tell_reading_stdin()
    dereference = args.dereference_args or args.dereference_symlinks
    paths = [_dereferenced(p) if dereference and p != "-" else p for p in args.paths or ["-"]]
    paths = [_go_clean(p) if p != "-" else p for p in paths]  # Kubo cleans each (Go's filepath.Clean)
    names = _stdin_in_order(kubo_file_args(paths), args.stdin_name, paths)
    for name in names:
        if name == "-":
            continue
        try:
            mode = os.lstat(name).st_mode
        except OSError as exc:
            raise InvalidInput(f"lstat {name}: {(exc.strerror or str(exc)).lower()}", hint="check the path") from None
        if stat.S_ISDIR(mode) and not args.recursive:
            raise InvalidInput(f"'{name}' is a directory, use the '-r' flag to specify directories")
    if not args.only_hash:  # -n writes nothing: the store stays as it is read
        _refuse_the_store(names, args.hidden)
    return names


def _refuse_the_store(names: list[str], hidden: bool) -> None:
    """``InvalidInput`` when what would be added holds the home's store: one of its files named
    or read on stdin, or a folder holding it on a path that is added (no hidden folder on the
    way, or ``-H``). Adding it writes to it while it is read: it grew as fast as it was read,
    until the disk was full (``add -r HOME``: gigabytes a minute)."""
    import os

    from .._fileid import file_identity
    from ..errors import InvalidInput
    from ._io import STORE_SUFFIXES, home_root

    root = home_root()
    if root is None:
        return
    files = [os.path.join(root, "store.sqlite" + suffix) for suffix in STORE_SUFFIXES]
    store = {ident for ident in map(file_identity, files) if ident is not None}
    for name in names:
        if name == "-":
            held = bool(store) and file_identity(0) in store
        elif os.path.islink(name):
            continue  # added as a link, not followed
        else:
            real = os.path.realpath(name)
            held = file_identity(real) in store or any(_holds(real, f, hidden) for f in files if os.path.exists(f))
        if held:
            shown = "standard input" if name == "-" else name
            raise InvalidInput(f"cannot add {shown}: it holds this home's block store ({files[0]}), which would "
                               "grow with every block read from it", hint="add the files beside the home, or use "
                               "a home outside what is added (--home)")


def _holds(folder: str, file: str, hidden: bool) -> bool:
    """Whether adding ``folder`` (real path) with ``-r`` reaches ``file``: it is below it, and no
    folder on the way is hidden (skipped without ``-H``)."""
    import os

    rel = os.path.relpath(file, folder)
    if rel == os.curdir or rel == os.pardir or rel.startswith(os.pardir + os.sep):
        return False
    return hidden or not any(part.startswith(".") for part in rel.split(os.sep)[:-1])


def _add_all(args: argparse.Namespace, names: list[str], shown: list[str]) -> None:
    """Add ``names`` (checked by ``_file_arguments``) and print Kubo's lines; ``shown`` collects
    the CIDs printed, in order."""
    from ..codes import hash_code
    from ..progress import no_progress, stderr_progress
    from ..unixfs import Added, Adder
    from ..unixfs._add import entry_name
    from ..unixfs._merge import merge_stdin, refusing_over_stdin
    from ..unixfs._output import kubo_order
    from ._cidbase import cid_text
    from ._io import stdin_binary, write_line
    from ._local_modules import open_runtime

    options = _add_options(args)
    code = hash_code(args.hash)
    quiet = args.quiet or args.quieter or args.silent
    bar = args.progress if args.progress is not None else (sys.stderr.isatty() and not quiet)  # Kubo: a given -p wins
    progress = stderr_progress("add", eager=args.progress is True) if bar else no_progress

    def show(entries: "Iterable[Added]") -> None:
        """Write ``added CID NAME`` lines as Kubo does, each once its blocks are committed: files
        as their batch is (``Adder.add_path``'s ``on_entry``), then the folders of what was added,
        so a failure keeps what went before and no line claims blocks a crash could lose.
        ``--silent`` is Kubo's adder option: it drops the files' lines (and their CIDs from
        ``-Q``), never the folders'."""
        for entry in entries:
            if not (args.silent and not entry.is_dir):
                say(entry.cid, entry.path)

    over_bar = progress is not no_progress and sys.stderr.isatty()  # a line goes above the progress bar

    def say(cid: "CID", name: str) -> None:
        text = cid_text(cid, args.cid_base)
        shown.append(text)
        if not args.quieter:
            if over_bar:
                sys.stderr.write("\r\033[2K")  # the bar is drawn again at its next report
                sys.stderr.flush()
            write_line(text if args.quiet else f"added {text} {kubo_escape(name)}")

    def show_file(entry: Added) -> None:
        if not entry.is_dir:
            show([entry])

    wrap = args.wrap_with_directory
    everything: list[Added] = []
    wrapped: list[tuple[str, Any]] = []
    stdin_tree: tuple[str, Added] | None = None  # stdin's path and file, when -w put it in folders of its own
    with open_runtime(args) as runtime:
        multihash = None if code == 0x12 else (lambda block: runtime.hash(block, code))
        store = _NoStore() if args.only_hash else runtime.store
        adder = Adder(store, options, progress=progress, multihash=multihash,
                      chunker_module=lambda name: runtime.extension("chunker", name))
        for name in names:
            if name == "-":
                link = adder.add_stream(stdin_binary())
                named = args.stdin_name or str(link.cid)  # Kubo names unnamed stdin by its CID
                if not wrap:
                    show([Added(named, link.cid, link.filesize, link.tsize)])
                    _refuse_stdin_again(args.paths)
                    continue
                cleaned, parts = _stdin_path(named)
                file = Added(cleaned, link.cid, link.filesize, link.tsize)
                if len(parts) > 1 and any(a.path == parts[0] and a.is_dir for a in everything):
                    # after the folder d: Kubo's MFS puts stdin named d/y into it
                    everything, wrapped = merge_stdin(adder, everything, wrapped, "/".join(parts), file)
                else:
                    added = _stdin_wrapped(adder, link, cleaned, parts)
                    if len(parts) > 1:
                        stdin_tree = ("/".join(parts), file)
                    _refuse_taken(wrapped, parts[0], folder=len(parts) > 1)  # stdin makes a folder there
                    everything += added
                    wrapped.append((parts[0], added[-1].link))
                show([file])
                _refuse_stdin_again(args.paths)
                continue
            top = entry_name(name)
            # stdin named /d/y went first and made d: Kubo's MFS adds folder d's entries into it,
            # stopping at the first one that clashes with stdin's
            into = stdin_tree if wrap and stdin_tree is not None and stdin_tree[0].split("/")[0] == top else None
            if wrap and not (into and Path(name).is_dir()):
                _refuse_taken(wrapped, top, Path(name).is_dir() and not Path(name).is_symlink())
            heard = refusing_over_stdin(into[0], show_file) if into else show_file
            added = list(adder.add_path(Path(name), recursive=args.recursive, wrapped=wrap, on_entry=heard))
            if into and added:
                everything, wrapped = merge_stdin(adder, everything, wrapped, *into, folder=added)
            elif not wrap:
                show(a for a in kubo_order(added) if a.is_dir)
            elif added:  # an empty folder under -w -E=false is left out of the wrapper, as Kubo
                everything += added
                wrapped.append((added[-1].path, added[-1].link))
        if wrap:
            wrapper = adder.wrap(wrapped)
            show(a for a in kubo_order(everything, wrapper) if a.is_dir)


def _add_options(args: argparse.Namespace) -> "AddOptions":
    """The ``AddOptions`` the flags spell, after the checks Kubo makes of them before adding."""
    from ..errors import InvalidInput
    from ..unixfs import AddOptions

    if args.pin_name is not None and (not args.pin or args.only_hash):
        raise InvalidInput("pin-name option requires pin to be set (as Kubo: --only-hash and --pin=false pin nothing)",
                           hint="drop --pin-name, or add without --only-hash and --pin=false")
    args.hash = _hash_name(args.hash)
    mode, mtime = _metadata_options(args)
    if args.cid_version is not None and args.cid_version > 1:
        raise InvalidInput(f"unknown CID version: {args.cid_version}", hint="use CID version 0 or 1")
    version = args.cid_version if args.cid_version is None or args.cid_version >= 0 else None  # Kubo: unset
    return AddOptions(chunker=args.chunker, cid_version=version, raw_leaves=args.raw_leaves,
                      hidden=args.hidden, hash=args.hash, trickle=args.trickle, empty_dirs=args.empty_dirs,
                      max_file_links=args.max_file_links, max_directory_links=args.max_directory_links,
                      max_hamt_fanout=args.max_hamt_fanout, inline=args.inline, inline_limit=args.inline_limit,
                      preserve_mode=args.preserve_mode, preserve_mtime=args.preserve_mtime, mode=mode, mtime=mtime,
                      ignore=_ignore_rules(args), follow_symlinks=args.dereference_symlinks)


def _go_clean(path: str) -> str:
    """``path`` as Go's ``filepath.Clean`` leaves it: ``os.path.normpath``, but a leading ``//``
    is ``/`` (POSIX lets normpath keep exactly two leading slashes; Go keeps one)."""
    import os

    cleaned = os.path.normpath(path)
    return "/" + cleaned.lstrip("/") if cleaned.startswith("//") else cleaned


def _hash_name(text: str) -> str:
    """``--hash`` as Kubo 0.43.1 reads it: a go-multihash name in any letter case (Kubo
    lowercases it), nothing else: no number, no spaces around. ``UnknownHash`` in Kubo's words
    otherwise (a number was read as a code here: ``--hash=18`` added with sha2-256)."""
    import json

    from .. import _multiformats
    from ..errors import UnknownHash

    name = text.lower()
    if _multiformats.hash_code(name) is None:
        shown = name if len(name) <= 100 else name[:100] + "..."
        raise UnknownHash(shown, f"unrecognized hash function: {json.dumps(shown, ensure_ascii=False)}",
                          hint="give a hash function's name, e.g. sha2-256 or blake3")
    return name


def _ignore_rules(args: argparse.Namespace) -> tuple[str, ...]:
    """``--ignore-rules-path``'s lines, then the ``--ignore`` rules (Kubo's order)."""
    from ..unixfs._ignore import read_rules_file

    lines = read_rules_file(args.ignore_rules_path) if args.ignore_rules_path else []
    return (*lines, *args.ignore)


def _dereferenced(name: str) -> str:
    """An argument with its symlinks resolved (``--dereference-args``): Kubo then names it after
    its target. A dangling symlink or a loop is an error, as in Kubo."""
    import os

    from ..errors import InvalidInput

    try:
        return os.path.realpath(name, strict=True)
    except OSError as exc:
        raise InvalidInput(f"cannot follow {name}: {exc.strerror or exc}",
                           hint="fix the symlink, or add it as a symlink without --dereference-args") from None


def _stdin_in_order(names: list[str], stdin_name: str, given: list[str]) -> list[str]:
    """Kubo's command line keys stdin by its ``--stdin-name`` among the files' base names:
    unnamed it comes first, named it takes that name's place in name order; beside a file of the
    same name, the one named first on the command line (``given``) comes first, as in Kubo."""
    if "-" not in names or not stdin_name:
        return names
    from ..unixfs._add import entry_name
    from ..unixfs._layout import name_bytes

    files = [name for name in names if name != "-"]
    key = name_bytes(stdin_name)
    stdin_at = given.index("-")

    def after_stdin(name: str) -> bool:
        own = name_bytes(entry_name(name))
        return own > key or (own == key and (name not in given or given.index(name) > stdin_at))

    at = next((i for i, name in enumerate(files) if after_stdin(name)), len(files))
    return [*files[:at], "-", *files[at:]]


def _refuse_taken(wrapped: list[tuple[str, Any]], top: str, folder: bool = False) -> None:
    """Under ``-w``, an entry whose name the wrapper already holds (stdin's ``--stdin-name`` and a
    file of that name) is refused before its lines are printed, as Kubo 0.43.1's adder refuses
    it when it puts the entry in its top folder (in its words: a folder is made there with
    "file already exists", a file is linked there with "directory already has entry")."""
    if any(name == top for name, _ in wrapped):
        from ..errors import InvalidInput
        said = "file already exists" if folder else "directory already has entry by that name"
        raise InvalidInput(f"{said} ({top!r} is in the wrapping folder twice)",
                           hint="give standard input another --stdin-name, or add the files without -w")


def _refuse_stdin_again(paths: list[str]) -> None:
    """Stdin named twice (``add - -``): Kubo 0.43.1 adds it once, prints its line, then fails
    reading it again; so does this, after the first one's line."""
    if paths.count("-") > 1:
        from ..errors import InvalidInput

        raise InvalidInput("read /dev/stdin: file already closed (standard input was named twice)",
                           hint="name standard input (-) once")


def _stdin_path(shown: str) -> tuple[str, list[str]]:
    """Stdin's ``--stdin-name`` under ``-w``, cleaned as Go's ``path.Clean`` cleans it, as Kubo's
    adder joins it (``a//b``, ``a/./b``, ``a/b/`` are ``a/b``; ``x/../b`` is ``b``), and its parts."""
    import posixpath

    from ..errors import InvalidInput

    cleaned = posixpath.normpath(shown)  # Go's path.Clean, as Kubo's adder joins it: a//b, a/./b are a/b
    cleaned = "/" + cleaned.lstrip("/") if cleaned.startswith("//") else cleaned
    parts = [part for part in cleaned.split("/") if part]
    if not parts or any(part in (".", "..") for part in parts):
        raise InvalidInput(f"--stdin-name {shown!r} names no entry inside the wrapping folder",
                           hint="give stdin a plain name such as data.bin")
    return cleaned, parts


def _stdin_wrapped(adder: Any, link: Any, cleaned: str, parts: list[str]) -> list[Any]:
    """Stdin under ``-w`` at the path ``_stdin_path`` cleaned (``a/b`` is folder ``a`` holding
    ``b``), printed under that name. Returns the file's entry and its folders', the outermost
    last."""
    from ..unixfs import Added

    added = [Added(cleaned, link.cid, link.filesize, link.tsize)]
    for depth in range(len(parts) - 1, 0, -1):
        folder = adder.folder([(parts[depth], added[-1].link)])
        added.append(Added("/".join(parts[:depth]), folder.cid, 0, folder.tsize, is_dir=True, sharded=folder.sharded))
    return added


def run_cat(args: argparse.Namespace) -> int:
    paths: list[str] = args.cid
    if args.length == 0:  # Kubo 0.43.1's cat returns before reading any path: nothing, exit 0
        return 0
    if len(paths) == 1 and _may_be_bao(paths[0]):
        from .cmd_bao import cat_blake3  # a BLAKE3 CID kept as a Bao blob streams verified (issue 23)

        if cat_blake3(argparse.Namespace(**{**vars(args), "cid": paths[0]})):
            return 0
    from ._cat_local import local_first
    from ._local_modules import open_runtime

    local = local_first(args)  # stored blocks without starting the extension runtime (``_cat_local``)
    with local if local is not None else open_runtime(args) as source:  # then --node/--gateway; verified
        _write_files(args, source)
    return 0


def _may_be_bao(path: str) -> bool:
    """True when ``path`` is a raw + BLAKE3 CID, the only kind ``cat_blake3`` may serve (it is
    asked only then: the Bao machinery is not imported for any other ``cat``)."""
    from ..cid import CID
    from ..errors import AutocodecError

    text = path.removeprefix("/ipfs/")
    if "/" in text:
        return False
    try:
        cid = CID.parse(text)
    except AutocodecError:
        return False
    return cid.codec == 0x55 and cid.hash_code == 0x1E


def _write_files(args: argparse.Namespace, source: Any) -> None:
    """Every path's file bytes to stdout, clipped to -o/-l, once every path was found (as Kubo);
    as Kubo 0.43.1's ``cat``, the paths after the one that reaches ``-l`` bytes are not read."""
    from ..unixfs import cat_views, check_file, resolve
    from ._io import write_stdout
    from .cmd_bao import clip

    roots = []
    offset, total = args.offset, 0
    for path in args.cid:
        root = resolve(source, path)
        _refuse_other_codecs(root)
        size = check_file(source, root)
        roots.append(root)
        if offset > size:  # Kubo skips a file the offset passes
            offset -= size
            continue
        total, offset = total + size - offset, 0
        if args.length is not None and total >= args.length:
            break
    pieces = (piece for root in roots for piece in cat_views(source, root))  # written, never kept
    for piece in clip(pieces, args.offset, args.length):
        write_stdout(piece)


def _refuse_other_codecs(root: "CID") -> None:
    """UnixFS files are raw or dag-pb blocks."""
    if root.codec not in (0x55, 0x70):
        from ..codes import codec_name
        from ..errors import InvalidInput

        raise InvalidInput(f"{root} is a {codec_name(root.codec)} block, not a UnixFS file",
                           hint="show it with `autocodec decode` or `autocodec dag get`")
