#!/usr/bin/env python3
"""Restores one Cairn snapshot without Cairn, following only Docs/FORMAT.md.

usage: restore-without-cairn.py [--password-file FILE] REPO SNAPSHOT-ID TARGET

Reads repository format 2: compressed (zstd) or not, encrypted (AES-256-GCM)
or not. The password of an encrypted repository comes from --password-file,
then $CAIRN_PASSWORD_FILE, then $CAIRN_PASSWORD, then a prompt on the
terminal. Needs the Python packages `cryptography` and `zstandard`
(`python3 -m pip install cryptography zstandard`).

Recreates files (content, mode, mtime; owner as root), directories, symlinks,
FIFOs and hard links under TARGET/<absolute path>; TARGET must be empty or
missing. Every object is opened and checked against its name (SHA-256, or
HMAC-SHA256 under the addressing key); a damaged one stops the restore.
Sockets and devices are skipped.

Tagged fields (FORMAT.md, "Metadata fields"): sparse files keep their holes
(tag 3); extended attributes and POSIX ACLs (tag 4) are set where the target
accepts them; as root, owners (and the users and groups ACLs name) are mapped
by name to this machine's ids when the names exist here (tag 6); a file
stored while it kept changing (tag 8) is restored with a note. Other
non-critical fields are skipped; small files are cut from their bundles (tag 1);
an entry carrying any other critical field
(tag 1, bundle slices, among them) stops the restore before anything is
written. Attributes the target refuses are reported, once per namespace and
error, and the rest is restored; the exit status is then 1.
"""
import base64, fcntl, functools, getpass, grp, hashlib, hmac, json, os, pwd, stat, sys

try:
    import zstandard
    from cryptography.exceptions import InvalidTag
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM
except ImportError as missing:
    sys.exit(f"restore-without-cairn: {missing}; install with: python3 -m pip install cryptography zstandard")

MAGIC = b"CAIRNMF2"
REMOVED, FILE, DIRECTORY, SYMLINK, FIFO = 0, 1, 2, 3, 4
HEADER_SIZE, NONCE_SIZE, TAG_SIZE = 16, 12, 16
LARGEST_MANIFEST_PART, LARGEST_RECORD = 68 << 20, 16 << 20
WRONG_PASSWORD = "wrong password or no key for this repository"


class Refused(Exception):
    """The repository or the snapshot is not what FORMAT.md describes, is damaged, or is unsafe."""


