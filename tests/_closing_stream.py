"""``ClosesAfter``: an in-memory stream its owner closes after ``reads`` reads (as another thread, a
timeout or a with-block would), for the tests of a source closed in the middle of a call.
"""

from __future__ import annotations

import io
from typing import Any


class ClosesAfter(io.BytesIO):
    """A stream its owner closes after ``reads`` reads (another thread, a timeout, a with-block)."""

    def __init__(self, data: bytes, reads: int) -> None:
        super().__init__(data)
        self.reads = reads

    def _count(self) -> None:
        self.reads -= 1
        if self.reads < 0:
            self.close()

    def read(self, n: int | None = -1, /) -> bytes:
        self._count()
        return super().read(n)

    def readinto(self, room: Any, /) -> int:
        self._count()
        return super().readinto(room)
