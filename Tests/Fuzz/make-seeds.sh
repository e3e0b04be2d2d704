#!/usr/bin/env bash
# Regenerates the seed corpus in Tests/Fuzz/seeds from a real repository: a
# small tree with every kind of entry is backed up (a full, then a
# differential), and the manifest parts, records and config.json are copied.
# Two hand-made parts are added: the empty manifest and the worked example of
# Docs/FORMAT.md. Needs a cairn binary: $CAIRN, or the debug build in
# .build-fuzz (built here if missing).
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
seeds="$root/Tests/Fuzz/seeds"
cairn="${CAIRN:-$root/.build-fuzz/debug/cairn}"
if [ ! -x "$cairn" ]; then
  swift build --package-path "$root" --scratch-path "$root/.build-fuzz" --product cairn
fi

work="$(mktemp -d)"
trap 'chmod -R u+w "$work"; rm -rf "$work"' EXIT
src="$work/src"
mkdir -p "$src/sub/dir" "$src/empty-dir"
printf 'hi\n' >"$src/f"
: >"$src/empty"
head -c 200000 /dev/urandom >"$src/big" # four 64 KiB blocks
ln "$src/f" "$src/hardlink"
ln -s ../f "$src/sub/link"
mkfifo "$src/sub/fifo"
printf 'x' >"$src/sub/name with spaces"
printf 'y' >"$src/sub/$(printf 'new\nline')"
printf 'z' >"$src/sub/$(printf 'latin1-\xe9')"
chmod 4755 "$src/sub/name with spaces"
if [ "$(id -u)" = 0 ]; then mknod "$src/sub/null" c 1 3; fi

"$cairn" init --repo "$work/repo" --block-size 65536 >/dev/null
"$cairn" backup --repo "$work/repo" --full "$src" >/dev/null
echo changed >"$src/f"
rm "$src/sub/name with spaces" "$src/empty"
"$cairn" backup --repo "$work/repo" --differential "$src" >/dev/null

rm -rf "$seeds"
mkdir -p "$seeds/manifest" "$seeds/record" "$seeds/config"
cp "$work/repo/config.json" "$seeds/config/config.json"
for record in "$work/repo/snapshots/"*.json; do
  kind="$(python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["kind"])' "$record")"
  cp "$record" "$seeds/record/$kind.json"
  for part in $(python3 -c 'import json, sys; print(*json.load(open(sys.argv[1]))["manifest"])' "$record"); do
    cp "$work/repo/objects/${part:0:2}/$part" "$seeds/manifest/$kind.bin"
  done
done
chmod 644 "$seeds"/*/*
printf 'CAIRNMF1' >"$seeds/manifest/empty.bin"
# Docs/FORMAT.md, "Worked example": the file /s/f, then the removal of /s/g.
python3 - "$seeds/manifest/format-example.bin" <<'PY'
import sys
example = bytes.fromhex(
    "01 04 2f732f66 a403 e807 e807 80c49fd50c 80cab5ee01 80c49fd50c 80cab5ee01"
    " 0c 8110 01 03 00 01"
    " 98ea6e4f216f2fb4b69fff9b3a44842c38686ca685f3f55dc48c5d3fb1107be4 00"
    " 00 04 2f732f67")
open(sys.argv[1], "wb").write(b"CAIRNMF1" + example)
PY
ls -l "$seeds"/*
