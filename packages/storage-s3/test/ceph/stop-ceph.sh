#!/usr/bin/env bash
# Stops a cluster started by start-ceph.sh and removes its directory.
#
#   stop-ceph.sh DIR [--keep]     (--keep leaves DIR, e.g. to read its logs)
#
# SIGTERM to radosgw first and wait for it: if the OSD goes at the same time, radosgw's shutdown
# blocks on RADOS calls until its own 120 s alarm. Then SIGTERM to the OSD and the monitor together.
# Takes about 3.5 s. Whatever has not exited after 15 s gets SIGKILL.
set -uo pipefail

D=${1:?usage: stop-ceph.sh DIR [--keep]}
[ -d "$D" ] || exit 0

# Terminates the named daemons of this cluster and waits until they are gone.
stop() {
  local pids=() name pid alive
  for name in "$@"; do
    [ -f "$D/$name.pid" ] || continue
    pid=$(cat "$D/$name.pid")
    # Signal the process only if it still is the daemon we started (pids get reused).
    if kill -0 "$pid" 2>/dev/null && grep -qa -- "$D/ceph.conf" "/proc/$pid/cmdline" 2>/dev/null; then
      kill -TERM "$pid" 2>/dev/null && pids+=("$pid")
    fi
  done
  for _ in $(seq 1 150); do
    alive=0
    for pid in "${pids[@]}"; do kill -0 "$pid" 2>/dev/null && alive=1; done
    [ "$alive" = 0 ] && break
    sleep 0.1
  done
  for pid in "${pids[@]}"; do kill -0 "$pid" 2>/dev/null && kill -KILL "$pid" 2>/dev/null; done
  for name in "$@"; do rm -f "$D/$name.pid"; done
}

stop rgw
stop osd mon

[ "${2:-}" = "--keep" ] || rm -rf "$D"
exit 0
