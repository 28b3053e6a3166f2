"""A home for the IPVM tests holding the ipld-select and bencode-to-dagcbor modules:
``ipvm_runtime`` (a Runtime, trusting both unless ``allow=False``), their CIDs, and ``DOC``, the
document the select tasks read.
"""

from __future__ import annotations

from pathlib import Path

from autocodec.config import Limits
from autocodec.registry import Runtime
from autocodec.verify import module_cid
from tests._select_home import SELECT, SELECT_CID
from tests.conftest import WASM_SRC

TRANSCODE = (WASM_SRC / "bencode-to-dagcbor" / "bencode-to-dagcbor.wasm").read_bytes()
TRANSCODE_CID = module_cid(TRANSCODE)
DOC = {"a": [1, {"b": "x"}], "p": "a/1/b"}


def ipvm_runtime(path: Path, *, allow: bool = True, limits: Limits | None = None) -> Runtime:
    rt = Runtime(path, default_set=False, limits=limits)
    for wasm, cid in ((SELECT, SELECT_CID), (TRANSCODE, TRANSCODE_CID)):
        rt.store.put(cid, wasm)
        if allow:
            rt.trust.allow(str(cid))
    return rt
