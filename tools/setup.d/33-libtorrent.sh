#!/usr/bin/env bash
# libtorrent (PyPI libtorrent==2.1.1: Python bindings of libtorrent-rasterbar, the reference
# BitTorrent implementation) for the bencode module's v2/hybrid torrent tests
# (tests/test_mod_bencode.py), installed into the project venv; pip skips it when present.
# Where no wheel installs, the step says so and those tests skip (they fail under CI=true).
set -euo pipefail
if python -c 'import libtorrent, sys; sys.exit(libtorrent.__version__ != "2.1.1.0")' 2>/dev/null; then
  exit 0
fi
python -m pip install -q --disable-pip-version-check libtorrent==2.1.1 \
  || echo "setup: libtorrent 2.1.1 could not be installed; its bencode tests will be skipped" >&2
