#!/usr/bin/env python3
"""Benchmarks/recent-inodes.py DIR [FILES]: what creating files costs right after deleting as many.

On an ext4 without a journal, the kernel does not reuse an inode freed in the last minutes
(`recently_deleted()` in fs/ext4/ialloc.c): each new inode is searched for past those, from
the start of its block group, so a tree created soon after a large deletion pays for every
inode the deletion freed nearby. With a journal this check is not made.

The peer harness deletes a corpus copy and a restore of it (about 57,000 inodes each) between
the steps it measures; a tool's restore then pays more or less depending on how recently, and
where, the harness last deleted. This script shows the effect on its own, in DIR's file
system: it creates FILES small files in 40 folders (untimed), deletes them, syncs, creates as
many again, and prints the kernel (system) CPU seconds of both creations.

    python3 Benchmarks/recent-inodes.py /tmp/somewhere 20000
"""

import os
import shutil
import sys
import time


def create(root: str, files: int) -> tuple[float, float]:
    """FILES files of 4 KiB under ROOT: (wall seconds, system CPU seconds)."""
    block = b"x" * 4096
    folders = 40
    started, system = time.monotonic(), os.times().system
    for folder in range(folders):
        os.makedirs(os.path.join(root, f"d{folder}"))
    for number in range(files):
        descriptor = os.open(os.path.join(root, f"d{number % folders}", f"f{number}"), os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
        os.write(descriptor, block)
        os.close(descriptor)
    return time.monotonic() - started, os.times().system - system


def main() -> None:
    if len(sys.argv) not in (2, 3):
        sys.exit(__doc__)
    directory = sys.argv[1]
    files = int(sys.argv[2]) if len(sys.argv) == 3 else 20000
    root = os.path.join(directory, f"recent-inodes-{os.getpid()}")
    if os.path.exists(root):
        sys.exit(f"recent-inodes.py: {root} exists; remove it or choose another DIR")
    os.makedirs(root)
    try:
        first = create(os.path.join(root, "first"), files)
        shutil.rmtree(os.path.join(root, "first"))
        os.sync()
        second = create(os.path.join(root, "second"), files)
    finally:
        shutil.rmtree(root, ignore_errors=True)
    print(f"{files} files in {directory}: first creation {first[0]:.2f} s wall, {first[1]:.2f} s system; "
          f"after deleting them, {second[0]:.2f} s wall, {second[1]:.2f} s system")


if __name__ == "__main__":
    main()