class Repository:
    """The config, the keys and the envelope of every stored file (FORMAT.md, "Envelope")."""

    def __init__(self, root, password):
        self.root = root
        with open(os.path.join(root, "config"), encoding="utf-8") as f:
            config = json.load(f)
        if config.get("format") != 2:
            raise Refused(f"repository format {config.get('format')}: this script reads format 2")
        encryption, hash_name = config.get("encryption"), config.get("hash")
        if (encryption, hash_name) not in (("none", "sha256"), ("aes-256-gcm", "hmac-sha256")):
            raise Refused(f"encryption {encryption!r} with hash {hash_name!r}: unknown to this script")
        self.largest_object = max(int(config["blockSize"]), LARGEST_MANIFEST_PART)
        self.data_key = self.addressing_key = None
        if encryption == "aes-256-gcm":
            self.data_key, self.addressing_key = self.unlock(password())

    def unlock(self, password):
        """The master keys from the first key file that the password opens (FORMAT.md, "keys/")."""
        directory = os.path.join(self.root, "keys")
        names = sorted(n for n in os.listdir(directory) if not n.startswith("."))
        if not names:
            raise Refused("the repository is encrypted but has no key file in keys/")
        for name in names:
            with open(os.path.join(directory, name), encoding="utf-8") as f:
                key = json.load(f)
            if key.get("version") != 1 or key.get("kdf") != "scrypt":
                raise Refused(f"key file keys/{name} has an unknown version or key derivation")
            n, r, p = key["n"], key["r"], key["p"]
            memory = 128 * r * (n + 2 + p)
            if n < 2 or n & (n - 1) or r < 1 or p < 1 or memory > 1 << 30:
                raise Refused(f"key file keys/{name} has scrypt parameters out of range")
            salt, wrapped = base64.b64decode(key["salt"]), base64.b64decode(key["wrapped"])
            if len(salt) < 16 or len(wrapped) != NONCE_SIZE + 64 + TAG_SIZE:
                raise Refused(f"key file keys/{name} is damaged")
            wrapping_key = hashlib.scrypt(password, salt=salt, n=n, r=r, p=p, maxmem=memory + (1 << 20), dklen=32)
            try:
                keys = AESGCM(wrapping_key).decrypt(
                    wrapped[:NONCE_SIZE], wrapped[NONCE_SIZE:], b"cairn key v1" + name.encode())
            except InvalidTag:
                continue  # another password's key file, or a wrong password
            return keys[:32], keys[32:]
        raise Refused(WRONG_PASSWORD)

    def open_file(self, relative, largest):
        """The plaintext of the stored file at `relative` (its binding), checked as FORMAT.md says."""
        with open(os.path.join(self.root, relative), "rb") as f:  # a missing one raises
            if os.fstat(f.fileno()).st_size > largest + (largest >> 7) + 1024:  # above zstd's bound
                raise Refused(f"'{relative}' is larger than any valid file of its kind")
            stored = f.read()
        header = stored[:HEADER_SIZE]
        if stored[:2] != b"CN" or len(stored) < HEADER_SIZE:
            raise Refused(f"'{relative}' is not an envelope (no magic, or shorter than its header)")
        if header[2] != 1 or header[3] > 1 or header[4] > 1 or header[5:8] != b"\0\0\0":
            raise Refused(f"'{relative}' has an envelope from a newer Cairn (version {header[2]})")
        compressed, encrypted = header[3] == 1, header[4] == 1
        size = int.from_bytes(header[8:16], "little")
        if size > largest:
            raise Refused(f"'{relative}' claims {size} bytes, more than any valid file of its kind")
        body = stored[HEADER_SIZE:]
        if encrypted != (self.data_key is not None):
            raise Refused(f"'{relative}' is {'' if encrypted else 'not '}encrypted, unlike the repository")
        if encrypted:
            if len(body) < NONCE_SIZE + TAG_SIZE:
                raise Refused(f"'{relative}' is truncated")
            try:
                body = AESGCM(self.data_key).decrypt(
                    body[:NONCE_SIZE], body[NONCE_SIZE:], header + relative.encode())
            except InvalidTag:
                raise Refused(f"'{relative}' fails its authentication tag (tampering or corruption)") from None
        if compressed:
            try:
                if zstandard.frame_content_size(body) not in (size, -1):
                    raise Refused(f"'{relative}': its zstd frame declares another size than its header")
                body = zstandard.ZstdDecompressor().decompress(body, max_output_size=size)
            except zstandard.ZstdError as error:
                raise Refused(f"'{relative}' is not a valid zstd frame ({error})") from None
        if len(body) != size:
            raise Refused(f"'{relative}' holds {len(body)} bytes but its header declares {size}")
        return body

    def address(self, plaintext):
        if self.addressing_key is None:
            return hashlib.sha256(plaintext).hexdigest()
        return hmac.new(self.addressing_key, plaintext, hashlib.sha256).hexdigest()

    def read_object(self, name):
        if len(name) != 64 or not set(name) <= set("0123456789abcdef"):
            raise Refused(f"'{name}' is not an object name")
        try:
            data = self.open_file(f"objects/{name[:2]}/{name}", self.largest_object)
        except Refused as error:
            raise Refused(f"object {name} is corrupted: {error}") from None
        if self.address(data) != name:
            raise Refused(f"object {name} is corrupted: its content does not match its name")
        return data

    def load_record(self, snapshot):
        if not snapshot or "/" in snapshot or snapshot.startswith("."):
            raise Refused(f"'{snapshot}' is not a snapshot id")
        record = json.loads(self.open_file(f"snapshots/{snapshot}", LARGEST_RECORD))
        if record.get("version") != 1 or record.get("id") != snapshot:
            raise Refused(f"snapshot record {snapshot} has an unknown version or a wrong id")
        return record


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
                if value >= 1 << 64:
                    break
                return value
            shift += 7
        raise Refused(f"manifest object {self.name}: bad varint at byte {self.pos}")

    def time_ns(self):
        zigzag = self.varint()  # seconds, zigzag-encoded; then nanoseconds
        return ((zigzag >> 1) ^ -(zigzag & 1)) * 1_000_000_000 + self.varint()

    def fields(self, path):
        """The tagged fields that end an entry, as {tag: value}. A critical (odd) tag this
        script does not understand refuses the entry; the caller ignores unknown even ones."""
        count, fields, previous = self.varint(), {}, None
        if count > LARGEST_FIELD_COUNT:
            raise Refused(f"manifest object {self.name}: {path!r} has {count} tagged fields")
        for _ in range(count):
            tag = self.varint()
            if previous is not None and tag <= previous:
                raise Refused(f"manifest object {self.name}: tagged fields out of order at byte {self.pos}")
            length = self.varint()
            if length > LARGEST_FIELD_VALUE:
                raise Refused(f"manifest object {self.name}: field {tag} of {path!r} is too large")
            previous, fields[tag] = tag, self.take(length)
            if tag & 1 and tag not in UNDERSTOOD_CRITICAL_TAGS:
                raise Refused(f"manifest object {self.name}: {path!r} carries critical field {tag}, "
                              "which this script does not know")
        return fields

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
                e["fields"] = self.fields(e["path"])
                e["slice"] = None  # (offset, length, content address) of a small file in its bundle
                if BUNDLE_SLICE in e["fields"]:
                    if e["kind"] != FILE:
                        raise Refused(f"manifest object {self.name}: {e['path']!r} is not a file but has a bundle slice")
                    e["slice"] = bundle_slice(e, f"manifest object {self.name}")
                e["extents"] = None  # a dense file; a sparse one's data extents (tag 3)
                if e["kind"] == FILE and SPARSE_EXTENTS in e["fields"]:
                    e["extents"] = data_extents(e["fields"][SPARSE_EXTENTS], e["size"],
                                                f"manifest object {self.name}: the sparse extents of {e['path']!r}")
            yield e


