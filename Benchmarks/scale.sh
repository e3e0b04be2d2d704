#!/usr/bin/env bash
# Benchmarks/scale.sh: does Cairn's memory stay flat on a tree of a million small files,
# and how does its time compare with restic's on the same tree?
#
# Generates SCALE_FILES small files (default 1,000,000: 1000 directories x 1000 files of
# 0-2048 bytes, deterministic content, nearly all distinct) under $SCALE_ROOT/src, then runs
# with the release binary, each step under /usr/bin/time:
#   init, backup (full), backup (differential, nothing changed), snapshots,
#   ls latest | wc -l, restore latest into an empty directory, forget --keep 1, gc
# then the same with restic on the same tree (init, backup, backup again, snapshots,
# ls latest | wc -l, restore, forget --keep-last 1 --prune), and prints a table of wall
# time and peak RSS per step, Cairn's against LIMIT_MB (default 300), and the two tools
# side by side. Each restore is checked afterwards with diff -r (untimed; VERIFY=0 skips it).
#
# Environment (all optional):
#   SCALE_FILES=1000000    number of files (try SCALE_FILES=10000 first)
#   PER_DIR=1000           files per directory
#   SCALE_ROOT=/tmp/bench/scale   scratch space: src/, repo/, restore/, the generator
#   CAIRN=<repo>/.build/release/cairn   the binary (build: swift build -c release --static-swift-stdlib --product cairn)
#   SCALE_TOOLS="cairn restic"   which tools run (restic: `restic backup --compression off`,
#                          repository format 2, its cache in $SCALE_ROOT; it is the reference)
#   LIMIT_MB=300           peak RSS target per step, MB = 10^6 bytes
#   DROP_CACHES=1          sync + drop page/dentry/inode caches before each step (needs root;
#                          0 = only sync). Also clears the ext4 "recently deleted inodes"
#                          state that slows file creation after a large rm (Benchmarks/README.md).
#   VERIFY=1               diff -r the restored tree against the source (untimed)
#   KEEP=0                 1 = keep src/, repo/ and restore/ afterwards
#   RESULTS=$SCALE_ROOT/results-<time>.md   the results file (kept)
#
# Exit status: 0 all steps succeeded (Cairn's within LIMIT_MB), 1 a step of either tool failed
# or a restore differs, 2 a step of Cairn's exceeded LIMIT_MB.
set -euo pipefail
export LC_ALL=C

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/.." && pwd)
SCALE_FILES=${SCALE_FILES:-1000000}
PER_DIR=${PER_DIR:-1000}
SCALE_ROOT=${SCALE_ROOT:-/tmp/bench/scale}
CAIRN=${CAIRN:-$ROOT/.build/release/cairn}
SCALE_TOOLS=${SCALE_TOOLS:-"cairn restic"}
LIMIT_MB=${LIMIT_MB:-300}
DROP_CACHES=${DROP_CACHES:-1}
VERIFY=${VERIFY:-1}
KEEP=${KEEP:-0}
STAMP=$(date -u +%Y%m%dT%H%M%SZ)
# the checkout at the start (others may commit while this runs); the binary's own build time is reported too
CHECKOUT="$(git -C "$ROOT" rev-parse --short HEAD 2> /dev/null || echo '?')$(git -C "$ROOT" diff --quiet HEAD -- Sources 2> /dev/null || echo ' + uncommitted changes in Sources/')"
RESULTS=${RESULTS:-$SCALE_ROOT/results-$STAMP.md}

say() { printf '[scale.sh %(%H:%M:%S)T] %s\n' -1 "$*" >&2; }
die() { echo "scale.sh: $*" >&2; exit 1; }

for tool in $SCALE_TOOLS; do
  case $tool in
    cairn) [ -x "$CAIRN" ] || die "no binary at $CAIRN; build it with 'swift build -c release --static-swift-stdlib --product cairn' in $ROOT" ;;
    restic) command -v restic > /dev/null || die "SCALE_TOOLS names restic but it is not installed (apt-get install restic)" ;;
    *) die "SCALE_TOOLS: unknown tool '$tool' (cairn, restic)" ;;
  esac
