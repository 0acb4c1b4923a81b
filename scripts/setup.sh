#!/bin/sh
# Set-up shared by `npm test` and `npm run demo` on a fresh clone: the npm dependencies (which pin
# Node 24 into node_modules/.bin), and, when running as root on Debian, the real container client
# the end-to-end tests drive (skopeo) and the arm64 emulator for cross-built binaries.
set -e
cd "$(dirname "$0")/.."
if [ ! -x node_modules/.bin/vitest ] || [ ! -x node_modules/.bin/node ]; then
  npm ci --no-audit --no-fund --loglevel=error
fi
if [ "${1:-}" = "--system" ] && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  missing=""
  command -v skopeo >/dev/null 2>&1 || missing="$missing skopeo"
  command -v qemu-aarch64 >/dev/null 2>&1 || missing="$missing qemu-user"
  [ -d /usr/aarch64-linux-gnu/lib ] || missing="$missing libc6-arm64-cross"
  if [ -n "$missing" ]; then
    apt-get update -qq >/dev/null
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $missing >/dev/null
  fi
fi
