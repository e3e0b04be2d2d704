#!/usr/bin/env python3
"""Restores one Cairn snapshot without Cairn, following only Docs/FORMAT.md.

usage: restore-without-cairn.py REPO SNAPSHOT-ID TARGET

Recreates files (content, mode, mtime; owner as root), directories, symlinks,
FIFOs and hard links under TARGET/<absolute path>; TARGET must be empty or
missing. Every object is checked against its SHA-256. Sockets and devices are skipped.
Sparse files keep their holes; extended attributes and ACLs are restored where
the target accepts them, and owners are mapped by name as root (best effort).
"""
import errno, fcntl, grp, hashlib, json, os, pwd, stat, sys

MAGIC = b"CAIRNMF1"
REMOVED, FILE, DIRECTORY, SYMLINK, FIFO = 0, 1, 2, 3, 4


class Refused(Exception):
    """The repository or the snapshot is not what FORMAT.md describes, or is unsafe."""


def read_object(repo, name):
    if len(name) != 64 or not set(name) <= set("0123456789abcdef"):
        raise Refused(f"'{name}' is not an object name")
    with open(os.path.join(repo, "objects", name[:2], name), "rb") as f:  # a missing one raises
        data = f.read()
    if hashlib.sha256(data).hexdigest() != name:
        raise Refused(f"object {name} is corrupted")
    return data


class Part:
    """The entries of one manifest part (FORMAT.md, "Manifest parts")."""

    def __init__(self, data, name):
        if not data.startswith(MAGIC):
            raise Refused(f"manifest object {name} lacks the magic")
        self.data, self.pos, self.name = data, len(MAGIC), name

    def take(self, count):
        if count > len(self.data) - self.pos:
            raise Refused(f"manifest object {self.name} ends early at byte {self.pos}")
        self.pos += count
        return self.data[self.pos - count:self.pos]

    def varint(self):
        value = shift = 0
        while shift < 64:
            byte = self.take(1)[0]
            value |= (byte & 0x7F) << shift
            if byte < 0x80:
                return value
            shift += 7
        raise Refused(f"manifest object {self.name}: varint too long at byte {self.pos}")

    def time_ns(self):
        zigzag = self.varint()  # seconds, zigzag-encoded; then nanoseconds
        return ((zigzag >> 1) ^ -(zigzag & 1)) * 1_000_000_000 + self.varint()

    def entries(self):
        while self.pos < len(self.data):
            e = {"kind": self.take(1)[0]}
            e["path"] = self.take(self.varint())
            if e["kind"] != REMOVED:
                if e["kind"] > 7:
                    raise Refused(f"manifest object {self.name}: unknown kind {e['kind']}")
                e["mode"], e["uid"], e["gid"] = self.varint(), self.varint(), self.varint()
                e["mtime"], e["ctime"] = self.time_ns(), self.time_ns()
                for field in ("inode", "device", "links", "size", "rdev"):
                    e[field] = self.varint()
                e["blocks"] = [self.take(32).hex() for _ in range(self.varint())]
                e["target"] = self.take(self.varint())
                e["fields"] = read_fields(self)
            yield e


# --- Metadata fields (FORMAT.md, "Metadata fields") ---------------------------
# Kept apart from the rest so that the format's main reader can change
# independently: read_fields parses an entry's tagged fields; the functions
# below use tags 3 (sparse extents), 4 (extended attributes), 6 (owner names).

SPARSE_EXTENTS, EXTENDED_ATTRIBUTES, OWNER_NAMES = 3, 4, 6
UNDERSTOOD_CRITICAL_TAGS = {SPARSE_EXTENTS}


def read_fields(part):
    """An entry's tagged fields as {tag: value}; refuses a critical (odd) tag it does not know."""
    fields, previous = {}, None
    for _ in range(part.varint()):
        tag = part.varint()
        if previous is not None and tag <= previous:
            raise Refused(f"manifest object {part.name}: tagged fields out of order at byte {part.pos}")
        previous, fields[tag] = tag, part.take(part.varint())
        if tag & 1 and tag not in UNDERSTOOD_CRITICAL_TAGS:
            raise Refused(f"manifest object {part.name}: critical field {tag} is unknown to this script")
    return fields


class FieldValue(Part):
    """Varints and byte strings of one field value (the same encodings as a part, without the magic)."""

    def __init__(self, data, what):
        self.data, self.pos, self.name = data, 0, what

    def byte_string(self):
        return self.take(self.varint())


