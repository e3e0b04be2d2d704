#!/usr/bin/env bash
# start-ceph.sh: a real S3 server for Cairn's tests, Ceph's RADOS Gateway
# (Debian's radosgw) on loopback: one ceph-mon, one ceph-osd on memstore (RAM),
# radosgw's beast frontend on 127.0.0.1. cephx is off between the daemons;
# radosgw checks SigV4 itself.
#
# stdout carries only `export` lines, so that callers can
#   eval "$(Tests/S3/start-ceph.sh)"
# Progress and errors go to stderr; on failure it exits 1 with the reason and
# the tail of the daemons' logs. Stop with Tests/S3/stop-ceph.sh.
#
# Idempotent: when the gateway this script started is alive and answering, it
# only prints the exports again. Otherwise it builds a fresh cluster in $S3_DIR.
#
# Settings (environment):
#   S3_DIR         state folder                (default /tmp/cairn-ceph)
#   S3_PORT        S3 port on 127.0.0.1        (default 7480)
#   S3_MON_PORT    ceph-mon msgr2 port         (default 13300)
#   S3_BUCKET      bucket to create            (default cairn-test)
#   S3_ACCESS_KEY, S3_SECRET_KEY               (default fixed test credentials)
#   S3_MEM_BYTES   memstore capacity           (default 8 GiB; RAM used = data stored)
#   S3_NO_INSTALL=1  never call apt-get
set -euo pipefail

S3_DIR=${S3_DIR:-/tmp/cairn-ceph}
S3_PORT=${S3_PORT:-7480}
S3_MON_PORT=${S3_MON_PORT:-13300}
S3_BUCKET=${S3_BUCKET:-cairn-test}
S3_ACCESS_KEY=${S3_ACCESS_KEY:-CAIRNTESTACCESSKEY01}
S3_SECRET_KEY=${S3_SECRET_KEY:-cairnTestSecretKey0000000000000000000000}
S3_MEM_BYTES=${S3_MEM_BYTES:-8589934592}
ENDPOINT="http://127.0.0.1:${S3_PORT}"
CONF="$S3_DIR/ceph.conf"
RUN="$S3_DIR/run"
LOG="$S3_DIR/log"
STARTED=0

say() { printf 'start-ceph: %s\n' "$*" >&2; }

# alive NAME: its pid file names a live process that runs with our ceph.conf
# (never a recycled pid of something else).
alive() {
  local pid
  [ -f "$RUN/$1.pid" ] || return 1
  pid=$(cat "$RUN/$1.pid")
  kill -0 "$pid" 2>/dev/null && tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -qF -- "$CONF"
}

stop_ours() {
  local d pid
  for d in rgw osd mon; do
    if alive "$d"; then
      pid=$(cat "$RUN/$d.pid")
      kill -TERM "$pid" 2>/dev/null || true
      for _ in $(seq 25); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
      kill -KILL "$pid" 2>/dev/null || true
    fi
    rm -f "$RUN/$d.pid"
  done
}

