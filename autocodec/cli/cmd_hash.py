"""``autocodec hash --hash NAME [FILE|-]...``: the multihash of each file, builtin or extension
hasher, one line per file in the order given (``sha256sum``'s shape: ``MULTIHASH  NAME``).

Files of up to ``_WHOLE`` bytes are read whole and hashed many at once (``Runtime.hash_many``:
one guest call for many inputs with a batching extension hasher); larger ones, and stdin, stream
in bounded memory. An unreadable file stops the run with one line, after the lines of the
files before it."""

from __future__ import annotations

import argparse
from typing import Any

from ._options import nonempty

_CHUNK = 1 << 20
_WHOLE = 1 << 20  # files up to this size are read whole and hashed in groups
_GROUP_BYTES = 16 << 20  # a group is hashed once it holds this much ...
_GROUP_FILES = 4096  # ... or this many files


EPILOG = """examples:
  autocodec hash big.iso                        # sha2-256 multihash
  autocodec hash --hash blake3 --digest big.iso # Wasm hasher from the pinned set, digest only
  echo hi | autocodec hash --hash keccak-256 -
  autocodec hash --hash blake3 blocks/*          # one line per file, small ones hashed in batches
"""


def register(sub: Any) -> None:
    p = sub.add_parser("hash", help="print the multihash of each file (builtin or Wasm extension hasher)",
                       epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("files", nargs="*", metavar="FILE|-", help="files to hash (none or -: stdin)")
    p.add_argument("--hash", default="sha2-256", type=nonempty("a multihash name or code"),
                   help="multihash name or code (default sha2-256), e.g. keccak-256, blake3, sha1")
    p.add_argument("--digest", action="store_true", help="print only the digest (hex), not the multihash")
    from ._runtime import add_source_options

    add_source_options(p)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from ._local_modules import open_runtime

    with open_runtime(args) as rt:  # --module files read under the home's module cap (/dev/zero refused)
        _Printer(rt, args.hash, args.digest).hash_all(args.files or ["-"])
    return 0


class _Printer:
    """Hashes files in the order given and prints a line for each; small regular files wait in
    a group (``_WHOLE``, ``_GROUP_BYTES``, ``_GROUP_FILES``) hashed by one ``hash_many``."""

    def __init__(self, rt: Any, hash: str, digest_only: bool) -> None:
        self.rt, self.hash, self.digest_only = rt, hash, digest_only
        self.group: list[tuple[str, bytes]] = []
        self.size = 0

    def hash_all(self, names: list[str]) -> None:
        from ._io import open_input

        try:
            for name in names:
                stream = open_input(name)
                try:
                    self._one(name, stream)
                finally:
                    if name != "-":
                        stream.close()
        finally:
            self.flush()  # the lines of the files before an error are printed

    def _one(self, name: str, stream: Any) -> None:
        from itertools import chain

        from ._io import checked_read

        read = checked_read(stream, name)
        if name != "-" and self._small(stream):
            data = read(_WHOLE + 1)
            if len(data) <= _WHOLE:
                self.group.append((name, data))
                self.size += len(data)
                if self.size >= _GROUP_BYTES or len(self.group) >= _GROUP_FILES:
                    self.flush()
                return
            rest: Any = chain([data], iter(lambda: read(_CHUNK), b""))  # it grew: stream the rest
        else:
            rest = iter(lambda: read(_CHUNK), b"")
        self.flush()  # keep the lines in order
        self._print(name, self.rt.hash_stream(rest, self.hash))

    @staticmethod
    def _small(stream: Any) -> bool:
        import os
        import stat

        try:
            st = os.fstat(stream.fileno())
        except (AttributeError, OSError, ValueError):
            return False
        return stat.S_ISREG(st.st_mode) and st.st_size <= _WHOLE

    def flush(self) -> None:
        if not self.group:
            return
        group, self.group, self.size = self.group, [], 0
        for (name, _), multihash in zip(group, self.rt.hash_many([d for _, d in group], self.hash), strict=True):
            self._print(name, multihash)

    def _print(self, name: str, multihash: bytes) -> None:
        from ..cid import decode_varint
        from ._io import write_line

        if self.digest_only:
            _code, off = decode_varint(multihash, 0)
            _size, off = decode_varint(multihash, off)
            write_line(multihash[off:].hex())
        else:
            write_line(f"{multihash.hex()}  {name}")
