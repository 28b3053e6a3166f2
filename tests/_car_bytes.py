"""A CARv1 built in memory from roots and (CID, bytes) sections, written as given (no checks):
the shape tests hand to a CAR reader, a source or a hostile gateway."""

from __future__ import annotations

import io

from autocodec.cid import CID
from autocodec.store import CarWriter


def car_bytes(roots: list[CID], blocks: list[tuple[CID, bytes]]) -> bytes:
    """The CARv1 of header ``roots`` and ``blocks`` in order."""
    out = io.BytesIO()
    writer = CarWriter(out, roots)
    for cid, data in blocks:
        writer.write(cid, data)
    return out.getvalue()