# --- Metadata fields (FORMAT.md, "Metadata fields") ---------------------------
# Tags 3 (sparse extents, critical), 4 (extended attributes and POSIX ACLs),
# 6 (owner names) and 8 (inconsistent); tag 1 (bundle slice, critical) is read by
# bundle_slice() below (FORMAT.md, "Bundles").

BUNDLE_SLICE, SPARSE_EXTENTS, EXTENDED_ATTRIBUTES, OWNER_NAMES, INCONSISTENT = 1, 3, 4, 6, 8
UNDERSTOOD_CRITICAL_TAGS = {BUNDLE_SLICE, SPARSE_EXTENTS}
LARGEST_FIELD_COUNT, LARGEST_FIELD_VALUE = 64, 16 << 20
ACL_ATTRIBUTES = {b"system.posix_acl_access", b"system.posix_acl_default"}
ACL_USER, ACL_GROUP = 0x02, 0x08


class FieldValue(Part):
    """The varints and byte strings of one field value (a part's encodings, without the magic)."""

    def __init__(self, data, what):
        self.data, self.pos, self.name = data, 0, what  # what: the field's name in messages

    def take(self, count):
        if count > len(self.data) - self.pos:
            raise Refused(f"{self.name}: the value is truncated")
        return Part.take(self, count)

    def varint(self):
        try:
            return Part.varint(self)
        except Refused:
            raise Refused(f"{self.name}: the value is truncated or holds a bad varint") from None

    def byte_string(self):
        return self.take(self.varint())

    def at_end(self):
        return self.pos == len(self.data)


def data_extents(value, size, what):
    """A sparse file's data extents [(offset, length)] in increasing order (empty: all hole)."""
    reader, extents, end = FieldValue(value, what), [], 0
    while not reader.at_end():
        offset = end + reader.varint()  # the gap after the previous extent's end
        length = reader.varint()
        if length == 0 or offset + length > size:
            raise Refused(f"{what}: an extent is empty or ends past the size {size}")
        extents.append((offset, length))
        end = offset + length
    return extents


def content_length(e):
    """How many bytes the blocks hold together: the data extents of a sparse file, else the size."""
    return e["size"] if e["extents"] is None else sum(length for _, length in e["extents"])


def bundle_slice(e, where):
    """Tag 1: varint offset, varint length (= size), 32-byte content address; one block, the bundle."""
    value = FieldValue(e["fields"][BUNDLE_SLICE], f"{where}: the bundle slice of {e['path']!r}")
    offset, length = value.varint(), value.varint()
    address = value.take(32).hex()
    if value.pos != len(value.data) or length != e["size"] or len(e["blocks"]) != 1:
        raise Refused(f"{where}: the bundle slice of {e['path']!r} is damaged")
    return offset, length, address


def slice_of_bundle(repo, e, cache={}):
    """A small file's content: its slice of its bundle (read once per bundle in a row), checked
    against the file's own content address."""
    offset, length, address = e["slice"]
    bundle = e["blocks"][0]
    if cache.get("name") != bundle:
        cache["name"], cache["data"] = bundle, repo.read_object(bundle)
    data = cache["data"][offset:offset + length]
    if len(data) != length or repo.address(data) != address:
        raise Refused(f"{e['path']!r}: its slice of bundle {bundle} does not match its content address")
    return data


