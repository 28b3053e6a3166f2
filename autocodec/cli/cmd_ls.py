"""``autocodec ls``: the entries of UnixFS directories, as Kubo's ``ipfs ls`` prints them.

The same options under the same names (``-v/--headers``, ``--resolve-type``, ``--size``,
``-s/--stream``, ``-l/--long``, ``-H/--human``, ``-S/--sort-size``) and the same output: entries
sorted by name (by size with ``-S``), directories as ``NAME/`` with size ``-``, names escaped as
Kubo escapes them, columns aligned as Go's tabwriter aligns them (each line alone when
streaming), one ``PATH:`` block per argument when there are several. Checked byte for byte
against Kubo v0.43.1 in tests/test_ls_kubo.py.
"""

from __future__ import annotations

import argparse
import datetime
import math
import stat as stat_mod
from typing import TYPE_CHECKING, Any

from ._kubo import bool_flag, kubo_escape
from ._runtime import add_source_options

if TYPE_CHECKING:  # pragma: no cover
    from ..unixfs._ls import LsEntry

LS_EPILOG = """examples:
  autocodec ls QmDir                         # CID, size and name of each entry
  autocodec ls -v /ipfs/QmDir/docs            # with a header line
  autocodec ls -l --human QmDir              # mode, size in kB/MB, mtime (UnixFS 1.5)
"""


def register(sub: Any) -> None:
    ls = sub.add_parser("ls", help="list the entries of UnixFS directories (Kubo's `ipfs ls`)", epilog=LS_EPILOG,
                        formatter_class=argparse.RawDescriptionHelpFormatter)
    ls.add_argument("paths", nargs="+", metavar="CID[/PATH]", help="directories (or files: their chunks) to list")
    bool_flag(ls, "-v", "headers", False, "print table headers (Hash, Size, Name)")
    bool_flag(ls, None, "resolve-type", True, "read each entry's block to find out its type (default)")
    bool_flag(ls, None, "size", True, "read each entry's block to find out its file size (default)")
    bool_flag(ls, "-s", "stream", False, "print each entry as it is read, each line aligned alone")
    bool_flag(ls, "-l", "long", False, "long format: mode and modification time too (UnixFS 1.5 metadata)")
    bool_flag(ls, "-H", "human", False, "sizes in SI units (1.2 kB, 234 MB)")
    bool_flag(ls, "-S", "sort-size", False, "sort entries by size, largest first (directories as 0)")
    from ._cidbase import add_cid_base_option

    add_cid_base_option(ls)
    add_source_options(ls)
    ls.set_defaults(func=run_ls)


def run_ls(args: argparse.Namespace) -> int:
    from ..errors import InvalidInput
    from ..unixfs import resolve
    from ..unixfs._layout import name_bytes
    from ..unixfs._ls import ls
    from ._io import write_stdout
    from ._local_modules import open_runtime
    from ._tabwriter import align

    if args.sort_size and args.stream:
        raise InvalidInput("cannot use --sort-size with --stream")
    if args.sort_size and not args.size:
        raise InvalidInput("cannot use --sort-size with --size=false")
    resolve_children = args.size or args.resolve_type
    now = datetime.datetime.now(datetime.timezone.utc)
    out: list[str] = []
    last = None
    with open_runtime(args) as runtime:
        for path in args.paths:
            cid = resolve(runtime, path)
            found = ls(runtime, cid, resolve=resolve_children, links_of=runtime.links, limits=runtime.limits,
                       streamed=args.stream)
            if not args.stream:
                found.sort(key=lambda e: name_bytes(e.name))
                if args.sort_size:
                    found.sort(key=lambda e: e.size, reverse=True)  # stable: by name within a size
            rows = [_row(entry, args, now) for entry in found]
            if args.stream and not rows:
                continue  # Kubo's streaming output has nothing of an empty directory, not even its name
            head = ""
            if path != last:  # Kubo starts a block where the argument differs from the one before
                if len(args.paths) > 1:
                    head += ("\n" if last is not None else "") + f"{path}:\n"
                if args.headers:
                    head += "\t".join(_header(args)) + "\n"
                last = path
            if args.stream:  # one writer per entry, at least 10 wide: each line alone (the head with the first)
                text = "".join(align(head + row if i == 0 else row, minwidth=10) for i, row in enumerate(rows))
                # written before the next path is read: Kubo streams what it listed before a later path fails
                write_stdout(text.encode("utf-8", "surrogateescape"))
            else:
                out.append(head + "".join(rows))
    if not args.stream:
        write_stdout(align("".join(out)).encode("utf-8", "surrogateescape"))
    return 0


def _header(args: argparse.Namespace) -> list[str]:
    return [*(["Mode"] if args.long else []), "Hash", *(["Size"] if args.size else []),
            *(["ModTime"] if args.long else []), "Name"]


def _row(entry: "LsEntry", args: argparse.Namespace, now: datetime.datetime) -> str:
    from ..unixfs._ls import DIRECTORY
    from ._cidbase import cid_text

    is_dir = entry.kind == DIRECTORY
    cells = [_mode(entry.mode, entry.kind)] if args.long else []
    cells.append(cid_text(entry.cid, args.cid_base))
    if args.size:
        cells.append("-" if is_dir else _size(entry.size, args.human))
    if args.long:
        cells.append(_mtime(entry.mtime, now))
    return "\t".join(cells) + "\t" + kubo_escape(entry.name) + ("/" if is_dir else "") + "\n"


def _size(size: int, human: bool) -> str:
    """The size as Kubo prints it; ``human``: go-humanize's ``Bytes`` (SI, one decimal below 10)."""
    if not human:
        return str(size)
    if size < 10:
        return f"{size} B"
    exp = math.floor(math.log(size) / math.log(1000))
    value = math.floor(size / 1000 ** exp * 10 + 0.5) / 10
    unit = ("B", "kB", "MB", "GB", "TB", "PB", "EB")[exp]
    return f"{value:.1f} {unit}" if value < 10 else f"{value:.0f} {unit}"


def _mode(mode: int, kind: str) -> str:
    """Kubo's ``formatMode`` of the UnixFS mode bits: ``-`` when none are stored."""
    from ..unixfs._ls import DIRECTORY, SYMLINK

    if not mode:
        return "-"
    kind_char = "d" if kind == DIRECTORY else "l" if kind == SYMLINK else "-"
    bits = stat_mod.filemode(stat_mod.S_IFREG | mode)[1:]  # rwx with s/S and t/T, as ls prints them
    return kind_char + bits


def _mtime(mtime: tuple[int, int] | None, now: datetime.datetime) -> str:
    """Kubo's ``formatModTime`` in UTC: ``Jan 02 15:04`` within the last six months (and not
    more than a day ahead), else ``Jan 02  2006``; ``-`` when no time is stored."""
    if mtime is None:
        return "-"
    when = datetime.datetime.fromtimestamp(mtime[0], datetime.timezone.utc)
    month = now.month - 6
    year = now.year + (month - 1) // 12
    month = (month - 1) % 12 + 1
    try:
        six_months_ago = now.replace(year=year, month=month)
    except ValueError:  # a day past the month's end: Go normalizes into the next month
        six_months_ago = now.replace(year=year, month=month, day=1) + datetime.timedelta(days=now.day - 1)
    if six_months_ago < when < now + datetime.timedelta(hours=24):
        return when.strftime("%b %d %H:%M")
    return when.strftime("%b %d  %Y")
