"""A trustless HTTP gateway (IPFS HTTP Gateway spec, trustless mode).

``GET /ipfs/{cid}?format=raw`` (``Accept: application/vnd.ipld.raw``) for one block and
``?format=car`` (``Accept: application/vnd.ipld.car``) for a DAG. The gateway is untrusted:
the bytes are verified by the ``Fetcher``; responses are streamed and capped.
"""

from __future__ import annotations

import socket
import urllib.error
import urllib.request

from ..cid import CID
from ..config import DEFAULT_LIMITS, FetchLimits
from ..errors import BlockNotFound, ConfigError, FetchError, FetchTimeout, SourceUnavailable
from ._base import read_capped, with_retries

_CHUNK = 64 * 1024


class GatewaySource:
    def __init__(self, url: str, *, limits: FetchLimits | None = None) -> None:
        url = url.strip().rstrip("/")
        if not url.startswith(("http://", "https://")):
            raise ConfigError(f"not a gateway URL: {url!r}", hint="give a URL like http://127.0.0.1:8080")
        self.url = url
        self.name = f"gateway:{url}"
        self.limits = limits or DEFAULT_LIMITS.fetch

    def _fetch(self, cid: CID, fmt: str, accept: str, cap: int) -> bytes:
        request = urllib.request.Request(f"{self.url}/ipfs/{cid}?format={fmt}", headers={"Accept": accept})

        def attempt() -> bytes:
            try:
                with urllib.request.urlopen(request, timeout=self.limits.timeout_s) as resp:
                    declared = resp.headers.get("Content-Length")
                    if declared is not None and declared.isdigit() and int(declared) > cap:
                        from ..errors import FetchTooLarge

                        raise FetchTooLarge(f"{self.name} declared {declared} bytes for {cid}, over {cap}")
                    return read_capped(iter(lambda: resp.read(_CHUNK), b""), cap, f"{self.name} {cid}")
            except urllib.error.HTTPError as exc:
                if exc.code in (404, 410):
                    raise BlockNotFound(f"{self.name} has no {cid} (HTTP {exc.code})") from None
                if exc.code >= 500 and exc.code not in (502, 503, 504):
                    raise FetchError(f"{self.name} cannot serve {cid} as {fmt} (HTTP {exc.code})") from None
                if exc.code in (502, 503, 504):
                    raise SourceUnavailable(f"{self.name} answered HTTP {exc.code} for {cid}") from None
                raise FetchError(f"{self.name} refused {cid} (HTTP {exc.code})") from None
            except (socket.timeout, TimeoutError):
                raise FetchTimeout(f"{self.name} did not answer within {self.limits.timeout_s:g} s") from None
            except urllib.error.URLError as exc:
                if isinstance(exc.reason, (socket.timeout, TimeoutError)):
                    raise FetchTimeout(f"{self.name} did not answer within {self.limits.timeout_s:g} s") from None
                raise SourceUnavailable(f"cannot reach {self.name}: {exc.reason}") from None
            except (ConnectionError, OSError) as exc:
                raise SourceUnavailable(f"cannot reach {self.name}: {exc}") from None

        return with_retries(f"fetch {cid} from {self.name}", self.limits, attempt)

    def get(self, cid: CID) -> bytes:
        return self._fetch(cid, "raw", "application/vnd.ipld.raw", self.limits.max_block_bytes)

    def export_dag(self, root: CID) -> bytes:
        """The CAR of the DAG under ``root`` (unverified bytes)."""
        return self._fetch(root, "car", "application/vnd.ipld.car", self.limits.max_car_bytes)
