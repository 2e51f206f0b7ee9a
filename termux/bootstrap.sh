#!/usr/bin/env bash
# AIOS phone bootstrap: turns a fresh Termux install into an always-on cell of the network.
# It installs Node, git and termux-services with pkg, fetches the project, installs the app's
# production dependencies, writes the cell's configuration (the token in a file only this user
# can read), registers a termux-services (runit) service and a Termux:Boot script, then checks
# /health. Running it again upgrades in place: the cell's data is kept, and options left out
# keep the values of the last run. Self-contained on purpose: it is downloaded and run alone.
set -euo pipefail

TERMUX_PREFIX=/data/data/com.termux/files/usr
EX_USAGE=64

usage() {
  cat <<'EOF'
usage: bootstrap.sh --nats-urls URL[,URL] --app-source SOURCE (--token-stdin | --token-file PATH) [options]

Installs (or upgrades) an AIOS cell on this phone as a termux-services service started at boot.
On a second run, options left out keep their previous values and the cell's data is kept.

  --cell NAME         cell id (default beta): lowercase letters, digits and dashes
  --port N            HTTP port of the cell (default 8000)
  --device NAME       device name (default phone)
  --nats-urls URLS    comma-separated bus URLs, LAN leaf first, VPS hub second (nats://, tls://)
  --nats-tls-first    open TLS before the NATS protocol: a hub behind a TLS proxy, like the VPS
                      on tls://nats.<domain>:443 (every URL must be tls://); kept until new URLs
  --public-url URL    the URL other members use to reach this cell (default: the app's own guess)
  --accept-tokens LIST  comma-separated sha256:<hex> digests of other tokens the cell takes (the
                      operator's, the fleet's devices'); kept until given again
  --bus-cert CERT     the cell's certificate (86 base64url characters, from the stack): it signs
                      what it publishes on the bus as its own bus user; needs --fleet-key
  --fleet-key KEY     the fleet's public key (43 base64url characters), to check other members'
                      signatures; both no secrets, both kept until given again
  --token-stdin       read the cell's API token from standard input (keeps it out of argv)
  --token-file PATH   read the cell's API token from PATH
  --app-source SRC    the AIOS project: a git URL, or a tarball (.tar.gz, .tgz, .tar) URL or path
  --prefix DIR        the Termux prefix; needed only outside Termux (tests)
  --wait SECONDS      how long to wait for /health at the end (default 90; then up
                      to 15 s more for the cell to reach the bus)
  -h, --help          show this help
EOF
}

say() { printf 'aios: %s\n' "$*"; }
# A usage error: nothing has been changed yet when this is called.
bad() {
  printf 'aios: %s\n\n' "$*" >&2
  usage >&2
  exit "$EX_USAGE"
}
die() {
  printf 'aios: error: %s\n' "$*" >&2
  exit 1
}
# Single-quotes a value for a generated sh script.
shq() { printf "'%s'" "${1//\'/\'\\\'\'}"; }

opt_cell="" opt_port="" opt_device="" opt_nats="" opt_public="" opt_token_file="" opt_source=""
opt_prefix="" opt_wait="" token_stdin=0 opt_tls_first="" opt_accept="" opt_cert="" opt_fleet_key=""
while [ $# -gt 0 ]; do
  case "$1" in
    -h | --help)
      usage
      exit 0
      ;;
    --token-stdin)
      token_stdin=1
      shift
      continue
      ;;
    --nats-tls-first)
      opt_tls_first=true
      shift
      continue
      ;;
    --cell | --port | --device | --nats-urls | --public-url | --token-file | --app-source | --prefix | --wait | --accept-tokens | --bus-cert | --fleet-key)
      if [ $# -lt 2 ] || [ -z "$2" ]; then bad "$1 needs a value"; fi
      case "$1" in
        --cell) opt_cell=$2 ;;
        --port) opt_port=$2 ;;
        --device) opt_device=$2 ;;
        --nats-urls) opt_nats=$2 ;;
        --public-url) opt_public=$2 ;;
        --token-file) opt_token_file=$2 ;;
        --app-source) opt_source=$2 ;;
        --prefix) opt_prefix=$2 ;;
        --wait) opt_wait=$2 ;;
        --accept-tokens) opt_accept=$2 ;;
        --bus-cert) opt_cert=$2 ;;
        --fleet-key) opt_fleet_key=$2 ;;
      esac
      shift 2
      ;;
    *) bad "unknown argument: $1" ;;
  esac
