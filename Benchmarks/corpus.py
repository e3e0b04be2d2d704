#!/usr/bin/env python3
"""The benchmark corpus: build it, change it for scenario S3, describe it.

    corpus.py make OUT       build the corpus in OUT (absent or empty), write OUT.info
    corpus.py mutate DIR     apply the S3 change set to a copy of the corpus (once per copy)
    corpus.py describe DIR   print counts, bytes and digests of any corpus

The corpus (about 1.4 GB and 54,000 files on this machine with the defaults):

    tree/<name>/             cp -a of each of TREES (default /usr/share /usr/include):
                             real small files, symlinks, deep directories
    big/random-{1,2,3}.bin   BIG_MIB (200) MiB each of incompressible keystream
    logs/app-NN.log          24 compressible logs of about 4 MiB
    text/dNN/fNNNN.txt       2,000 small text files of 1 to 16 KiB
    edge/                    20 empty files, 5 empty directories, one relative symlink

Everything but tree/ is the same byte for byte on every machine (fixed seeds, fixed
mtimes); tree/ is this machine's own files, so it changes when packages change. The
info file carries a digest per part and one over the whole corpus: compare runs only
when `digest_all` matches.

The keystream is AES-128-CTR from `openssl enc` with the key taken from SHA-256 of a
label and a zero IV, the definition ../shared/bench uses: big/ and the keystream parts
of the change set are the same bytes in both harnesses, so tree/ and big/ (most of the
bytes) agree exactly between them. The logs and texts are this script's own.

The change set (`mutate`), the same rules as ../shared/bench so that S3 figures compare:
  1. the regular files under tree/ smaller than 64 KiB, in byte order of their paths,
     numbered from 0: number % 200 == 0 gets a 64-byte line appended, == 100 gets its
     first (up to) 32 bytes overwritten in place (an empty file gets one byte), == 50 is
     deleted: about 0.5% each (the same bytes as ../shared/bench writes, so tree/ stays
     identical between the two after the change too);
  2. big/random-1.bin: 1 MiB appended;
  3. big/random-2.bin: 100 bytes inserted at offset 0 (every fixed block moves);
  4. logs/app-00..02.log: 256 KiB of new lines appended to each; logs/app-23.log deleted;
  5. added/: 300 new small text files, a new 16 MiB random file, and a copy of
     tree/usr-include/linux (known data under a new name).

Environment for `make`: TREES="/usr/share /usr/include" (a smaller corpus:
TREES=/usr/include BIG_MIB=16), BIG_MIB=200.
"""

import hashlib
import os
import random
import shutil
import stat
import subprocess
import sys

FIXED_MTIME = 1_700_000_000
MIB = 1024 * 1024
SMALL_FILE_LIMIT = 64 * 1024
LOG_COUNT = 24
TEXT_COUNT = 2000
PARTS = ("tree", "big", "logs", "text", "edge", "added")

WORDS = """
backup restore snapshot block bundle manifest object repository retention garbage
collection integrity differential full chunk hash digest verify prune forget schedule
the a of to in and is that for with on as by at from this it be are was not or which
file directory link mode owner size time change read write sync durable disk copy
server client request response error retry timeout queue worker cache index key
""".split()


def keystream(label: str, length: int, sink) -> None:
    """Writes `length` bytes of AES-128-CTR keystream for `label` to the open binary file `sink`."""
    key = hashlib.sha256(label.encode()).hexdigest()[:32]
    zeros = subprocess.Popen(["head", "-c", str(length), "/dev/zero"], stdout=subprocess.PIPE)
    cipher = subprocess.Popen(
        ["openssl", "enc", "-aes-128-ctr", "-K", key, "-iv", "0" * 32],
        stdin=zeros.stdout, stdout=sink)
    zeros.stdout.close()
    if cipher.wait() != 0 or zeros.wait() != 0:
        sys.exit(f"corpus.py: openssl enc failed while writing the keystream '{label}'")


def log_lines(rng: random.Random, start: float, size: int, service_tag: str) -> str:
    """About `size` bytes of timestamped service log lines: repetitive, so they compress well."""
    hosts = [f"node-{n:02d}" for n in range(12)]
    services = ["gateway", "indexer", "auth", "store", "scheduler", "mailer"]
    levels = ["INFO"] * 10 + ["DEBUG"] * 5 + ["WARN"] * 2 + ["ERROR"]
    events = ["request served", "cache miss", "upstream retry", "connection closed",
              "slow query", "session renewed", "job done", "queue backlog"]
    lines, total, clock = [], 0, start
    while total < size:
        clock += rng.random() * 2
        line = (f"{clock:.3f} {rng.choice(hosts)} {rng.choice(services)}{service_tag}"
                f"[{rng.randint(1000, 9999)}] {rng.choice(levels)} {rng.choice(events)} "
                f"route=/v{rng.randint(1, 3)}/{rng.choice(['items', 'users', 'orders', 'health'])}"
                f"/{rng.randrange(100_000)} code={rng.choice([200, 200, 200, 204, 304, 404, 500])} "
                f"ms={rng.randint(1, 999)} trace={rng.getrandbits(64):016x}\n")
        lines.append(line)
        total += len(line)
    return "".join(lines)


