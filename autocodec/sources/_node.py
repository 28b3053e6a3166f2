"""An IPFS node through the Kubo RPC API (``POST /api/v0/...``, docs.ipfs.tech/reference/kubo/rpc/).

Facts measured against Kubo 0.43.1 (the test node, ``tests/_kubo.py``) that shape this module:
- every RPC is a ``POST``; arguments go in ``arg=`` query parameters; an error is a non-2xx
  answer whose body is ``{"Message": ..., "Code": ..., "Type": "error"}``;
- ``block/get`` of a block an offline node lacks fails at once ("block was not found locally
  (offline)"); an online node searches the network, so every call carries the RPC's own
  ``timeout`` option (the time left of our deadline) and a server-side timeout on ``block/get``
  means "not found within the limit";
- ``dag/import`` of a CAR stores every block under its CID whatever its codec or hash, so blocks
  are put that way (``block/put`` needs the hash function by name per call, and js-ipfs, the
  previous test node, lacked sha1, keccak-256 and blake2b there).

Invariants: every call ends within ``limits.deadline_s`` whatever the node does (``_http``),
answers are capped (blocks at ``max_block_bytes``, CARs at ``max_car_bytes``, JSON at
``max_answer_bytes``), failures are typed (``SourceUnavailable`` for an unreachable node, in
one short line; ``BlockNotFound`` when the node says it lacks the block).
"""

from __future__ import annotations

import io
import json
import math
import secrets
from collections.abc import Iterable, Sequence
from urllib.parse import quote, urlencode, urlsplit

from ..cid import CID
from ..config import DEFAULT_LIMITS, FetchLimits
from ..errors import BlockNotFound, ConfigError, FetchError
from ..log import get_logger
from ._base import with_retries
from ._http import Answer, Deadline, exchange

log = get_logger("sources")

_HOST_PROTOS = ("ip4", "ip6", "dns", "dns4", "dns6")


def node_address(addr: str) -> str:
    """A node's RPC address as a multiaddr, from a multiaddr or an http(s) URL."""
    addr = addr.strip()
    if addr.startswith("/"):
        return addr if addr.rstrip("/").endswith(("/http", "/https")) else addr.rstrip("/") + "/http"
    parts = urlsplit(addr if "://" in addr else f"http://{addr}")
    try:
        port = parts.port
    except ValueError:
        port = None
    if parts.scheme not in ("http", "https") or not parts.hostname or not port:
        raise ConfigError(f"not a node address: {addr!r}", hint="give a multiaddr like /ip4/127.0.0.1/tcp/5001 or a URL like http://127.0.0.1:5001")
    host = parts.hostname
    proto = "ip6" if ":" in host else ("ip4" if host.replace(".", "").isdigit() else "dns")
    return f"/{proto}/{host}/tcp/{port}/{parts.scheme}"


def node_url(addr: str) -> str:
    """The ``http(s)://host:port`` base URL of a node given as a multiaddr or URL."""
    multiaddr = node_address(addr)
    parts = multiaddr.strip("/").split("/")
    if (len(parts) != 5 or parts[0] not in _HOST_PROTOS or parts[2] != "tcp" or not parts[3].isdigit()
            or parts[4] not in ("http", "https") or not 0 < int(parts[3]) < 65536):
        raise ConfigError(f"not a node address: {addr!r}",
                          hint="give a multiaddr like /ip4/127.0.0.1/tcp/5001 or a URL like http://127.0.0.1:5001")
    host = f"[{parts[1]}]" if parts[0] == "ip6" else parts[1]
    return f"{parts[4]}://{host}:{parts[3]}"


