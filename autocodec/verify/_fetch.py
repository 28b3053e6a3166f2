"""Bounded, verified fetching through a caller-supplied ``fetch(cid)``.

``fetch`` may return ``bytes``, a binary file-like object (``read(n)``) or an iterable of byte
chunks, so the same code serves the local store, CAR files and IPFS.

Invariants:
- At most ``cap + 1`` bytes are ever read from a file-like or iterable source: endless data is
  aborted at the cap (TUF's "endless data" attack), and the result is then refused.
- Nothing fetched is returned before it hashes to the CID asked for (builtin hash only).
- Any failure of ``fetch`` itself becomes a ``NotFound``/``FetchError`` naming the CID.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from ..cid import CID
from ..errors import AutocodecError, FetchError, InvalidDocument
from ._canonical import check_cid

FetchResult = bytes | bytearray | memoryview | Any
Fetch = Callable[[CID], FetchResult]


def read_capped(result: FetchResult, cap: int, what: str) -> bytes:
    """The bytes of a fetch result, refusing (and not reading past) more than ``cap`` bytes."""
    if isinstance(result, (bytes, bytearray, memoryview)):
        data = bytes(result)
    elif hasattr(result, "read"):
        data = result.read(cap + 1)
        if not isinstance(data, (bytes, bytearray)):
            raise FetchError(f"{what}: the source returned {type(data).__name__}, not bytes")
        data = bytes(data)
    elif isinstance(result, Iterable):
        buf = bytearray()
        for chunk in result:
            if not isinstance(chunk, (bytes, bytearray, memoryview)):
                raise FetchError(f"{what}: the source yielded {type(chunk).__name__}, not bytes")
            buf += chunk
            if len(buf) > cap:
                break
        data = bytes(buf)
    else:
        raise FetchError(f"{what}: the source returned {type(result).__name__}, not bytes")
    if len(data) > cap:
        raise InvalidDocument(f"{what} exceeds the {cap}-byte cap; reading was aborted")
    return data


def fetch_verified(fetch: Fetch, cid: CID, cap: int, what: str) -> bytes:
    """``fetch(cid)``, bounded by ``cap`` and checked against ``cid``."""
    try:
        result = fetch(cid)
    except AutocodecError:
        raise
    except Exception as exc:  # noqa: BLE001 - a caller's fetch failing in its own way
        raise FetchError(f"cannot fetch {what} {cid}: {exc}") from None
    data = read_capped(result, cap, f"{what} {cid}")
    check_cid(cid, data, what=what)
    return data
