#!/usr/bin/env bash
# Stand-ins for the commands that exist only on Android: pkg, termux-services' sv, sv-enable,
# sv-disable and service-daemon, runit's svlogd, termux-wake-lock and termux-wake-unlock. The
# tests link this file under each name into a temporary Termux-like prefix's bin/. Each call is
# recorded in $TERMUX_STANDIN_LOG, then the stand-in does the part of the real command's effect
# that the tests rely on. runsv itself is played by test/termux/runsv.ts, which shares with `sv`
# the files supervise/pid (the running ./run) and supervise/want-down.
set -euo pipefail
cmd=$(basename "$0")
prefix=$(cd "$(dirname "$0")/.." && pwd)
printf '%s\n' "$cmd${*:+ $*}" >>"${TERMUX_STANDIN_LOG:?}"

alive() { [ -f "$1/supervise/pid" ] && kill -0 "$(cat "$1/supervise/pid")" 2>/dev/null; }

case "$cmd" in
  pkg)
    # Installing nodejs-lts puts node in $PREFIX/bin: here, the test's Node.
    if [ "${1:-}" = install ] && [[ " $* " == *" nodejs-lts "* ]]; then
      ln -sf "${TERMUX_STANDIN_NODE:?}" "$prefix/bin/node"
    fi
    ;;
  sv)
    action=$1 dir="${SVDIR:-/service}/$2"
    if [ ! -d "$dir/supervise" ]; then
      echo "fail: $2: runsv not running" >&2
      exit 1
    fi
    case "$action" in
      status)
        if alive "$dir"; then echo "run: $2: (pid $(cat "$dir/supervise/pid"))"; else echo "down: $2"; fi
        ;;
      up | u) rm -f "$dir/supervise/want-down" ;;
      down | d)
        touch "$dir/supervise/want-down"
        if alive "$dir"; then kill -TERM "$(cat "$dir/supervise/pid")"; fi
        ;;
      restart)
        old=$(cat "$dir/supervise/pid" 2>/dev/null || true)
        rm -f "$dir/supervise/want-down"
        if alive "$dir"; then kill -TERM "$old"; fi
        # Like sv's default -w 7: wait (here up to 15 s) for runsv to start ./run again.
        for _ in $(seq 150); do
          if alive "$dir" && [ "$(cat "$dir/supervise/pid")" != "$old" ]; then exit 0; fi
          sleep 0.1
        done
        echo "timeout: $2: not restarted" >&2
        exit 1
        ;;
      *)
        echo "sv stand-in: unsupported action $action" >&2
        exit 100
        ;;
    esac
    ;;
  sv-enable | sv-disable)
    # The real scripts from termux-services: remove or create the down file, then sv up or down.
    [ -n "${SVDIR:-}" ] || {
      echo "Error: SVDIR not set" >&2
      exit 1
    }
    if [ "$cmd" = sv-enable ]; then
      rm -f "$SVDIR/$1/down"
      exec "$prefix/bin/sv" up "$1"
    fi
    touch "$SVDIR/$1/down"
    exec "$prefix/bin/sv" down "$1"
    ;;
  svlogd)
    # svlogd -tt DIR: appends its input to DIR/current (without rotation or timestamps here).
    dir=${!#}
    mkdir -p "$dir"
    exec cat >>"$dir/current"
    ;;
  service-daemon | termux-wake-lock | termux-wake-unlock) ;;
  *)
    echo "standin.sh: no stand-in for $cmd" >&2
    exit 100
    ;;
esac
