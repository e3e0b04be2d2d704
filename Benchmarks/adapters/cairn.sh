# Cairn adapter for Benchmarks/peers.sh (and ../shared/bench/run_peers.sh: same contract).
#
# Contract (Benchmarks/README.md, "Adapters"): BENCH_REPO (does not exist yet), BENCH_STATE
# (empty dir, unused by Cairn: it keeps no cache outside the repository) and
# BENCH_VARIANT are exported; each function runs in a fresh bash after tool_env.
# CAIRN_BIN names another binary than this checkout's .build/release/cairn (to compare builds).
#
# Variants (block size 1 MiB, the local default, in all but the s3 ones, which take the S3
# default of 8 MiB; backups as Cairn chooses: the first is full, later ones differential
# against the newest full, unless the variant says --full):
#   1m          (default) no compression, no encryption: the format-1 comparison point
#   1m-full     the same, every backup forced with --full (reads and hashes every file)
#   zstd        zstd (Cairn's default compression, level 1), no encryption
#   zstd-aes    zstd and AES-256-GCM (password in BENCH_STATE; scrypt at its default cost)
#   s3          on the S3 server named by CAIRN_TEST_S3_ENDPOINT / CAIRN_TEST_S3_BUCKET
#               (eval "$(Tests/S3/start-ceph.sh)"), no compression, no encryption
#   s3-zstd-aes the same with zstd and AES-256-GCM (what `cairn init` does on S3)
#
# The binary is the release build of this checkout: <repo>/.build/release/cairn
# (`swift build -c release --static-swift-stdlib --product cairn`, or Benchmarks/run.sh, which builds it).

# The harness sources this file by its path (peers.sh directly, run.sh HARNESS=shared through a
# symlink), so BASH_SOURCE names it; resolve the binary once, at source time, before any
# tool_* cds away.
CAIRN_ADAPTER_DIR=$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")
CAIRN_BIN=${CAIRN_BIN:-$(cd "$CAIRN_ADAPTER_DIR/../.." && pwd)/.build/release/cairn}

tool_env() {
  export CAIRN_REPO="$BENCH_REPO"
  CAIRN_ENV_ERROR=
  CAIRN_BLOCK_FLAGS=(--block-size 1048576)
  CAIRN_BACKUP_FLAGS=()
  CAIRN_INIT_FLAGS=(--compression none --encryption none)
  local variant=${BENCH_VARIANT:-1m}
  case "$variant" in
    1m | default) ;;
    1m-full) CAIRN_BACKUP_FLAGS=(--full) ;;
    zstd) CAIRN_INIT_FLAGS=(--compression zstd --encryption none) ;;
    zstd-aes | s3-zstd-aes) CAIRN_INIT_FLAGS=(--compression zstd --encryption aes-256-gcm) ;;
    s3) ;;
    *) CAIRN_ENV_ERROR="cairn adapter: unknown variant '$variant' (1m | 1m-full | zstd | zstd-aes | s3 | s3-zstd-aes)" ;;
  esac
  mkdir -p "$BENCH_STATE"
  printf 'cairn-bench\n' > "$BENCH_STATE/password"
  export CAIRN_PASSWORD_FILE="$BENCH_STATE/password"
  case "$variant" in
    s3*)
      CAIRN_BLOCK_FLAGS=()  # what `cairn init` chooses on S3 (8 MiB: Docs/PERFORMANCE.md, "Block size on S3")
      if [ -z "${CAIRN_TEST_S3_ENDPOINT:-}" ]; then
        CAIRN_ENV_ERROR="cairn adapter: variant '$variant' needs eval \"\$(Tests/S3/start-ceph.sh)\" first"
      else
        [ -s "$BENCH_STATE/s3-prefix" ] || echo "cairn-$(date +%s%N)" > "$BENCH_STATE/s3-prefix"
        export CAIRN_REPO="s3:$CAIRN_TEST_S3_ENDPOINT/${CAIRN_TEST_S3_BUCKET:-cairn-test}/$(cat "$BENCH_STATE/s3-prefix")"
      fi
      ;;
  esac
  if [ ! -x "$CAIRN_BIN" ]; then
    CAIRN_ENV_ERROR="cairn adapter: no release binary at $CAIRN_BIN; build it with"
    CAIRN_ENV_ERROR+=" 'swift build -c release --static-swift-stdlib --product cairn' in $(cd "$CAIRN_ADAPTER_DIR/../.." && pwd)"
  fi
  [ -z "$CAIRN_ENV_ERROR" ] || { echo "$CAIRN_ENV_ERROR" >&2; return 1; }
}

# ../shared/bench/run_peers.sh runs `tool_env; tool_xxx` (not &&), so every command checks again:
# a missing build or a bad variant fails the step with a non-zero exit.
cairn_run() {
  if [ -n "${CAIRN_ENV_ERROR:-}" ] || [ ! -x "$CAIRN_BIN" ]; then
    echo "${CAIRN_ENV_ERROR:-cairn adapter: missing $CAIRN_BIN}" >&2
    return 1
  fi
  "$CAIRN_BIN" "$@"
}

# cairn_counted CMD ARGS...: runs `cairn CMD --json ARGS...` and passes its JSON on to stdout (the step's
# .out log: run_peers.sh and peers.sh send each step's stdout to $LOGDIR/<step>.out). On an S3
# repository that JSON holds the client's own HTTP request counts (its `requests` object); they
# are read from the .out log after the run, so nothing but Cairn runs inside the timed step (an
# earlier version parsed them here with python3, whose cold start was timed as Cairn's: about
# 0.1 to 0.3 s on S2 after the harness drops the caches).
cairn_counted() {
  local command=$1
  shift
  cairn_run "$command" --json "$@"
}

tool_version() { cairn_run --version; echo "binary: $CAIRN_BIN"; }
tool_init() { cairn_run init "${CAIRN_BLOCK_FLAGS[@]}" "${CAIRN_INIT_FLAGS[@]}"; }
# tool_backup SRC LABEL: LABEL (s1, s2, s3) is not recorded; Cairn names snapshots itself.
# --json: the snapshot record (kind, files read, new objects and bytes) lands in the step's
# .out log; without it a backup whose stdout is not a terminal prints nothing. On S3 that
# JSON holds the client's request counts (see cairn_counted).
tool_backup() { cairn_counted backup "${CAIRN_BACKUP_FLAGS[@]}" "$1"; }
# restore writes TARGET/<canonical absolute source path>/...
tool_restore() { cairn_counted restore latest "$1"; }
tool_restored_root() { echo "$1$(realpath "$2")"; }
tool_prune() { cairn_run forget --keep-last 1 --group-by "" && cairn_counted gc; }
tool_snapshots() {
  local listing
  listing=$(cairn_run snapshots --json) || return 1
  python3 -c 'import json,sys; print(len(json.load(sys.stdin)))' <<< "$listing"
}
