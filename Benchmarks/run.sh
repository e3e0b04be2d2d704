#!/usr/bin/env bash
# Benchmarks/run.sh: Cairn against restic and borg on the shared corpus, in one command.
#
#   1. installs restic, borgbackup and time with apt-get when missing (needs root)
#   2. builds the release binary: swift build -c release --product cairn
#   3. builds the corpus if missing, runs ../shared/bench/limits.sh (physical limits of
#      this machine), then ../shared/bench/run_peers.sh with our adapter folder
#   4. prints where the results are
#
# Environment (all optional; everything else run_peers.sh reads is passed through too):
#   TOOLS="cairn:1m cairn:1m-full restic:off borg:none"   tool:variant list
#   REPS=2                 repetitions of the whole set
#   BENCH_ROOT=/tmp/bench  scratch space; CORPUS=$BENCH_ROOT/corpus
#   RESULTS=/tmp/bench/results   peers.csv, logs/, report-<run>.md, limits.txt
#   DROP_CACHES=warm|cold|none   see run_peers.sh
#   LIMITS=0               skip limits.sh (it takes ~2 min and writes 2 GiB twice)
#   BUILD=0                skip the swift build (use the existing .build/release/cairn)
#   INSTALL=0              skip the apt-get step
#   SHARED=../shared/bench the harness folder (default: next to the repository)
set -euo pipefail
export LC_ALL=C

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/.." && pwd)
SHARED=${SHARED:-$(cd "$ROOT/.." && pwd)/shared/bench}
[ -x "$SHARED/run_peers.sh" ] || { echo "run.sh: no harness at $SHARED (set SHARED=.../shared/bench)" >&2; exit 1; }

export TOOLS=${TOOLS:-"cairn:1m cairn:1m-full restic:off borg:none"}
export REPS=${REPS:-2}
export BENCH_ROOT=${BENCH_ROOT:-/tmp/bench}
export CORPUS=${CORPUS:-$BENCH_ROOT/corpus}
export RESULTS=${RESULTS:-/tmp/bench/results}
# run_peers.sh takes $ADAPTERS/<tool>.sh when it exists and falls back to its own
# adapters/ (restic.sh, borg.sh) otherwise, so pointing it at ours is enough.
export ADAPTERS="$HERE/adapters"

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
  (cd "$ROOT" && swift build -c release --product cairn)
fi
[ -x "$ROOT/.build/release/cairn" ] || { echo "run.sh: $ROOT/.build/release/cairn is missing" >&2; exit 1; }
say "cairn $("$ROOT/.build/release/cairn" --version) at $ROOT/.build/release/cairn"

# 3. corpus, limits, peers
mkdir -p "$RESULTS"
if [ ! -d "$CORPUS" ]; then
  say "building the corpus in $CORPUS (~1.4 GB, a few minutes)"
  "$SHARED/make_corpus.sh" "$CORPUS"
fi
if [ "${LIMITS:-1}" != 0 ]; then
  say "limits.sh -> $RESULTS/limits.txt"
  OUT="$RESULTS/limits.txt" SCRATCH="$BENCH_ROOT/limits" "$SHARED/limits.sh" "$CORPUS"
fi
say "run_peers.sh: TOOLS=[$TOOLS] REPS=$REPS DROP_CACHES=${DROP_CACHES:-warm} ADAPTERS=$ADAPTERS"
started=$(date +%s)
status=0
"$SHARED/run_peers.sh" || status=$?
elapsed=$(($(date +%s) - started))

# 4. where things are
report=$(ls -t "$RESULTS"/report-*.md 2> /dev/null | head -1 || true)
cat >&2 << EOF

[run.sh] done in $((elapsed / 60)) min $((elapsed % 60)) s (peer harness only)
  report (markdown, medians):  ${report:-"(none: see the logs)"}
  raw rows (all runs):         $RESULTS/peers.csv
  per-step logs:               $RESULTS/logs/<run>-r<rep>-<tool>-<variant>/
  physical limits:             $RESULTS/limits.txt
  corpus description:          ${CORPUS%/}.info   (compare runs only when digest_all matches)
  combine runs:                python3 $SHARED/report.py $RESULTS/peers.csv --run ID --run ID
EOF
[ "$status" = 0 ] || say "run_peers.sh exited with status $status"
exit "$status"