def data_extents(e):
    """A sparse file's data extents [(offset, length)], or None for a dense file."""
    value = e.get("fields", {}).get(SPARSE_EXTENTS)
    if value is None:
        return None
    reader, extents, end = FieldValue(value, f"sparse extents of {e['path']!r}"), [], 0
    while reader.pos < len(value):
        offset = end + reader.varint()
        length = reader.varint()
        end = offset + length
        if length == 0 or end > e["size"]:
            raise Refused(f"{e['path']!r}: a data extent is empty or ends past the size")
        extents.append((offset, length))
    return extents


def content_length(e):
    """How many bytes the blocks hold: the data extents of a sparse file, the size otherwise."""
    extents = data_extents(e)
    return e["size"] if extents is None else sum(length for _, length in extents)


def write_content(fd, e, chunks):
    """Writes the block contents: in order for a dense file; into the data extents of a sparse
    one, then ftruncate to the size, so the holes stay holes. Returns the bytes written."""
    extents, written = data_extents(e), 0
    if extents is None:
        for data in chunks:
            data = memoryview(data)
            written += len(data)
            while data:
                data = data[os.write(fd, data):]
        return written
    index = within = 0
    for data in chunks:
        data = memoryview(data)
        written += len(data)
        while data:
            if index == len(extents):
                raise Refused(f"{e['path']!r}: blocks hold more than the data extents")
            offset, length = extents[index]
            count = min(len(data), length - within)
            done = 0
            while done < count:
                done += os.pwrite(fd, data[done:count], offset + within + done)
            data, within = data[count:], within + count
            if within == length:
                index, within = index + 1, 0
    os.ftruncate(fd, e["size"])
    return written


def extended_attributes(e):
    """[(name, value)] from tag 4."""
    value = e.get("fields", {}).get(EXTENDED_ATTRIBUTES)
    reader, attributes = FieldValue(value or b"", f"extended attributes of {e['path']!r}"), []
    while reader.pos < len(reader.data):
        attributes.append((reader.byte_string(), reader.byte_string()))
    return attributes


def restore_extended_attributes(e, where, follow):
    """Best effort: sets each attribute, warning once per refused namespace and errno."""
    for name, value in extended_attributes(e):
        try:
            os.setxattr(where, name, value, follow_symlinks=follow)
        except OSError as error:
            kind = (name.split(b".", 1)[0], error.errno)
            if kind not in REFUSED_ATTRIBUTES:
                REFUSED_ATTRIBUTES.add(kind)
                print(f"extended attributes {kind[0].decode(errors='replace')}.* not restored "
                      f"(first on {e['path']!r}: {os.strerror(error.errno)})", file=sys.stderr)


REFUSED_ATTRIBUTES = set()


def owner_ids(e):
    """(uid, gid): this machine's ids for the stored names when they exist here, else the stored ids."""
    value = e.get("fields", {}).get(OWNER_NAMES)
    uid, gid = e["uid"], e["gid"]
    if value:
        try:  # the ACL names that may follow are not used here: ACL ids are restored as stored
            reader = FieldValue(value, "owner names")
            user, group = reader.byte_string(), reader.byte_string()
        except Refused:
            return uid, gid  # names only refine the ids
        try:
            uid = pwd.getpwnam(os.fsdecode(user)).pw_uid if user else uid
        except KeyError:
            pass
        try:
            gid = grp.getgrnam(os.fsdecode(group)).gr_gid if group else gid
        except KeyError:
            pass
    return uid, gid

# --- End of metadata fields ----------------------------------------------------


def order_key(path):  # component-wise byte order, the same as '/' sorting before every other byte
    return path.split(b"/")


def read_manifest(repo, record):
    previous = None
    for name in record["manifest"]:
        for e in Part(read_object(repo, name), name).entries():
            if previous is not None and not order_key(previous) < order_key(e["path"]):
                raise Refused(f"manifest object {name}: {e['path']!r} is out of order")
            previous = e["path"]
            yield e


def load_record(repo, snapshot):
    if not snapshot or "/" in snapshot or snapshot.startswith("."):
        raise Refused(f"'{snapshot}' is not a snapshot id")
    with open(os.path.join(repo, "snapshots", snapshot + ".json"), encoding="utf-8") as f:
        record = json.load(f)
    if record.get("version") != 1 or record.get("id") != snapshot:
        raise Refused(f"snapshot record {snapshot} has an unknown version or a wrong id")
    return record


