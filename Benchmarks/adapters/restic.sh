# restic adapter for Benchmarks/peers.sh (contract: Benchmarks/README.md, "Adapters").
#
# Variants: [s3-]MODE, MODE one of restic's --compression modes (off | auto | max).
#   off, auto, max   repository in BENCH_REPO (format version 2, AES-256 + Poly1305 always)
#   s3-off, s3-auto  repository on the S3 gateway of Tests/S3/start-ceph.sh
#                    (CAIRN_TEST_S3_ENDPOINT, CAIRN_TEST_S3_BUCKET, AWS_* credentials),
#                    under a fresh prefix per repository
# The commands are the ones ../shared/bench/adapters/restic.sh runs, so figures compare.

tool_env() {
  export RESTIC_PASSWORD=cairn-bench
  export RESTIC_CACHE_DIR="$BENCH_STATE/restic-cache"
  export RESTIC_REPOSITORY="$BENCH_REPO"
  RESTIC_MODE=${BENCH_VARIANT:-off}
  [ "$RESTIC_MODE" = default ] && RESTIC_MODE=off
  case "$RESTIC_MODE" in
    s3-*)
      RESTIC_MODE=${RESTIC_MODE#s3-}
      if [ -z "${CAIRN_TEST_S3_ENDPOINT:-}" ]; then
        echo "restic adapter: variant '$BENCH_VARIANT' needs the gateway: eval \"\$(Tests/S3/start-ceph.sh)\"" >&2
        return 1
      fi
      # BENCH_STATE is fresh for every repetition, so a prefix kept there names a fresh repository.
      [ -s "$BENCH_STATE/s3-prefix" ] || echo "restic-$(date +%s%N)" > "$BENCH_STATE/s3-prefix"
      export RESTIC_REPOSITORY="s3:$CAIRN_TEST_S3_ENDPOINT/$CAIRN_TEST_S3_BUCKET/$(cat "$BENCH_STATE/s3-prefix")"
      ;;
  esac
  case "$RESTIC_MODE" in
    off | auto | max) ;;
    *) echo "restic adapter: unknown variant '$BENCH_VARIANT' ([s3-]off | auto | max)" >&2; return 1 ;;
  esac
}

tool_version() { restic version; }
tool_init() { restic init --repository-version 2; }
# Backed up from inside SRC, so the snapshot's root is SRC's content.
tool_backup() { cd "$1" && restic --compression "$RESTIC_MODE" backup --host bench --tag "$2" .; }
tool_restore() { restic restore latest --target "$1"; }
tool_prune() { restic --compression "$RESTIC_MODE" forget --keep-last 1 --prune; }
tool_snapshots() { restic snapshots --json | python3 -c 'import json, sys; print(len(json.load(sys.stdin)))'; }
