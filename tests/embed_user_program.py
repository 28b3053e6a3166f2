"""A program of a library user, type-checked by tests/test_embed_journey.py under ``mypy --strict``:
it uses only what ``autocodec`` exports (not run as a test; the journey test runs the real calls)."""

from __future__ import annotations

import asyncio
from pathlib import Path

import autocodec


def journey(home: Path) -> str:
    """Decode, resolve and provenance through the curated namespace only."""
    with autocodec.Runtime(home) as rt:
        cid: autocodec.CID = rt.put(b"blob 6\x00hello\n", "git-raw", "sha1")
        value: object = rt.decode(cid)
        data: bytes = rt.get(cid)
        where = rt.resolve("codec", "git-raw")
        publisher: str | None = where.publisher
        set_name: str | None = where.set_name
        resolved: autocodec.Resolved = rt.resolve(f"/ipfs/{cid}")
        digest: bytes = rt.hash(data, "keccak-256")
        same: bool = autocodec.cid_for(data, "git-raw", "sha1") == cid
        try:
            rt.get("bafkqaaa")
        except autocodec.NotFound as exc:
            hint: str = exc.hint
            del hint
        except autocodec.AutocodecError:
            pass
        decoded = asyncio.run(asyncio.to_thread(rt.decode, cid))
        return f"{value!r} {publisher} {set_name} {resolved.cid} {digest.hex()} {same} {decoded!r}"
