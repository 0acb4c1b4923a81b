#!/bin/sh
# The node installer's init container (deploy/<platform>.yaml, image from deploy/Containerfile):
# puts one credkit binary into the kubelet's provider directory on the host, under the name the
# kubelet's config already uses, and the reference kubelet config beside it (in credkit/, which the
# kubelet neither execs nor loads). Idempotent: an unchanged file is left alone. POSIX sh (busybox).
#
# With several names (credkit-node, which serves every adapter and picks one by the name it is run
# under), the binary is copied once, to credkit/<binary>, and each name is a relative symlink to it:
# the node carries one runtime however many registries it serves.
#
#   CREDKIT_BINARY      which binary of the image to install (credkit-ecr, credkit-acr, credkit-node, ...)
#   CREDKIT_INSTALL_AS  the file name in the host directory (default: CREDKIT_BINARY); several
#                       names separated by spaces for a binary that answers to each
#   CREDKIT_HOST_DIR    where the host's provider directory is mounted (default /host/provider-dir)
#   CREDKIT_CONFIG      the kubelet config to copy, if present (default /etc/credkit/credential-provider-config.yaml)
#   CREDKIT_SOURCE_DIR  the image's binaries (default /opt/credkit/bin)
# -f: the names are split on spaces, never expanded as globs.
set -uf

source_dir=${CREDKIT_SOURCE_DIR:-/opt/credkit/bin}
host_dir=${CREDKIT_HOST_DIR:-/host/provider-dir}
config=${CREDKIT_CONFIG:-/etc/credkit/credential-provider-config.yaml}
binary=${CREDKIT_BINARY:-}
install_as=${CREDKIT_INSTALL_AS:-$binary}

fail() {
  echo "credkit-install: $*" >&2
  exit 1
}

available() {
  (cd "$source_dir" 2>/dev/null && ls | tr '\n' ' ')
}

# A plain file name: the kubelet looks a provider up as <bin-dir>/<name>.
plain_name() {
  case "$1" in
  '' | . | .. | */* | .*) return 1 ;;
  esac
}

[ -n "$binary" ] || fail "set CREDKIT_BINARY to one of: $(available)"
plain_name "$binary" || fail "CREDKIT_BINARY must be a file name, got \"$binary\""
set -- $install_as
[ $# -gt 0 ] || fail "CREDKIT_INSTALL_AS is empty: give the name the kubelet config uses"
for name in "$@"; do
  plain_name "$name" || fail "CREDKIT_INSTALL_AS must be a file name, got \"$name\""
done
[ -f "$source_dir/$binary" ] || fail "this image has no $binary (it has: $(available))"
[ -d "$host_dir" ] || fail "$host_dir is not mounted: mount the kubelet's --image-credential-provider-bin-dir there"

# Copies $1 to $2 with mode $3 through a temporary file and a rename in the same directory: the
# kubelet may exec $2 at any moment and must never see half a file.
place() {
  if [ -f "$2" ] && cmp -s "$1" "$2"; then
    echo "unchanged $2"
    return 0
  fi
  tmp="$(dirname "$2")/.$(basename "$2").credkit-$$"
  if cp "$1" "$tmp" && chmod "$3" "$tmp" && mv -f "$tmp" "$2"; then
    echo "installed $2"
  else
    rm -f "$tmp"
    fail "cannot write $2 (is $host_dir writable by uid $(id -u)?)"
  fi
}

keep="$host_dir/credkit"
mkdir -p "$keep" 2>/dev/null || fail "cannot create $keep (is $host_dir writable by uid $(id -u)?)"

# The binary credkit replaces under $1, kept once for a rollback: cp credkit/<name>.upstream <name>.
keep_upstream() {
  if [ -f "$1" ] && [ ! -L "$1" ] && [ ! -e "$keep/$(basename "$1").upstream" ] && ! cmp -s "$source_dir/$binary" "$1"; then
    place "$1" "$keep/$(basename "$1").upstream" 0755
  fi
}

# Points $1 at $2 (a relative path) through a temporary link and a rename, as place() does files.
link() {
  if [ -L "$1" ] && [ "$(readlink "$1")" = "$2" ]; then
    echo "unchanged $1"
    return 0
  fi
  tmp="$(dirname "$1")/.$(basename "$1").credkit-$$"
  rm -f "$tmp"
  if ln -s "$2" "$tmp" && mv -f "$tmp" "$1"; then
    echo "linked $1 -> $2"
  else
    rm -f "$tmp"
    fail "cannot write $1 (is $host_dir writable by uid $(id -u)?)"
  fi
}

if [ $# -eq 1 ]; then
  keep_upstream "$host_dir/$1"
  place "$source_dir/$binary" "$host_dir/$1" 0755
else
  place "$source_dir/$binary" "$keep/$binary" 0755
  for name in "$@"; do
    keep_upstream "$host_dir/$name"
    link "$host_dir/$name" "credkit/$binary"
  done
fi
if [ -f "$config" ]; then
  place "$config" "$keep/credential-provider-config.yaml" 0644
fi
