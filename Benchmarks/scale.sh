#!/usr/bin/env bash
# Benchmarks/scale.sh: does Cairn's memory stay flat on a tree of a million small files?
#
# Generates SCALE_FILES small files (default 1,000,000: 1000 directories x 1000 files of
# 0-2048 bytes, deterministic content, nearly all distinct) under $SCALE_ROOT/src, then runs
# with the release binary, each step under /usr/bin/time:
#   init, backup (full), backup (differential, nothing changed), snapshots,
#   ls latest | wc -l, restore latest into an empty directory, forget --keep 1, gc
# and prints a table of wall time and peak RSS per step against LIMIT_MB (default 300).
# The restore is checked afterwards with diff -r (untimed; VERIFY=0 skips it).
#
# Environment (all optional):
#   SCALE_FILES=1000000    number of files (try SCALE_FILES=10000 first)
#   PER_DIR=1000           files per directory
#   SCALE_ROOT=/tmp/bench/scale   scratch space: src/, repo/, restore/, the generator
#   CAIRN=<repo>/.build/release/cairn   the binary (build: swift build -c release --product cairn)
#   LIMIT_MB=300           peak RSS target per step, MB = 10^6 bytes
#   DROP_CACHES=1          sync + drop page/dentry/inode caches before each step (needs root;
#                          0 = only sync). Also clears the ext4 "recently deleted inodes"
#                          state that slows file creation after a large rm (Benchmarks/README.md).
#   VERIFY=1               diff -r the restored tree against the source (untimed)
#   KEEP=0                 1 = keep src/, repo/ and restore/ afterwards
#   RESULTS=$SCALE_ROOT/results-<time>.md   the results file (kept)
#
# Exit status: 0 all steps succeeded within LIMIT_MB, 1 a step failed, 2 a step exceeded LIMIT_MB.
set -euo pipefail
export LC_ALL=C

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/.." && pwd)
SCALE_FILES=${SCALE_FILES:-1000000}
PER_DIR=${PER_DIR:-1000}
SCALE_ROOT=${SCALE_ROOT:-/tmp/bench/scale}
CAIRN=${CAIRN:-$ROOT/.build/release/cairn}
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

