#!/usr/bin/env bash
# Reference JS codecs for the differential tests of the Bitcoin and dag-jose modules
# (tests/refjs/*.mjs): bitcoin-block 2.0.2 (the library the IPLD team's @ipld/bitcoin decodes with;
# @ipld/bitcoin itself is not on the npm registry), dag-jose 5.1.1 (the IPLD team's dag-jose codec)
# and @ipld/dag-cbor. Installed with `npm ci` from the committed lockfile beside this script into
# .cache/refjs-btc-jose (ignored by git), again only when the lockfile changes. Without npm the
# step says so and the differential tests skip with a reason (they fail under CI=true).
set -euo pipefail
. tools/setup.d/npm-locked.bash
npm_locked_install tools/setup.d/32-refjs-btc-jose .cache/refjs-btc-jose node_modules "reference codecs for bitcoin/dag-jose not installed (their differential tests will skip)"
