#!/usr/bin/env bash
# Benchmarks/insertion.sh: what fixed-size blocks cost when bytes are inserted into a file,
# and what one changed file costs among many small ones.
#
# One large incompressible file (default: the corpus's 200 MiB random-1.bin) is backed up
# by Cairn (fixed 1 MiB blocks), restic (content-defined chunks, ~1 MiB average) and borg
# (content-defined chunks, ~2 MiB average), each into a fresh repository without
# compression or encryption where the tool allows it. Then the file is changed and
# backed up again, and the script reports how many bytes each repository grew by in that
# second backup (du -sb of the repository before and after). Two changes, each from a
# fresh copy and fresh repositories:
#
#   insert  100 bytes inserted at offset 0 (every later byte moves: fixed blocks all change)
#   append  1 MiB appended at the end (the old bytes stay where they were)
#   small   a directory of N small files (1 byte to 16 KiB, deterministic), one of them
#           rewritten with other bytes of the same size: what one small-file change costs
#           (Cairn stores small files in bundles: a differential stores a bundle of the one
#           changed file; a full rewrites about one 4 MiB bundle)
#
#   Cairn:  cairn init --block-size 1048576; cairn backup SRC (the second is differential)
#   cairn-full: the same, every backup --full (every file read again, bundles rebuilt)
#   restic: restic init --repository-version 2; restic backup --compression off SRC
#   borg:   borg init -e none; borg create --compression none REPO::sN SRC
#
# Environment (all optional):
#   FILE=/tmp/bench/corpus/big/random-1.bin   the file (any size; random content is the fair case)
#   WORK=/tmp/bench/insertion                  scratch space (deleted at the end, except the results)
#   TOOLS="cairn restic borg"                  which tools (cairn-full too)
#   CHANGES="insert append small"              which changes
#   SMALL_FILES=10000                          files in the small-file directory
#   REPS=3                                     runs per tool and change (restic's chunker is random per repository)
#   CAIRN=<repo>/.build/release/cairn          the binary (swift build -c release --static-swift-stdlib --product cairn)
#   KEEP=0                                     1 = keep the repositories and the source copy
#   RESULTS=$WORK/results-<time>.md            the results file (kept)
set -euo pipefail
export LC_ALL=C

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/.." && pwd)
FILE=${FILE:-/tmp/bench/corpus/big/random-1.bin}
WORK=${WORK:-/tmp/bench/insertion}
TOOLS=${TOOLS:-"cairn restic borg"}
CHANGES=${CHANGES:-"insert append small"}
SMALL_FILES=${SMALL_FILES:-10000}
REPS=${REPS:-3}
CAIRN=${CAIRN:-$ROOT/.build/release/cairn}
KEEP=${KEEP:-0}
STAMP=$(date -u +%Y%m%dT%H%M%SZ)
RESULTS=${RESULTS:-$WORK/results-$STAMP.md}

say() { printf '[insertion.sh %(%H:%M:%S)T] %s\n' -1 "$*" >&2; }
die() { echo "insertion.sh: $*" >&2; exit 1; }

case " $CHANGES " in
  *" insert "* | *" append "*) [ -f "$FILE" ] || die "no file $FILE (make the corpus with Benchmarks/corpus.py make /tmp/bench/corpus, or set FILE=)" ;;
