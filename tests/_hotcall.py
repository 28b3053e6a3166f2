"""Shared by the tests of the C hot-call path (autocodec.loader._hotcall): ``needs_runner`` skips
a test where the extension is not built (outside CI), ``PAST_LEARNING`` is how many calls take an
instance past ``reset``'s learning calls, and ``fnv`` is FNV-1a 64 (little-endian), the digest
of the hostile hasher modules.
"""

from __future__ import annotations

import os

import pytest

from autocodec.loader import _hot

needs_runner = pytest.mark.skipif(
    _hot.Runner is None and not os.environ.get("CI"), reason="the C extension autocodec.loader._hotcall is not built"
)
PAST_LEARNING = 20  # ``reset`` learns on resets 2..9 and every 64th; 20 + 1 is a C-path call


def fnv(data: bytes) -> bytes:
    h = 0xCBF29CE484222325
    for b in data:
        h = ((h ^ b) * 0x100000001B3) & 0xFFFFFFFFFFFFFFFF
    return h.to_bytes(8, "little")
