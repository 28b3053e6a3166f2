#!/usr/bin/env bash
# Kubo (the IPFS reference node) for the integration and differential tests, built once from its
# Go module at a pinned version into .cache/go/bin (ignored by git) and reused while the version
# matches. `go install kubo@v` is refused (Kubo's go.mod has a replace directive), so the module is
# downloaded and built in place. Without Go the step says so and the Kubo tests skip with a reason.
set -euo pipefail
KUBO_VERSION=v0.43.1
BIN=.cache/go/bin
mkdir -p "$BIN"
if [ -x "$BIN/ipfs" ] && [ "$(cat "$BIN/ipfs.version" 2>/dev/null)" = "$KUBO_VERSION" ]; then
  exit 0
fi
if ! command -v go >/dev/null 2>&1; then
  echo "setup: Go not found; Kubo $KUBO_VERSION not built (Kubo tests will be skipped)" >&2
  exit 0
fi
echo "setup: building Kubo $KUBO_VERSION (once; a few minutes)" >&2
dir=$(go mod download -json "github.com/ipfs/kubo@$KUBO_VERSION" | python -c 'import json,sys; print(json.load(sys.stdin)["Dir"])')
out="$PWD/$BIN/ipfs"
(cd "$dir" && GOFLAGS=-modcacherw go build -trimpath -o "$out.tmp" ./cmd/ipfs)
mv "$out.tmp" "$out"
echo "$KUBO_VERSION" >"$BIN/ipfs.version"
