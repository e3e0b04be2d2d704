#!/usr/bin/env bash
# Benchmarks/run.sh: Cairn against restic and borg on one corpus, in one command.
#
#   1. installs restic, borgbackup and time with apt-get when missing (needs root)
#   2. builds the release binary: swift build -c release --static-swift-stdlib --product cairn
#   3. builds the corpus if missing (corpus.py make), measures this machine's limits
#      (limits.sh), then runs the scenarios S0-S5 (peers.sh) with the adapters in adapters/
#   4. prints where the results are
#
# Environment (all optional; everything else peers.sh reads is passed through too):
#   TOOLS="cairn:1m cairn:1m-full restic:off borg:none"   tool:variant list
#   REPS=2                 repetitions of the whole list
#   BENCH_ROOT=/tmp/bench  scratch space; CORPUS=$BENCH_ROOT/corpus
#   RESULTS=/tmp/bench/results   steps.csv, logs/, report-<run>.md, limits.txt
#   DROP_CACHES=warm|cold|none   see peers.sh
#   SCRATCH_FS=host|ext4   see peers.sh: ext4 runs each tool on a new ext4 of its own
#   LIMITS=0               skip limits.sh (it takes ~2 min and writes 2 GiB three times)
#   BUILD=0                skip the swift build (use the existing .build/release/cairn)
#   INSTALL=0              skip the apt-get step
#   HARNESS=own            own: this folder's harness; shared: ../shared/bench's (make_corpus.sh,
#                          limits.sh, run_peers.sh with its restic and borg adapters and our
#                          cairn.sh), to compare the two on one machine
#   SHARED=../shared/bench where the shared harness is (HARNESS=shared only)
set -euo pipefail
export LC_ALL=C

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/.." && pwd)
HARNESS=${HARNESS:-own}
case "$HARNESS" in
  own) ;;
  shared)
    SHARED=${SHARED:-$(cd "$ROOT/.." && pwd)/shared/bench}
    [ -x "$SHARED/run_peers.sh" ] || { echo "run.sh: HARNESS=shared but no run_peers.sh in $SHARED (set SHARED=)" >&2; exit 1; }
    ;;
  *) echo "run.sh: HARNESS must be own or shared, not '$HARNESS'" >&2; exit 1 ;;
esac

export TOOLS=${TOOLS:-"cairn:1m cairn:1m-full restic:off borg:none"}
export REPS=${REPS:-2}
export BENCH_ROOT=${BENCH_ROOT:-/tmp/bench}
export CORPUS=${CORPUS:-$BENCH_ROOT/corpus}
export RESULTS=${RESULTS:-/tmp/bench/results}

say() { printf '[run.sh %(%H:%M:%S)T] %s\n' -1 "$*" >&2; }

# 1. peers and /usr/bin/time
if [ "${INSTALL:-1}" != 0 ]; then
  missing=()
  command -v restic > /dev/null || missing+=(restic)
  command -v borg > /dev/null || missing+=(borgbackup)
  [ -x /usr/bin/time ] || missing+=(time)
  if [ ${#missing[@]} -gt 0 ]; then
    say "installing ${missing[*]} with apt-get"
    if [ "$(id -u)" != 0 ]; then echo "run.sh: need root to apt-get install ${missing[*]}" >&2; exit 1; fi
    apt-get update
    DEBIAN_FRONTEND=noninteractive apt-get install -y "${missing[@]}"
  fi
fi

# 2. release binary (the adapter uses exactly this path)
if [ "${BUILD:-1}" != 0 ]; then
  say "building cairn (release) in $ROOT"
  (cd "$ROOT" && swift build -c release --static-swift-stdlib --product cairn)
fi
[ -x "$ROOT/.build/release/cairn" ] || { echo "run.sh: $ROOT/.build/release/cairn is missing" >&2; exit 1; }
say "cairn $("$ROOT/.build/release/cairn" --version) at $ROOT/.build/release/cairn"

# 3. corpus, limits, peers
mkdir -p "$RESULTS"
if [ ! -d "$CORPUS" ]; then
  say "building the corpus in $CORPUS (~1.4 GB, a few minutes)"
  if [ "$HARNESS" = own ]; then python3 "$HERE/corpus.py" make "$CORPUS" > /dev/null; else "$SHARED/make_corpus.sh" "$CORPUS" > /dev/null; fi
fi
if [ "${LIMITS:-1}" != 0 ]; then
  say "limits.sh -> $RESULTS/limits.txt"
  limits=$HERE/limits.sh
  [ "$HARNESS" = own ] || limits=$SHARED/limits.sh
  OUT="$RESULTS/limits.txt" SCRATCH="$BENCH_ROOT/limits" "$limits" "$CORPUS" > /dev/null
fi
say "$HARNESS harness: TOOLS=[$TOOLS] REPS=$REPS DROP_CACHES=${DROP_CACHES:-warm} SCRATCH_FS=${SCRATCH_FS:-host}"
started=$(date +%s)
status=0
if [ "$HARNESS" = own ]; then
  "$HERE/peers.sh" || status=$?
  csv=$RESULTS/steps.csv combine="python3 $HERE/report.py $RESULTS/steps.csv --run ID --run ID"
else
  # run_peers.sh takes $ADAPTERS/<tool>.sh when it exists, else its own adapters/: a folder
  # holding only our cairn.sh keeps its restic and borg adapters in play.
  adapters=$(mktemp -d)
  ln -s "$HERE/adapters/cairn.sh" "$adapters/cairn.sh"
  ADAPTERS=$adapters "$SHARED/run_peers.sh" || status=$?
  rm -rf "$adapters"
  csv=$RESULTS/peers.csv combine="python3 $SHARED/report.py $RESULTS/peers.csv --run ID --run ID"
fi
elapsed=$(($(date +%s) - started))

# 4. where things are
report=$(ls -t "$RESULTS"/report-*.md 2> /dev/null | head -1 || true)
cat >&2 << EOF

[run.sh] done in $((elapsed / 60)) min $((elapsed % 60)) s (peer harness only, $HARNESS)
  report (markdown, medians):  ${report:-"(none: see the logs)"}
  raw rows (all runs):         $csv
  per-step logs:               $RESULTS/logs/<run>-r<rep>-<tool>-<variant>/
  physical limits:             $RESULTS/limits.txt
  corpus description:          ${CORPUS%/}.info   (compare runs only when digest_all matches)
  combine runs:                $combine
EOF
[ "$status" = 0 ] || say "the peer harness exited with status $status"
exit "$status"
