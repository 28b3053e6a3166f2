"""The top-level functions that need more than the builtins: ``decode``/``encode`` of any codec
and ``export_car`` following every codec's links.

Invariants:
- A builtin codec never opens a runtime (no home, no sandbox, no I/O).
- Any other codec runs through the ``runtime`` given, else through the process's default
  runtime on the default home (``$AUTOCODEC_HOME`` or ``~/.autocodec``), opened once and
  only if that home exists: a library call never creates a home. Without either it is
  ``UnknownCodec`` saying how to get one.
- ``export_car`` follows the links of every codec the runtime resolves (git trees and
  commits, Ethereum tries...), not only the builtin ones, unless ``links`` is given.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Any, BinaryIO

from ._inputs import as_bytes, of_type
from .cid import CID
from .config import DecodeLimits
from .errors import InvalidInput, UnknownCodec

if TYPE_CHECKING:  # pragma: no cover
    from .registry import Runtime
    from .store import BlockStore, CarExport, LinkFinder

_lock = threading.Lock()
_default: "Runtime | None" = None


def default_runtime(code: int | None = None) -> "Runtime":
    """The process's runtime on the default home (opened on first use; never creates the home)."""
    global _default
    with _lock:
        if _default is None:
            from .home import Home
            from .registry import Runtime

            home = Home.resolve()
            if not home.exists():
                from .codes import codec_name

                what = f"{codec_name(code)} is not a builtin codec" if code is not None else "no runtime was given"
                state = "is not a home folder" if home.root.exists() else "does not exist"
                raise UnknownCodec(code if code is not None else "?",
                                   f"{what}, and the default home {home.root} {state} to resolve it through",
                                   hint="pass runtime=autocodec.Runtime(HOME), or create the default home "
                                        "(`autocodec init`) so its pinned extension sets serve the codec")
            _default = Runtime(home)
        return _default


def _codec_code(codec: str | int) -> int:
    from .codes import codec_code

    return codec_code(codec)


def decode(data: bytes, codec: str | int, *, limits: DecodeLimits | None = None,
           runtime: "Runtime | None" = None) -> Any:
    """The data-model value of ``data`` as a block of ``codec`` (builtin or extension).

    Builtins decode here; any other codec (``git-raw``, ``eth-block``...) runs the extension
    that ``runtime`` (default: the default home's) resolves through its pinned sets.
    ``InvalidBlock`` for bytes that are not valid for the codec.
    """
    from . import builtin

    if limits is not None:
        of_type(limits, DecodeLimits, "decode's limits")
    code = _codec_code(codec)
    if runtime is None and builtin.has_codec(code):
        return builtin.decode(data, code, limits=limits)
    rt = runtime or default_runtime(code)
    if builtin.has_codec(code):
        return builtin.decode(data, code, limits=limits or rt.limits.decode)
    return rt.extension("codec", code).decode(as_bytes(data, "decode"))


def encode(value: Any, codec: str | int, *, limits: DecodeLimits | None = None,
           runtime: "Runtime | None" = None) -> bytes:
    """The canonical bytes of ``value`` in ``codec`` (builtin, or an extension as in ``decode``)."""
    from . import builtin

    if limits is not None:
        of_type(limits, DecodeLimits, "encode's limits")
    code = _codec_code(codec)
    if builtin.has_codec(code):
        return builtin.encode(value, code, limits=limits)
    data: bytes = (runtime or default_runtime(code)).encode(value, code)
    return data


def export_car(source: "BlockStore | Runtime", root: CID | str, out: BinaryIO, *,
               links: "LinkFinder | None" = None) -> "CarExport":
    """Write the DAG under ``root`` held by the store as a CARv1 (``root`` as its root).

    ``source`` is a ``Runtime`` or a ``BlockStore``; without ``links`` the walk follows every
    codec the runtime (for a store: a runtime on the store's home) resolves. Linked blocks
    the store lacks are listed in the result's ``missing``, not fetched.
    """
    from .dag import runtime_links
    from .store import BlockStore
    from .store import export_car as store_export

    from .registry import Runtime

    cid = CID.parse(root)
    if not isinstance(source, (BlockStore, Runtime)):
        raise InvalidInput(f"export_car's source is a Runtime or a BlockStore, not {type(source).__name__}")
    if isinstance(source, BlockStore):
        if links is not None:
            return store_export(source, cid, out, links=links)
        from .home import Home

        with Runtime(Home(source.path.parent)) as rt:
            return store_export(source, cid, out, links=runtime_links(rt))
    return store_export(source.store, cid, out, links=links or runtime_links(source))
