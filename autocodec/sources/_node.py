"""An IPFS node through the Kubo RPC API (``/api/v0``), with ipfshttpclient.

Facts measured against js-ipfs 0.66.1 (the test node) that shape this module:
- ``block/get`` of a block the node lacks waits for the network even with ``--offline``; so
  every request carries the RPC's own ``timeout`` option and a client read timeout, and a
  server-side timeout on ``block/get`` means "not found within the limit".
- ``block/put`` refuses hashes it lacks (sha1, keccak-256, blake2b) and js-ipfs ignores
  Kubo's ``cid-codec``; ``dag/import`` of a CAR stores any block under its CID, so blocks are
  put with ``dag/import`` (``pin-roots`` as asked), which both Kubo and js-ipfs accept.
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Sequence
from urllib.parse import urlsplit

from ..cid import CID
from ..config import DEFAULT_LIMITS, FetchLimits
from ..errors import BlockNotFound, ConfigError, FetchError, FetchTimeout, SourceUnavailable
from ..log import get_logger
from ._base import read_capped, with_retries

log = get_logger("sources")


def node_address(addr: str) -> str:
    """A node's RPC address as a multiaddr, from a multiaddr or an http(s) URL."""
    addr = addr.strip()
    if addr.startswith("/"):
        return addr if addr.rstrip("/").endswith(("/http", "/https")) else addr.rstrip("/") + "/http"
    parts = urlsplit(addr if "://" in addr else f"http://{addr}")
    if parts.scheme not in ("http", "https") or not parts.hostname or not parts.port:
        raise ConfigError(f"not a node address: {addr!r}", hint="give a multiaddr like /ip4/127.0.0.1/tcp/5001 or a URL like http://127.0.0.1:5001")
    host = parts.hostname
    proto = "ip6" if ":" in host else ("ip4" if host.replace(".", "").isdigit() else "dns")
    return f"/{proto}/{host}/tcp/{parts.port}/{parts.scheme}"


class NodeSource:
    """Blocks from (and to) an IPFS node's RPC API."""

    def __init__(self, addr: str, *, limits: FetchLimits | None = None) -> None:
        self.addr = node_address(addr)
        self.name = f"node:{self.addr}"
        self.limits = limits or DEFAULT_LIMITS.fetch
        self._client = None

    def _http(self):  # type: ignore[no-untyped-def]
        if self._client is None:
            import warnings

            # ipfshttpclient 0.7.0 passes urllib3's deprecated `strict`; not ours, not the user's concern
            warnings.filterwarnings("ignore", message="The 'strict' parameter", category=FutureWarning)
            import ipfshttpclient  # lazy: ~100 ms import

            # Client(addr) skips the client's version check (it would refuse Kubo >= 0.8).
            self._client = ipfshttpclient.Client(self.addr, timeout=self.limits.timeout_s)
        return self._client._client  # the low-level HTTP client: any RPC endpoint

    def _request(self, path: str, args: Sequence[str] = (), **kw: object) -> object:
        """One RPC call with server- and client-side timeouts, errors made typed."""
        from ipfshttpclient import exceptions as ipfs_exc

        opts = dict(kw.pop("opts", {}) or {})  # type: ignore[call-overload]
        opts.setdefault("timeout", f"{max(1, int(self.limits.timeout_s))}s")
        try:
            return self._http().request(path, args, opts=opts, timeout=self.limits.timeout_s + 2, **kw)
        except ipfs_exc.ConnectionError as exc:
            raise SourceUnavailable(f"cannot reach the IPFS node at {self.addr}: {_short(exc)}") from None
        except ipfs_exc.TimeoutError:
            raise FetchTimeout(f"the IPFS node at {self.addr} did not answer {path} within {self.limits.timeout_s:g} s") from None
        except ipfs_exc.ErrorResponse as exc:
            text = _short(exc)
            if "timed out" in text or "not found" in text.lower():
                raise BlockNotFound(f"{self.name}: {path} {' '.join(args)}: {text}") from None
            raise FetchError(f"the IPFS node at {self.addr} refused {path}: {text}") from None
        except ipfs_exc.Error as exc:
            raise FetchError(f"the IPFS node at {self.addr} failed {path}: {_short(exc)}") from None

    def get(self, cid: CID) -> bytes:
        def attempt() -> bytes:
            stream = self._request("/block/get", (str(cid),), stream=True)
            return read_capped(stream, self.limits.max_block_bytes, f"{self.name} block {cid}")  # type: ignore[arg-type]

        return with_retries(f"fetch {cid} from {self.name}", self.limits, attempt)

    def export_dag(self, root: CID) -> bytes:
        """The CAR of the DAG under ``root`` as the node holds it (unverified bytes)."""
        stream = self._request("/dag/export", (str(root),), stream=True)
        return read_capped(stream, self.limits.max_car_bytes, f"{self.name} dag export {root}")  # type: ignore[arg-type]

    def put_blocks(self, blocks: Iterable[tuple[CID, bytes]], *, pin_root: CID | None = None,
                   pin_all: bool = False) -> int:
        """Put blocks on the node (any codec or hash) via ``dag/import``; returns how many.

        ``pin_root`` is pinned recursively; ``pin_all`` also pins every block directly, for
        documents whose links the node cannot see (signed envelopes carry their documents as
        bytes) or must not follow (test vectors link to blocks that are not published).
        """
        from ipfshttpclient import multipart

        from ..store import CarWriter

        buf = io.BytesIO()
        roots = [pin_root] if pin_root is not None else []
        writer = CarWriter(buf, roots)
        sent: list[CID] = []
        for cid, data in blocks:
            writer.write(cid, data)
            sent.append(cid)
        count = len(sent)
        body, headers = multipart.stream_files(io.BytesIO(buf.getvalue()), chunk_size=65536)
        self._request("/dag/import", opts={"pin-roots": "false"}, data=body, headers=headers, decoder="json")
        if pin_all and sent:
            self.pin(*sent, recursive=False)
        if pin_root is not None:
            self.pin(pin_root)
        log.info("put blocks on node", node=self.addr, blocks=count, pinned=str(pin_root) if pin_root else None)
        return count

    def pin(self, *roots: CID, recursive: bool = True) -> None:
        """Pin ``roots`` on the node (recursively unless told otherwise)."""
        self._request("/pin/add", tuple(str(r) for r in roots), opts={"recursive": "true" if recursive else "false"},
                      decoder="json")

    def pins(self) -> set[CID]:
        answer = self._request("/pin/ls", opts={"type": "recursive"}, decoder="json")
        found: set[CID] = set()
        for item in answer if isinstance(answer, list) else [answer]:
            for key in (item or {}).get("Keys", {}) or {}:  # type: ignore[union-attr]
                found.add(CID.parse(key))
        return found


def _short(exc: BaseException) -> str:
    return " ".join(str(exc).split())[:300]
