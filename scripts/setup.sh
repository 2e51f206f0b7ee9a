#!/usr/bin/env bash
# Idempotent machine setup: Node >= 22 (Node 24 from the npm registry's node@24 package when
# the machine's Node is older), the Debian tools the tests drive for real, and npm dependencies.
# Prints the PATH entry to use as its last line ("PATH_PREFIX=<dir or empty>").
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
tools="$root/.tools"
say() { printf 'setup: %s\n' "$*" >&2; }

node_major() { node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0; }

path_prefix=""
if [ "$(node_major)" -lt 22 ]; then
  node24="$tools/node24/node_modules/node/bin/node"
  if [ ! -x "$node24" ]; then
    say "Node $(node --version 2>/dev/null || echo none) is older than 22: installing node@24 from the npm registry into .tools/"
    mkdir -p "$tools/node24"
    npm install --silent --no-save --no-audit --no-fund --prefix "$tools/node24" node@24 >&2
  fi
  path_prefix="$(dirname "$node24")"
  export PATH="$path_prefix:$PATH"
fi

# Debian packages for the tools the tests run for real: command -> package.
declare -A wanted=(
  [nats-server]=nats-server
  [promtool]=prometheus
  [prometheus-alertmanager]=prometheus-alertmanager
  [shellcheck]=shellcheck
  [cloud-init]=cloud-init
  [dockerd]=docker.io
  [rclone]=rclone
  [ip]=iproute2
  [unshare]=util-linux
  [wrk]=wrk
  [dnsmasq]=dnsmasq-base
  [chromium]=chromium
)
missing=()
for cmd in "${!wanted[@]}"; do
  command -v "$cmd" >/dev/null 2>&1 || missing+=("${wanted[$cmd]}")
done
if [ "${#missing[@]}" -gt 0 ]; then
  if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null; then
    say "installing Debian packages: ${missing[*]}"
    apt-get update -qq >&2
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
  else
    say "missing tools (tests that need them will skip, or fail under CI=true): ${missing[*]}"
    say "install them with: sudo apt-get install ${missing[*]}"
  fi
fi

# npm dependencies: reinstall only when the lock file changed since the last install.
stamp="$root/node_modules/.package-lock.json"
if [ ! -f "$stamp" ] || [ "$root/package-lock.json" -nt "$stamp" ]; then
  say "installing npm dependencies"
  (cd "$root" && npm ci --no-audit --no-fund --loglevel=error >&2)
fi

echo "PATH_PREFIX=$path_prefix"
