# borg adapter for Benchmarks/peers.sh (contract: Benchmarks/README.md, "Adapters").
#
# Variants: [enc-]COMPRESSION, COMPRESSION any borg --compression spec:
#   none, lz4, zstd,3 ...   unencrypted repository (-e none): chunking and I/O alone
#   enc-none, enc-zstd,3    -e repokey-blake2 (AES-256-CTR + BLAKE2b): the peer of an encrypted Cairn
# The commands are the ones ../shared/bench/adapters/borg.sh runs, so figures compare.

tool_env() {
  export BORG_BASE_DIR="$BENCH_STATE/borg" # cache (chunk index, files cache) and security dir
  export BORG_REPO="$BENCH_REPO"
  export BORG_PASSPHRASE=cairn-bench
  export BORG_UNKNOWN_UNENCRYPTED_REPO_ACCESS_IS_OK=yes
  export BORG_RELOCATED_REPO_ACCESS_IS_OK=yes
  BORG_COMPRESSION=${BENCH_VARIANT:-none}
  [ "$BORG_COMPRESSION" = default ] && BORG_COMPRESSION=none
  BORG_ENCRYPTION=none
  case "$BORG_COMPRESSION" in
    enc-*) BORG_COMPRESSION=${BORG_COMPRESSION#enc-} BORG_ENCRYPTION=repokey-blake2 ;;
  esac
}

tool_version() { borg --version; }
tool_init() { borg init --encryption "$BORG_ENCRYPTION"; }
# Archived from inside SRC, so extracting into TARGET puts SRC's content there.
tool_backup() { cd "$1" && borg create --stats --compression "$BORG_COMPRESSION" "::$2" .; }
tool_restore() {
  local newest
  newest=$(borg list --last 1 --short) || return 1
  cd "$1" && borg extract "::$newest"
}
tool_prune() { borg prune --keep-last 1 && borg compact; }
tool_snapshots() { borg list --short | wc -l; }