def write_content(fd, e, blocks):
    """Writes the block contents in order for a dense file; into the data extents of a sparse one,
    which then gets its size with ftruncate, so its holes are never written. Returns the bytes."""
    extents, written, index, within = e["extents"], 0, 0, 0
    for data in blocks:
        data = memoryview(data)
        written += len(data)
        if extents is None:
            while data:
                data = data[os.write(fd, data):]
            continue
        while data:
            if index == len(extents):
                raise Refused(f"{e['path']!r}: its blocks hold more bytes than its data extents")
            offset, length = extents[index]
            count = min(len(data), length - within)
            done = 0
            while done < count:
                done += os.pwrite(fd, data[done:count], offset + within + done)
            data, within = data[count:], within + count
            if within == length:
                index, within = index + 1, 0
    if extents is not None:
        os.ftruncate(fd, e["size"])
    return written


def extended_attributes(e):
    """[(name, value)] of tag 4, in increasing name order; Refused when the value is damaged."""
    value = e["fields"].get(EXTENDED_ATTRIBUTES)
    if value is None:
        return []
    reader, attributes = FieldValue(value, f"the extended attributes of {e['path']!r}"), []
    while not reader.at_end():
        name, content = reader.byte_string(), reader.byte_string()
        if not name or b"\0" in name or (attributes and not attributes[-1][0] < name):
            raise Refused(f"the extended attributes of {e['path']!r}: an empty or unordered name, or a NUL")
        attributes.append((name, content))
    return attributes


def owner_names(e):
    """(user, group, {(is_group, id): name}) of tag 6; None without it or when damaged (the ids stay)."""
    value = e["fields"].get(OWNER_NAMES)
    if value is None:
        return None
    try:
        reader, acl_names = FieldValue(value, "owner names"), {}
        user, group = reader.byte_string(), reader.byte_string()
        while not reader.at_end():
            kind, number, name = reader.varint(), reader.varint(), reader.byte_string()
            if kind > 1 or number >= 1 << 32 or not name:
                return None
            acl_names[(kind == 1, number)] = name
    except Refused:
        return None
    return user, group, acl_names


@functools.lru_cache(maxsize=None)
def local_id(is_group, name):
    """This machine's id for a user or group name, or None when it has no such name."""
    try:
        text = os.fsdecode(name)
        return grp.getgrnam(text).gr_gid if is_group else pwd.getpwnam(text).pw_uid
    except (KeyError, ValueError):
        return None


def remap_acl(value, acl_names):
    """A posix_acl_xattr value (version 2) with each named ACL_USER and ACL_GROUP id
    replaced by this machine's id for the name; other values as they are."""
    if len(value) < 4 or (len(value) - 4) % 8 or int.from_bytes(value[:4], "little") != 2:
        return value
    result = bytearray(value)
    for start in range(4, len(value), 8):
        tag = int.from_bytes(value[start:start + 2], "little")
        if tag not in (ACL_USER, ACL_GROUP):
            continue
        name = acl_names.get((tag == ACL_GROUP, int.from_bytes(value[start + 4:start + 8], "little")))
        local = local_id(tag == ACL_GROUP, name) if name else None
        if local is not None:
            result[start + 4:start + 8] = local.to_bytes(4, "little")
    return bytes(result)


def mapped_owner(e, attributes):
    """As root: (uid, gid, attributes) with the names of tag 6 mapped to this machine's ids
    where they exist here, in the owner and in the POSIX ACLs; the stored ids otherwise."""
    uid, gid, names = e["uid"], e["gid"], owner_names(e)
    if names is None:
        return uid, gid, attributes
    user, group, acl_names = names
    local_uid = local_id(False, user) if user else None
    local_gid = local_id(True, group) if group else None
    uid = uid if local_uid is None else local_uid
    gid = gid if local_gid is None else local_gid
    if acl_names:
        attributes = [(name, remap_acl(value, acl_names) if name in ACL_ATTRIBUTES else value)
                      for name, value in attributes]
    return uid, gid, attributes


class Problems:
    """What could not be restored although the restore went on: attributes the target
    refused (one message per namespace and errno, as Cairn reports them) and damaged fields."""

    def __init__(self):
        self.refused, self.messages = {}, []

    def refusal(self, name, error, path):
        kind = (name.split(b".", 1)[0].decode(errors="replace"), error.errno)
        entries, first = self.refused.get(kind, (0, None))
        self.refused[kind] = (entries + 1, path if first is None else min(first, path, key=order_key))

    def report(self):
        """The messages, once the restore is over."""
        lines = list(self.messages)
        for (namespace, number), (entries, first) in self.refused.items():
            others = f" and {entries - 1} other entr{'y' if entries == 2 else 'ies'}" if entries > 1 else ""
            lines.append(f"extended attributes '{namespace}.*' were not restored on {first!r}{others}: "
                         f"the target refused them ({os.strerror(number)})")
        return lines