def snapshot_tree(repo, snapshot):
    """The complete tree in path order: a full as it is, a differential applied to its base."""
    record, tree = load_record(repo, snapshot), {}
    if record["kind"] == "differential":
        base = load_record(repo, record["base"])
        if base["kind"] != "full":
            raise Refused(f"the base {base['id']} of {snapshot} is not a full snapshot")
        tree = {e["path"]: e for e in read_manifest(repo, base) if e["kind"] != REMOVED}
    elif record["kind"] != "full":
        raise Refused(f"snapshot {snapshot} has an unknown kind")
    for e in read_manifest(repo, record):
        if e["kind"] == REMOVED:
            tree.pop(e["path"], None)
        else:
            tree[e["path"]] = e
    return [tree[path] for path in sorted(tree, key=order_key)]


def is_safe(path):
    parts = path.split(b"/")
    return path == b"/" or (parts[0] == b"" and b"\0" not in path
                            and all(p not in (b"", b".", b"..") for p in parts[1:]))


def restore(repo, snapshot, target):
    entries = snapshot_tree(repo, snapshot)
    for e in entries:  # refuse before writing anything
        if not is_safe(e["path"]):
            raise Refused(f"unsafe path {e['path']!r} in the snapshot")
    os.makedirs(target, exist_ok=True)
    if os.listdir(target):
        raise Refused(f"target '{target}' is not empty")
    root = os.fsencode(os.path.abspath(target))
    is_root = os.geteuid() == 0
    checked, directories, first_link = {root}, [], {}

    def parent_of(path):  # TARGET/<parent>; missing ancestors made 0755; never through a symlink
        current = root
        for name in path.split(b"/")[1:-1]:
            current += b"/" + name
            if current not in checked:
                if not os.path.lexists(current):
                    os.mkdir(current, 0o755)
                if not stat.S_ISDIR(os.lstat(current).st_mode):
                    raise Refused(f"{current!r} is not a directory")
                checked.add(current)
        return current

    def metadata(e, where, follow=True):  # owner (as root), then mode, then attributes, then times
        if is_root:
            os.chown(where, *owner_ids(e), follow_symlinks=follow)
        if e["kind"] != SYMLINK:
            os.chmod(where, e["mode"])
        restore_extended_attributes(e, where, follow)
        os.utime(where, ns=(e["mtime"], e["mtime"]), follow_symlinks=follow)

    for e in entries:
        if e["path"] == b"/":
            continue
        dest = parent_of(e["path"]) + b"/" + e["path"].rsplit(b"/", 1)[1]
        if e["kind"] == DIRECTORY:
            os.mkdir(dest, 0o700)  # its own mode once everything below it is written
            checked.add(dest)
            directories.append((e, dest))
        elif e["kind"] == FILE:
            identity = (e["device"], e["inode"])
            if e["links"] > 1 and identity in first_link:
                os.link(first_link[identity], dest, follow_symlinks=False)
                continue
            fd = os.open(dest, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
            try:
                written = write_content(fd, e, (read_object(repo, block) for block in e["blocks"]))
                if written != content_length(e):
                    raise Refused(f"{e['path']!r}: blocks hold {written} bytes, manifest says {content_length(e)}")
                metadata(e, fd)
            except BaseException:
                os.close(fd)
                os.unlink(dest)  # never leave wrong or partial bytes behind
                raise
            os.close(fd)
            if e["links"] > 1:
                first_link.setdefault(identity, dest)
        elif e["kind"] == SYMLINK:
            os.symlink(e["target"], dest)
            metadata(e, dest, follow=False)
        elif e["kind"] == FIFO:
            os.mkfifo(dest, 0o600)
            metadata(e, dest)
        else:
            print(f"skipped {e['path']!r} (kind {e['kind']})", file=sys.stderr)
    for e, dest in reversed(directories):  # deepest first
        metadata(e, dest)
    return len(entries)


def main():
    if len(sys.argv) != 4:
        sys.exit(__doc__.splitlines()[2])
    repo, snapshot, target = sys.argv[1:]
    try:
        with open(os.path.join(repo, "config.json"), encoding="utf-8") as f:
            config = json.load(f)
        if config.get("format") != 1 or config.get("hash") != "sha256":
            raise Refused(f"repository format {config.get('format')}, hash {config.get('hash')}: unknown")
        with open(os.path.join(repo, "lock"), "rb") as lock:
            fcntl.flock(lock, fcntl.LOCK_SH)  # as Cairn's restore: no gc runs meanwhile
            count = restore(repo, snapshot, target)
    except (Refused, OSError, ValueError, KeyError) as error:
        sys.exit(f"restore-without-cairn: {error}")
    print(f"restored {count} entries of snapshot {snapshot} under {target}")


if __name__ == "__main__":
    main()
