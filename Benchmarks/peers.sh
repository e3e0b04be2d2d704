#!/usr/bin/env bash
# Benchmarks/peers.sh: the peer scenarios S0-S5 for every tool:variant, on one corpus.
#
# For each repetition and each tool:variant, on a fresh `cp -a` of the corpus:
#   S0 init   S1 first backup   S2 second backup, nothing changed
#   S3 `corpus.py mutate`, then a third backup
#   S4 restore of the newest snapshot into an empty folder, then verified (untimed) by
#      verify.py: every path, type, byte, symlink target, mode, owner and mtime
#   S5 forget all but the newest snapshot, and collect garbage (prune, compact, gc)
# Every step runs as `/usr/bin/time bash -c '. adapter; tool_env; tool_STEP'`: wall time,
# user+sys CPU and peak RSS cover the tool's whole process tree. `sync` runs before the
# step and after it; the second one's duration is recorded (data the tool left dirty).
# For variants whose name starts with `s3`, the repository lives in a bucket of its own on
# the gateway of Tests/S3/start-ceph.sh, and each step's HTTP requests are counted from
# radosgw's usage log (s3usage.py).
#
# Rows go to $RESULTS/steps.csv, logs to $RESULTS/logs/<run>-r<rep>-<tool>-<variant>/, and
# report.py's tables to $RESULTS/report-<run>.md (and stdout).
#
# Environment (all optional):
#   TOOLS="cairn:1m restic:off borg:none"   tool:variant list; the tool names adapters/<tool>.sh
#   REPS=2                    repetitions of the whole list (the report shows medians)
#   BENCH_ROOT=/tmp/bench     scratch: the run's copy, repository, restore target, tool state
#   CORPUS=$BENCH_ROOT/corpus the pristine corpus (corpus.py make, when missing)
#   RESULTS=$BENCH_ROOT/results
#   DROP_CACHES=warm          warm: sync, drop the page, dentry and inode caches, re-read the
#                             step's inputs (source, repository, tool state) before each step;
#                             cold: drop only; none: only sync (see README: not for Cairn)
#   S3_DIR=/tmp/cairn-ceph    the gateway's state folder (its ceph.conf, for radosgw-admin)
#   S3_USAGE_WAIT=3           seconds to let radosgw flush its usage log after a step
#   KEEP_S3=0                 1 = keep each s3 run's bucket (it is emptied and removed otherwise)
#   SCRATCH_FS=host           host: the run's copy, restore target, local repository and tool
#                             state live in BENCH_ROOT's own file system. ext4: in a new ext4
#                             (mkfs.ext4 defaults, so with a journal) on a loop device, made
#                             for each tool:variant and repetition and removed after it (root).
#                             Why: on an ext4 without a journal, every new inode skips those
#                             freed in the last minutes, so a step's file creation costs what
#                             the harness deleted before it (README: "The scratch file system")
#   SCRATCH_SIZE=16G          the ext4 image's size (a sparse file: BENCH_ROOT/scratch.img)
set -uo pipefail
export LC_ALL=C

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
TOOLS=${TOOLS:-"cairn:1m restic:off borg:none"}
REPS=${REPS:-2}
BENCH_ROOT=${BENCH_ROOT:-/tmp/bench}
CORPUS=${CORPUS:-$BENCH_ROOT/corpus}
RESULTS=${RESULTS:-$BENCH_ROOT/results}
DROP_CACHES=${DROP_CACHES:-warm}
S3_DIR=${S3_DIR:-/tmp/cairn-ceph}
S3_USAGE_WAIT=${S3_USAGE_WAIT:-3}
KEEP_S3=${KEEP_S3:-0}
SCRATCH_FS=${SCRATCH_FS:-host}
SCRATCH_SIZE=${SCRATCH_SIZE:-16G}
export S3_DIR
CSV=$RESULTS/steps.csv
HEADER="run_id,rep,tool,variant,step,wall_s,user_s,sys_s,max_rss_kb,exit,repo_bytes,repo_files,state_bytes,logical_bytes,sync_s,cache,note,req_put,req_get,req_head,req_list,req_delete,req_other"

say() { printf '[peers.sh %(%H:%M:%S)T] %s\n' -1 "$*" >&2; }
die() { echo "peers.sh: $*" >&2; exit 1; }

case "$DROP_CACHES" in
  warm | cold | none) ;;
  1) DROP_CACHES=cold ;;
  0) DROP_CACHES=none ;;
  *) die "DROP_CACHES must be warm, cold or none, not '$DROP_CACHES'" ;;
