"""Rebuild the default extension set from the committed modules of ``wasm-src/``.

    python tools/make_default_set.py [--key-dir DIR]

Publishes every ``wasm-src/<name>/<name>.wasm`` (its vectors must pass), lists them all in set
``autocodec-default`` (10-year expiry: the package pins it by CID and updates come with
package releases), writes ``autocodec/registry/default-set.car`` and rewrites
``DEFAULT_SET_CID`` in ``autocodec/registry/_default.py``.

The signing key is taken from ``--key-dir`` (key ``autocodec-default``) or made fresh in a
throw-away home; it is never committed.
"""

from __future__ import annotations

import argparse
import re
import shutil
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from autocodec.registry import Runtime, add_manifest, export_set, init_set, publish_module, publish_set  # noqa: E402
from autocodec.registry._default import DEFAULT_SET_CAR, DEFAULT_SET_NAME  # noqa: E402
from autocodec.verify import KeyRing  # noqa: E402

TEN_YEARS = 3650.0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--key-dir", type=Path, help="folder holding the autocodec-default signing key")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="autocodec-default-"))
    try:
        with Runtime(work / "home") as rt:
            ring = KeyRing(args.key_dir) if args.key_dir else KeyRing(rt.home.keys_dir)
            key = ring.load(DEFAULT_SET_NAME) if args.key_dir else ring.generate(DEFAULT_SET_NAME)
            init_set(rt, DEFAULT_SET_NAME, [key], [DEFAULT_SET_NAME], expires_days=TEN_YEARS)
            for wasm in sorted((REPO / "wasm-src").glob("*/*.wasm")):
                published = publish_module(rt, wasm, key)
                add_manifest(rt, DEFAULT_SET_NAME, published.manifest_cid)
                print(f"{published.manifest.name:18} {published.manifest.version:8} {published.cases:4} vectors  "
                      f"{published.module_cid}")
            index = publish_set(rt, DEFAULT_SET_NAME, [key], expires_days=TEN_YEARS)
            export_set(rt, DEFAULT_SET_NAME, DEFAULT_SET_CAR)
        source = REPO / "autocodec/registry/_default.py"
        text = source.read_text()
        text = re.sub(r'DEFAULT_SET_CID = CID\.parse\("[^"]*"\)', f'DEFAULT_SET_CID = CID.parse("{index}")', text)
        source.write_text(text)
        print(f"default set {index}: {DEFAULT_SET_CAR.relative_to(REPO)} ({DEFAULT_SET_CAR.stat().st_size} bytes)")
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
