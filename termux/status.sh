#!/usr/bin/env bash
# Shows every AIOS cell on this phone: its termux-services state, its /health, and its log file.
# Exits 1 when a cell does not answer /health.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
if [ $# -gt 0 ]; then
  echo "usage: status.sh" >&2
  exit 64
fi
aios_locate

failed=0 any=0
while IFS= read -r name; do
  any=1
  unset AIOS_PORT
  # shellcheck source=/dev/null
  [ ! -f "$AIOS_HOME/cells/$name/cell.env" ] || . "$AIOS_HOME/cells/$name/cell.env"
  printf '%s\n' "cell $name"
  printf '  service: %s\n' "$(sv status "aios-$name" 2>&1 || true)"
  if health=$(curl -fsS --max-time 3 "http://127.0.0.1:${AIOS_PORT:-8000}/health" 2>/dev/null); then
    # shellcheck disable=SC2016 # JavaScript template literals, not shell
    node -e '
      const h = JSON.parse(process.argv[1]);
      const bus = h.bus.connected ? `connected to ${h.bus.server}` : "not connected";
      const reasons = h.reasons.join("; ").replace(/\/\/[^@/\s]*@/g, "//***@"); // no bus credentials
      console.log(`  health:  ${h.status}${reasons ? ` (${reasons})` : ""}, version ${h.version}, up ${h.uptime_seconds}s`);
      console.log(`  bus:     ${bus}, ${h.peer_count} peer(s) up, level ${h.consciousness_level}`);
    ' "$health"
  else
    printf '  health:  no answer on port %s\n' "${AIOS_PORT:-8000}"
    failed=1
  fi
  printf '  logs:    %s/current\n' "$(aios_log_dir "$name")"
done < <(aios_cells)
[ "$any" = 1 ] || echo "no AIOS cell service is installed"
exit "$failed"
