#!/usr/bin/env python3
"""verify.py SOURCE RESTORED DETAILS: does RESTORED hold exactly what SOURCE holds?

Compares every entry below both roots (symlinks are not followed):
  content  the set of paths, each entry's type, the bytes of regular files, symlink targets
  meta     permission bits, owner and group, mtime to the nanosecond, the size of non-directories
           (a directory's size depends on its history on ext4, so it is left out)
Prints one line, `content=ok meta=ok` when both agree, else what differs and how often,
e.g. `content=DIFF(3:bytes=1;missing=2) meta=differ:mtime=2`. Every difference is listed in DETAILS.
Exit status 0 when both are ok, 1 otherwise.
"""

import os
import stat
import sys
from collections import Counter

CHUNK = 1024 * 1024


def entries(root: str) -> dict:
    """Relative path -> lstat result for everything below `root`."""
    found = {}
    for folder, directories, files in os.walk(root):
        for name in directories + files:
            path = os.path.join(folder, name)
            found[os.path.relpath(path, root)] = os.lstat(path)
    return found


def same_bytes(first: str, second: str) -> bool:
    with open(first, "rb") as a, open(second, "rb") as b:
        while True:
            left, right = a.read(CHUNK), b.read(CHUNK)
            if left != right:
                return False
            if not left:
                return True


def kind(info) -> str:
    return stat.filemode(info.st_mode)[0]


def main() -> int:
    if len(sys.argv) != 4:
        sys.exit(__doc__)
    source_root, restored_root, details_path = sys.argv[1:]
    if not os.path.isdir(restored_root):
        print("content=DIFF(nothing restored) meta=differ:all")
        return 1
    source, restored = entries(source_root), entries(restored_root)
    content, meta, details = Counter(), Counter(), []

    for path in sorted(source.keys() | restored.keys()):
        a, b = source.get(path), restored.get(path)
        if a is None or b is None:
            content["extra" if a is None else "missing"] += 1
            details.append(f"{'extra' if a is None else 'missing'}: {path}")
            continue
        if kind(a) != kind(b):
            content["type"] += 1
            details.append(f"type {kind(a)} -> {kind(b)}: {path}")
            continue
        if stat.S_ISREG(a.st_mode) and (a.st_size != b.st_size or
                                        not same_bytes(os.path.join(source_root, path), os.path.join(restored_root, path))):
            content["bytes"] += 1
            details.append(f"bytes: {path}")
        if stat.S_ISLNK(a.st_mode) and os.readlink(os.path.join(source_root, path)) != os.readlink(os.path.join(restored_root, path)):
            content["target"] += 1
            details.append(f"symlink target: {path}")
        checks = {"mode": (stat.S_IMODE(a.st_mode), stat.S_IMODE(b.st_mode)),
                  "owner": ((a.st_uid, a.st_gid), (b.st_uid, b.st_gid)),
                  "mtime": (a.st_mtime_ns, b.st_mtime_ns)}
        if not stat.S_ISDIR(a.st_mode):
            checks["size"] = (a.st_size, b.st_size)
        for name, (want, got) in checks.items():
            if want != got:
                meta[name] += 1
                details.append(f"{name} {want} -> {got}: {path}")

    with open(details_path, "w") as file:
        file.write("\n".join(details) + ("\n" if details else ""))
    content_word = "ok" if not content else f"DIFF({sum(content.values())}:" + ";".join(f"{k}={v}" for k, v in sorted(content.items())) + ")"
    meta_word = "ok" if not meta else "differ:" + ";".join(f"{k}={v}" for k, v in sorted(meta.items()))
    print(f"content={content_word} meta={meta_word}")
    return 0 if not content and not meta else 1


if __name__ == "__main__":
    sys.exit(main())
