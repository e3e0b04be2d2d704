#!/usr/bin/env bash
# Regenerates the seed corpus in Tests/Fuzz/seeds from a real repository: a
# small tree with every kind of entry is backed up (a full, then a
# differential) in a repository made with `--compression none` and no
# encryption, and the plaintext of its manifest parts and records (the
# envelope's 16-byte header stripped) and its config are copied, with the
# config of an encrypted repository. Three hand-made parts are added: the
# empty manifest, the worked example of Docs/FORMAT.md and an entry with
# tagged fields. Needs a cairn binary: $CAIRN, or the debug build in
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

# No compression and no encryption: every stored file is the 16-byte envelope
# header followed by the plaintext, so the seeds are that plaintext.
"$cairn" init --repo "$work/repo" --block-size 65536 --compression none >/dev/null
"$cairn" backup --repo "$work/repo" --full "$src" >/dev/null
echo changed >"$src/f"
rm "$src/sub/name with spaces" "$src/empty"
"$cairn" backup --repo "$work/repo" --differential "$src" >/dev/null
# The config of an encrypted repository (the config is plain JSON either way).
printf 'seed password\n' >"$work/password"
"$cairn" init --repo "$work/encrypted" --encryption aes-256-gcm --kdf-cost 10 \
  --password-file "$work/password" >/dev/null

rm -rf "$seeds"
mkdir -p "$seeds/manifest" "$seeds/record" "$seeds/config"
cp "$work/repo/config" "$seeds/config/config.json"
cp "$work/encrypted/config" "$seeds/config/config-encrypted.json"
python3 - "$work/repo" "$seeds" <<'PY'
import json, os, sys
repo, seeds = sys.argv[1:]

def plaintext(path):
    """The body of an unencrypted, uncompressed envelope (Docs/FORMAT.md, "Envelope")."""
    data = open(path, "rb").read()
    header = data[:16]
    if header[:3] != b"CN\x01" or header[3:5] != b"\x00\x00":
        sys.exit(f"make-seeds: {path} is not an uncompressed, unencrypted envelope")
    if int.from_bytes(header[8:16], "little") != len(data) - 16:
        sys.exit(f"make-seeds: {path} has the wrong logical size")
    return data[16:]

for name in sorted(os.listdir(os.path.join(repo, "snapshots"))):
    if name.startswith("."):
        continue
    record = plaintext(os.path.join(repo, "snapshots", name))
    kind = json.loads(record)["kind"]
    open(os.path.join(seeds, "record", kind + ".json"), "wb").write(record)
    for part in json.loads(record)["manifest"]:
        body = plaintext(os.path.join(repo, "objects", part[:2], part))
        open(os.path.join(seeds, "manifest", kind + ".bin"), "wb").write(body)
PY
chmod 644 "$seeds"/*/*
printf 'CAIRNMF2' >"$seeds/manifest/empty.bin"
# Docs/FORMAT.md, "Worked example": the file /s/f, then the removal of /s/g.
# Then a hand-made entry with tagged fields: /s/h carrying the unknown,
# non-critical tags 1000 (3 bytes) and 1002 (empty), which a reader skips.
python3 - "$seeds/manifest" <<'PY'
import os, sys
example = bytes.fromhex(
    "01 04 2f732f66 a403 e807 e807 80c49fd50c 80cab5ee01 80c49fd50c 80cab5ee01"
    " 0c 8110 01 03 00 01"
    " 98ea6e4f216f2fb4b69fff9b3a44842c38686ca685f3f55dc48c5d3fb1107be4 00 00"
    " 00 04 2f732f67")
open(os.path.join(sys.argv[1], "format-example.bin"), "wb").write(b"CAIRNMF2" + example)
tagged = bytes.fromhex(
    "02 04 2f732f68 ed03 00 00 00 00 00 00 0d 8110 02 00 00 00 00"
    " 02 e807 03 616263 ea07 00")
open(os.path.join(sys.argv[1], "tagged-fields.bin"), "wb").write(b"CAIRNMF2" + tagged)
PY
ls -l "$seeds"/*
