"""Two publishers' sets that both list git-raw (codec 0x78), pinned in one user home.

Set ``first`` is pinned first, so its git-raw module serves the code; set ``second`` is
pinned after it without taking over, so its git-raw entry serves nothing. ``second_v2``
writes a version 2 of ``second`` to its bundle whose git-raw entry is the bencode module
claiming git-raw's code (its own bencode vectors pass; it decodes git objects differently,
the trick tests/test_serve_live.py uses for its refused v3). Real modules from wasm-src/, real
Ed25519 keys, real CAR bundles.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

from autocodec import CID
from autocodec.registry import Runtime, add_manifest, export_set, init_set, pin_add, publish_module, publish_set
from autocodec.verify import KeyRing
from tests._wasm_tools import with_meta

REPO = Path(__file__).resolve().parents[1]
GIT_RAW = REPO / "wasm-src" / "git-raw" / "git-raw.wasm"
BENCODE = REPO / "wasm-src" / "bencode" / "bencode.wasm"
GIT_BLOB = b"blob 12\0hello, live\n"


@dataclass(frozen=True)
class LiveWorld:
    tmp: Path
    user_home: Path
    second_bundle: Path
    git_blob: CID

    def second_v2(self) -> CID:
        """Publish version 2 of ``second`` (git-raw entry: bencode in disguise) to its bundle."""
        fake = self.tmp / "git-raw-disguised.wasm"
        fake.write_bytes(with_meta(BENCODE.read_bytes(), name="git-raw", codes=[0x78], version="95.0.0"))
        with Runtime(self.tmp / "second", default_set=False) as pub:
            key = KeyRing(pub.home.keys_dir).load("second")
            published = publish_module(pub, fake, key, vectors=BENCODE.parent)
            add_manifest(pub, "second", published.manifest_cid)
            publish_set(pub, "second", [key])
            index, _ = export_set(pub, "second", self.second_bundle)
        return index


def _publish(tmp: Path, name: str, version: str) -> Path:
    wasm = tmp / f"{name}-git-raw.wasm"
    wasm.write_bytes(with_meta(GIT_RAW.read_bytes(), version=version))
    bundle = tmp / f"{name}.car"
    with Runtime(tmp / name, default_set=False) as pub:
        key = KeyRing(pub.home.keys_dir).generate(name)
        init_set(pub, name, [key], [name])
        add_manifest(pub, name, publish_module(pub, wasm, key, vectors=GIT_RAW.parent).manifest_cid)
        publish_set(pub, name, [key])
        export_set(pub, name, bundle)
    return bundle


def build(tmp: Path) -> LiveWorld:
    first, second = _publish(tmp, "first", "93.0.0"), _publish(tmp, "second", "94.0.0")
    user_home = tmp / "user"
    blob = CID.build(0x78, b"\x11\x14" + hashlib.sha1(GIT_BLOB).digest())
    with Runtime(user_home, default_set=False) as user:
        pin_add(user, str(first))
        pin_add(user, str(second))  # no override: "first" keeps serving git-raw
        user.store.put(blob, GIT_BLOB)
    return LiveWorld(tmp, user_home, second, blob)
