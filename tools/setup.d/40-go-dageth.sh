#!/usr/bin/env bash
# go-codec-dageth (github.com/vulcanize/go-codec-dageth v0.1.0), the Go reference of the IPLD
# Ethereum codecs, wrapped in a small helper (tests/go-ref/dageth) that the differential tests
# (tests/test_mod_eth*.py) run. Built once into .cache/go/bin (ignored by git) and rebuilt only
# when the helper's sources change. The module is in the Go proxy but not in the checksum
# database, so go.sum (committed) is what pins it. Without Go the tests skip with a reason.
set -euo pipefail
SRC=tests/go-ref/dageth
BIN=.cache/go/bin
mkdir -p "$BIN"
stamp=$(cat "$SRC/go.mod" "$SRC/go.sum" "$SRC/main.go" | sha256sum | cut -c1-16)
if [ -x "$BIN/dageth-ref" ] && [ "$(cat "$BIN/dageth-ref.version" 2>/dev/null)" = "$stamp" ]; then
  exit 0
fi
if ! command -v go >/dev/null 2>&1; then
  echo "setup: Go not found; the go-codec-dageth helper is not built (its tests will be skipped)" >&2
  exit 0
fi
echo "setup: building the go-codec-dageth reference helper (once)" >&2
out="$PWD/$BIN/dageth-ref"
(cd "$SRC" && GONOSUMDB=github.com/vulcanize GOFLAGS=-modcacherw go build -trimpath -o "$out.tmp" .)
mv "$out.tmp" "$out"
echo "$stamp" >"$BIN/dageth-ref.version"
