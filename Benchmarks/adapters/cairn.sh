# Cairn adapter for ../shared/bench/run_peers.sh (completed from adapters/cairn.sh.example).
#
# Contract (shared/bench/README.md): BENCH_REPO (does not exist yet), BENCH_STATE
# (empty dir, unused by Cairn: it keeps no cache outside the repository) and
# BENCH_VARIANT are exported; each function runs in a fresh bash after tool_env.
#
# Variants:
#   1m       (default) block size 1 MiB; backups as Cairn chooses: the first is full,
#            later ones are differential against the newest full (--full-every 14 days)
#   1m-full  block size 1 MiB; every backup forced with --full (reads and hashes every
#            file; compare its S2/S3 with the peers', which also re-read or re-stat)
#
# The binary is the release build of this checkout: <repo>/.build/release/cairn
# (`swift build -c release --product cairn`, or Benchmarks/run.sh, which builds it).

# run_peers.sh sources this file with `. /abs/or/rel/path/cairn.sh`, so BASH_SOURCE
# names it; resolve the binary once, at source time, before any tool_* cds away.
CAIRN_ADAPTER_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
CAIRN_BIN=$(cd "$CAIRN_ADAPTER_DIR/../.." && pwd)/.build/release/cairn

tool_env() {
  export CAIRN_REPO="$BENCH_REPO"
  CAIRN_ENV_ERROR=
  case "${BENCH_VARIANT:-1m}" in
    1m | default) CAIRN_BLOCK=1048576; CAIRN_BACKUP_FLAGS=() ;;
    1m-full) CAIRN_BLOCK=1048576; CAIRN_BACKUP_FLAGS=(--full) ;;
    *) CAIRN_ENV_ERROR="cairn adapter: unknown variant '$BENCH_VARIANT' (1m | 1m-full)" ;;
  esac
  if [ ! -x "$CAIRN_BIN" ]; then
    CAIRN_ENV_ERROR="cairn adapter: no release binary at $CAIRN_BIN; build it with"
    CAIRN_ENV_ERROR+=" 'swift build -c release --product cairn' in $(cd "$CAIRN_ADAPTER_DIR/../.." && pwd)"
  fi
  [ -z "$CAIRN_ENV_ERROR" ] || { echo "$CAIRN_ENV_ERROR" >&2; return 1; }
}

# run_peers.sh runs `tool_env; tool_xxx` (not &&), so every command checks again:
# a missing build or a bad variant fails the step with a non-zero exit.
cairn_run() {
  if [ -n "${CAIRN_ENV_ERROR:-}" ] || [ ! -x "$CAIRN_BIN" ]; then
    echo "${CAIRN_ENV_ERROR:-cairn adapter: missing $CAIRN_BIN}" >&2
    return 1
  fi
  "$CAIRN_BIN" "$@"
}

tool_version() { cairn_run --version; echo "binary: $CAIRN_BIN"; }
tool_init() { cairn_run init --block-size "$CAIRN_BLOCK"; }
# tool_backup SRC LABEL: LABEL (s1, s2, s3) is not recorded; Cairn names snapshots itself.
# --json: the snapshot record (kind, files read, new objects and bytes) lands in the step's
# .out log; without it a backup whose stdout is not a terminal prints nothing.
tool_backup() { cairn_run backup --json "${CAIRN_BACKUP_FLAGS[@]}" "$1"; }
# restore writes TARGET/<canonical absolute source path>/...
tool_restore() { cairn_run restore latest "$1"; }
tool_restored_root() { echo "$1$(realpath "$2")"; }
tool_prune() { cairn_run forget --keep 1 && cairn_run gc; }
tool_snapshots() {
  local listing
  listing=$(cairn_run snapshots --json) || return 1
  python3 -c 'import json,sys; print(len(json.load(sys.stdin)))' <<< "$listing"
}
