#!/usr/bin/env bash
# AssemblyScript, pinned (assemblyscript 0.28.20 and its binaryen, locked by the committed
# lockfile beside this script), for `autocodec module build` of AssemblyScript modules.
# Installed with `npm ci` into .cache/assemblyscript (ignored by git), again only when the
# lockfile changes. Without npm the step says so and the AssemblyScript SDK tests skip with a
# reason (they fail under CI=true).
set -euo pipefail
. tools/setup.d/npm-locked.bash
npm_locked_install tools/setup.d/60-assemblyscript .cache/assemblyscript node_modules/assemblyscript/bin/asc.js "AssemblyScript not installed (module build --lang assemblyscript will refuse)"
