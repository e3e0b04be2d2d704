#!/usr/bin/env bash
# Benchmarks/limits.sh [CORPUS]: what this machine can do at best, the floors backup figures
# are read against (DESIGN.md: a backup should cost little more than copying the bytes it
# must copy; an unchanged tree little more than a stat of each file).
#
#   SHA-256 rate      openssl speed -evp sha256, one core and every core
#   durable writes    dd of 2 GiB, conv=fdatasync: zeros, then incompressible bytes (twice)
#   reads             that file with O_DIRECT, cold (after drop_caches) and warm
#   on the corpus     a stat walk (warm, cold), read + SHA-256 of every byte in one stream
#                     (cold, warm), cp -a + sync (warm source, cold source)
#
# Writes OUT (default /tmp/bench/results/limits.txt) and prints it. Needs root for
# drop_caches and about GIB (2) GiB free in SCRATCH (default /tmp/bench/limits), plus the
# corpus's size again for the copy. Takes about 2 minutes with the default corpus.
set -uo pipefail
export LC_ALL=C
CORPUS=${1:-/tmp/bench/corpus}
SCRATCH=${SCRATCH:-/tmp/bench/limits}
OUT=${OUT:-/tmp/bench/results/limits.txt}
GIB=${GIB:-2}

mkdir -p "$SCRATCH" "$(dirname "$OUT")"
drop_caches() { sync && echo 3 > /proc/sys/vm/drop_caches 2> /dev/null || echo "(could not drop the caches: not root?)"; }
# seconds COMMAND...: wall seconds of COMMAND, its output discarded
seconds() {
  local started
  started=$(date +%s.%N)
  "$@" > /dev/null 2>&1
  awk -v a="$started" -v b="$(date +%s.%N)" 'BEGIN {printf "%.2f", b - a}'
}
# incompressible: 2 GiB of bytes a disk cannot compress (keystream from openssl)
incompressible() {
  head -c $((GIB * 1024 * 1024 * 1024)) /dev/zero | openssl enc -aes-128-ctr -K 000102030405060708090a0b0c0d0e0f -iv 0 2> /dev/null
}
hash_tree() { (cd "$1" && tar cf - . | openssl dgst -sha256); }
copy_tree() { cp -a "$1" "$2" && sync; }

{
  echo "# limits $(date -u +%Y-%m-%dT%H:%M:%SZ): $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(nproc) cores, $(free -g | awk '/^Mem:/ {print $2}') GiB RAM, load $(cut -d' ' -f1-3 /proc/loadavg)"
  echo "## SHA-256: openssl $(openssl version | cut -d' ' -f2) speed -evp sha256 (bytes/s by block size), one core"
  openssl speed -seconds 3 -evp sha256 2> /dev/null | grep -Ei '^(type|sha256)'
  echo "## the same on $(nproc) cores (-multi)"
  openssl speed -seconds 3 -multi "$(nproc)" -evp sha256 2> /dev/null | grep -Ei '^(type|evp|sha256)' | tail -2

  file=$SCRATCH/limits.bin
  echo "## durable write of $GIB GiB of zeros, bs=1M, conv=fdatasync (a virtual disk may treat zeros specially)"
  rm -f "$file"
  dd if=/dev/zero of="$file" bs=1M count=$((GIB * 1024)) conv=fdatasync 2>&1 | tail -1
  echo "## durable write of $GIB GiB of incompressible bytes, bs=1M, conv=fdatasync (two runs)"
  for _ in 1 2; do
    rm -f "$file" && sync
    incompressible | dd of="$file" bs=1M iflag=fullblock conv=fdatasync 2>&1 | tail -1
  done
  echo "## read of that file: O_DIRECT (no page cache), cold (after drop_caches; the host may still cache), warm"
  dd if="$file" of=/dev/null bs=1M iflag=direct 2>&1 | tail -1
  drop_caches
  dd if="$file" of=/dev/null bs=1M 2>&1 | tail -1
  dd if="$file" of=/dev/null bs=1M 2>&1 | tail -1
  rm -f "$file"

  if [ -d "$CORPUS" ]; then
    echo "## corpus $CORPUS: $(find "$CORPUS" -type f | wc -l) files, $(find "$CORPUS" -type f -printf '%s\n' | awk '{s += $1} END {printf "%d", s}') bytes"
    echo "stat walk (find -printf size and mtime), warm: $(seconds find "$CORPUS" -printf '%s %T@\n') s"
    drop_caches
    echo "stat walk, cold: $(seconds find "$CORPUS" -printf '%s %T@\n') s"
    drop_caches
    echo "read+sha256 every file (tar | openssl dgst, one stream), cold: $(seconds hash_tree "$CORPUS") s"
    echo "read+sha256 every file, warm: $(seconds hash_tree "$CORPUS") s"
    rm -rf "$SCRATCH/copy"
    echo "cp -a corpus + sync, warm source: $(seconds copy_tree "$CORPUS" "$SCRATCH/copy") s"
    rm -rf "$SCRATCH/copy"
    drop_caches
    echo "cp -a corpus + sync, cold source: $(seconds copy_tree "$CORPUS" "$SCRATCH/copy") s"
    rm -rf "$SCRATCH/copy"
  fi
} 2>&1 | tee "$OUT"