fail() {
  say "ERROR: $*"
  if [ "$STARTED" = 1 ]; then
    for f in "$LOG"/*.out "$LOG"/*.log; do
      [ -s "$f" ] && { echo "--- tail of $f" >&2; tail -n 12 "$f" >&2; }
    done
    stop_ours
  fi
  exit 1
}

# Killed half-way (CI giving up), it stops what it started.
trap 'fail "stopped by a signal"' TERM INT

exports() {
  cat <<EOF
export AWS_ACCESS_KEY_ID=$S3_ACCESS_KEY
export AWS_SECRET_ACCESS_KEY=$S3_SECRET_KEY
export AWS_REGION=us-east-1
export AWS_DEFAULT_REGION=us-east-1
export CAIRN_TEST_S3_ENDPOINT=$ENDPOINT
export CAIRN_TEST_S3_BUCKET=$S3_BUCKET
EOF
}

# An anonymous GET / answers with an (empty) ListAllMyBucketsResult once radosgw serves.
answering() { curl -s -m 2 "$ENDPOINT/" 2>/dev/null | grep -q 'ListAllMyBucketsResult'; }
port_in_use() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# A SigV4-signed request through curl's own signer; prints the HTTP status.
signed() {
  local method=$1 path=$2
  shift 2
  curl -sS -m 10 -X "$method" -o /dev/null -w '%{http_code}' \
    --aws-sigv4 "aws:amz:us-east-1:s3" --user "$S3_ACCESS_KEY:$S3_SECRET_KEY" \
    -H "x-amz-content-sha256: e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855" \
    "$@" "$ENDPOINT$path"
}

# wait_for WHAT TRIES COMMAND...: polls every 0.25 s.
wait_for() {
  local what=$1 tries=$2 daemon=$3
  shift 3
  for _ in $(seq "$tries"); do
    "$@" >/dev/null 2>&1 && return 0
    alive "$daemon" || fail "$daemon exited while waiting for $what"
    sleep 0.25
  done
  fail "timed out waiting for $what"
}

if command -v curl >/dev/null 2>&1 && alive mon && alive osd && alive rgw && answering; then
  say "already running at $ENDPOINT (state in $S3_DIR)"
  exports
  exit 0
fi

# ---- packages
need=()
for pair in radosgw:radosgw radosgw:radosgw-admin ceph-mon:ceph-mon ceph-mon:monmaptool \
  ceph-osd:ceph-osd ceph-common:ceph ceph-common:ceph-authtool curl:curl; do
  command -v "${pair#*:}" >/dev/null 2>&1 || need+=("${pair%%:*}")
done
if [ "${#need[@]}" -gt 0 ]; then
  [ "${S3_NO_INSTALL:-0}" = 1 ] && fail "missing packages (${need[*]}) and S3_NO_INSTALL=1"
  mapfile -t need < <(printf '%s\n' "${need[@]}" | sort -u)
  say "installing ${need[*]} with apt-get"
  t0=$SECONDS
  export DEBIAN_FRONTEND=noninteractive
  apt_log=$(mktemp)
  apt-get update -qq >"$apt_log" 2>&1 || fail "apt-get update failed: $(tail -5 "$apt_log")"
  apt-get install -y -qq --no-install-recommends "${need[@]}" >"$apt_log" 2>&1 \
    || fail "apt-get install ${need[*]} failed: $(tail -5 "$apt_log")"
  rm -f "$apt_log"
  say "apt-get took $((SECONDS - t0)) s"
fi

# ---- a fresh cluster
stop_ours
for port in "$S3_PORT" "$S3_MON_PORT"; do
  port_in_use "$port" && fail "127.0.0.1:$port is already in use by another process (set S3_PORT or S3_MON_PORT)"
done
rm -rf "$S3_DIR"
mkdir -p "$RUN" "$LOG" "$S3_DIR/mon.a" "$S3_DIR/osd.0" "$S3_DIR/rgw"

FSID=$(cat /proc/sys/kernel/random/uuid)
cat >"$CONF" <<EOF
[global]
fsid = $FSID
mon host = [v2:127.0.0.1:$S3_MON_PORT]
public addr = 127.0.0.1
cluster addr = 127.0.0.1
ms bind msgr1 = false
ms bind ipv6 = false
auth cluster required = none
auth service required = none
auth client required = none
# Without cephx, radosgw's default "secure" mon client mode cannot connect.
ms mon client mode = crc secure
run dir = $RUN
log file = $LOG/\$name.log
admin socket = $RUN/\$name.asok
pid file = $RUN/\$name.pidfile
keyring = $S3_DIR/keyring
osd pool default size = 1
osd pool default min size = 1
osd pool default pg num = 8
osd pool default pgp num = 8
osd pool default pg autoscale mode = off
osd crush chooseleaf type = 0
mon allow pool size one = true
mon warn on pool no redundancy = false
mon max pg per osd = 1000
mon data avail warn = 2
mon data avail crit = 1
mon osd full ratio = .99
mon osd backfillfull ratio = .99
mon osd nearfull ratio = .99
osd failsafe full ratio = .995
mon osd down out interval = 0
[mon]
mon data = $S3_DIR/mon.\$id
# radosgw creates its pools one after another; commit map changes quickly.
paxos propose interval = 0.05
paxos min wait = 0.01
[osd]
osd data = $S3_DIR/osd.\$id
osd objectstore = memstore
memstore device bytes = $S3_MEM_BYTES
osd op num shards = 2
osd op num threads per shard = 2
[client.rgw.cairn]
# tcp_nodelay: without it the gateway sends a response's headers and body in two
# segments and holds the second until the client's delayed ACK (40 ms): every
# listing and small GET then took about 44 ms instead of 4 (Docs/PERFORMANCE.md).
rgw frontends = beast endpoint=127.0.0.1:$S3_PORT tcp_nodelay=1
rgw thread pool size = 64
rgw dns name =
# The usage log counts the requests per bucket and operation (radosgw-admin usage show);
# Benchmarks/peers.sh reads it for its per-step request counts. It writes every second,
# so a count is complete two seconds after the last request.
rgw enable usage log = true
rgw usage log tick interval = 1
rgw usage log flush threshold = 1
EOF
export CEPH_CONF="$CONF"

say "creating the monitor"
monmaptool --create --fsid "$FSID" --addv a "[v2:127.0.0.1:$S3_MON_PORT]" "$S3_DIR/monmap" >/dev/null 2>&1 \
  || fail "monmaptool failed"
ceph-authtool --create-keyring "$S3_DIR/keyring" --gen-key -n mon. --cap mon 'allow *' >/dev/null 2>&1 \
  || fail "ceph-authtool failed"
timeout 60 ceph-mon --mkfs -c "$CONF" -i a --monmap "$S3_DIR/monmap" --keyring "$S3_DIR/keyring" \
  >"$LOG/mon-mkfs.out" 2>&1 || fail "ceph-mon --mkfs failed: $(tail -3 "$LOG/mon-mkfs.out")"
STARTED=1
setsid ceph-mon -f -c "$CONF" -i a >"$LOG/mon.out" 2>&1 </dev/null &
echo $! >"$RUN/mon.pid"
wait_for "ceph-mon" 120 mon timeout 5 ceph --connect-timeout 3 mon stat

say "creating the memstore OSD"
OSD_UUID=$(cat /proc/sys/kernel/random/uuid)
OSD_ID=$(timeout 30 ceph osd new "$OSD_UUID" 2>"$LOG/osd-new.out") || fail "ceph osd new failed"
[ "$OSD_ID" = 0 ] || fail "unexpected OSD id '$OSD_ID'"
timeout 60 ceph-osd -c "$CONF" -i 0 --mkfs --osd-uuid "$OSD_UUID" >"$LOG/osd-mkfs.out" 2>&1 \
  || fail "ceph-osd --mkfs failed: $(tail -3 "$LOG/osd-mkfs.out")"
setsid ceph-osd -f -c "$CONF" -i 0 >"$LOG/osd.out" 2>&1 </dev/null &
echo $! >"$RUN/osd.pid"
osd_up() { timeout 10 ceph osd dump 2>/dev/null | grep -q '^osd.0 up'; }
wait_for "osd.0 up" 240 osd osd_up

say "creating the S3 user"
timeout 120 radosgw-admin -c "$CONF" user create --uid=cairn --display-name="cairn tests" \
  --access-key="$S3_ACCESS_KEY" --secret-key="$S3_SECRET_KEY" >"$LOG/user.out" 2>&1 \
  || fail "radosgw-admin user create failed: $(tail -3 "$LOG/user.out")"

say "starting radosgw at $ENDPOINT"
setsid radosgw -f -c "$CONF" -n client.rgw.cairn >"$LOG/rgw.out" 2>&1 </dev/null &
echo $! >"$RUN/rgw.pid"
wait_for "radosgw at $ENDPOINT" 240 rgw answering

code=$(signed PUT "/$S3_BUCKET") || true
case "$code" in
  200 | 409) ;;
  *) fail "creating bucket '$S3_BUCKET' answered HTTP $code" ;;
esac
code=$(signed HEAD "/$S3_BUCKET" -I) || true
[ "$code" = 200 ] || fail "bucket '$S3_BUCKET' answered HTTP $code to HEAD"
say "ready: $ENDPOINT, bucket '$S3_BUCKET'"
exports
