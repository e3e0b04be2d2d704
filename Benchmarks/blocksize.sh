#!/usr/bin/env bash
# Benchmarks/blocksize.sh: what the block size costs in objects (one PUT request each on S3)
# against what it costs in deduplication, to choose the default block size of S3 repositories.
#
# For each block size, on a fresh copy of the corpus and a fresh local repository encrypted
# and compressed as a new S3 repository is (zstd, AES-256-GCM):
#   S1  the first backup: objects written (each is one PUT on S3) and bytes stored;
#   S3  `corpus.py mutate` (appends, in-place edits, deletions, a 100-byte insertion at the
#       start of a 200 MiB file, new files), then a backup: new objects and new bytes.
# restic (`restic:auto`, 16 MiB packs) on the same data gives the comparison: files it
# writes to its repository in each step (packs, indexes, the snapshot: one PUT each).
# A local repository counts what an S3 one would PUT (object for object; S3 adds a lock
# object and its refreshes, the same few for every block size), without the server's noise.
#
# Environment (all optional):
#   BLOCKS="1 2 4 8"                    block sizes in MiB
#   TOOLS="cairn restic"                restic for the comparison row
#   CORPUS=/tmp/bench/corpus            the corpus (Benchmarks/corpus.py make)
#   WORK=/tmp/bench/blocksize           scratch space (deleted at the end, except the results)
#   CAIRN=<repo>/.build/release/cairn   the binary (swift build -c release --static-swift-stdlib --product cairn)
#   RESULTS=$WORK/results-<time>.md     the results file (kept)
set -euo pipefail
export LC_ALL=C

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/.." && pwd)
BLOCKS=${BLOCKS:-"1 2 4 8"}
TOOLS=${TOOLS:-"cairn restic"}
CORPUS=${CORPUS:-/tmp/bench/corpus}
WORK=${WORK:-/tmp/bench/blocksize}
CAIRN=${CAIRN:-$ROOT/.build/release/cairn}
STAMP=$(date -u +%Y%m%dT%H%M%SZ)
RESULTS=${RESULTS:-$WORK/results-$STAMP.md}

say() { printf '[blocksize.sh %(%H:%M:%S)T] %s\n' -1 "$*" >&2; }
die() { echo "blocksize.sh: $*" >&2; exit 1; }

[ -d "$CORPUS" ] || die "no corpus at $CORPUS (make it with: python3 $HERE/corpus.py make $CORPUS)"
case "$WORK" in /tmp/*) ;; *) die "WORK must be below /tmp (it is deleted)" ;; esac
case " $TOOLS " in *" cairn "*) [ -x "$CAIRN" ] || die "no binary at $CAIRN; build it with 'swift build -c release --static-swift-stdlib --product cairn' in $ROOT" ;; esac
case " $TOOLS " in *" restic "*) command -v restic > /dev/null || die "restic is not installed (apt-get install restic)" ;; esac

rm -rf "$WORK/src" "$WORK/repo"
mkdir -p "$WORK"
printf 'blocksize-bench\n' > "$WORK/password"

# json_field JSON NAME: a statistic of the snapshot in cairn's --json backup output.
json_field() {
  python3 -c 'import json, sys; print(json.loads(sys.argv[1])["snapshot"]["statistics"][sys.argv[2]])' "$1" "$2"
}
files_in() { find "$1" -type f | wc -l; }
bytes_in() { du -sb "$1" | cut -f1; }

{
  echo "# Block size against objects (PUT requests) and deduplication"
  echo
  echo "Run $STAMP, \`Benchmarks/blocksize.sh\`, corpus $CORPUS ($(files_in "$CORPUS") files, $(bytes_in "$CORPUS") bytes),"
  echo "Cairn $("$CAIRN" --version 2>/dev/null || echo '?') (zstd, AES-256-GCM), restic $(restic version 2>/dev/null | awk '{print $2}') (compression auto)."
  echo
  echo "| tool, block size | S1 objects | S1 stored MB | S3 new objects | S3 new MB |"
  echo "|---|---:|---:|---:|---:|"
} > "$RESULTS"

for tool in $TOOLS; do
  sizes=$BLOCKS
  [ "$tool" = restic ] && sizes=packs
  for size in $sizes; do
    rm -rf "$WORK/src" "$WORK/repo"
    cp -a "$CORPUS" "$WORK/src"
    case $tool in
      cairn)
        export CAIRN_PASSWORD_FILE="$WORK/password"
        "$CAIRN" init --repo "$WORK/repo" --block-size $((size << 20)) --compression zstd \
          --encryption aes-256-gcm > /dev/null
        s1=$("$CAIRN" backup --repo "$WORK/repo" --json "$WORK/src")
        s1_objects=$(json_field "$s1" newObjects)
        s1_bytes=$(json_field "$s1" newBytes)
        python3 "$HERE/corpus.py" mutate "$WORK/src" > /dev/null
        s3=$("$CAIRN" backup --repo "$WORK/repo" --json "$WORK/src")
        s3_objects=$(json_field "$s3" newObjects)
        s3_bytes=$(json_field "$s3" newBytes)
        label="cairn, $size MiB"
        ;;
      restic)
        export RESTIC_PASSWORD_FILE="$WORK/password" RESTIC_REPOSITORY="$WORK/repo"
        restic init --repository-version 2 > /dev/null
        before=$(files_in "$WORK/repo")
        restic backup --compression auto -q "$WORK/src" > /dev/null
        s1_objects=$(($(files_in "$WORK/repo") - before))
        s1_bytes=$(bytes_in "$WORK/repo")
        python3 "$HERE/corpus.py" mutate "$WORK/src" > /dev/null
        before=$(files_in "$WORK/repo")
        before_bytes=$(bytes_in "$WORK/repo")
        restic backup --compression auto -q "$WORK/src" > /dev/null
        s3_objects=$(($(files_in "$WORK/repo") - before))
        s3_bytes=$(($(bytes_in "$WORK/repo") - before_bytes))
        label="restic, 16 MiB packs"
        ;;
      *) die "unknown tool $tool (cairn | restic)" ;;
    esac
    line="| $label | $s1_objects | $((s1_bytes / 1000000)) | $s3_objects | $((s3_bytes / 1000000)) |"
    say "$line"
    echo "$line" >> "$RESULTS"
  done
done
rm -rf "$WORK/src" "$WORK/repo"
say "results: $RESULTS"
cat "$RESULTS"
