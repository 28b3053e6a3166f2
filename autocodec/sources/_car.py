"""A CAR file as a block source (an exported extension set bundle, a DAG snapshot)."""

from __future__ import annotations

import os
import stat
from pathlib import Path

from ..cid import CID
from ..config import DEFAULT_LIMITS, Limits
from ..errors import BlockNotFound, FetchTooLarge, InvalidCar
from ..store import CarReader


class CarSource:
    """Serves the blocks of one CAR file, read once, lazily, into memory.

    Bundles are small; a file over ``limits.fetch.max_car_bytes`` is refused, and so is anything
    but a regular file (a FIFO or device could block the read forever): the read is bounded by
    the file's size, so no deadline is needed.
    """

    def __init__(self, path: str | os.PathLike[str], *, limits: Limits | None = None) -> None:
        self.path = Path(path)
        self.name = f"car:{self.path}"
        self._limits = limits or DEFAULT_LIMITS
        self._blocks: dict[CID, bytes] | None = None
        self.roots: list[CID] = []

    def _index(self) -> dict[CID, bytes]:
        if self._blocks is None:
            cap = self._limits.fetch.max_car_bytes
            info = self.path.stat()
            if not stat.S_ISREG(info.st_mode):
                # a FIFO or device could block the reader forever or never end
                raise InvalidCar(f"{self.path} is not a regular file")
            if info.st_size > cap:
                raise FetchTooLarge(f"{self.path} is over the {cap}-byte CAR limit")
            with open(self.path, "rb") as stream:
                reader = CarReader(stream, limits=self._limits)
                blocks = dict(reader)
                self.roots = list(reader.roots)
            self._blocks = blocks
        return self._blocks

    def get(self, cid: CID) -> bytes:
        try:
            return self._index()[cid]
        except KeyError:
            raise BlockNotFound(f"block {cid} is not in {self.path}") from None

    def all_blocks(self) -> dict[CID, bytes]:
        return dict(self._index())
