"""Kubo's HTTP RPC API for the codec comparisons: ``KuboRpc`` (the few calls they make) and
``kubo_rpc``, the generator behind a test module's ``rpc`` fixture (a started throw-away Kubo,
offline on loopback).
"""

from __future__ import annotations

import json
import urllib.parse
import urllib.request
import uuid
from collections.abc import Iterator

import pytest

from tests._kubo import KuboRepo, require_kubo


class KuboRpc:
    """Kubo's HTTP RPC API: the few calls these tests make."""

    def __init__(self, url: str) -> None:
        self.url = url

    def call(self, command: str, params: dict[str, str], body: bytes | None = None) -> bytes:
        query = urllib.parse.urlencode(params)
        data, headers = None, {}
        if body is not None:
            boundary = uuid.uuid4().hex
            data = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"v\"\r\n"
                    f"Content-Type: application/octet-stream\r\n\r\n").encode() + body + f"\r\n--{boundary}--\r\n".encode()
            headers["Content-Type"] = f"multipart/form-data; boundary={boundary}"
        request = urllib.request.Request(f"{self.url}/api/v0/{command}?{query}", data=data or b"", headers=headers,
                                         method="POST")
        with urllib.request.urlopen(request, timeout=60) as response:
            return bytes(response.read())

    def put(self, body: bytes, input_codec: str) -> str:
        answer = self.call("dag/put", {"input-codec": input_codec, "store-codec": "dag-cbor", "pin": "false"}, body)
        return str(json.loads(answer)["Cid"]["/"])


def kubo_rpc(tmp_path_factory: pytest.TempPathFactory, name: str) -> Iterator[KuboRpc]:
    """A started throw-away Kubo (offline, loopback) for one test module, as its RPC API."""
    require_kubo()
    with KuboRepo.create(tmp_path_factory.mktemp(name) / "kubo") as kubo:
        kubo.start()
        yield KuboRpc(kubo.api_url)