def prose(rng: random.Random, size: int) -> bytes:
    """Exactly `size` bytes of word-wrapped text drawn from WORDS."""
    out, width = [], 0
    length = 0
    while length < size:
        word = rng.choice(WORDS)
        width += len(word) + 1
        separator = "\n" if width > 72 else " "
        if separator == "\n":
            width = 0
        out.append(word + separator)
        length += len(word) + 1
    return "".join(out).encode()[:size]


def write_file(path: str, data: bytes) -> None:
    with open(path, "wb") as file:
        file.write(data)


def make(out: str) -> None:
    trees = os.environ.get("TREES", "/usr/share /usr/include").split()
    big_mib = int(os.environ.get("BIG_MIB", "200"))
    if os.path.exists(out) and os.listdir(out):
        sys.exit(f"corpus.py: '{out}' exists and is not empty; remove it or name another")
    for part in ("tree", "big", "logs", "text", "edge"):
        os.makedirs(os.path.join(out, part), exist_ok=True)

    for tree in trees:
        name = tree.strip("/").replace("/", "-")
        subprocess.run(["cp", "-a", tree, os.path.join(out, "tree", name)], check=True)

    for n in (1, 2, 3):
        with open(os.path.join(out, "big", f"random-{n}.bin"), "wb") as sink:
            keystream(f"cairn-bench-big-{n}", big_mib * MIB, sink)

    for n in range(LOG_COUNT):
        rng = random.Random(f"log-{n}")
        text = log_lines(rng, FIXED_MTIME + n * 86_400, 4 * MIB + rng.randrange(256 * 1024), "")
        write_file(os.path.join(out, "logs", f"app-{n:02d}.log"), text.encode())

    rng = random.Random("text")
    for n in range(TEXT_COUNT):
        folder = os.path.join(out, "text", f"d{n // 100:02d}")
        os.makedirs(folder, exist_ok=True)
        write_file(os.path.join(folder, f"f{n:04d}.txt"), prose(rng, rng.randrange(1024, 16 * 1024)))

    edge = os.path.join(out, "edge")
    for n in range(20):
        write_file(os.path.join(edge, f"empty-{n:02d}"), b"")
    for n in range(5):
        os.makedirs(os.path.join(edge, f"emptydir-{n}"), exist_ok=True)
    os.symlink("../logs/app-00.log", os.path.join(edge, "link-to-log"))

    # Fixed times for everything this script made (children before their directories).
    for part in ("big", "logs", "text", "edge"):
        top = os.path.join(out, part)
        for folder, directories, files in os.walk(top, topdown=False):
            for name in files + directories:
                os.utime(os.path.join(folder, name), (FIXED_MTIME, FIXED_MTIME), follow_symlinks=False)
        os.utime(top, (FIXED_MTIME, FIXED_MTIME))

    info = describe(out, trees)
    with open(out.rstrip("/") + ".info", "w") as file:
        file.write(info)
    sys.stdout.write(info)


def regular_files(top: str):
    """Paths of the regular files below `top` (symlinks not followed), in byte order."""
    found = []
    for folder, _, files in os.walk(top):
        for name in files:
            path = os.path.join(folder, name)
            if stat.S_ISREG(os.lstat(path).st_mode):
                found.append(os.fsencode(path))
    return sorted(found)