class NodeSource:
    """Blocks from (and to) an IPFS node's RPC API."""

    def __init__(self, addr: str, *, limits: FetchLimits | None = None) -> None:
        self.addr = node_address(addr)
        self.url = node_url(addr)
        self.name = f"node:{self.addr}"
        self.limits = limits or DEFAULT_LIMITS.fetch

    def _call(self, path: str, args: Sequence[str], opts: dict[str, str], deadline: Deadline, cap: int,
              body: bytes | None = None, headers: dict[str, str] | None = None) -> Answer:
        """One RPC attempt; a non-2xx answer becomes a typed error."""
        query = [("arg", a) for a in args] + list(opts.items())
        # Kubo's own timeout: the time left, so an online node stops searching when we stop waiting
        query.append(("timeout", f"{max(1, math.floor(deadline.remaining()))}s"))
        url = f"{self.url}/api/v0/{path.strip('/')}?{urlencode(query, quote_via=quote)}"
        answer = exchange("POST", url, what=f"{self.name} {path.strip('/')}", deadline=deadline,
                          read_timeout=self.limits.timeout_s, cap=cap, body=body, headers=headers)
        if 200 <= answer.status < 300:
            return answer
        text = _error_text(answer.body) or f"HTTP {answer.status}"
        lowered = text.lower()
        if "not found" in lowered or "could not find" in lowered or "deadline exceeded" in lowered:
            raise BlockNotFound(f"{self.name}: {path.strip('/')} {' '.join(args)}: {text}")
        raise FetchError(f"the IPFS node at {self.addr} refused {path.strip('/')}: {text}")

    def _request(self, path: str, args: Sequence[str] = (), *, opts: dict[str, str] | None = None,
                 decoder: str | None = None, data: bytes | None = None,
                 headers: dict[str, str] | None = None) -> object:
        """One RPC call with retries, bounded by ``limits.deadline_s``; JSON decoded when ``decoder="json"``.

        A JSON answer that is a stream of objects (one per line) is returned as a list.
        """

        def attempt(deadline: Deadline) -> Answer:
            return self._call(path, args, dict(opts or {}), deadline, self.limits.max_answer_bytes, data, headers)

        answer = with_retries("", self.limits, attempt)
        if decoder != "json":
            return answer.body
        return _json(answer.body, f"{self.name} {path.strip('/')}")

    def get(self, cid: CID) -> bytes:
        def attempt(deadline: Deadline) -> bytes:
            return self._call("block/get", (str(cid),), {}, deadline, self.limits.max_block_bytes).body

        return with_retries("", self.limits, attempt)

    def export_dag(self, root: CID) -> bytes:
        """The CAR of the DAG under ``root`` as the node holds it (unverified bytes)."""

        def attempt(deadline: Deadline) -> bytes:
            return self._call("dag/export", (str(root),), {}, deadline, self.limits.max_car_bytes).body

        return with_retries("", self.limits, attempt)

    def put_blocks(self, blocks: Iterable[tuple[CID, bytes]], *, pin_root: CID | None = None,
                   pin_all: bool = False) -> int:
        """Put blocks on the node (any codec or hash) via ``dag/import``; returns how many.

        ``pin_root`` is pinned recursively; ``pin_all`` also pins every block directly, for
        documents whose links the node cannot see (signed envelopes carry their documents as
        bytes) or must not follow (test vectors link to blocks that are not published).
        """
        from ..store import CarWriter

        buf = io.BytesIO()
        roots = [pin_root] if pin_root is not None else []
        writer = CarWriter(buf, roots)
        sent: list[CID] = []
        for cid, data in blocks:
            writer.write(cid, data)
            sent.append(cid)
        body, content_type = _multipart(buf.getvalue())
        self._request("dag/import", opts={"pin-roots": "false"}, data=body,
                      headers={"Content-Type": content_type}, decoder="json")
        if pin_all and sent:
            self.pin(*sent, recursive=False)
        if pin_root is not None:
            self.pin(pin_root)
        log.info("put blocks on node", node=self.addr, blocks=len(sent), pinned=str(pin_root) if pin_root else None)
        return len(sent)

    def pin(self, *roots: CID, recursive: bool = True) -> None:
        """Pin ``roots`` on the node (recursively unless told otherwise)."""
        self._request("pin/add", tuple(str(r) for r in roots), opts={"recursive": "true" if recursive else "false"},
                      decoder="json")

    def pins(self) -> set[CID]:
        """The node's recursive pins."""
        answer = self._request("pin/ls", opts={"type": "recursive"}, decoder="json")
        found: set[CID] = set()
        for item in answer if isinstance(answer, list) else [answer]:
            keys = item.get("Keys", {}) if isinstance(item, dict) else {}
            for key in keys or {}:
                found.add(CID.parse(key))
        return found

    def resolve_name(self, name: str) -> str:
        """The path an IPNS name points at on this node (``name/resolve``), e.g. ``/ipfs/bafy...``."""
        answer = self._request("name/resolve", (name,), decoder="json")
        items = answer if isinstance(answer, list) else [answer]
        first = items[0] if items and isinstance(items[0], dict) else {}
        return str(first.get("Path", ""))


def _multipart(payload: bytes) -> tuple[bytes, str]:
    """A ``multipart/form-data`` body with one file part (what Kubo's ``dag/import`` reads)."""
    boundary = secrets.token_hex(16)
    head = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"blocks.car\"\r\n"
            f"Content-Type: application/octet-stream\r\n\r\n").encode()
    return head + payload + f"\r\n--{boundary}--\r\n".encode(), f"multipart/form-data; boundary={boundary}"


def _json(body: bytes, what: str) -> object:
    try:
        return json.loads(body) if body.strip() else None
    except ValueError:
        pass
    try:
        return [json.loads(line) for line in body.splitlines() if line.strip()]
    except ValueError:
        raise FetchError(f"{what}: the node answered something that is not JSON") from None


def _error_text(body: bytes) -> str:
    """Kubo's error ``Message`` (or the body's first line), printable and short."""
    try:
        message = json.loads(body).get("Message", "")
    except (ValueError, AttributeError):
        message = body[:300].decode("utf-8", "replace").strip().splitlines()[0] if body.strip() else ""
    return "".join(ch for ch in " ".join(str(message).split()) if ch.isprintable())[:300]
