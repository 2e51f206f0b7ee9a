#!/usr/bin/env bash
# Runs one cell in the foreground: run-cell.sh <name> [port]   (e.g. ./run-cell.sh beta 8001)
# The termux-services run script execs this too. The port defaults to the one bootstrap.sh saved
# for that cell; the cell's data lives in ~/aios/cells/<name>/data.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

usage() { echo "usage: run-cell.sh <name> [port]   e.g. run-cell.sh beta 8001" >&2; }
case "${1:-}" in
  -h | --help)
    usage
    exit 0
    ;;
esac
if [ $# -lt 1 ] || [ $# -gt 2 ]; then
  usage
  exit 64
fi
name=$1 port=${2:-}
if ! [[ $name =~ ^[a-z0-9][a-z0-9-]{0,62}$ ]]; then
  printf 'aios: the cell name must be lowercase letters, digits and dashes, got "%s"\n' "$name" >&2
  usage
  exit 64
fi
aios_locate

unset AIOS_PORT AIOS_PUBLIC_URL
cell_dir="$AIOS_HOME/cells/$name"
# shellcheck source=/dev/null
[ ! -f "$cell_dir/cell.env" ] || . "$cell_dir/cell.env"
if [ -n "$port" ] && [ "$port" != "${AIOS_PORT:-}" ]; then
  unset AIOS_PUBLIC_URL # the saved public URL names the saved port
fi
port=${port:-${AIOS_PORT:-}}
if ! [[ $port =~ ^[0-9]{1,5}$ ]] || [ "$port" -lt 1 ] || [ "$port" -gt 65535 ]; then
  printf 'aios: cell %s has no saved port: give one from 1 to 65535, got "%s"\n' "$name" "$port" >&2
  usage
  exit 64
fi

mkdir -p "$cell_dir/data"
export AIOS_ROLE=cell AIOS_CELL_ID=$name AIOS_PORT=$port AIOS_DATA_DIR="$cell_dir/data"
export AIOS_DEVICE AIOS_NATS_URLS AIOS_TOKEN_FILE AIOS_ACCEPT_TOKENS_FILE AIOS_NATS_USER AIOS_NATS_TOKEN_FILE AIOS_NATS_TLS_FIRST AIOS_HOST
# signing as the bus user (empty on an install made before certificates: the app then does not sign)
export AIOS_BUS_CERT AIOS_BUS_FLEET_KEY
[ -z "${AIOS_PUBLIC_URL:-}" ] || export AIOS_PUBLIC_URL
# Load shedding samples the event loop every 10 ms (@fastify/under-pressure's fixed resolution):
# about 90 more wake-ups a second, which keep a phone from sleeping deeply. Off on the phone
# unless aios.env sets these (rate limits stay on).
export AIOS_MAX_EVENT_LOOP_DELAY_MS="${AIOS_MAX_EVENT_LOOP_DELAY_MS:-0}" AIOS_MAX_HEAP_MB="${AIOS_MAX_HEAP_MB:-0}"
cd "$AIOS_HOME/app"
# The packaged app (dist/, made by the bootstrap) with lean V8 settings: about 35 MB less
# resident memory than running src/ directly. The Docker image's flags, less its heap cap, which
# is a share of a container's memory limit (a process on the phone has none).
export NODE_OPTIONS="--max-semi-space-size=1 --v8-pool-size=1"
exec node dist/main.js