done

# --- Validate everything before changing anything. ---
id_re='^[a-z0-9][a-z0-9-]{0,62}$'
is_port() { [[ $1 =~ ^[0-9]{1,5}$ ]] && [ "$1" -ge 1 ] && [ "$1" -le 65535 ]; }

if [ -n "$opt_prefix" ]; then
  [ -d "$opt_prefix" ] || bad "--prefix: $opt_prefix is not a directory"
  prefix=$(cd "$opt_prefix" && pwd)
elif [ -d "$TERMUX_PREFIX" ] && [ "${PREFIX:-$TERMUX_PREFIX}" = "$TERMUX_PREFIX" ]; then
  prefix=$TERMUX_PREFIX
else
  bad "this is not Termux (no $TERMUX_PREFIX): pass --prefix DIR to install into another prefix"
fi
if [ -z "${HOME:-}" ] || [ ! -d "$HOME" ]; then bad "HOME is not set to a directory"; fi
aios_home="$HOME/aios"

cell=${opt_cell:-beta}
[[ $cell =~ $id_re ]] || bad "--cell: expected lowercase letters, digits and dashes (max 63), got \"$cell\""
[ -z "$opt_device" ] || [[ $opt_device =~ $id_re ]] ||
  bad "--device: expected lowercase letters, digits and dashes (max 63), got \"$opt_device\""
[ -z "$opt_port" ] || is_port "$opt_port" || bad "--port: expected a port from 1 to 65535, got \"$opt_port\""
wait_s=${opt_wait:-90}
if ! [[ $wait_s =~ ^[0-9]{1,3}$ ]] || [ "$wait_s" -lt 1 ] || [ "$wait_s" -gt 600 ]; then
  bad "--wait: expected seconds from 1 to 600, got \"$wait_s\""
