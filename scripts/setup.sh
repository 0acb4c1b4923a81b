#!/bin/sh
# Set-up shared by `npm test` and `npm run demo` on a fresh clone: the npm dependencies (which pin
# Node 24 into node_modules/.bin), and with --system (what `npm test` and CI pass) the programs the
# end-to-end tests drive: skopeo, the real registry client that proves a credential works, and on
# x86_64 the arm64 emulator and glibc that run cross-built binaries. As root on Debian/Ubuntu they
# are installed with apt-get when missing; anywhere else a missing one stops the run here, in one
# line that names it, rather than as ENOENT deep inside a test. When all are present this costs a
# few `command -v` calls.
set -e
cd "$(dirname "$0")/.."
# npm ci on a fresh clone, and again when the lockfile changed since the last install (a pull).
if [ ! -x node_modules/.bin/vitest ] || [ ! -x node_modules/.bin/node ] ||
  [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --prefer-offline --no-audit --no-fund --loglevel=error
fi
[ "${1:-}" = "--system" ] || exit 0

missing=""
command -v skopeo >/dev/null 2>&1 || missing="$missing skopeo"
if [ "$(uname -s)-$(uname -m)" = "Linux-x86_64" ]; then
  command -v qemu-aarch64 >/dev/null 2>&1 || missing="$missing qemu-user"
  [ -d /usr/aarch64-linux-gnu/lib ] || missing="$missing libc6-arm64-cross"
fi
[ -n "$missing" ] || exit 0

if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "[setup] installing the programs the tests drive:$missing" >&2
  apt-get update -qq >/dev/null
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $missing >/dev/null
  exit 0
fi
if command -v apt-get >/dev/null 2>&1; then
  echo "npm test needs$missing: run 'sudo apt-get install -y$missing', or npm test as root" >&2
else
  echo "npm test needs$missing (Debian package names): install them with this system's package manager" >&2
fi
exit 1
