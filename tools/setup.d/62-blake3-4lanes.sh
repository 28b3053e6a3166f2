#!/usr/bin/env bash
# The bench's 4-lane BLAKE3 peer (tools/blake3-4lanes: the blake3 crate with AVX2 and AVX-512 switched
# off, so SSE4.1's 4 lanes of 128 bits, Wasm SIMD128's width, are its widest kernel). `autocodec bench`
# sets the bao module's hashing kernel beside it (figure bao.kernel, docs/bao.md). Built once with
# cargo (crates from crates.io, pinned by the committed Cargo.lock) into .cache/cargo (ignored by git)
# and rebuilt only when the tool's sources change. Without cargo, or when the build fails, the step
# says so and the figure lists the peer as not installed.
set -euo pipefail
SRC=tools/blake3-4lanes
BIN=.cache/cargo/bin
mkdir -p "$BIN"
stamp=$(cat "$SRC/Cargo.toml" "$SRC/Cargo.lock" "$SRC/src/main.rs" | sha256sum | cut -c1-16)
if [ -x "$BIN/blake3-4lanes" ] && [ "$(cat "$BIN/blake3-4lanes.version" 2>/dev/null)" = "$stamp" ]; then
  exit 0
fi
if ! command -v cargo >/dev/null 2>&1; then
  echo "setup: cargo not found; the bench's 4-lane BLAKE3 peer is not built (bao.kernel shows it missing)" >&2
  exit 0
fi
echo "setup: building the bench's 4-lane BLAKE3 peer (once)" >&2
if ! cargo build --release --locked --quiet --manifest-path "$SRC/Cargo.toml" --target-dir .cache/cargo/target >&2; then
  echo "setup: the 4-lane BLAKE3 peer did not build (bao.kernel will show it missing)" >&2
  exit 0
fi
cp .cache/cargo/target/release/blake3-4lanes "$BIN/blake3-4lanes.tmp"
mv "$BIN/blake3-4lanes.tmp" "$BIN/blake3-4lanes"
echo "$stamp" >"$BIN/blake3-4lanes.version"
