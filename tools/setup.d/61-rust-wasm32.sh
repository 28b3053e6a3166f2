#!/usr/bin/env bash
# Rust 1.95.0 with the wasm32-unknown-unknown target, for `autocodec module build` of Rust modules
# (autocodec/modkit/_build.py pins the same version). Through rustup, only when missing; without
# rustup, or when rustup cannot download (it fetches toolchains from its own host, not a package
# registry), the step says so and the Rust SDK tests skip with the reason: Rust is optional.
set -euo pipefail
VERSION=1.95.0
TARGET=wasm32-unknown-unknown
if ! command -v rustup >/dev/null 2>&1; then
  echo "setup: rustup not found; Rust modules cannot be built (module build of .rs sources will refuse)" >&2
  exit 0
fi
libdir=$(rustup run "$VERSION" rustc --print target-libdir --target "$TARGET" 2>/dev/null || true)
if [ -n "$libdir" ] && [ -d "$libdir" ]; then
  exit 0
fi
if ! rustup toolchain install "$VERSION" --profile minimal --target "$TARGET" >/dev/null 2>&1; then
  echo "setup: could not install Rust $VERSION with $TARGET through rustup; Rust modules will be skipped" >&2
fi
exit 0
