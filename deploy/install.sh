#!/bin/sh
# The node installer's init container (deploy/<platform>.yaml, image from deploy/Containerfile):
# puts one credkit binary into the kubelet's provider directory on the host, under the name the
# kubelet's config already uses, and the reference kubelet config beside it (in credkit/, which the
# kubelet neither execs nor loads). Idempotent: an unchanged file is left alone. POSIX sh (busybox).
#
#   CREDKIT_BINARY      which binary of the image to install (credkit-ecr, credkit-acr, ...)
#   CREDKIT_INSTALL_AS  the file name in the host directory (default: CREDKIT_BINARY)
#   CREDKIT_HOST_DIR    where the host's provider directory is mounted (default /host/provider-dir)
#   CREDKIT_CONFIG      the kubelet config to copy, if present (default /etc/credkit/credential-provider-config.yaml)
#   CREDKIT_SOURCE_DIR  the image's binaries (default /opt/credkit/bin)
set -u

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
plain_name "$install_as" || fail "CREDKIT_INSTALL_AS must be a file name, got \"$install_as\""
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

target="$host_dir/$install_as"
keep="$host_dir/credkit"
mkdir -p "$keep" 2>/dev/null || fail "cannot create $keep (is $host_dir writable by uid $(id -u)?)"
# The binary credkit replaces, kept once for a rollback: cp credkit/<name>.upstream <name>.
if [ -f "$target" ] && [ ! -e "$keep/$install_as.upstream" ] && ! cmp -s "$source_dir/$binary" "$target"; then
  place "$target" "$keep/$install_as.upstream" 0755
fi
place "$source_dir/$binary" "$target" 0755
if [ -f "$config" ]; then
  place "$config" "$keep/credential-provider-config.yaml" 0644
fi