esac
case "$WORK" in /tmp/*) ;; *) die "WORK must be below /tmp (it is deleted)" ;; esac
for tool in $TOOLS; do
  case $tool in
    cairn | cairn-full) [ -x "$CAIRN" ] || die "no binary at $CAIRN; build it with 'swift build -c release --static-swift-stdlib --product cairn' in $ROOT" ;;
    restic | borg) command -v "$tool" > /dev/null || die "$tool is not installed (apt-get install restic borgbackup)" ;;
    *) die "unknown tool '$tool' (cairn cairn-full restic borg)" ;;
  esac
done
[ -x /usr/bin/time ] || die "need /usr/bin/time (apt-get install time)"

export SRC=$WORK/src CAIRN
NAME=$(basename "$FILE")
LOGS=$WORK/logs
cleanup() {
  if [ "$KEEP" != 1 ]; then rm -rf "$SRC" "$WORK"/repo-* "$WORK/state" "$LOGS" "$WORK/small-template"; fi
}
rm -rf "$SRC" "$WORK"/repo-* "$WORK/state" "$LOGS" "$WORK/small-template"
mkdir -p "$WORK" "$LOGS"
trap cleanup EXIT

# Tool state (caches, keys, security dirs) goes under $WORK/state, never into $HOME.
export RESTIC_PASSWORD=insertion-bench RESTIC_CACHE_DIR=$WORK/state/restic-cache
export BORG_BASE_DIR=$WORK/state/borg BORG_UNKNOWN_UNENCRYPTED_REPO_ACCESS_IS_OK=yes
export BORG_RELOCATED_REPO_ACCESS_IS_OK=yes

# deterministic change bytes: SHAKE-256 of a label
bytes_of() { python3 -c 'import hashlib, sys; sys.stdout.buffer.write(hashlib.shake_256(sys.argv[1].encode()).digest(int(sys.argv[2])))' "$1" "$2"; }

tool_init() { # TOOL REPO
  case $1 in
    cairn | cairn-full) "$CAIRN" init --repo "$2" --block-size 1048576 ;;
    restic) restic init --repository-version 2 --repo "$2" ;;
    borg) borg init -e none "$2" ;;
  esac
}
tool_backup() { # TOOL REPO LABEL
  case $1 in
    cairn) "$CAIRN" backup --repo "$2" --json "$SRC" ;;
    cairn-full) "$CAIRN" backup --repo "$2" --json --full "$SRC" ;;
    restic) restic backup --repo "$2" --compression off --host bench "$SRC" ;;
    borg) borg create --compression none --stats "$2::$3" "$SRC" ;;
  esac
}
tool_version() {
  case $1 in
    cairn) echo "cairn $("$CAIRN" --version) (fixed 1 MiB blocks; files up to 256 KiB in bundles of ~4 MiB)" ;;
    cairn-full) echo "cairn-full: the same binary, every backup --full" ;;
    restic) echo "$(restic version | cut -d' ' -f1-2) (CDC 512 KiB-8 MiB, ~1 MiB average; pack files)" ;;
    borg) echo "$(borg --version) (buzhash CDC, default 19,23,21: ~2 MiB average; segment files)" ;;
  esac
}

# timed TOOL REPO STEP ARGS...: runs one tool command under /usr/bin/time; prints wall seconds
timed() {
  local tool=$1 repo=$2 step=$3
  shift 3
  sync
  if ! /usr/bin/time -f '%e' -o "$LOGS/$tool-$step.time" bash -c "$(declare -f tool_init tool_backup); $*" \
    > "$LOGS/$tool-$step.out" 2> "$LOGS/$tool-$step.err"; then
    sed 's/^/    /' "$LOGS/$tool-$step.err" | tail -5 >&2
    die "$tool $step failed (logs in $LOGS, kept with KEEP=1)"
  fi
  sync
  tail -1 "$LOGS/$tool-$step.time"
}
du_b() { du -sb "$1" | cut -f1; }
mb() { awk -v b="$1" 'BEGIN {printf "%.2f", b / 1e6}'; }

# small_template DIR: SMALL_FILES files of 1 byte to 16 KiB (SHAKE-256 bytes, sizes from
# a seeded generator) in directories of 100, the same on every run
small_template() {
  python3 - "$1" "$SMALL_FILES" << 'PY'
import hashlib, os, random, sys
root, count = sys.argv[1], int(sys.argv[2])
rng = random.Random(14)
for i in range(count):
    d = os.path.join(root, "d%04d" % (i // 100))
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, "f%06d" % i), "wb") as f:
        f.write(hashlib.shake_256(b"small %d" % i).digest(rng.randint(1, 16384)))
PY
}
SMALL_VICTIM=small/d$(printf '%04d' $((SMALL_FILES / 2 / 100)))/f$(printf '%06d' $((SMALL_FILES / 2)))
if [[ " $CHANGES " == *" small "* ]]; then
  say "making $SMALL_FILES small files in $WORK/small-template"
  small_template "$WORK/small-template"
fi
median() { tr ' ' '\n' | grep . | sort -n | awk '{v[NR] = $1} END {print (NR % 2 ? v[(NR + 1) / 2] : int((v[NR / 2] + v[NR / 2 + 1]) / 2))}'; }
ROWS=()
for change in $CHANGES; do
  case $change in
    insert) describe="100 bytes inserted at offset 0" ;;
    append) describe="1 MiB appended" ;;
    small) describe="1 of $SMALL_FILES small files rewritten" ;;
    *) die "unknown change '$change' (insert append small)" ;;
  esac
  if [ "$change" = small ]; then
    size=$(du -sb --apparent-size "$WORK/small-template" | cut -f1)
  else
    size=$(stat -c %s "$FILE")
  fi
  for tool in $TOOLS; do
    growths="" firsts="" seconds="" before=0
    for rep in $(seq 1 "$REPS"); do
      say "$change / $tool / rep $rep: fresh copy of the data and a fresh repository"
      rm -rf "$SRC" "$WORK/repo-$tool" "$WORK/state"
      mkdir -p "$SRC" "$WORK/state"
      if [ "$change" = small ]; then cp -a "$WORK/small-template" "$SRC/small"; else cp "$FILE" "$SRC/$NAME"; fi
      repo=$WORK/repo-$tool
      timed "$tool" "$repo" "$change-init" tool_init "$tool" "$repo" > /dev/null
      firsts+=" $(timed "$tool" "$repo" "$change-backup1" tool_backup "$tool" "$repo" s1)"
      before=$(du_b "$repo")
      # rewrite the file in place (same inode, new size and mtime)
      case $change in
        insert) { bytes_of insert 100; cat "$FILE"; } > "$SRC/$NAME.new" ;;
        append) { cat "$FILE"; bytes_of append 1048576; } > "$SRC/$NAME.new" ;;
        small) bytes_of small-changed "$(stat -c %s "$SRC/$SMALL_VICTIM")" > "$SRC/$NAME.new" ;;
      esac
      if [ "$change" = small ]; then target=$SRC/$SMALL_VICTIM; else target=$SRC/$NAME; fi
      cat "$SRC/$NAME.new" > "$target"
      rm "$SRC/$NAME.new"
      seconds+=" $(timed "$tool" "$repo" "$change-backup2" tool_backup "$tool" "$repo" s2)"
      after=$(du_b "$repo")
      growth=$((after - before))
      growths+=" $growth"
      say "$change / $tool / rep $rep: repository $before -> $after bytes, grew $growth ($(mb "$growth") MB)"
      rm -rf "$repo"
    done
    growth=$(median <<< "$growths")
    each=$(for g in $growths; do printf '%s ' "$(mb "$g")"; done)
    ROWS+=("| $describe | $tool | $(mb "$before") | $(mb "$growth") | ${each% } | $growth | $(awk -v g="$growth" -v s="$size" 'BEGIN {printf "%.1f", 100 * g / s}') |$firsts |$seconds |")
  done
done

{
  echo "# Fixed blocks under an insertion: repository growth of the second backup"
  echo
  echo "- date: $(date -u +%Y-%m-%dT%H:%M:%SZ); host: $(hostname), $(nproc) cores; load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
  if [[ " $CHANGES " == *" small "* ]]; then
    echo "- small files: $SMALL_FILES files, $(du -sb --apparent-size "$WORK/small-template" | cut -f1) bytes; the one changed: $SMALL_VICTIM (% column: of all the small files)"
  fi
  if [[ " $CHANGES " == *" insert "* || " $CHANGES " == *" append "* ]]; then
    fsize=$(stat -c %s "$FILE")
    echo "- file: $FILE, $fsize bytes ($(awk -v s="$fsize" 'BEGIN {printf "%.0f", s / 1048576}') MiB), sha256 $(sha256sum "$FILE" | cut -c1-16)…"
  fi
  for tool in $TOOLS; do echo "- $(tool_version "$tool")"; done
  echo "- no compression, no encryption except restic's (it always encrypts: ~+32 bytes per blob, and pack headers)"
  echo "- growth = du -sb of the repository after the second backup minus before it: the changed data plus"
  echo "  each tool's metadata for a new snapshot (Cairn: manifest part + record; restic: tree blob, index, snapshot;"
  echo "  borg: archive metadata and its rewritten index/hints files)"
  echo
  echo "| change | tool | repository after backup 1, MB | growth in backup 2, MB (median) | each run, MB | median growth, bytes | median growth, % of file | backup 1 s, each run | backup 2 s, each run |"
  echo "|---|---|---:|---:|---:|---:|---:|---:|---:|"
  printf '%s\n' "${ROWS[@]}"
  echo
  echo "MB = 10^6 bytes. $REPS run(s) per row, each on a fresh copy and a fresh repository. restic draws a random"
  echo "chunking polynomial for every new repository, so its cut points, and its growth, differ from run to run;"
  echo "Cairn's blocks and borg's unencrypted chunker (seed 0) give the same figure every time."
  echo "Times are wall seconds under /usr/bin/time, warm cache: indicative only."
} > "$RESULTS"
cat "$RESULTS"
say "results: $RESULTS"
