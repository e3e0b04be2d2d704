#!/usr/bin/env bash
# Builds the libFuzzer harnesses (Tests/Fuzz/Package.swift) and runs each one
# for a bounded time. Exits non-zero when a fuzzer finds a crash, a timeout or
# an out-of-memory input; the input is saved and its Swift backtrace printed.
# See Docs/FUZZING.md.
#
# Environment:
#   FUZZ_SECONDS    seconds per fuzzer (default 60)
#   FUZZ_TARGETS    fuzzers to run (default "ManifestFuzzer RecordFuzzer ConfigFuzzer")
#   FUZZ_BUILD_DIR  scratch path of the build, the working corpus and the
#                   crash artifacts (default .build-fuzz-harness in the repository)
#   FUZZ_ARGS       extra libFuzzer options, e.g. "-seed=1 -jobs=2"
#   FUZZ_NO_BUILD=1 use the fuzzers already built in FUZZ_BUILD_DIR
set -euo pipefail

fuzz_dir="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$fuzz_dir/../.." && pwd)"
seconds="${FUZZ_SECONDS:-60}"
targets="${FUZZ_TARGETS:-ManifestFuzzer RecordFuzzer ConfigFuzzer}"
build_dir="${FUZZ_BUILD_DIR:-$root/.build-fuzz-harness}"
read -r -a extra_args <<<"${FUZZ_ARGS:-}"

if ! [[ "$seconds" =~ ^[0-9]+$ ]] || [ "$seconds" -lt 1 ]; then
  echo "run.sh: FUZZ_SECONDS must be a positive number of seconds, not '$seconds'" >&2
  exit 2
fi

if [ "${FUZZ_NO_BUILD:-0}" != 1 ]; then
  echo "== building the fuzzers in $build_dir"
  start=$SECONDS
  swift build -c release --package-path "$fuzz_dir" --scratch-path "$build_dir" \
    -Xswiftc -sanitize=fuzzer -Xswiftc -parse-as-library
  echo "== built in $((SECONDS - start)) s"
fi
bin_dir="$(swift build -c release --package-path "$fuzz_dir" --scratch-path "$build_dir" --show-bin-path)"

failed=()
for target in $targets; do
  case "$target" in
    ManifestFuzzer) kind=manifest dict=manifest.dict max_len=16384 ;;
    RecordFuzzer) kind=record dict=json.dict max_len=4096 ;;
    ConfigFuzzer) kind=config dict=json.dict max_len=4096 ;;
    *)
      echo "run.sh: unknown fuzzer '$target'" >&2
      exit 2
      ;;
  esac
  corpus="$build_dir/corpus/$target"   # grows between runs; not in git
  artifacts="$build_dir/artifacts/$target"
  log="$build_dir/logs/$target.log"
  mkdir -p "$corpus" "$artifacts" "$(dirname "$log")"
  rm -f "$artifacts"/*

  echo "== $target: ${seconds} s, corpus $corpus + seeds/$kind"
  status=0
  # The Swift runtime's backtracer would take the signal of a trap before
  # libFuzzer does, and then libFuzzer could not save the input.
  SWIFT_BACKTRACE=enable=no "$bin_dir/$target" \
    -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -max_len="$max_len" \
    -dict="$fuzz_dir/dictionaries/$dict" -artifact_prefix="$artifacts/" -print_final_stats=1 \
    "${extra_args[@]}" "$corpus" "$fuzz_dir/seeds/$kind" >"$log" 2>&1 || status=$?
  grep -E '^(#[0-9]+[[:space:]]+DONE|Done [0-9]+ runs|stat::number_of_executed_units|stat::peak_rss_mb)' "$log" || true

  if [ "$status" -ne 0 ]; then
    failed+=("$target")
    echo "!! $target failed with status $status; log: $log" >&2
    tail -n 40 "$log" >&2
    for input in "$artifacts"/*; do
      [ -e "$input" ] || continue
      echo "!! input $input ($(wc -c <"$input") bytes), hex:" >&2
      od -An -tx1 -v "$input" | head -n 64 >&2
      echo "!! Swift backtrace of the replay:" >&2
      SWIFT_BACKTRACE=enable=yes,interactive=no,color=no "$bin_dir/$target" "$input" 2>&1 |
        grep -vE '^(INFO|Running|Executed)' | head -n 60 >&2 || true
      echo "!! keep it: mkdir -p '$fuzz_dir/crashers' && cp '$input' '$fuzz_dir/crashers/$target-$(basename "$input")'" >&2
    done
  fi
done

if [ "${#failed[@]}" -gt 0 ]; then
  echo "fuzzing found problems in: ${failed[*]}" >&2
  exit 1
fi
echo "fuzzing: no crash in $targets (${seconds} s each)"
