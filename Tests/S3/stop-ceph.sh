#!/usr/bin/env bash
# stop-ceph.sh: stops the daemons that start-ceph.sh started, by their pid
# files only (never by name). S3_WIPE=1 also deletes the state folder.
set -uo pipefail
S3_DIR=${S3_DIR:-/tmp/cairn-ceph}
RUN="$S3_DIR/run"
for d in rgw osd mon; do
  f="$RUN/$d.pid"
  [ -f "$f" ] || continue
  pid=$(cat "$f")
  if kill -0 "$pid" 2>/dev/null && tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -qF -- "$S3_DIR/ceph.conf"; then
    kill -TERM "$pid" 2>/dev/null
    for _ in $(seq 25); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
    kill -0 "$pid" 2>/dev/null && kill -KILL "$pid" 2>/dev/null
    echo "stop-ceph: stopped $d (pid $pid)" >&2
  fi
  rm -f "$f"
done
[ "${S3_WIPE:-0}" = 1 ] && rm -rf "$S3_DIR"
exit 0
