# shellcheck shell=bash
# Shared by run-cell.sh, status.sh and uninstall.sh (sourced, not run): finds the install that
# bootstrap.sh made and loads its configuration (aios.env: prefix, device, bus URLs, token file, bus certificate).
# The install is the directory above these scripts (~/aios/bin/..), or $AIOS_HOME, or ~/aios.

aios_locate() {
  local here
  here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
  if [ -n "${AIOS_HOME:-}" ]; then
    :
  elif [ -f "$here/aios.env" ]; then
    AIOS_HOME=$here
  else
    AIOS_HOME="$HOME/aios"
  fi
  if [ ! -f "$AIOS_HOME/aios.env" ]; then
    printf 'aios: error: no AIOS install at %s (run termux/bootstrap.sh first)\n' "$AIOS_HOME" >&2
    exit 1
  fi
  # shellcheck source=/dev/null
  . "$AIOS_HOME/aios.env"
  export AIOS_HOME
  export SVDIR="$AIOS_TERMUX_PREFIX/var/service"
  export PATH="$AIOS_TERMUX_PREFIX/bin:$PATH"
}

# The cells that have a service, one name a line.
aios_cells() {
  local d
  for d in "$SVDIR"/aios-*/; do
    [ -d "$d" ] || continue
    d=${d%/}
    printf '%s\n' "${d##*/aios-}"
  done
}

aios_log_dir() { printf '%s/var/log/sv/aios-%s' "$AIOS_TERMUX_PREFIX" "$1"; }