def set_attributes(e, where, attributes, problems):
    """fsetxattr on an open file, lsetxattr on a path; a refused attribute is noted, the rest set."""
    refused = set()
    for name, value in attributes:
        try:
            if isinstance(where, int):
                os.setxattr(where, name, value)
            else:
                os.setxattr(where, name, value, follow_symlinks=False)
        except OSError as error:
            kind = (name.split(b".", 1)[0], error.errno)
            if kind not in refused:
                refused.add(kind)
                problems.refusal(name, error, e["path"])

# --- End of metadata fields ----------------------------------------------------


def order_key(path):  # component-wise byte order, the same as '/' sorting before every other byte
    return path.split(b"/")


def read_manifest(repo, record):
    previous = None
    for name in record["manifest"]:
        for e in Part(repo.read_object(name), name).entries():
            if previous is not None and not order_key(previous) < order_key(e["path"]):
                raise Refused(f"manifest object {name}: {e['path']!r} is out of order")
            previous = e["path"]
            yield e


def snapshot_tree(repo, snapshot):
    """The complete tree in path order: a full as it is, a differential applied to its base."""
    record, tree = repo.load_record(snapshot), {}
    if record["kind"] == "differential":
        base = repo.load_record(record["base"])
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
    checked, directories, first_link, problems = {root}, [], {}, Problems()

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
        try:
            attributes = extended_attributes(e)
        except Refused as error:
            problems.messages.append(f"extended attributes not restored: {error}")
            attributes = []
        uid, gid = e["uid"], e["gid"]
        if is_root:
            uid, gid, attributes = mapped_owner(e, attributes)
            os.chown(where, uid, gid, follow_symlinks=follow)
        if e["kind"] != SYMLINK:
            os.chmod(where, e["mode"])
        set_attributes(e, where, attributes, problems)
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
            if INCONSISTENT in e["fields"]:
                print(f"note: {e['path']!r} was stored while it kept changing; its content may mix versions",
                      file=sys.stderr)
            fd = os.open(dest, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
            try:
                if e["slice"] is not None:
                    written = write_content(fd, e, [slice_of_bundle(repo, e)])
                else:
                    written = write_content(fd, e, (repo.read_object(block) for block in e["blocks"]))
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
    return len(entries), problems.report()


def password_source(password_file):
    """Asked only for an encrypted repository: a file, the environment, or the terminal."""
    def password():
        path = password_file or os.environ.get("CAIRN_PASSWORD_FILE")
        if path:
            with open(path, "rb") as f:
                text = f.read()
            for ending in (b"\r\n", b"\n"):  # one trailing line break is not part of the password
                if text.endswith(ending):
                    text = text[:-len(ending)]
                    break
            return text
        if os.environ.get("CAIRN_PASSWORD"):
            return os.environ["CAIRN_PASSWORD"].encode()
        if sys.stdin.isatty():
            return getpass.getpass("enter password for repository: ").encode()
        raise Refused("the repository is encrypted: give --password-file, CAIRN_PASSWORD_FILE or CAIRN_PASSWORD")
    return password


def main():
    arguments, password_file = sys.argv[1:], None
    if arguments[:1] == ["--password-file"] and len(arguments) > 1:
        password_file, arguments = arguments[1], arguments[2:]
    if len(arguments) != 3:
        sys.exit(__doc__.splitlines()[2])
    root, snapshot, target = arguments
    try:
        repo = Repository(root, password_source(password_file))
        lock = os.open(root, os.O_RDONLY | os.O_DIRECTORY)
        try:
            fcntl.flock(lock, fcntl.LOCK_SH)  # as Cairn's restore: no gc or forget runs meanwhile
        except OSError:
            pass  # a medium without locks: read without one, as Cairn does
        try:
            count, problems = restore(repo, snapshot, target)
        finally:
            os.close(lock)
    except (Refused, OSError, ValueError, KeyError, TypeError) as error:
        sys.exit(f"restore-without-cairn: {error}")
    for problem in problems:
        print(f"restore-without-cairn: {problem}", file=sys.stderr)
    print(f"restored {count} entries of snapshot {snapshot} under {target}"
          + (f", with {len(problems)} problem{'s' if len(problems) > 1 else ''} above" if problems else ""))
    if problems:
        sys.exit(1)


if __name__ == "__main__":
    main()