[ -x "$CAIRN" ] || die "no binary at $CAIRN; build it with 'swift build -c release --product cairn' in $ROOT"
[ -x /usr/bin/time ] || die "need /usr/bin/time (apt-get install time)"
command -v cc > /dev/null || die "need a C compiler (cc) for the file generator"
case "$SCALE_FILES" in '' | *[!0-9]*) die "SCALE_FILES must be a number" ;; esac
case "$PER_DIR" in '' | *[!0-9]* | 0) die "PER_DIR must be a positive number" ;; esac
case "$SCALE_ROOT" in /tmp/*) ;; *) die "SCALE_ROOT must be below /tmp (it is deleted)" ;; esac

SRC=$SCALE_ROOT/src
REPO=$SCALE_ROOT/repo
TARGET=$SCALE_ROOT/restore
LOGS=$SCALE_ROOT/logs
export CAIRN_REPO=$REPO

cleanup() {
  if [ "$KEEP" != 1 ]; then
    say "removing $SRC $REPO $TARGET (results stay in $RESULTS); millions of files take minutes"
    # one rm per tree: unlinking is kernel time, so two cores remove two trees at once
    rm -rf "$SRC" & rm -rf "$REPO" & rm -rf "$TARGET" &
    wait
    rm -rf "$LOGS" "$SCALE_ROOT/gen" "$SCALE_ROOT/gen.c"
    say "removed"
  fi
}

rm -rf "$SRC" "$REPO" "$TARGET" "$LOGS"
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

# step NAME COMMAND...: runs COMMAND under /usr/bin/time; stdout to logs/NAME.out
STEPS=()
failed=0
over=0
limit_kb=$((LIMIT_MB * 1000000 / 1024))
step() {
  local name=$1 rc=0
  shift
  prepare
  say "$name: $*"
  /usr/bin/time -f '%e s %M KB' -o "$LOGS/$name.time" "$@" > "$LOGS/$name.out" 2> "$LOGS/$name.err" || rc=$?
  record "$name" "$rc" "$*"
}
record() {
  local name=$1 rc=$2 command=$3 wall rss verdict
  wall=$(awk '/ s .* KB$/ {print $1}' "$LOGS/$name.time" | tail -1)
  rss=$(awk '/ s .* KB$/ {print $3}' "$LOGS/$name.time" | tail -1)
  if [ "$rc" != 0 ]; then
    verdict="FAILED (exit $rc)"
    failed=1
    sed 's/^/    /' "$LOGS/$name.err" | tail -5 >&2
  elif [ "${rss:-0}" -gt "$limit_kb" ]; then
    verdict="OVER ${LIMIT_MB} MB"
    over=1
  else
    verdict=ok
  fi
  say "$name: ${wall:-?} s, peak RSS ${rss:-?} KB, $verdict"
  command=${command//$ROOT\//}
  STEPS+=("| $name | \`${command//|/\\|}\` | ${wall:-?} | ${rss:-?} | $(awk -v k="${rss:-0}" 'BEGIN {printf "%.1f", k * 1024 / 1e6}') | $verdict |")
}

run_steps() {
  step init "$CAIRN" init --block-size 1048576
  [ "$failed" = 0 ] || return 0
  step backup-full "$CAIRN" backup --json "$SRC"
  [ "$failed" = 0 ] || return 0
  step backup-differential "$CAIRN" backup --json "$SRC"
  step snapshots "$CAIRN" snapshots
  # only cairn runs under time; wc counts the lines it printed
  local rc=0
  prepare
  say "ls: $CAIRN ls latest | wc -l"
  /usr/bin/time -f '%e s %M KB' -o "$LOGS/ls.time" "$CAIRN" ls latest 2> "$LOGS/ls.err" | wc -l > "$LOGS/ls.out" || rc=$?
  record ls "$rc" "$CAIRN ls latest | wc -l"
  mkdir -p "$TARGET"
  step restore "$CAIRN" restore latest "$TARGET"
  if [ "$VERIFY" = 1 ]; then
    say "verifying the restore with diff -r (untimed)"
    restored=$TARGET$(realpath "$SRC")
    if diff -r --no-dereference -q "$SRC" "$restored" > "$LOGS/verify.diff" 2>&1; then
      verified="identical (diff -r)"
    else
      verified="DIFFERS: $(wc -l < "$LOGS/verify.diff") lines of diff -rq, first: $(head -1 "$LOGS/verify.diff")"
      failed=1
    fi
    say "restore: $verified"
  fi
  step forget "$CAIRN" forget --keep 1
  step gc "$CAIRN" gc
}

verified="not checked (VERIFY=0)"
run_steps || true
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

{
  echo "# Cairn scale check: $SCALE_FILES files"
  echo
  echo "- date: $(date -u +%Y-%m-%dT%H:%M:%SZ); host: $(hostname), $(nproc) cores, $(free -m | awk '/^Mem:/ {print $2}') MiB RAM, kernel $(uname -r)"
  echo "- load average at the end: $(cut -d' ' -f1-3 /proc/loadavg) (times are noisy when other work runs; peak RSS is not)"
  echo "- cairn: $("$CAIRN" --version) at $CAIRN (built $(date -u -r "$CAIRN" +%Y-%m-%dT%H:%M:%SZ)); checkout at the start: $CHECKOUT"
  echo "- tree: $generated in $directories directories ($PER_DIR per directory), $src_bytes bytes by du -sb; generated in ${gen_seconds} s"
  echo "- caches: $([ "$DROP_CACHES" = 1 ] && echo 'sync + drop_caches before every step (cold)' || echo 'sync only before every step')"
  echo "- full backup: $(kind "$LOGS/backup-full.out")"
  echo "- differential backup: $(kind "$LOGS/backup-differential.out")"
  echo "- \`snapshots\`: $(($(grep -c . "$LOGS/snapshots.out" 2> /dev/null || echo 1) - 1)) snapshots listed; \`ls latest | wc -l\`: $(cat "$LOGS/ls.out" 2> /dev/null || echo '?') (expected $((SCALE_FILES + directories + 1)): files + directories + the root)"
  echo "- restore: $verified"
  echo "- repository after gc: $repo_bytes bytes by du -sb, $objects objects"
  echo
  echo "Peak RSS target: ${LIMIT_MB} MB (= $limit_kb KB) per step. /usr/bin/time -f '%e s %M KB'; KB = 1024 bytes, MB = 10^6 bytes."
  echo
  echo "| step | command | wall s | peak RSS KB | peak RSS MB | verdict |"
  echo "|---|---|---:|---:|---:|---|"
  printf '%s\n' "${STEPS[@]}"
} > "$RESULTS"

cat "$RESULTS"
echo >&2
say "results: $RESULTS"
[ "$failed" = 0 ] || exit 1
[ "$over" = 0 ] || exit 2
exit 0
