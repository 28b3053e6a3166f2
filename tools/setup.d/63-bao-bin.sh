#!/usr/bin/env bash
# The reference Bao CLI, `bao` from the crate bao_bin (crates.io), which tests/test_bao_reference.py runs
# beside `autocodec bao` on the same inputs (docs/bao.md, "The command line"). Installed once with
# `cargo install --locked`, so every dependency is the one pinned by the crate's own published Cargo.lock,
# into .cache/cargo/bin (ignored by git), and rebuilt only when the pinned version below changes. Without
# cargo, or when the build fails, the step says so; the differential test then skips (fails on CI).
set -euo pipefail
CRATE=bao_bin
VERSION=0.13.1
BIN=.cache/cargo/bin
stamp="$CRATE $VERSION"
mkdir -p "$BIN"
if [ -x "$BIN/bao" ] && [ "$(cat "$BIN/bao.version" 2>/dev/null)" = "$stamp" ]; then
  exit 0
fi
if ! command -v cargo >/dev/null 2>&1; then
  echo "setup: cargo not found; the reference bao CLI is not built (tests/test_bao_reference.py skips)" >&2
  exit 0
fi
echo "setup: building the reference bao CLI ($stamp, once)" >&2
root=.cache/cargo/bao-bin-root
if ! cargo install "$CRATE" --version "=$VERSION" --locked --quiet --force \
    --root "$root" --target-dir .cache/cargo/target >&2; then
  echo "setup: the reference bao CLI did not build (tests/test_bao_reference.py skips)" >&2
  exit 0
fi
cp "$root/bin/bao" "$BIN/bao.tmp"
mv "$BIN/bao.tmp" "$BIN/bao"
echo "$stamp" >"$BIN/bao.version"