def mutate(root: str) -> None:
    if not (os.path.isdir(os.path.join(root, "tree")) and os.path.isfile(os.path.join(root, "big", "random-2.bin"))):
        sys.exit(f"corpus.py: '{root}' is not a corpus made by 'corpus.py make'")
    if os.path.exists(os.path.join(root, "added")):
        sys.exit(f"corpus.py: '{root}' was already mutated (added/ exists); mutate a fresh copy")

    small = [p for p in regular_files(os.path.join(root, "tree")) if os.lstat(p).st_size < SMALL_FILE_LIMIT]
    appended = overwritten = deleted = 0
    for number, path in enumerate(small):
        if number % 200 == 0:
            with open(path, "ab") as file:
                file.write(f"# cairn-bench mutation {number:08d} ".encode().ljust(63, b"x") + b"\n")
            appended += 1
        elif number % 200 == 100:
            head = min(32, os.lstat(path).st_size)
            with open(path, "r+b" if head else "ab") as file:
                file.write(f"MUTATED-{number:08d}-".encode().ljust(32, b"#")[:head] if head else b"x")
            overwritten += 1
        elif number % 200 == 50:
            os.unlink(path)
            deleted += 1
    print(f"tree/: {len(small)} files under 64 KiB: {appended} appended, {overwritten} overwritten, {deleted} deleted")

    with open(os.path.join(root, "big", "random-1.bin"), "ab") as sink:
        keystream("cairn-bench-append", MIB, sink)
    print("big/random-1.bin: 1 MiB appended")

    target = os.path.join(root, "big", "random-2.bin")
    staged = target + ".new"
    with open(staged, "wb") as sink:
        keystream("cairn-bench-insert", 100, sink)
        with open(target, "rb") as source:
            shutil.copyfileobj(source, sink, MIB)
    shutil.copymode(target, staged)
    os.replace(staged, target)  # its mtime is now: the content changed, as after an editor's save
    print("big/random-2.bin: 100 bytes inserted at offset 0")

    rng = random.Random("mutate")
    for n in range(3):
        with open(os.path.join(root, "logs", f"app-{n:02d}.log"), "a") as file:
            file.write(log_lines(rng, 1_800_000_000 + n * 1000, 256 * 1024, "-new"))
    os.unlink(os.path.join(root, "logs", "app-23.log"))
    print("logs/: 256 KiB appended to app-00..02, app-23 deleted")

    added = os.path.join(root, "added", "text")
    os.makedirs(added)
    for n in range(300):
        write_file(os.path.join(added, f"new-{n:03d}.txt"), prose(rng, rng.randrange(1024, 16 * 1024)))
    with open(os.path.join(root, "added", "new-random.bin"), "wb") as sink:
        keystream("cairn-bench-new", 16 * MIB, sink)
    linux = os.path.join(root, "tree", "usr-include", "linux")
    if os.path.isdir(linux):
        shutil.copytree(linux, os.path.join(root, "added", "linux-copy"), symlinks=True)
    print("added/: 300 text files, new-random.bin (16 MiB), linux-copy" + ("" if os.path.isdir(linux) else " (absent: no tree/usr-include)"))


def sha256_of(path: bytes) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as file:
        while chunk := file.read(MIB):
            digest.update(chunk)
    return digest.hexdigest()


def listing_digest(root: str, parts) -> str:
    """SHA-256 of `sha256sum`-style lines ('<hash>  ./<path>') for the regular files of `parts`, in path order."""
    lines = []
    for part in parts:
        top = os.path.join(root, part)
        if os.path.isdir(top):
            for path in regular_files(top):
                relative = os.path.relpath(path, os.fsencode(root))
                lines.append((b"./" + relative, sha256_of(path)))
    lines.sort()
    total = hashlib.sha256()
    for relative, digest in lines:
        total.update(digest.encode() + b"  " + relative + b"\n")
    return total.hexdigest()


def describe(root: str, trees=None) -> str:
    counts = {"files": 0, "symlinks": 0, "dirs": 0, "bytes": 0}
    per_part = {}
    for folder, directories, files in os.walk(root):
        counts["dirs"] += 1
        for name in directories + files:
            info = os.lstat(os.path.join(folder, name))
            if stat.S_ISLNK(info.st_mode):
                counts["symlinks"] += 1
            elif stat.S_ISREG(info.st_mode):
                counts["files"] += 1
                counts["bytes"] += info.st_size
                part = os.path.relpath(os.path.join(folder, name), root).split(os.sep)[0]
                files_bytes = per_part.setdefault(part, [0, 0])
                files_bytes[0] += 1
                files_bytes[1] += info.st_size
    lines = [f"corpus: {root}"]
    if trees:
        lines.append(f"trees: {' '.join(trees)}")
    lines += [f"{key}: {value}" for key, value in counts.items()]
    for part in PARTS:
        if part in per_part:
            files, size = per_part[part]
            lines.append(f"part {part}: files={files} bytes={size} digest={listing_digest(root, [part])[:16]}")
    lines.append(f"digest_all: {listing_digest(root, sorted(os.listdir(root)))}")
    return "\n".join(lines) + "\n"


def main() -> None:
    if len(sys.argv) != 3 or sys.argv[1] not in ("make", "mutate", "describe"):
        sys.exit(__doc__)
    command, path = sys.argv[1], sys.argv[2]
    if command == "make":
        make(path)
    elif command == "mutate":
        mutate(path)
    else:
        sys.stdout.write(describe(path))


if __name__ == "__main__":
    main()
