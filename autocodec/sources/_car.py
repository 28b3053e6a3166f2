"""A CAR file as a block source (an exported extension set bundle, a DAG snapshot)."""

from __future__ import annotations

import os
import stat
from pathlib import Path

from ..cid import CID
from ..config import DEFAULT_LIMITS, Limits
from ..errors import BlockNotFound, FetchTooLarge, HashMismatch, InvalidCar, SourceUnavailable
from ..store import CarReader

_CAR_HINT = "the CAR file is malformed or truncated: export it again, or fetch from another source"


class CarSource:
    """Serves the blocks of one CAR file, read once, lazily, into memory.

    Bundles are small; a file over ``limits.fetch.max_car_bytes`` is refused, and so is anything
    but a regular file (a FIFO or device could block the read forever): the read is bounded by
    the file's size, so no deadline is needed.

    Invariants: every failure is typed and names the file: ``SourceUnavailable`` (cannot be
    read: missing, unreadable), ``FetchTooLarge``, ``InvalidCar`` (malformed or truncated; the
    ``Fetcher`` then asks the next source); a file that failed once fails at once after that
    (it is not parsed again for every block). Blocks are unverified, as from any source.
    """

    def __init__(self, path: str | os.PathLike[str], *, limits: Limits | None = None) -> None:
        self.path = Path(path)
        self.name = f"car:{self.path}"
        self._limits = limits or DEFAULT_LIMITS
        self._blocks: dict[CID, bytes] | None = None
        self._failed: InvalidCar | FetchTooLarge | SourceUnavailable | None = None
        self.roots: list[CID] = []

    def _index(self) -> dict[CID, bytes]:
        if self._failed is not None:
            raise type(self._failed)(self._failed.message, hint=self._failed.hint)
        if self._blocks is None:
            try:
                self._blocks = self._read()
            except (InvalidCar, FetchTooLarge, SourceUnavailable) as exc:
                self._failed = exc
                raise
        return self._blocks

    def _read(self) -> dict[CID, bytes]:
        cap = self._limits.fetch.max_car_bytes
        try:
            info = self.path.stat()
            if not stat.S_ISREG(info.st_mode):
                # a FIFO or device could block the reader forever or never end
                raise InvalidCar(f"{self.path} is not a regular file", hint="give the path of a CAR file")
            if info.st_size > cap:
                raise FetchTooLarge(f"{self.path} is over the {cap}-byte CAR limit",
                                    hint="raise limits.fetch.max_car_bytes in config.toml if the file is trusted")
            with open(self.path, "rb") as stream:
                reader = CarReader(stream, limits=self._limits)
                blocks = dict(reader)
                self.roots = list(reader.roots)
        except InvalidCar as exc:
            if str(self.path) in exc.message:
                raise
            raise InvalidCar(f"{self.path}: {exc.message}", hint=_CAR_HINT) from None
        except OSError as exc:
            reason = exc.strerror or type(exc).__name__
            raise SourceUnavailable(f"cannot read the CAR file {self.path}: {reason}",
                                    hint="check the path and its permissions") from None
        return blocks

    def get(self, cid: CID) -> bytes:
        try:
            return self._index()[cid]
        except KeyError:
            raise BlockNotFound(f"block {cid} is not in {self.path}") from None

    def all_blocks(self) -> dict[CID, bytes]:
        return dict(self._index())


def check_car_root(car: bytes, root: CID, source: str, limits: Limits | None = None) -> bytes:
    """``car`` when its header names exactly ``root`` (a DAG export asked for ``root``).

    Only the header is read; the blocks stay unverified. A CAR for another root (a gateway
    answering for a different CID than asked) is a ``HashMismatch`` naming ``source``; a
    header that is not a CAR's is ``InvalidCar``.
    """
    import io

    try:
        roots = CarReader(io.BytesIO(car), limits=limits or DEFAULT_LIMITS).roots
    except InvalidCar as exc:
        raise InvalidCar(f"{source} answered something that is not a CAR for {root}: {exc.message}",
                         hint="use another source") from None
    if roots != [root]:
        got = ", ".join(str(r) for r in roots[:3]) or "no root"
        raise HashMismatch(f"{source} answered a CAR of {got}, not of the asked {root}")
    return car
