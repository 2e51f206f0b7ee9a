#!/usr/bin/env bash
# Stops and removes AIOS cell services. Keeps the app, the token and each cell's data unless
# --purge is given.  uninstall.sh [--cell NAME] [--purge]
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

usage() {
  cat >&2 <<'USAGE'
usage: uninstall.sh [--cell NAME] [--purge]
  --cell NAME   remove only this cell's service (default: every AIOS cell)
  --purge       also delete the data: the cell's data and logs, and with no --cell the whole
                install (~/aios: app, token, configuration)
USAGE
}
only="" purge=0
while [ $# -gt 0 ]; do
  case "$1" in
    --cell)
      [ $# -ge 2 ] || { usage; exit 64; }
      only=$2
      shift 2
      ;;
    --purge)
      purge=1
      shift
      ;;
    -h | --help)
      usage
      exit 0
      ;;
    *)
      printf 'aios: unknown argument: %s\n' "$1" >&2
      usage
      exit 64
      ;;
  esac
done
aios_locate

mapfile -t cells < <(aios_cells)
if [ -n "$only" ]; then
  [ -d "$SVDIR/aios-$only" ] || { printf 'aios: error: no service aios-%s\n' "$only" >&2; exit 1; }
  cells=("$only")
fi
for name in "${cells[@]}"; do
  # Disable first (a down file, then sv down) so runit does not restart it while it is removed.
  sv-disable "aios-$name" || true
  rm -rf "${SVDIR:?}/aios-$name"
  echo "aios: removed the service aios-$name"
  if [ "$purge" = 1 ]; then
    rm -rf "${AIOS_HOME:?}/cells/$name" "$(aios_log_dir "$name")"
    echo "aios: deleted the data and logs of $name"
  else
    echo "aios: kept $AIOS_HOME/cells/$name/data and $(aios_log_dir "$name")"
  fi
done

if [ -z "$(aios_cells)" ]; then
  rm -f "$HOME/.termux/boot/start-aios"
  termux-wake-unlock || true
  echo "aios: no AIOS cell is left: removed the boot script and released the wake lock"
  if [ "$purge" = 1 ] && [ -z "$only" ]; then
    rm -rf "${AIOS_HOME:?}" "${AIOS_TERMUX_PREFIX:?}"/var/log/sv/aios-*
    echo "aios: deleted $AIOS_HOME and the cells' logs"
  fi
fi
