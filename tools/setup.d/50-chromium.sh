#!/usr/bin/env bash
# Debian's headless-capable Chromium and its WebDriver (chromium, chromium-driver) for the
# explorer's browser test (tests/test_explorer_chromium.py). Idempotent: nothing is done when
# both are installed. Where apt is unavailable (no root, not Debian) the step says so and the
# test skips (it fails under CI=true).
set -euo pipefail
if command -v chromium >/dev/null 2>&1 && command -v chromedriver >/dev/null 2>&1; then
  exit 0
fi
if ! command -v apt-get >/dev/null 2>&1; then
  echo "setup: apt-get not found; chromium/chromium-driver not installed (explorer browser test will skip)" >&2
  exit 0
fi
SUDO=""
if [ "$(id -u)" != "0" ]; then
  if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then SUDO="sudo -n"; else
    echo "setup: not root and no sudo; chromium/chromium-driver not installed (explorer browser test will skip)" >&2
    exit 0
  fi
fi
export DEBIAN_FRONTEND=noninteractive
if ! $SUDO apt-get install -y -q --no-install-recommends chromium chromium-driver >/dev/null 2>&1; then
  $SUDO apt-get update -q >/dev/null 2>&1 || true
  $SUDO apt-get install -y -q --no-install-recommends chromium chromium-driver >/dev/null \
    || echo "setup: apt-get could not install chromium chromium-driver (explorer browser test will skip)" >&2
fi
