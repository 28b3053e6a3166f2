"""A home for the IPVM tests holding the ipld-select and bencode-to-dagcbor modules:
``ipvm_runtime`` (a Runtime, trusting both unless ``allow=False``), their CIDs, ``DOC``, the
document the select tasks read, and ``cached_torrent_pipeline``, a two-job pipeline run until
its result is memoized.
"""

from __future__ import annotations

from pathlib import Path

from autocodec.config import Limits
from autocodec.ipvm import Executor, Invocation
from autocodec.registry import Runtime
from autocodec.verify import module_cid
from tests._select_home import SELECT, SELECT_CID
from tests.conftest import WASM_SRC

TRANSCODE = (WASM_SRC / "bencode-to-dagcbor" / "bencode-to-dagcbor.wasm").read_bytes()
TRANSCODE_CID = module_cid(TRANSCODE)
DOC = {"a": [1, {"b": "x"}], "p": "a/1/b"}
TORRENT = b"d8:announce14:http://tracker4:infod6:lengthi1024e4:name8:file.bin12:piece lengthi256eee"


def ipvm_runtime(path: Path, *, allow: bool = True, limits: Limits | None = None) -> Runtime:
    rt = Runtime(path, default_set=False, limits=limits)
    for wasm, cid in ((SELECT, SELECT_CID), (TRANSCODE, TRANSCODE_CID)):
        rt.store.put(cid, wasm)
        if allow:
            rt.trust.allow(str(cid))
    return rt


def cached_torrent_pipeline(rt: Runtime) -> tuple[Executor, Invocation, Invocation]:
    """The transcoder's job on ``TORRENT`` and a select job awaiting it (``info/name``), run on a
    new executor until the select's result is memoized (both modules must be trusted in ``rt``):
    the executor, the transcode job, the select job."""
    block = rt.put(TORRENT, 0x63, "sha2-256")
    ex = Executor(rt)
    first = Invocation(TRANSCODE_CID, "transcode", [{"ipvm/block": block}])
    ex.submit(first)
    target = Invocation(SELECT_CID, "select", [{"await/ok": first.cid}, "info/name"])
    assert ex.run(target).receipt.value == b"file.bin"
    assert ex.run(target).cached  # memoized while both modules are trusted
    return ex, first, target
