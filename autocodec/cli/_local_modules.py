"""The ``Runtime`` behind the block commands, with their local ``--module`` files checked first.

Formats resolve through ``autocodec.registry.Runtime`` (builtins, then pinned extension sets,
then ``--module`` files the user vouches for), built by ``cli._runtime.runtime_from_args`` so
every command resolves the same way. This module only makes the ``--module`` part fail well.

Invariants:
- A ``--module`` file that is missing or unreadable is an ``InvalidInput`` naming it, and two
  files declaring the same (kind, code) are refused as ambiguous (``ConfigError``), before
  the runtime is built; a file that is not a valid module is the loader's ``ModuleRejected``.
- ``recheck`` re-hashes a block read from the store with its CID's own function when one
  resolves: ``BlockStore.get`` already checked sha2-256 CIDs (and a checksum for the rest).
"""

from __future__ import annotations

import argparse
from contextlib import suppress
from typing import TYPE_CHECKING, Any

from ..cid import CID
from ..errors import ConfigError, UnknownHash

if TYPE_CHECKING:  # pragma: no cover
    from ..registry import Runtime

_SHA2_256 = 0x12


def add_module_option(parser: argparse.ArgumentParser) -> None:
    """``--module FILE`` alone, for commands where ``--node``/``--gateway`` mean nothing."""
    parser.add_argument("--module", metavar="FILE", action="append", default=[], dest="modules",
                        help="serve the codes a local Wasm module declares (you vouch for it; repeatable)")


def module_bytes(paths: list[str]) -> list[bytes]:
    """The bytes of each module file, refusing unreadable files and ambiguous codes."""
    wasms: list[bytes] = []
    if not paths:
        return wasms
    from ..loader import inspect_module
    from ._io import read_module_file
    from ._runtime import home_limits

    limits = home_limits().sandbox  # the runtime's: its sandbox checks each module again under them
    claimed: dict[tuple[str, int | str], str] = {}
    for path in paths:
        wasm = read_module_file(path, limits.max_module_bytes)  # --module /dev/zero is refused, not read whole
        info = inspect_module(wasm, limits=limits)
        keys: list[int | str] = list(info.codes) or [info.name]
        for code in keys:
            other = claimed.setdefault((info.kind, code), path)
            if other != path:
                shown = f"0x{code:x}" if isinstance(code, int) else repr(code)
                raise ConfigError(f"two modules declare {info.kind} {shown}: {other} and {path}")
        wasms.append(wasm)
    return wasms


def open_runtime(args: argparse.Namespace) -> Runtime:
    """The runtime for a parsed command line (``--module``, and ``--node``/``--gateway`` if any)."""
    from ._runtime import runtime_from_args

    args.modules = module_bytes(list(getattr(args, "modules", None) or []))
    runtime: Runtime = runtime_from_args(args)
    return runtime


def recheck(runtime: Any, cid: CID, data: bytes) -> None:
    """Re-hash ``data`` with ``cid``'s hash function if one resolves (catches a block rewritten
    together with its stored checksum); without one, the store's checksum is the guarantee."""
    if cid.hash_code == _SHA2_256:
        return
    with suppress(UnknownHash):
        runtime.verify_block(cid, data)