esac
[ "$DROP_CACHES" = none ] || [ -w /proc/sys/vm/drop_caches ] || die "DROP_CACHES=$DROP_CACHES needs root (or set DROP_CACHES=none)"
[ -x /usr/bin/time ] || die "needs /usr/bin/time (apt-get install time)"
case "$BENCH_ROOT" in /tmp/*) ;; *) die "BENCH_ROOT must be below /tmp (its run/ folder is deleted)" ;; esac
case "$SCRATCH_FS" in
  host) ;;
  ext4) command -v mkfs.ext4 > /dev/null && command -v losetup > /dev/null || die "SCRATCH_FS=ext4 needs mkfs.ext4 and losetup" ;;
  *) die "SCRATCH_FS must be host or ext4, not '$SCRATCH_FS'" ;;
esac
mkdir -p "$RESULTS/logs"
if [ -f "$CSV" ]; then
  [ "$(head -1 "$CSV")" = "$HEADER" ] || die "$CSV has other columns (an older harness?); move it away or set RESULTS"
else
  echo "$HEADER" > "$CSV"
fi
if [ ! -d "$CORPUS" ]; then
  say "making the corpus in $CORPUS"
  python3 "$HERE/corpus.py" make "$CORPUS" > /dev/null || die "corpus.py make failed"
fi

seconds_since() { awk -v a="$1" -v b="$(date +%s.%N)" 'BEGIN {printf "%.2f", b - a}'; }
bytes_of_files() { find "$1" -type f -printf '%s\n' | awk '{s += $1} END {printf "%d", s}'; }
du_bytes() { if [ -e "$1" ]; then du -sb "$1" | cut -f1; else echo 0; fi; }
file_count() { if [ -e "$1" ]; then find "$1" -type f | wc -l; else echo 0; fi; }

# settle_cache DIR...: bring the page cache into the state DROP_CACHES names.
settle_cache() {
  sync
  [ "$DROP_CACHES" = none ] && return 0
  echo 3 > /proc/sys/vm/drop_caches
  if [ "$DROP_CACHES" = warm ]; then
    local dir
    for dir in "$@"; do [ -e "$dir" ] && tar cf - -C "$dir" . 2> /dev/null | cat > /dev/null; done
  fi
  return 0
}

# The run's folder; with SCRATCH_FS=ext4, the mount point of the run's own file system.
WORK=$BENCH_ROOT/run
SCRATCH_IMAGE=$BENCH_ROOT/scratch.img
SCRATCH_LOOP=
# The CSV's cache column: DROP_CACHES, and "/ext4" when the scratch file system is new.
CONDITIONS=$DROP_CACHES
[ "$SCRATCH_FS" = host ] || CONDITIONS=$DROP_CACHES/$SCRATCH_FS

# scratch_mount: with SCRATCH_FS=ext4, a new ext4 at WORK. Its inode tables and journal are
# written by mkfs (not lazily by the kernel in the background while the tools run).
scratch_mount() {
  [ "$SCRATCH_FS" = ext4 ] || return 0
  rm -f "$SCRATCH_IMAGE"
  truncate -s "$SCRATCH_SIZE" "$SCRATCH_IMAGE" &&
    mkfs.ext4 -q -F -E lazy_itable_init=0,lazy_journal_init=0 "$SCRATCH_IMAGE" &&
    SCRATCH_LOOP=$(losetup --find --show --direct-io=on "$SCRATCH_IMAGE") &&
    mkdir -p "$WORK" && mount "$SCRATCH_LOOP" "$WORK" ||
    { say "could not make the scratch ext4 ($SCRATCH_IMAGE on ${SCRATCH_LOOP:-no loop device})"; return 1; }
}

# scratch_unmount: undoes scratch_mount (no-op otherwise).
scratch_unmount() {
  [ -n "$SCRATCH_LOOP" ] || return 0
  umount "$WORK" && losetup -d "$SCRATCH_LOOP" && rm -f "$SCRATCH_IMAGE" ||
    say "could not remove the scratch ext4 at $WORK ($SCRATCH_LOOP, $SCRATCH_IMAGE)"
  SCRATCH_LOOP=
}
trap scratch_unmount EXIT

# s3_usage NAME: the bucket's cumulative request counts into LOGDIR/NAME.usage (s3 runs only).
s3_usage() {
  python3 "$HERE/s3usage.py" snapshot "$CAIRN_TEST_S3_BUCKET" > "$LOGDIR/$1.usage" 2>> "$LOGDIR/s3usage.err"
}

# measure STEP LOGICAL_BYTES NOTE SHELL_CODE: one timed step and its CSV row.
measure() {
  local step=$1 logical=$2 note=$3 code=$4 rc requests=",,,,,"
  settle_cache "$SRC" "$BENCH_REPO" "$BENCH_STATE"
  [ -z "$S3_BUCKET_OF_RUN" ] || s3_usage "$step-before" || say "  could not read the usage log (see $LOGDIR/s3usage.err)"
  /usr/bin/time -f '%e %U %S %M %x' -o "$LOGDIR/$step.time" \
    bash -c ". '$ADAPTER' && tool_env && $code" > "$LOGDIR/$step.out" 2> "$LOGDIR/$step.err"
  rc=$?
  local started
  started=$(date +%s.%N)
  sync
  local sync_s
  sync_s=$(seconds_since "$started")
  if [ -n "$S3_BUCKET_OF_RUN" ]; then
    sleep "$S3_USAGE_WAIT"
    if s3_usage "$step-after" && [ -s "$LOGDIR/$step-before.usage" ]; then
      requests=$(python3 "$HERE/s3usage.py" diff "$LOGDIR/$step-before.usage" "$LOGDIR/$step-after.usage" "$LOGDIR/$step.requests")
      [ "$requests" != "0,0,0,0,0,0" ] || { requests=",,,,,"; say "  no requests in radosgw's usage log: is 'rgw enable usage log' on?"; }
    fi
  fi
  # the repository's size and file count: on S3, what the bucket holds (bytes as uploaded)
  local repository="$(du_bytes "$BENCH_REPO"),$(file_count "$BENCH_REPO")"
  [ -z "$S3_BUCKET_OF_RUN" ] || repository=$(python3 "$HERE/s3usage.py" size "$S3_BUCKET_OF_RUN" 2>> "$LOGDIR/s3usage.err") || repository=","
  # /usr/bin/time's last line: wall user sys maxrss exit
  local wall user sys rss status
  read -r wall user sys rss status < <(tail -n1 "$LOGDIR/$step.time")
  echo "$RUN_ID,$REP,$TOOL,\"$VARIANT\",$step,$wall,$user,$sys,$rss,$status,$repository,$(du_bytes "$BENCH_STATE"),$logical,$sync_s,$CONDITIONS,$note,$requests" >> "$CSV"
  say "$TOOL:$VARIANT rep $REP $step: ${wall}s wall, $(awk -v u="$user" -v s="$sys" 'BEGIN {print u + s}')s CPU, ${rss} KB peak, exit $status${S3_BUCKET_OF_RUN:+, requests put,get,head,list,delete,other = $requests}"
  [ "$rc" = 0 ] || say "  $step failed (exit $rc): $(tail -n 3 "$LOGDIR/$step.err" | tr '\n' ' ')"
  return "$rc"
}

# s3_bucket_for_run: a bucket of its own, so that the usage log counts only this run's requests.
s3_bucket_for_run() {
  [ -n "${CAIRN_TEST_S3_ENDPOINT:-}" ] && [ -n "${AWS_ACCESS_KEY_ID:-}" ] ||
    { say "$TOOL:$VARIANT needs the gateway: eval \"\$(Tests/S3/start-ceph.sh)\" first"; return 1; }
  local bucket code
  bucket=$(echo "bench-$RUN_ID-r$REP-$TOOL-$VARIANT" | tr 'A-Z_,.' 'a-z---' | cut -c1-63)
  code=$(curl -sS -m 30 -X PUT -o /dev/null -w '%{http_code}' --aws-sigv4 "aws:amz:${AWS_REGION:-us-east-1}:s3" \
    --user "$AWS_ACCESS_KEY_ID:$AWS_SECRET_ACCESS_KEY" \
    -H "x-amz-content-sha256: e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855" \
    "$CAIRN_TEST_S3_ENDPOINT/$bucket") || true
  [ "$code" = 200 ] || { say "creating bucket '$bucket' answered HTTP $code"; return 1; }
  S3_BUCKET_OF_RUN=$bucket
  export CAIRN_TEST_S3_BUCKET=$bucket
}

s3_remove_bucket() {
  [ -n "$S3_BUCKET_OF_RUN" ] && [ "$KEEP_S3" != 1 ] || return 0
  # --bypass-gc frees the objects' data now. Through the gateway's garbage collection it would stay
  # for two hours in the memstore OSD's RAM (8 GiB from start-ceph.sh): two runs of both tools,
  # beside about 3 GB of other repositories, filled it, and the gateway stopped answering writes.
  radosgw-admin -c "$S3_DIR/ceph.conf" bucket rm --bucket="$S3_BUCKET_OF_RUN" --purge-objects --bypass-gc \
    > /dev/null 2>&1 ||
    say "could not remove bucket '$S3_BUCKET_OF_RUN' (radosgw-admin bucket rm); it holds this run's repository"
}

restored_root() {
  bash -c ". '$ADAPTER' && tool_env && if declare -F tool_restored_root > /dev/null; then tool_restored_root '$RESTORE' '$SRC'; else echo '$RESTORE'; fi"
}

run_one() {
  local work=$WORK bytes started
  rm -rf "$work"
  scratch_mount || return 1
  mkdir -p "$work/state"
  SRC=$work/src RESTORE=$work/restore
  export BENCH_REPO=$work/repo BENCH_STATE=$work/state BENCH_VARIANT=$VARIANT
  ADAPTER=$HERE/adapters/$TOOL.sh
  LOGDIR=$RESULTS/logs/$RUN_ID-r$REP-$TOOL-$VARIANT
  S3_BUCKET_OF_RUN=
  mkdir -p "$LOGDIR"
  [ -f "$ADAPTER" ] || { say "no adapter for '$TOOL' ($ADAPTER)"; return 1; }
  case "$VARIANT" in s3*) s3_bucket_for_run || return 1 ;; esac
  bash -c ". '$ADAPTER' && tool_env && tool_version" > "$LOGDIR/version.txt" 2>&1

  # The fresh copy; its time (with sync) is the "copy the bytes" reference of the report.
  settle_cache "$CORPUS"
  started=$(date +%s.%N)
  cp -a "$CORPUS" "$SRC" && sync
  bytes=$(bytes_of_files "$SRC")
  echo "$RUN_ID,$REP,$TOOL,\"$VARIANT\",copy,$(seconds_since "$started"),,,,0,0,0,0,$bytes,0,$CONDITIONS,cp -a corpus + sync,,,,,," >> "$CSV"

  measure S0 0 "init" "tool_init" || return 1
  measure S1 "$bytes" "first backup" "tool_backup '$SRC' s1" || return 1
  measure S2 "$bytes" "unchanged" "tool_backup '$SRC' s2" || return 1
  python3 "$HERE/corpus.py" mutate "$SRC" > "$LOGDIR/mutate.out" 2>&1 || { say "corpus.py mutate failed"; return 1; }
  bytes=$(bytes_of_files "$SRC")
  measure S3 "$bytes" "after mutate" "tool_backup '$SRC' s3" || return 1
  mkdir -p "$RESTORE"
  measure S4 "$bytes" "restore latest" "tool_restore '$RESTORE'" || return 1

  local verdict
  verdict=$(python3 "$HERE/verify.py" "$SRC" "$(restored_root)" "$LOGDIR/verify.details")
  echo "$RUN_ID,$REP,$TOOL,\"$VARIANT\",verify,,,,,0,,,,,0,$CONDITIONS,$verdict,,,,,," >> "$CSV"
  say "$TOOL:$VARIANT rep $REP verify: $verdict"
  rm -rf "$RESTORE"

  measure S5 0 "forget all but newest + gc" "tool_prune" || return 1
  bash -c ". '$ADAPTER' && tool_env && tool_snapshots" > "$LOGDIR/snapshots-after-prune.txt" 2>&1
  scratch_unmount
  rm -rf "$work"
}

RUN_ID=$(date +%Y%m%d-%H%M%S)
corpus_digest=$(grep -s '^digest_all' "${CORPUS%/}.info" | cut -d' ' -f2 | cut -c1-16)
say "run $RUN_ID: TOOLS=[$TOOLS] REPS=$REPS DROP_CACHES=$DROP_CACHES SCRATCH_FS=$SCRATCH_FS corpus=$CORPUS (digest_all ${corpus_digest:-unknown: no ${CORPUS%/}.info})"
for REP in $(seq 1 "$REPS"); do
  for entry in $TOOLS; do
    TOOL=${entry%%:*} VARIANT=${entry#*:}
    [ "$VARIANT" = "$entry" ] && VARIANT=default
    run_one || say "$TOOL:$VARIANT rep $REP aborted"
    scratch_unmount
    s3_remove_bucket
  done
done
python3 "$HERE/report.py" "$CSV" --run "$RUN_ID" --corpus "${CORPUS%/}.info" | tee "$RESULTS/report-$RUN_ID.md"