done
[ -x /usr/bin/time ] || die "need /usr/bin/time (apt-get install time)"
command -v cc > /dev/null || die "need a C compiler (cc) for the file generator"
case "$SCALE_FILES" in '' | *[!0-9]*) die "SCALE_FILES must be a number" ;; esac
case "$PER_DIR" in '' | *[!0-9]* | 0) die "PER_DIR must be a positive number" ;; esac
case "$SCALE_ROOT" in /tmp/*) ;; *) die "SCALE_ROOT must be below /tmp (it is deleted)" ;; esac

SRC=$SCALE_ROOT/src
REPO=$SCALE_ROOT/repo
TARGET=$SCALE_ROOT/restore
LOGS=$SCALE_ROOT/logs
RESTIC_TARGET=$SCALE_ROOT/restic-restore
export CAIRN_REPO=$REPO
export RESTIC_REPOSITORY=$SCALE_ROOT/restic-repo RESTIC_PASSWORD=cairn-scale RESTIC_CACHE_DIR=$SCALE_ROOT/restic-cache

cleanup() {
  if [ "$KEEP" != 1 ]; then
    say "removing the trees and repositories in $SCALE_ROOT (results stay in $RESULTS); millions of files take minutes"
    # one rm per tree: unlinking is kernel time, so two cores remove two trees at once
    rm -rf "$SRC" & rm -rf "$REPO" & rm -rf "$TARGET" & rm -rf "$RESTIC_TARGET" & rm -rf "$RESTIC_REPOSITORY" &
    wait
    rm -rf "$LOGS" "$RESTIC_CACHE_DIR" "$SCALE_ROOT/gen" "$SCALE_ROOT/gen.c"
    say "removed"
  fi
}

rm -rf "$SRC" "$REPO" "$TARGET" "$LOGS" "$RESTIC_TARGET" "$RESTIC_REPOSITORY" "$RESTIC_CACHE_DIR"
mkdir -p "$SCALE_ROOT" "$LOGS"
trap cleanup EXIT

# 1. the generator: file i of directory d is d<dddd>/f<iiiiii>; its size is 0-2048 bytes and
#    its content a xorshift stream seeded by the file number (so files differ; a few tiny ones
#    coincide, as in real trees). Every file gets the same mtime, so reruns make the same tree.
cat > "$SCALE_ROOT/gen.c" << 'EOF'
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

static uint64_t mix(uint64_t x) {
  x = (x + 1) * 0x9E3779B97F4A7C15ULL;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ULL;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBULL;
  return x ^ (x >> 31);
}

int main(int argc, char **argv) {
  if (argc != 4) { fprintf(stderr, "usage: gen DIR FILES PER_DIR\n"); return 2; }
  const char *root = argv[1];
  long files = atol(argv[2]), per = atol(argv[3]);
  if (mkdir(root, 0755) != 0) { perror(root); return 1; }
  int rootfd = open(root, O_RDONLY | O_DIRECTORY);
  if (rootfd < 0) { perror(root); return 1; }
  struct timespec times[2] = {{1700000000, 0}, {1700000000, 0}};
  unsigned char buf[2048 + 8];
  char name[64];
  long long bytes = 0;
  for (long d = 0; d * per < files; d++) {
    snprintf(name, sizeof name, "d%04ld", d);
    if (mkdirat(rootfd, name, 0755) != 0) { perror(name); return 1; }
    int dirfd = openat(rootfd, name, O_RDONLY | O_DIRECTORY);
    if (dirfd < 0) { perror(name); return 1; }
    for (long i = d * per; i < files && i < (d + 1) * per; i++) {
      uint64_t state = mix((uint64_t)i);
      size_t size = (size_t)(state % 2049);
      for (size_t o = 0; o < size; o += 8) {
        state ^= state << 13; state ^= state >> 7; state ^= state << 17;
        for (int b = 0; b < 8; b++) buf[o + b] = (unsigned char)(state >> (8 * b));
      }
      snprintf(name, sizeof name, "f%06ld", i);
      int fd = openat(dirfd, name, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
      if (fd < 0) { perror(name); return 1; }
      if (size > 0 && write(fd, buf, size) != (ssize_t)size) { perror(name); return 1; }
      if (futimens(fd, times) != 0) { perror(name); return 1; }
      close(fd);
      bytes += (long long)size;
    }
    if (futimens(dirfd, times) != 0) { perror("futimens"); return 1; }
    close(dirfd);
  }
  printf("%ld files, %lld bytes\n", files, bytes);
  return 0;
}
EOF
cc -O2 -o "$SCALE_ROOT/gen" "$SCALE_ROOT/gen.c"

prepare() {
  sync
  if [ "$DROP_CACHES" = 1 ]; then echo 3 > /proc/sys/vm/drop_caches 2> /dev/null || say "cannot drop caches (not root?)"; fi
}

say "generating $SCALE_FILES files ($PER_DIR per directory) in $SRC"
prepare
gen_start=$(date +%s.%N)
generated=$("$SCALE_ROOT/gen" "$SRC" "$SCALE_FILES" "$PER_DIR")
sync
gen_seconds=$(awk -v a="$gen_start" -v b="$(date +%s.%N)" 'BEGIN {printf "%.1f", b - a}')
say "generated: $generated in ${gen_seconds}s (with sync)"
directories=$(((SCALE_FILES + PER_DIR - 1) / PER_DIR))
src_bytes=$(du -sb "$SRC" | cut -f1)

# step TOOL NAME COMMAND...: runs COMMAND under /usr/bin/time; stdout to logs/TOOL-NAME.out
STEPS=()
failed=0
over=0
limit_kb=$((LIMIT_MB * 1000000 / 1024))
declare -A WALL RSS
step() {
  local tool=$1 name=$2 rc=0
  shift 2
  prepare
  say "$tool $name: $*"
  /usr/bin/time -f '%e s %M KB' -o "$LOGS/$tool-$name.time" "$@" > "$LOGS/$tool-$name.out" 2> "$LOGS/$tool-$name.err" || rc=$?
  record "$tool" "$name" "$rc" "$*"
}
# step_counted TOOL NAME COMMAND...: like step, but only the lines COMMAND prints are kept (their count)
step_counted() {
  local tool=$1 name=$2 rc=0
  shift 2
  prepare
  say "$tool $name: $* | wc -l"
  # only the tool runs under time; wc counts the lines it printed
  /usr/bin/time -f '%e s %M KB' -o "$LOGS/$tool-$name.time" "$@" 2> "$LOGS/$tool-$name.err" | wc -l > "$LOGS/$tool-$name.out" || rc=$?
  record "$tool" "$name" "$rc" "$* | wc -l"
}
record() {
  local tool=$1 name=$2 rc=$3 command=$4 wall rss verdict
  wall=$(awk '/ s .* KB$/ {print $1}' "$LOGS/$tool-$name.time" | tail -1)
  rss=$(awk '/ s .* KB$/ {print $3}' "$LOGS/$tool-$name.time" | tail -1)
  if [ "$rc" != 0 ]; then
    verdict="FAILED (exit $rc)"
    failed=1
    sed 's/^/    /' "$LOGS/$tool-$name.err" | tail -5 >&2
  elif [ "$tool" != cairn ]; then
    verdict="reference"
  elif [ "${rss:-0}" -gt "$limit_kb" ]; then
    verdict="OVER ${LIMIT_MB} MB"
    over=1
  else
    verdict=ok
  fi
  WALL[$tool-$name]=${wall:-}
  RSS[$tool-$name]=${rss:-}
  say "$tool $name: ${wall:-?} s, peak RSS ${rss:-?} KB, $verdict"
  command=${command//$ROOT\//}
  STEPS+=("| $tool | $name | \`${command//|/\\|}\` | ${wall:-?} | ${rss:-?} | $(awk -v k="${rss:-0}" 'BEGIN {printf "%.1f", k * 1024 / 1e6}') | $verdict |")
}

# verify_restore TOOL RESTORED: diff -r of the source and the restored copy (untimed)
verify_restore() {
  local tool=$1 restored=$2 verdict
  [ "$VERIFY" = 1 ] || return 0
  say "verifying $tool's restore with diff -r (untimed)"
  if diff -r --no-dereference -q "$SRC" "$restored" > "$LOGS/$tool-verify.diff" 2>&1; then
    verdict="identical (diff -r)"
  else
    verdict="DIFFERS: $(wc -l < "$LOGS/$tool-verify.diff") lines of diff -rq, first: $(head -1 "$LOGS/$tool-verify.diff")"
    failed=1
  fi
  VERIFIED[$tool]=$verdict
  say "$tool restore: $verdict"
}

cairn_steps() {
  step cairn init "$CAIRN" init --block-size 1048576
  [ "$failed" = 0 ] || return 0
  step cairn backup-full "$CAIRN" backup --json "$SRC"
  [ "$failed" = 0 ] || return 0
  step cairn backup-unchanged "$CAIRN" backup --json "$SRC"
  step cairn snapshots "$CAIRN" snapshots
  step_counted cairn ls "$CAIRN" ls latest
  mkdir -p "$TARGET"
  step cairn restore "$CAIRN" restore latest "$TARGET"
  verify_restore cairn "$TARGET$(realpath "$SRC")"
  step cairn forget "$CAIRN" forget --keep 1
  step cairn gc "$CAIRN" gc
}

# The same questions of restic, with the command lines of the peer benchmark's restic:off
# (compression off; restic always encrypts), backing up SRC by its absolute path as Cairn does.
restic_steps() {
  local before=$failed
  step restic init restic init --repository-version 2
  [ "$failed" = "$before" ] || return 0
  step restic backup-full restic backup --compression off --host scale --json "$SRC"
  [ "$failed" = "$before" ] || return 0
  step restic backup-unchanged restic backup --compression off --host scale --json "$SRC"
  step restic snapshots restic snapshots
  step_counted restic ls restic ls latest
  mkdir -p "$RESTIC_TARGET"
  step restic restore restic restore latest --target "$RESTIC_TARGET"
  verify_restore restic "$RESTIC_TARGET$(realpath "$SRC")"
  step restic forget-prune restic forget --keep-last 1 --prune
}

declare -A VERIFIED=([cairn]="not checked (VERIFY=0)" [restic]="not checked (VERIFY=0)")
for tool in $SCALE_TOOLS; do
  "${tool}_steps" || true
done
repo_bytes=$(du -sb "$REPO" 2> /dev/null | cut -f1 || echo 0)
objects=$(find "$REPO/objects" -type f 2> /dev/null | wc -l || echo 0)
kind() {
  python3 - "$1" << 'PY' 2> /dev/null || echo "(no JSON record)"
import json, sys
r = json.load(open(sys.argv[1]))
r = r.get("snapshot", r)
s = r.get("statistics", {})
print("%s, %d manifest parts, files=%s directories=%s filesRead=%s newObjects=%s newBytes=%s problems=%s, durationSeconds=%.1f"
      % (r.get("kind"), len(r.get("manifest", [])), s.get("files"), s.get("directories"), s.get("filesRead"),
         s.get("newObjects"), s.get("newBytes"), s.get("problems"), s.get("durationSeconds", 0)))
PY
}
restic_summary() {
  python3 - "$1" << 'PY' 2> /dev/null || echo "(no summary line)"
import json, sys
summary = [json.loads(l) for l in open(sys.argv[1]) if l.startswith("{") and '"summary"' in l][-1]
print("files_new=%s files_unmodified=%s data_blobs=%s tree_blobs=%s data_added=%s total_duration=%.1f s"
      % (summary.get("files_new"), summary.get("files_unmodified"), summary.get("data_blobs"), summary.get("tree_blobs"),
         summary.get("data_added"), summary.get("total_duration", 0)))
PY
}
# side_by_side LABEL CAIRN_STEPS RESTIC_STEP: a row of the comparison (Cairn's steps summed)
side_by_side() {
  local label=$1 cairn_steps=$2 restic_step=$3 cairn_wall="" cairn_rss="" name
  for name in $cairn_steps; do
    [ -n "${WALL[cairn-$name]:-}" ] || { cairn_wall=""; break; }
    cairn_wall=$(awk -v a="${cairn_wall:-0}" -v b="${WALL[cairn-$name]}" 'BEGIN {printf "%.2f", a + b}')
    [ "${RSS[cairn-$name]}" -gt "${cairn_rss:-0}" ] && cairn_rss=${RSS[cairn-$name]}
  done
  local restic_wall=${WALL[restic-$restic_step]:-} restic_rss=${RSS[restic-$restic_step]:-} ratio=""
  [ -n "$cairn_wall" ] && [ -n "$restic_wall" ] && ratio=$(awk -v c="$cairn_wall" -v r="$restic_wall" 'BEGIN {if (r > 0) printf "%.2f", c / r}')
  mb() { [ -n "$1" ] && awk -v k="$1" 'BEGIN {printf "%.0f", k * 1024 / 1e6}'; }
  echo "| $label | ${cairn_wall:-} | ${restic_wall:-} | ${ratio:-} | $(mb "$cairn_rss") | $(mb "$restic_rss") |"
}

{
  echo "# Scale check: $SCALE_FILES files ($SCALE_TOOLS)"
  echo
  echo "- date: $(date -u +%Y-%m-%dT%H:%M:%SZ); host: $(hostname), $(nproc) cores, $(free -m | awk '/^Mem:/ {print $2}') MiB RAM, kernel $(uname -r)"
  echo "- load average at the end: $(cut -d' ' -f1-3 /proc/loadavg) (times are noisy when other work runs; peak RSS is not)"
  echo "- tree: $generated in $directories directories ($PER_DIR per directory), $src_bytes bytes by du -sb; generated in ${gen_seconds} s"
  echo "- caches: $([ "$DROP_CACHES" = 1 ] && echo 'sync + drop_caches before every step (cold)' || echo 'sync only before every step')"
  case " $SCALE_TOOLS " in *" cairn "*)
    echo "- cairn: $("$CAIRN" --version) at $CAIRN (built $(date -u -r "$CAIRN" +%Y-%m-%dT%H:%M:%SZ)); checkout at the start: $CHECKOUT"
    echo "- cairn full backup: $(kind "$LOGS/cairn-backup-full.out")"
    echo "- cairn second backup (differential): $(kind "$LOGS/cairn-backup-unchanged.out")"
    echo "- cairn \`snapshots\`: $(($(grep -c . "$LOGS/cairn-snapshots.out" 2> /dev/null || echo 1) - 1)) snapshots listed; \`ls latest | wc -l\`: $(cat "$LOGS/cairn-ls.out" 2> /dev/null || echo '?') (expected $((SCALE_FILES + directories + 1)): files + directories + the root)"
    echo "- cairn restore: ${VERIFIED[cairn]}"
    echo "- cairn repository after gc: $repo_bytes bytes by du -sb, $objects objects"
    ;;
  esac
  case " $SCALE_TOOLS " in *" restic "*)
    echo "- restic: $(restic version 2> /dev/null | head -1)"
    echo "- restic full backup: $(restic_summary "$LOGS/restic-backup-full.out")"
    echo "- restic second backup: $(restic_summary "$LOGS/restic-backup-unchanged.out")"
    echo "- restic \`ls latest | wc -l\`: $(cat "$LOGS/restic-ls.out" 2> /dev/null || echo '?') (a header line and the parents of the source path too)"
    echo "- restic restore: ${VERIFIED[restic]}"
    echo "- restic repository after prune: $(du -sb "$RESTIC_REPOSITORY" 2> /dev/null | cut -f1 || echo 0) bytes by du -sb; its cache: $(du -sb "$RESTIC_CACHE_DIR" 2> /dev/null | cut -f1 || echo 0) bytes"
    ;;
  esac
  echo
  echo "Peak RSS target for Cairn: ${LIMIT_MB} MB (= $limit_kb KB) per step; restic is the reference. /usr/bin/time -f '%e s %M KB'; KB = 1024 bytes, MB = 10^6 bytes."
  echo
  echo "| tool | step | command | wall s | peak RSS KB | peak RSS MB | verdict |"
  echo "|---|---|---|---:|---:|---:|---|"
  printf '%s\n' "${STEPS[@]}"
  if [ "$SCALE_TOOLS" = "cairn restic" ] || [ "$SCALE_TOOLS" = "restic cairn" ]; then
    echo
    echo "Side by side (wall s; ratio = Cairn / restic; peak RSS MB, the larger of Cairn's two steps where two are summed):"
    echo
    echo "| step | cairn s | restic s | ratio | cairn MB | restic MB |"
    echo "|---|---:|---:|---:|---:|---:|"
    side_by_side "init" init init
    side_by_side "backup, full" backup-full backup-full
    side_by_side "backup, nothing changed" backup-unchanged backup-unchanged
    side_by_side "snapshots" snapshots snapshots
    side_by_side "ls latest" ls ls
    side_by_side "restore" restore restore
    side_by_side "forget + gc / forget --prune" "forget gc" forget-prune
  fi
} > "$RESULTS"

cat "$RESULTS"
echo >&2
say "results: $RESULTS"
[ "$failed" = 0 ] || exit 1
[ "$over" = 0 ] || exit 2
exit 0
