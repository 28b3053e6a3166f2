"""Readers of a gateway's answers, for the comparisons with Kubo's: ``car_blocks`` (a CAR body's
blocks), ``tar_members`` (a TAR body's members, mtime aside), ``cors_values`` (one answer's
``Access-Control-*`` headers as sets) and ``same_cors`` (Kubo's CORS values, ours may add
X-Autocodec-* to what it exposes).
"""

from __future__ import annotations

import http.client
import io
import urllib.parse

from autocodec.store import CarReader


def car_blocks(body: bytes) -> list[tuple[str, bytes]]:
    reader = CarReader(io.BytesIO(body))
    return [(str(cid.to_v1()), bytes(data)) for cid, data in reader]


def tar_members(body: bytes) -> list[tuple[str, bytes, int, int, str, bytes]]:
    """Each member of a TAR body: name, type, mode, size, link target, content (mtime aside:
    Kubo writes the time of the request)."""
    import tarfile

    out = []
    with tarfile.open(fileobj=io.BytesIO(body), mode="r:") as archive:
        for member in archive:
            content = archive.extractfile(member).read() if member.isreg() else b""  # type: ignore[union-attr]
            out.append((member.name, member.type, member.mode, member.size, member.linkname, content))
    return out


def cors_values(base: str, method: str, path: str, headers: dict[str, str] | None = None) -> dict[str, set[str]]:
    """The values of each ``Access-Control-*`` header of one answer, by lower-case name (Kubo
    repeats the header, this server joins the values: both read as one set)."""
    parts = urllib.parse.urlsplit(base)
    conn = http.client.HTTPConnection(parts.hostname or "", parts.port, timeout=30)
    try:
        conn.request(method, path, headers=headers or {})
        reply = conn.getresponse()
        reply.read()
        out: dict[str, set[str]] = {}
        for name, value in reply.getheaders():
            if name.lower().startswith("access-control-"):
                out.setdefault(name.lower(), set()).update(v.strip() for v in value.split(","))
        return out
    finally:
        conn.close()


def same_cors(kubo: dict[str, set[str]], ours: dict[str, set[str]]) -> None:
    """The same CORS headers with Kubo's values (``cors_values``); this server may also expose its
    provenance headers (X-Autocodec-*)."""
    assert set(ours) == set(kubo)
    for name, values in kubo.items():
        extra = ours[name] - values
        assert values <= ours[name] and all(v.startswith("X-Autocodec-") for v in extra), (name, values, ours[name])
