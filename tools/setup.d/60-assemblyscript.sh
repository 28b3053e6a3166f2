#!/usr/bin/env bash
# AssemblyScript, pinned (assemblyscript 0.28.20 and its binaryen, locked by the committed
# lockfile beside this script), for `autocodec module build` of AssemblyScript modules.
# Installed with `npm ci` into .cache/assemblyscript (ignored by git), again only when the
# lockfile changes. Without npm the step says so and the AssemblyScript SDK tests skip with a
# reason (they fail under CI=true).
set -euo pipefail
HERE=tools/setup.d/60-assemblyscript
DIR=.cache/assemblyscript
if ! command -v npm >/dev/null 2>&1; then
  echo "setup: npm not found; AssemblyScript not installed (module build --lang assemblyscript will refuse)" >&2
  exit 0
fi
want=$(cat "$HERE.package.json" "$HERE.package-lock.json" | sha256sum | cut -d' ' -f1)
if [ -f "$DIR/node_modules/assemblyscript/bin/asc.js" ] && [ "$(cat "$DIR/.stamp" 2>/dev/null)" = "$want" ]; then
  exit 0
fi
mkdir -p "$DIR"
cp "$HERE.package.json" "$DIR/package.json"
cp "$HERE.package-lock.json" "$DIR/package-lock.json"
(cd "$DIR" && npm ci --no-audit --no-fund --loglevel=error >/dev/null)
echo "$want" >"$DIR/.stamp"
