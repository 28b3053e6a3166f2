"""A home for the tests of a held BLAKE3 blob on the gateway: ``blob_home`` puts ``TEXT`` (or any
bytes) in a home as a Bao blob, beside a raw JSON block (``JSON_CID``), a DAG-CBOR block
(``CBOR_CID``) and the ``site_folder`` as UnixFS, and vouches for the ``BAO`` module.
"""

from __future__ import annotations

import hashlib
import io
from pathlib import Path

from autocodec import CID

BAO = Path(__file__).resolve().parents[1] / "wasm-src" / "bao" / "bao.wasm"
TEXT = b"".join(b"line %06d of a plain text blob\n" % i for i in range(12_000))  # ~370 KB: several Bao groups
JSON = b'{"a": [1, 2, 3]}'  # a raw block Kubo types application/json from its start, text/plain by Go's sniff
JSON_CID = str(CID.build(0x55, b"\x12\x20" + hashlib.sha256(JSON).digest()))
CBOR = bytes.fromhex("a1616101")  # DAG-CBOR {"a": 1}: a path into its value is Kubo's 501
CBOR_CID = str(CID.build(0x71, b"\x12\x20" + hashlib.sha256(CBOR).digest()))


def site_folder(tmp: Path) -> Path:
    """A folder of files whose names give their types."""
    site = tmp / "site"
    site.mkdir(exist_ok=True)
    (site / "page.html").write_bytes(b"<html><body>hi</body></html>\n")
    (site / "note.json").write_bytes(b"plain words, no JSON\n")  # its name types it, its bytes would not
    return site


def blob_home(home: Path, data: bytes) -> tuple[str, str]:
    """A home holding ``data`` as a BLAKE3 blob (``bao add``), the JSON and CBOR blocks and the
    site folder (UnixFS, as ``ipfs add -r`` makes it); the blob's CID and the site's."""
    from autocodec import bao
    from autocodec.registry import Runtime
    from autocodec.unixfs import add_path

    with Runtime(home, default_set=False) as runtime:
        runtime.store.put(CID.parse(JSON_CID), JSON)
        runtime.store.put(CID.parse(CBOR_CID), CBOR)
        site = add_path(runtime.store, site_folder(home.parent), recursive=True)[-1].cid
        runtime.add_local_module(BAO.read_bytes())  # as `serve --module` vouches for it below
        return str(bao.BlobStore(home / "bao").add(bao.verifier(runtime), io.BytesIO(data))), str(site)
