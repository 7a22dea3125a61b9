#!/usr/bin/env bash
# Starts a throw-away single-node Ceph cluster serving S3 (radosgw) on 127.0.0.1, for tests.
#
#   start-ceph.sh DIR        (DIR must not exist or be empty; everything the cluster writes goes there)
#
# Environment (all optional):
#   RGW_PORT, MON_PORT   loopback ports (default: free ports picked at start)
#   S3_ACCESS_KEY, S3_SECRET_KEY   credentials of the S3 user created (default wharf / wharf-secret)
#   S3_BUCKET            also create this bucket (needs curl)
#   MEMSTORE_BYTES       RAM cap of the OSD's in-memory store (default 4 GiB)
#
# On success prints, and writes to DIR/env, the lines
#   WHARF_S3_ENDPOINT=http://127.0.0.1:PORT WHARF_S3_ACCESS_KEY=... WHARF_S3_SECRET=... [WHARF_S3_BUCKET=...]
# Stop with stop-ceph.sh DIR. Needs: apt-get install -y --no-install-recommends ceph-mon ceph-osd radosgw
#
# Why it looks like this: one monitor and one OSD on memstore (no disk, no device) with auth off is the
# smallest cluster radosgw accepts; the rgw pools are created before radosgw starts, because radosgw
# otherwise creates them lazily and its first requests take seconds each.
set -euo pipefail

D=${1:?usage: start-ceph.sh DIR}
for tool in ceph-mon ceph-osd radosgw radosgw-admin ceph monmaptool; do
  command -v "$tool" >/dev/null || {
    echo "start-ceph.sh: '$tool' not found. Install Ceph: apt-get install -y --no-install-recommends ceph-mon ceph-osd radosgw" >&2
    exit 127
  }
done

free_port() { node -e 'const s=require("net").createServer().listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})'; }
RGW_PORT=${RGW_PORT:-$(free_port)}
MON_PORT=${MON_PORT:-$(free_port)}
ACCESS=${S3_ACCESS_KEY:-wharf}
SECRET=${S3_SECRET_KEY:-wharf-secret}

mkdir -p "$D"
D=$(cd "$D" && pwd)
[ -z "$(ls -A "$D")" ] || { echo "start-ceph.sh: $D is not empty" >&2; exit 2; }
mkdir -p "$D"/{mon,osd,run,log,rgw}
C="$D/ceph.conf"