fi
# Bus credentials inside the URLs (nats://USER:PASSWORD@host:port, the cell's own bus user, or
# nats://TOKEN@host:port) move to a file of its own (the user name to aios.env), so neither the
# configuration nor the app's messages (its /health names the URLs it cannot reach) show them.
bus_token="" bus_user=""
if [ -n "$opt_nats" ]; then
  IFS=',' read -r -a urls <<<"$opt_nats"
  [ "${#urls[@]}" -gt 0 ] || bad "--nats-urls: no URL given"
  clean_urls=""
  for u in "${urls[@]}"; do
    [[ $u =~ ^(nats|tls|ws|wss)://[^[:space:]/]+(/[^[:space:]]*)?$ ]] ||
      bad "--nats-urls: expected comma-separated nats:// or tls:// URLs, got \"${u//\/\/*@//***@}\""
    if [[ $u =~ ^([a-z]+://)(([^@/:]+):)?([^@/:]+)@(.+)$ ]]; then
      [ -z "$bus_token" ] || { [ "$bus_token" = "${BASH_REMATCH[4]}" ] && [ "$bus_user" = "${BASH_REMATCH[3]}" ]; } ||
        bad "--nats-urls: the URLs carry different bus credentials"
      bus_user=${BASH_REMATCH[3]}
      bus_token=${BASH_REMATCH[4]}
      u="${BASH_REMATCH[1]}${BASH_REMATCH[5]}"
    fi
    clean_urls+="${clean_urls:+,}$u"
  done
  opt_nats=$clean_urls
  printf -v bus_token '%b' "${bus_token//%/\\x}" # the token is URL-encoded in the URL
  [ -z "$bus_token" ] || [ "${#bus_token}" -ge 16 ] || bad "--nats-urls: the bus token is shorter than 16 characters"
  [ -z "$bus_user" ] || [[ $bus_user =~ $id_re ]] || bad "--nats-urls: the bus user must be lowercase letters, digits and dashes"
fi
if [ -n "$opt_accept" ]; then
  [[ $opt_accept =~ ^sha256:[0-9a-f]{64}(,sha256:[0-9a-f]{64})*$ ]] ||
    bad "--accept-tokens: expected comma-separated sha256:<64 lowercase hex digits>"
fi
# Signing (the app checks the certificate against its bus user and password at start).
[ -z "$opt_cert" ] || [[ $opt_cert =~ ^[A-Za-z0-9_-]{86}$ ]] || bad "--bus-cert: expected the cell's certificate, 86 base64url characters"
[ -z "$opt_fleet_key" ] || [[ $opt_fleet_key =~ ^[A-Za-z0-9_-]{43}$ ]] ||
  bad "--fleet-key: expected the fleet's public key, 43 base64url characters"
[ -n "$opt_cert" ] || [ -z "$opt_fleet_key" ] || bad "--fleet-key: give --bus-cert with it (the cell's certificate)"
[ -n "$opt_fleet_key" ] || [ -z "$opt_cert" ] || bad "--bus-cert: give --fleet-key with it (the fleet's public key)"
[ -z "$opt_public" ] || [[ $opt_public =~ ^https?://[^[:space:]]+$ ]] ||
  bad "--public-url: expected an http(s) URL, got \"$opt_public\""
[ "$token_stdin" = 0 ] || [ -z "$opt_token_file" ] || bad "give either --token-stdin or --token-file, not both"
[ -z "$opt_token_file" ] || [ -r "$opt_token_file" ] || bad "--token-file: cannot read \"$opt_token_file\""

# Values of the last run fill in what this run leaves out.
unset AIOS_DEVICE AIOS_NATS_URLS AIOS_NATS_USER AIOS_NATS_TOKEN_FILE AIOS_NATS_TLS_FIRST AIOS_APP_SOURCE AIOS_PORT AIOS_PUBLIC_URL
unset AIOS_ACCEPT_TOKENS_FILE AIOS_BUS_CERT AIOS_BUS_FLEET_KEY
# shellcheck source=/dev/null
[ ! -f "$aios_home/aios.env" ] || . "$aios_home/aios.env"
# shellcheck source=/dev/null
[ ! -f "$aios_home/cells/$cell/cell.env" ] || . "$aios_home/cells/$cell/cell.env"
device=${opt_device:-${AIOS_DEVICE:-phone}}
nats_urls=${opt_nats:-${AIOS_NATS_URLS:-}}
source_spec=${opt_source:-${AIOS_APP_SOURCE:-}}
port=${opt_port:-${AIOS_PORT:-8000}}
public_url=${opt_public:-${AIOS_PUBLIC_URL:-}}
[ -n "$nats_urls" ] || bad "--nats-urls is required on the first run"
# New bus URLs come with their own TLS setting; otherwise the saved one stays.
tls_first=${opt_tls_first:-${AIOS_NATS_TLS_FIRST:-false}}
[ -z "$opt_nats" ] || tls_first=${opt_tls_first:-false}
if [ "$tls_first" = true ] && ! [[ ,$nats_urls =~ ^(,tls://[^,]+)+$ ]]; then
  bad "--nats-tls-first: every URL of --nats-urls must be tls://"
fi
[ -n "$source_spec" ] || bad "--app-source is required on the first run"
bus_cert=${opt_cert:-${AIOS_BUS_CERT:-}}
fleet_key=${opt_fleet_key:-${AIOS_BUS_FLEET_KEY:-}}
nats_user=${AIOS_NATS_USER:-}
[ -z "$opt_nats" ] || nats_user=$bus_user # new bus URLs: their user, or none
if [ -n "$bus_cert" ] && [ -z "$nats_user" ]; then
  bad "--bus-cert: a certificate is for the cell's own bus user: give it in --nats-urls (nats://USER:PASSWORD@host:port)"
fi
case "$source_spec" in
  http://* | https://* | git@* | ssh://* | git://* | file://*) ;;
  *) [ -e "$source_spec" ] || bad "--app-source: \"$source_spec\" is neither a URL nor an existing path" ;;
esac

token=""
if [ "$token_stdin" = 1 ]; then
  [ -t 0 ] && printf 'aios: paste the cell token, then Enter: ' >&2
  IFS= read -r -s token || [ -n "$token" ] || bad "--token-stdin: nothing on standard input"
  [ -t 0 ] && printf '\n' >&2
elif [ -n "$opt_token_file" ]; then
  token=$(<"$opt_token_file")
fi
token=${token//[[:space:]]/}
if [ "$token_stdin" = 1 ] || [ -n "$opt_token_file" ]; then
  [ "${#token}" -ge 16 ] || bad "the token is shorter than 16 characters"
elif [ ! -s "$aios_home/token" ]; then
  bad "a token is required on the first run: --token-stdin or --token-file PATH"
fi

# --- Install. ---
export PREFIX=$prefix
export PATH="$prefix/bin:$PATH"
svc="aios-$cell"
svdir="$prefix/var/service/$svc"
logdir="$prefix/var/log/sv/$svc"
cell_dir="$aios_home/cells/$cell"

# nodejs-lts no longer bundles npm (since 24.13.0-1): npm is its own package.
say "installing packages: nodejs-lts npm git termux-services curl"
pkg install -y nodejs-lts npm git termux-services curl
for tool in node npm; do command -v "$tool" >/dev/null || die "$tool is not on PATH after pkg install"; done
node -e 'const [a, b] = process.versions.node.split(".").map(Number); process.exit(a > 22 || (a === 22 && b >= 18) ? 0 : 1)' ||
  die "Node $(node --version) is older than 22.18, which the app needs: run pkg upgrade"

umask 077
mkdir -p "$aios_home" "$cell_dir/data"
staging=$(mktemp -d "$aios_home/.staging.XXXXXX")
trap 'rm -rf "$staging"' EXIT

say "fetching the app from $source_spec"
mkdir "$staging/src"
case "$source_spec" in
  *.tar.gz | *.tgz | *.tar)
    archive=$source_spec
    if [[ $source_spec =~ ^https?:// ]]; then
      archive="$staging/source.tar"
      curl -fsSL -o "$archive" "$source_spec"
    fi
    tar -xf "$archive" -C "$staging/src"
    ;;
  *)
    url=$source_spec
    [ ! -d "$source_spec" ] || url="file://$(cd "$source_spec" && pwd)"
    git clone --quiet --depth 1 "$url" "$staging/src"
    ;;
esac
root="$staging/src"
if [ ! -f "$root/app/package.json" ]; then
  # Release tarballs hold the tree in one top-level directory.
  tops=("$root"/*/)
  [ "${#tops[@]}" -eq 1 ] && root=${tops[0]%/}
fi
if [ ! -f "$root/app/package.json" ] || [ ! -f "$root/termux/run-cell.sh" ]; then
  die "$source_spec does not hold the AIOS project (app/package.json and termux/run-cell.sh)"
fi

say "installing the app's production dependencies"
(cd "$root/app" && npm install --omit=dev --no-audit --no-fund --no-update-notifier --loglevel=error)
say "packaging the app as plain JavaScript (dist/)"
(cd "$root/app" && npm run --silent package)
version=$(cd "$root/app" && node -p 'require("./package.json").version')

# A certificate the cell would refuse at start (AIOS_BUS_CERT) stops the install here, while
# nothing has changed yet: checked by the new app's own signing, the bus password on stdin.
if [ -n "$bus_cert" ]; then
  bus_password=$bus_token
  [ -n "$opt_nats" ] || bus_password=$(cat "${AIOS_NATS_TOKEN_FILE:-}" 2>/dev/null) || bus_password=""
  # shellcheck disable=SC2016 # JavaScript, not shell
  refused=$(printf '%s' "$bus_password" | node --input-type=module -e '
    const [signing, member, cert, fleetKey] = process.argv.slice(1);
    const { Signing } = await import(signing);
    const password = (await import("node:fs")).readFileSync(0, "utf8").trim();
    try {
      new Signing({ member, role: "cell", password, cert, fleetKey });
    } catch (err) {
      console.log(err.message);
    }
  ' "$root/app/dist/lib/signing.js" "$nats_user" "$bus_cert" "$fleet_key") || die "the app could not check --bus-cert"
  bus_password=""
  [ -z "$refused" ] || die "--bus-cert: $refused (AIOS_BUS_CERT); nothing was changed"
fi

# Swap the new app and scripts in; the data directory lives elsewhere and is never touched.
rm -rf "$aios_home/.app.old" "$aios_home/.bin.old"
[ ! -d "$aios_home/app" ] || mv "$aios_home/app" "$aios_home/.app.old"
mv "$root/app" "$aios_home/app"
[ ! -d "$aios_home/bin" ] || mv "$aios_home/bin" "$aios_home/.bin.old"
mkdir "$aios_home/bin"
cp "$root"/termux/*.sh "$aios_home/bin/"
chmod 700 "$aios_home"/bin/*.sh
rm -rf "$aios_home/.app.old" "$aios_home/.bin.old"

# Tokens: written only when given, each into a file only this user can read.
write_secret() { # FILE VALUE
  printf '%s\n' "$2" >"$1.new"
  chmod 600 "$1.new"
  mv "$1.new" "$1"
}
[ -z "$token" ] || write_secret "$aios_home/token" "$token"
nats_token_file=${AIOS_NATS_TOKEN_FILE:-}
if [ -n "$opt_nats" ]; then # new bus URLs: their credentials, or none
  nats_token_file=""
  rm -f "$aios_home/nats-token"
  if [ -n "$bus_token" ]; then
    nats_token_file="$aios_home/nats-token"
    write_secret "$nats_token_file" "$bus_token"
  fi
fi
token="" bus_token=""
# Digests of the other tokens the cell takes: not secret, but only this user needs to read them.
accept_file=${AIOS_ACCEPT_TOKENS_FILE:-}
if [ -n "$opt_accept" ]; then
  accept_file="$aios_home/accepted-tokens"
  write_secret "$accept_file" "${opt_accept//,/$'\n'}"
fi

# Configuration: environment files read by run-cell.sh (no secrets in them).
write_env() { # FILE KEY=VALUE...
  local file=$1 kv
  shift
  for kv in "$@"; do printf '%s=%q\n' "${kv%%=*}" "${kv#*=}"; done >"$file.new"
  mv "$file.new" "$file"
}
write_env "$aios_home/aios.env" \
  "AIOS_TERMUX_PREFIX=$prefix" "AIOS_DEVICE=$device" "AIOS_NATS_URLS=$nats_urls" \
  "AIOS_TOKEN_FILE=$aios_home/token" "AIOS_ACCEPT_TOKENS_FILE=$accept_file" "AIOS_NATS_USER=$nats_user" "AIOS_NATS_TOKEN_FILE=$nats_token_file" "AIOS_NATS_TLS_FIRST=$tls_first" "AIOS_HOST=0.0.0.0" \
  "AIOS_BUS_CERT=$bus_cert" "AIOS_BUS_FLEET_KEY=$fleet_key" "AIOS_APP_SOURCE=$source_spec"
write_env "$cell_dir/cell.env" "AIOS_PORT=$port" "AIOS_PUBLIC_URL=$public_url"

# The termux-services (runit) service: run execs the cell in the foreground, log/run keeps its
# output under $PREFIX/var/log/sv/<service>/ with svlogd.
mkdir -p "$prefix/var/service" "$staging/svc/log"
cat >"$staging/svc/run" <<EOF
#!$prefix/bin/sh
# $svc: written by AIOS termux/bootstrap.sh. runit (termux-services) runs this in the foreground
# and restarts it when it exits; its output goes to log/run.
exec 2>&1
exec $(shq "$prefix/bin/bash") $(shq "$aios_home/bin/run-cell.sh") $(shq "$cell")
EOF
cat >"$staging/svc/log/run" <<EOF
#!$prefix/bin/sh
# $svc log: svlogd keeps the cell's output in $logdir/current, rotated.
mkdir -p $(shq "$logdir")
exec $(shq "$prefix/bin/svlogd") -tt $(shq "$logdir")
EOF
chmod 700 "$staging/svc/run" "$staging/svc/log/run"
existed=0
if [ -d "$svdir" ]; then
  existed=1
  mkdir -p "$svdir/log"
  mv "$staging/svc/log/run" "$svdir/log/run"
  mv "$staging/svc/run" "$svdir/run"
else
  # One rename, so runsvdir never sees a half-written service; no down file: it starts at once.
  mv "$staging/svc" "$svdir"
fi

# Termux:Boot runs ~/.termux/boot/* at boot: keep the CPU awake and start termux-services.
mkdir -p "$HOME/.termux/boot"
cat >"$HOME/.termux/boot/start-aios" <<EOF
#!$prefix/bin/sh
# Written by AIOS termux/bootstrap.sh: at boot, hold a wake lock and start termux-services,
# which starts every enabled service (the AIOS cells among them).
termux-wake-lock
export PREFIX=$(shq "$prefix")
. $(shq "$prefix/etc/profile.d/start-services.sh")
EOF
chmod 700 "$HOME/.termux/boot/start-aios"

# Start now, without waiting for a reboot.
termux-wake-lock
export SVDIR="$prefix/var/service"
if [ -f "$prefix/etc/profile.d/start-services.sh" ]; then
  # shellcheck source=/dev/null
  . "$prefix/etc/profile.d/start-services.sh"
fi
if [ "$existed" = 1 ]; then
  say "restarting $svc with the new app"
  sv-enable "$svc" >/dev/null 2>&1 || true # only clears a down file when runsv is not up yet
  sv restart "$svc" || say "runsv is not supervising $svc yet; it starts the new app when it does"
else
  say "registered $svc; termux-services starts it within a few seconds"
fi

health_url="http://127.0.0.1:$port/health"
health=""
for ((i = 0; i < wait_s * 2; i++)); do
  if health=$(curl -fsS --max-time 2 "$health_url" 2>/dev/null); then break; fi
  health=""
  sleep 0.5
done
if [ -z "$health" ]; then
  printf 'aios: error: %s did not answer %s within %ss; the last lines of its log:\n' "$svc" "$health_url" "$wait_s" >&2
  tail -n 20 "$logdir/current" >&2 2>/dev/null || true
  exit 1
fi
# It answers before its first connect to the bus has finished: give it up to 15 s to turn "ok",
# then report what it says (degraded, and why, when the bus stays out of reach).
for ((i = 0; i < 30; i++)); do
  [[ $health == *'"status":"ok"'* ]] && break
  sleep 0.5
  next=$(curl -fsS --max-time 2 "$health_url" 2>/dev/null) && health=$next
done
# shellcheck disable=SC2016 # JavaScript template literals, not shell
summary=$(node -e '
  const h = JSON.parse(process.argv[1]);
  const bus = h.bus.connected ? `bus ${h.bus.server}` : "bus not connected";
  const reasons = h.reasons.join("; ").replace(/\/\/[^@/\s]*@/g, "//***@"); // no bus credentials
  console.log(`${h.status}, ${bus}, version ${h.version}${reasons ? `: ${reasons}` : ""}`);
' "$health")
say "cell $cell (app $version) is up: ${public_url:-http://127.0.0.1:$port} ($summary)"
say "logs:   tail -f $logdir/current"
say "status: $aios_home/bin/status.sh"
