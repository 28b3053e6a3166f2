#!/usr/bin/env bash
# Kubo (the IPFS reference node) for the integration and differential tests, built once from its
# Go module at a pinned version into .cache/go/bin (ignored by git) and reused while the version
# matches. `go install github.com/ipfs/kubo/cmd/ipfs@v0.43.1` is refused: Kubo's go.mod replaces
# go-libp2p with a fork (github.com/lidel/go-libp2p) that the Go module proxy does not serve. So the
# module source is downloaded, copied to .cache/kubo-src, and the replace becomes the first upstream
# go-libp2p release built for the same quic-go (v0.62.0) and webtransport-go (v0.13.0) that Kubo
# pins (v0.50.0; v0.49.0 does not compile against them), then the command is built there. Without Go the step says so
# and the Kubo tests skip with a reason (they fail under CI=true).
set -euo pipefail
KUBO_VERSION=v0.43.1
LIBP2P_VERSION=v0.50.0
BIN=.cache/go/bin
SRC=.cache/kubo-src
mkdir -p "$BIN"
if [ -x "$BIN/ipfs" ] && [ "$(cat "$BIN/ipfs.version" 2>/dev/null)" = "$KUBO_VERSION+libp2p-$LIBP2P_VERSION" ]; then
  exit 0
fi
if ! command -v go >/dev/null 2>&1; then
  echo "setup: Go not found; Kubo $KUBO_VERSION not built (Kubo tests will be skipped)" >&2
  exit 0
fi
echo "setup: building Kubo $KUBO_VERSION (once; a few minutes)" >&2
dir=$(go mod download -json "github.com/ipfs/kubo@$KUBO_VERSION" | python -c 'import json,sys; print(json.load(sys.stdin)["Dir"])')
rm -rf "$SRC"
cp -r "$dir" "$SRC"
chmod -R u+w "$SRC"
out="$PWD/$BIN/ipfs"
(cd "$SRC" && go mod edit -dropreplace github.com/libp2p/go-libp2p -require github.com/libp2p/go-libp2p@$LIBP2P_VERSION && GOFLAGS=-mod=mod go build -trimpath -o "$out.tmp" ./cmd/ipfs)
mv "$out.tmp" "$out"
echo "$KUBO_VERSION+libp2p-$LIBP2P_VERSION" >"$BIN/ipfs.version"
