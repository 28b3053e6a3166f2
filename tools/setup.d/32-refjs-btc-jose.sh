#!/usr/bin/env bash
# Reference JS codecs for the differential tests of the Bitcoin and dag-jose modules
# (tests/refjs/*.mjs): bitcoin-block 2.0.2 (the library the IPLD team's @ipld/bitcoin decodes with;
# @ipld/bitcoin itself is not on the npm registry), dag-jose 5.1.1 (the IPLD team's dag-jose codec)
# and @ipld/dag-cbor. Installed with `npm ci` from the committed lockfile beside this script into
# .cache/refjs-btc-jose (ignored by git), again only when the lockfile changes. Without npm the
# step says so and the differential tests skip with a reason (they fail under CI=true).
set -euo pipefail
HERE=tools/setup.d/32-refjs-btc-jose
DIR=.cache/refjs-btc-jose
if ! command -v npm >/dev/null 2>&1; then
  echo "setup: npm not found; reference codecs for bitcoin/dag-jose not installed (their differential tests will skip)" >&2
  exit 0
fi
want=$(cat "$HERE.package.json" "$HERE.package-lock.json" | sha256sum | cut -d' ' -f1)
if [ -d "$DIR/node_modules" ] && [ "$(cat "$DIR/.stamp" 2>/dev/null)" = "$want" ]; then
  exit 0
fi
mkdir -p "$DIR"
cp "$HERE.package.json" "$DIR/package.json"
cp "$HERE.package-lock.json" "$DIR/package-lock.json"
(cd "$DIR" && npm ci --no-audit --no-fund --loglevel=error >/dev/null)
echo "$want" >"$DIR/.stamp"