# On any failure: stop what was started and show the daemons' last words.
fail() {
  echo "start-ceph.sh: failed; logs in $D/log" >&2
  tail -n 20 "$D"/log/*.out "$D"/log/*.log >&2 2>/dev/null || true
  "$(dirname "$0")/stop-ceph.sh" "$D" --keep >/dev/null 2>&1 || true
}
trap fail ERR

FSID=$(cat /proc/sys/kernel/random/uuid)
cat >"$C" <<CONF
[global]
fsid = $FSID
mon host = v2:127.0.0.1:$MON_PORT
mon initial members = a
# No cephx: a test cluster on loopback. radosgw then needs the "crc secure" client modes, or it
# loops on an authentication error.
auth cluster required = none
auth service required = none
auth client required = none
auth supported = none
ms mon client mode = crc secure
ms client mode = crc secure
ms bind ipv4 = true
ms bind ipv6 = false
public network = 127.0.0.0/8
run dir = $D/run
admin socket = $D/run/\$name.asok
log file = $D/log/\$name.log
log to stderr = false
err to stderr = true
mon data = $D/mon/\$cluster-\$id
osd data = $D/osd/\$cluster-\$id
osd objectstore = memstore
memstore device bytes = ${MEMSTORE_BYTES:-4294967296}
osd pool default size = 1
osd pool default min size = 1
osd pool default pg num = 8
osd pool default pgp num = 8
osd pool default pg autoscale mode = off
mon allow pool size one = true
mon allow pool delete = true
mon max pg per osd = 1000
mon warn on pool no redundancy = false
osd crush chooseleaf type = 0
mon osd down out interval = 0
# Commit monitor changes at once (default: batch for 1 s), so that start-up commands do not queue.
paxos propose interval = 0.01
# Exit at once on SIGTERM instead of waiting 5 s for the monitor to note the OSD's departure.
osd mon shutdown timeout = 0
[client.rgw.a]
rgw frontends = beast endpoint=127.0.0.1:$RGW_PORT
rgw dns name = localhost
rgw enable usage log = false
rgw data = $D/rgw
CONF

monmaptool --create --addv a "[v2:127.0.0.1:$MON_PORT]" --fsid "$FSID" "$D/monmap" >/dev/null
ceph-mon -c "$C" --mkfs -i a --monmap "$D/monmap"
ceph-mon -c "$C" -i a -f >"$D/log/mon.out" 2>&1 &
echo $! >"$D/mon.pid"

OSD=$(ceph -c "$C" osd create)
mkdir -p "$D/osd/ceph-$OSD"
ceph-osd -c "$C" -i "$OSD" --mkfs >"$D/log/osd-mkfs.out" 2>&1
ceph-osd -c "$C" -i "$OSD" -f >"$D/log/osd.out" 2>&1 &
echo $! >"$D/osd.pid"

# All pool commands in one ceph CLI session (its start-up is the slow part), before radosgw starts.
{
  for p in .rgw.root default.rgw.log default.rgw.control default.rgw.meta default.rgw.buckets.index \
    default.rgw.buckets.data default.rgw.buckets.non-ec; do
    echo "osd pool create $p 8 8"
    echo "osd pool application enable $p rgw"
  done
} | ceph -c "$C" >"$D/log/pools.out" 2>&1

radosgw -c "$C" -n client.rgw.a -f >"$D/log/rgw.out" 2>&1 &
echo $! >"$D/rgw.pid"
radosgw-admin -c "$C" user create --uid=wharf --display-name=wharf \
  --access-key="$ACCESS" --secret-key="$SECRET" >"$D/log/user.out" 2>&1

# Ready when radosgw answers HTTP (bash's /dev/tcp: no curl needed).
ready=
for _ in $(seq 1 600); do
  if { exec 3<>"/dev/tcp/127.0.0.1/$RGW_PORT"; } 2>/dev/null; then
    printf 'GET / HTTP/1.0\r\n\r\n' >&3
    status=$(head -c 12 <&3 || true)
    exec 3<&- 3>&-
    case "$status" in HTTP/1.?\ 200) ready=1; break ;; esac
  fi
  kill -0 "$(cat "$D/rgw.pid")" 2>/dev/null || { echo "start-ceph.sh: radosgw exited" >&2; false; }
  sleep 0.1
done
[ -n "$ready" ] || { echo "start-ceph.sh: radosgw did not answer on port $RGW_PORT within 60 s" >&2; false; }

ENDPOINT="http://127.0.0.1:$RGW_PORT"
if [ -n "${S3_BUCKET:-}" ]; then
  # radosgw refuses SigV4 requests without x-amz-content-sha256, which curl does not add by itself.
  curl -sS --fail-with-body -X PUT -H 'x-amz-content-sha256: UNSIGNED-PAYLOAD' \
    --aws-sigv4 "aws:amz:us-east-1:s3" --user "$ACCESS:$SECRET" "$ENDPOINT/$S3_BUCKET" >&2
fi

trap - ERR
{
  echo "WHARF_S3_ENDPOINT=$ENDPOINT"
  echo "WHARF_S3_ACCESS_KEY=$ACCESS"
  echo "WHARF_S3_SECRET=$SECRET"
  if [ -n "${S3_BUCKET:-}" ]; then echo "WHARF_S3_BUCKET=$S3_BUCKET"; fi
} | tee "$D/env"
