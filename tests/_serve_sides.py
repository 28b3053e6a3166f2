"""Kubo v0.43.1's gateway beside a real ``autocodec serve`` on the same few blocks (a CIDv1 folder
holding hello.txt, an identity raw leaf, a DAG-CBOR block): the module-scoped ``sides`` fixture,
and ``FewBlockSides.both`` to send one request to each. Test modules import ``sides`` to use it.
(The gateway conformance tests' larger pair is tests/_gateway_sides.py.)
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from tests._http_request import RawReply, fetch_raw
from tests._kubo import KuboRepo, require_kubo
from tests._serve_proc import ServeProcess


@dataclass
class FewBlockSides:
    kubo: KuboRepo
    ours: ServeProcess
    folder: str  # a CIDv1 folder holding hello.txt
    leaf: str  # an identity raw CID
    cbor: str  # a DAG-CBOR block

    def both(self, path: str, host: str | None = None, method: str = "GET") -> tuple[RawReply, RawReply]:
        """Kubo's answer and ours; ``{port}`` in ``host`` is each side's own port."""
        out = []
        for base, port in ((self.kubo.gateway_url, self.kubo.gateway_port), (self.ours.url, self.ours.port)):
            headers = {"Host": host.replace("{port}", str(port))} if host else {}
            reply = fetch_raw(base, path, headers, method)
            reply.headers = {k: v.replace(str(port), "PORT") for k, v in reply.headers.items()}
            out.append(reply)
        return out[0], out[1]


@pytest.fixture(scope="module")
def sides(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FewBlockSides]:
    from autocodec.registry import Runtime
    from tests._kubo_pair import copy_dags

    require_kubo()
    tmp = tmp_path_factory.mktemp("bases")
    kubo = KuboRepo.create(tmp / "kubo")
    folder = tmp / "folder"
    folder.mkdir()
    (folder / "hello.txt").write_bytes(b"hello\n")
    folder_cid = kubo.ipfs("add", "-Q", "-r", "--cid-version=1", folder).stdout.decode().strip()
    leaf = kubo.ipfs("add", "-Q", "--inline", "--cid-version=1", input=b"tiny\n").stdout.decode().strip()
    cbor = kubo.ipfs("dag", "put", input=json.dumps({"a": 1}).encode()).stdout.decode().strip()
    with Runtime(tmp / "home", default_set=False) as held:
        copy_dags(kubo, held.store, (folder_cid, leaf, cbor), tmp)
    kubo.start()
    try:
        with ServeProcess(tmp / "home", tmp) as ours:
            yield FewBlockSides(kubo, ours, folder_cid, leaf, cbor)
    finally:
        kubo.stop()
