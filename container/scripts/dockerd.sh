#!/usr/bin/env bash
# Starts or stops a private dockerd the way INTEROP.md describes for this kind of machine (Debian's
# docker.io, no systemd, no iptables, no bridge, vfs): its own data root, exec root, socket and pid
# file under DIR, so it never touches a system daemon or another test run's.
#
#   dockerd.sh start DIR   prints DOCKER_HOST=unix://DIR/docker.sock once the daemon answers
#   dockerd.sh stop DIR    stops it by its pid file and waits for it to exit
#
# Networking is left to the host (`--network host` for every container and build), which is why
# the bridge and iptables are off: they need kernel features a CI machine may not offer.
set -euo pipefail

action=${1:?usage: dockerd.sh start|stop DIR}
dir=$(realpath -m "${2:?usage: dockerd.sh start|stop DIR}")
docker_cli=${DOCKER:-/usr/bin/docker}
socket="$dir/docker.sock"

case "$action" in
  start)
    mkdir -p "$dir/root" "$dir/exec"
    if [ -f "$dir/docker.pid" ] && kill -0 "$(cat "$dir/docker.pid")" 2>/dev/null \
       && DOCKER_HOST="unix://$socket" "$docker_cli" version >/dev/null 2>&1; then
      echo "DOCKER_HOST=unix://$socket"
      exit 0
    fi
    # A pid file left by a killed daemon makes the next one refuse to start.
    rm -f "$dir/docker.pid" "$socket"
    # setsid: the daemon outlives this script and is not hit by a Ctrl-C meant for the caller.
    setsid dockerd --data-root "$dir/root" --exec-root "$dir/exec" -H "unix://$socket" \
      --pidfile "$dir/docker.pid" --iptables=false --ip-masq=false --bridge=none \
      --storage-driver=vfs >"$dir/dockerd.log" 2>&1 </dev/null &
    daemon=$!
    # Ready in ~2 s when idle; a loaded machine can take much longer, so wait on the event, for up to 120 s.
    for _ in $(seq 1 600); do
      if DOCKER_HOST="unix://$socket" "$docker_cli" version >/dev/null 2>&1; then
        echo "DOCKER_HOST=unix://$socket"
        exit 0
      fi
      if ! kill -0 "$daemon" 2>/dev/null; then
        echo "dockerd.sh: dockerd exited while starting; its log ($dir/dockerd.log) ends with:" >&2
        tail -n 20 "$dir/dockerd.log" >&2
        exit 1
      fi
      sleep 0.2
    done
    echo "dockerd.sh: dockerd did not answer within 120 s; see $dir/dockerd.log" >&2
    exit 1
    ;;
  stop)
    if [ -f "$dir/docker.pid" ]; then
      pid=$(cat "$dir/docker.pid")
      if kill "$pid" 2>/dev/null; then
        # dockerd stops its containers first (10 s each at most), then exits; SIGKILL only past 60 s.
        for _ in $(seq 1 300); do
          kill -0 "$pid" 2>/dev/null || break
          sleep 0.2
        done
        kill -9 "$pid" 2>/dev/null || true
      fi
    fi
    # dockerd leaves mounts behind (the network namespace it binds under exec/netns, its data root
    # bound on itself); unmounted here so DIR can be removed.
    awk -v d="$dir/" 'index($2, d) == 1 { print $2 }' /proc/mounts | sort -r | while read -r mount; do
      umount -l "$mount" 2>/dev/null || true
    done
    ;;
  *)
    echo "usage: dockerd.sh start|stop DIR" >&2
    exit 2
    ;;
esac
