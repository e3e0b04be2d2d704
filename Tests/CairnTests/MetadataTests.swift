import Foundation
import Testing

@testable import Cairn

#if canImport(Glibc)
  import Glibc
#endif

/// Every extended attribute of every entry under `root` (symlinks not
/// followed), as `path name=hex(value)` lines, sorted: what a restore must
/// give back byte for byte. Paths are relative to `root`.
func extendedAttributeListing(_ root: String) throws -> [String] {
  let script = #"""
    import os, sys
    root = sys.argv[1]
    lines = []
    for dirpath, dirnames, filenames in os.walk(root):
        paths = [os.path.join(dirpath, n) for n in dirnames + filenames] + ([root] if dirpath == root else [])
        for path in paths:
            rel = os.path.relpath(path, root)
            for attribute in sorted(os.listxattr(path, follow_symlinks=False)):
                value = os.getxattr(path, attribute, follow_symlinks=False)
                lines.append("%s %s=%s" % (rel, attribute, value.hex()))
    print("\n".join(sorted(lines)))
    """#
  return try python(script, [root]).split(separator: "\n").map(String.init)
}

/// A file's data extents as `lseek(SEEK_DATA/SEEK_HOLE)` finds them, its
/// size and its allocated bytes (`st_blocks` × 512).
func sparseLayout(_ path: String) throws -> (extents: [String], size: Int, allocated: Int) {
  let script = #"""
    import os, sys
    fd = os.open(sys.argv[1], os.O_RDONLY)
    os.fsync(fd)  # delayed allocation: extent-tree blocks count only once written
    st = os.fstat(fd)
    extents, position = [], 0
    while position < st.st_size:
        try:
            data = os.lseek(fd, position, os.SEEK_DATA)
        except OSError:
            break
        hole = os.lseek(fd, data, os.SEEK_HOLE)
        extents.append("%d+%d" % (data, hole - data))
        position = hole
    print(st.st_size, st.st_blocks * 512, " ".join(extents))
    """#
  let fields = try python(script, [path]).trimmingCharacters(in: .whitespacesAndNewlines)
    .split(separator: " ", omittingEmptySubsequences: false).map(String.init)
  return (Array(fields.dropFirst(2)).filter { !$0.isEmpty }, Int(fields[0]) ?? -1, Int(fields[1]) ?? -1)
}

/// A user and a group created for one test (root only), with names no other
/// test uses, removed when the value goes away.
final class TemporaryAccount {
  let name: String
  private(set) var uid: UInt32
  private(set) var gid: UInt32

  init() throws {
    name = "cairn\(UInt32.random(in: 100_000..<999_999))"
    uid = UInt32.random(in: 200_000..<400_000)
    gid = UInt32.random(in: 200_000..<400_000)
    try recreate(uid: uid, gid: gid)
  }

  /// Deletes the user and group and creates them again with other ids.
  func recreate(uid: UInt32, gid: UInt32) throws {
    remove()
    try shell("groupadd -g \(gid) \(name) && useradd -M -N -u \(uid) -g \(gid) \(name)")
    self.uid = uid
    self.gid = gid
  }

  func remove() {
    _ = try? shell("userdel \(name) 2>/dev/null; groupdel \(name) 2>/dev/null; true")
  }

  deinit { remove() }
}

func fileOwner(_ path: String) -> (uid: UInt32, gid: UInt32)? {
  var st = stat()
  guard lstat(path, &st) == 0 else { return nil }
  return (st.st_uid, st.st_gid)
}

let hasAttributeTools =
  FileManager.default.isExecutableFile(atPath: "/usr/bin/setfattr")
  && FileManager.default.isExecutableFile(atPath: "/usr/bin/setfacl")

@Suite(.enabled(if: hasAttributeTools, "setfattr and setfacl (Debian packages attr and acl) are not installed"))
struct MetadataTests {
  // MARK: Extended attributes

  /// Extended attributes of several namespaces (user.*, and as root trusted.*
  /// and security.*), access and default ACLs, empty and binary values, on
  /// files, directories and (trusted.*) symlinks, come back byte for byte,
  /// and a differential keeps them.
  @Test func extendedAttributesAndACLsRestoreByteForByte() throws {
    let work = try BackupWorkspace()
    let source = work.sub("src")
    try shell(
      #"""
      set -e
      mkdir -p '\#(source)/dir/inner' && cd '\#(source)'
      printf 'content\n' > file
      setfattr -n user.color -v blue file
      setfattr -n user.empty file
      setfattr -n user.binary -v 0x00ff10fe0a file
      setfattr -n user.long -v "$(head -c 3000 /dev/zero | tr '\0' 'x')" file
      setfacl -m u:nobody:r,g:nogroup:rw file
      printf 'before\n' > dir/before-default
      setfattr -n user.on-dir -v 1 dir
      setfacl -m u:nobody:rx dir
      setfacl -d -m g:nogroup:rx dir
      printf 'after\n' > dir/after-default
      printf 'inner\n' > dir/inner/plain
      head -c 200000 /dev/urandom > dir/multi-block
      setfattr -n user.big-file -v yes dir/multi-block
      ln -s file link
      if [ "$(id -u)" = 0 ]; then
        setfattr -n trusted.cairn -v secret file
        setfattr -n security.cairn-test -v labelled file
        setfattr -h -n trusted.on-link -v L link
      fi
      """#)
    let expected = try extendedAttributeListing(source)
    #expect(expected.contains("file user.color=\(Data("blue".utf8).map { String(format: "%02x", $0) }.joined())"))
    #expect(expected.contains { $0.hasPrefix("file system.posix_acl_access=") })
    #expect(expected.contains { $0.hasPrefix("dir system.posix_acl_default=") })
    #expect(expected.contains("file user.empty="))
    if runningAsRoot {
      #expect(expected.contains { $0.hasPrefix("link trusted.on-link=") })
      #expect(expected.contains { $0.hasPrefix("file security.cairn-test=") })
    }
    let listing = try TreeListing(source)

    let full = try work.backup([source])
    let target = work.sub("out")
    let restore = try work.restore(full.id, to: target)
    #expect(restore.status == 0, "\(restore.output)")
    #expect(try extendedAttributeListing(target + source) == expected)
    let restored = try TreeListing(target + source)
    #expect(restored == listing, "\(listing.differences(from: restored))")
    // The directory's default ACL was set after its contents were written:
    // the file made before it in the source did not inherit it when restored.
    #expect(expected.contains { $0.hasPrefix("dir/after-default system.posix_acl_access=") })
    #expect(!expected.contains { $0.hasPrefix("dir/before-default system.posix_acl_access=") })

    // A differential that reads nothing keeps them all.
    try shell("printf 'new\\n' > '\(source)/added'")
    let differential = try work.backup([source], ["--differential"])
    #expect(differential.kind == "differential")
    #expect(differential.statistics.filesRead == 1)
    let latest = work.sub("out-latest")
    let again = try work.restore(differential.id, to: latest)
    #expect(again.status == 0, "\(again.output)")
    #expect(try extendedAttributeListing(latest + source) == expected)
  }

  /// setfattr alone (no content change, same mtime) changes the ctime, so a
  /// differential reads and records the file again.
  @Test func anAttributeChangeAloneIsSeenThroughTheCtime() throws {
    let work = try BackupWorkspace()
    let source = work.sub("src")
    try shell(
      """
      set -e
      mkdir -p '\(source)/dir'
      printf 'same\\n' > '\(source)/file' && printf 'other\\n' > '\(source)/other'
      setfattr -n user.version -v 1 '\(source)/file'
      """)
    let full = try work.backup([source])
    try shell(
      """
      set -e
      touch -r '\(source)/file' '\(source)/mtime-ref'
      setfattr -n user.version -v 2 '\(source)/file'
      setfattr -n user.added -v yes '\(source)/dir'
      touch -r '\(source)/mtime-ref' '\(source)/file' && rm '\(source)/mtime-ref'
      touch -d '2020-01-01' '\(source)'
      """)
    let differential = try work.backup([source], ["--differential"])
    #expect(differential.statistics.filesRead == 1, "the file whose attribute changed was not read again")
    #expect(differential.statistics.bytesRead == 5)
    let target = work.sub("out")
    let restore = try work.restore(differential.id, to: target)
    #expect(restore.status == 0, "\(restore.output)")
    #expect(try shell("getfattr --only-values -n user.version '\(target + source)/file'") == "2")
    #expect(try shell("getfattr --only-values -n user.added '\(target + source)/dir'") == "yes")
    let base = work.sub("out-full")
    #expect(try work.restore(full.id, to: base).status == 0)
    #expect(try shell("getfattr --only-values -n user.version '\(base + source)/file'") == "1")
  }

  /// An attribute changed after the walk and the content read, before the
  /// attributes are read: the stored attributes are the ones read after the
  /// content (from the same descriptor), the file is reported as changed
  /// during the read, and the entry keeps the ctime from before, so the next
  /// differential reads it again.
  @Test func anAttributeChangedDuringTheReadIsCaught() throws {
    let work = try BackupWorkspace()
    let source = work.sub("src")
    try shell(
      """
      set -e
      mkdir -p '\(source)'
      head -c 100000 /dev/urandom > '\(source)/file'
      setfattr -n user.state -v before '\(source)/file'
      """)
    let errors = work.sub("stderr")
    let hold = HoldPoint("backup.attributes", in: work.directory.path)
    let process = try startCairn(
      ["backup", "--repo", work.repo, source], environment: hold.environment, stderrPath: errors)
    #expect(waitForText("holding at backup.attributes", in: errors))
    try shell("setfattr -n user.state -v during '\(source)/file'")
    hold.release()
    #expect(waitForExit(process, timeout: 60))
    let stderr = String(decoding: FileManager.default.contents(atPath: errors) ?? Data(), as: UTF8.self)
    #expect(stderr.contains("changed while it was being read"), "\(stderr)")
    let snapshots = try work.snapshots()
    #expect(snapshots.count == 1)
    let target = work.sub("out")
    #expect(try work.restore("latest", to: target).status == 0)
    #expect(try shell("getfattr --only-values -n user.state '\(target + source)/file'") == "during")

    let differential = try work.backup([source], ["--differential"])
    #expect(differential.statistics.filesRead == 1, "the file changed during the read was trusted as unchanged")
  }

  /// Attributes the target refuses (trusted.* restored by a user that is not
  /// root) are reported once per kind, with a count; the other attributes
  /// are restored and the exit status is 1.
  @Test(.enabled(if: setprivWorks, "needs root and setpriv"))
  func refusedAttributesAreReportedOncePerKind() throws {
    let work = try BackupWorkspace()
    let source = work.sub("src")
    try shell(
      """
      set -e
      mkdir -p '\(source)'
      for name in a b c; do
        printf '%s\\n' "$name" > '\(source)'/$name
        setfattr -n user.kept -v "$name" '\(source)'/$name
        setfattr -n trusted.refused -v "$name" '\(source)'/$name
        setfattr -n trusted.second -v "$name" '\(source)'/$name
      done
      """)
    try work.backup([source])
    let target = work.sub("out")
    try shell(
      "chmod 0755 '\(work.directory.path)' && chown -R 65534:65534 '\(work.repo)' && mkdir '\(target)' && chown 65534 '\(target)'"
    )
    let result = try runCairnAsNobody(["restore", "--repo", work.repo, "latest", target])
    #expect(result.status == 1, "\(result.output)")
    let reports = result.stderr.split(separator: "\n").filter { $0.contains("trusted.*") }
    #expect(reports.count == 1, "\(result.stderr)")
    #expect(reports.first?.contains("2 other entries") == true, "\(result.stderr)")
    #expect(reports.first?.contains("on '\(source)/a' and") == true, "\(result.stderr)")
    #expect(result.stderr.contains("user.*") == false, "\(result.stderr)")
    for name in ["a", "b", "c"] {
      #expect(try shell("getfattr --only-values -n user.kept '\(target + source)/\(name)'") == name)
      #expect(FileManager.default.contents(atPath: "\(target + source)/\(name)") == Data("\(name)\n".utf8))
    }
  }

  // MARK: Sparse files

  enum SparseShape: String, CaseIterable, Sendable {
    case leadingHole, trailingHole, allHole, holeSmallerThanABlock, holeSpanningBlockBoundaries, manyHoles

    /// A shell snippet making file `f` in the current directory (block size 64 KiB).
    var script: String {
      switch self {
      case .leadingHole:
        "truncate -s 1M f && head -c 100000 /dev/urandom | dd of=f bs=4096 seek=200 conv=notrunc status=none"
      case .trailingHole: "head -c 100000 /dev/urandom > f && truncate -s 5M f"
      case .allHole: "truncate -s 5M f"
      case .holeSmallerThanABlock:
        "head -c 200000 /dev/urandom > f && fallocate -p -o 69632 -l 8192 f"
      case .holeSpanningBlockBoundaries:
        "head -c 500000 /dev/urandom > f && fallocate -p -o 36864 -l 262144 f"
      case .manyHoles:
        "truncate -s 2M f && for i in 0 3 7 20 21 40; do head -c 4096 /dev/urandom | dd of=f bs=4096 seek=$((i * 11)) conv=notrunc status=none; done"
      }
    }
  }

  /// Each shape backs up reading only its data (bytesRead is the data, not
  /// the size) and restores with the same data extents, the same allocation
  /// and the same bytes; `check --read-data` accepts it.
  @Test(arguments: SparseShape.allCases)
  func sparseFilesKeepTheirHoles(shape: SparseShape) throws {
    let work = try BackupWorkspace(blockSize: 65536)
    let source = work.sub("src")
    try shell("mkdir -p '\(source)' && cd '\(source)' && \(shape.script)")
    let original = try sparseLayout("\(source)/f")
    let dataBytes = original.extents.reduce(0) { $0 + (Int($1.split(separator: "+")[1]) ?? 0) }
    #expect(dataBytes < original.size, "the fixture has no hole: \(original)")

    let snapshot = try work.backup([source])
    #expect(snapshot.statistics.bytes == UInt64(original.size))
    #expect(snapshot.statistics.bytesRead == UInt64(dataBytes), "holes were read")
    let check = try Cairn.run(["check", "--repo", work.repo, "--read-data"])
    #expect(check.status == 0, "\(check.output)")

    let target = work.sub("out")
    let restore = try work.restore(snapshot.id, to: target)
    #expect(restore.status == 0, "\(restore.output)")
    let restored = try sparseLayout("\(target + source)/f")
    #expect(restored.extents == original.extents)
    #expect(restored.size == original.size)
    #expect(restored.allocated <= original.allocated)
    try shell("cmp '\(source)/f' '\(target + source)/f'")
  }

  /// A 10 GiB file holding 1 MiB of data backs up quickly, reading 1 MiB,
  /// and restores occupying about 1 MiB.
  @Test func aTenGigabyteSparseFileIsQuickAndSmall() async throws {
    let work = try BackupWorkspace(blockSize: 1 << 20)
    let source = work.sub("src")
    try shell(
      """
      set -e
      mkdir -p '\(source)' && cd '\(source)'
      truncate -s 10G big
      head -c 1048576 /dev/urandom | dd of=big bs=1M seek=4321 conv=notrunc status=none
      """)
    let started = Date()
    let snapshot = try work.backup([source])
    let seconds = Date().timeIntervalSince(started)
    #expect(seconds < 5, "backup took \(seconds) s")
    #expect(snapshot.statistics.bytesRead == 1 << 20)
    #expect(try await work.inspection.dataObjectNames().count == 1)
    let target = work.sub("out")
    let restore = try work.restore(snapshot.id, to: target)
    #expect(restore.status == 0, "\(restore.output)")
    let restored = try sparseLayout("\(target + source)/big")
    #expect(restored.size == 10 << 30)
    #expect(restored.allocated <= 2 << 20, "restored file occupies \(restored.allocated) bytes")
    #expect(restored.extents == ["\(4321 << 20)+\(1 << 20)"])

    // A differential that does not read it keeps it sparse.
    try shell("printf 'new\\n' > '\(source)/added'")
    let differential = try work.backup([source], ["--differential"])
    #expect(differential.statistics.bytesRead == 4)
    let latest = work.sub("out-latest")
    #expect(try work.restore(differential.id, to: latest).status == 0)
    #expect(try sparseLayout("\(latest + source)/big").extents == restored.extents)
  }

  /// Zeros that were written (allocated, not holes) are data: they are
  /// stored (one block object, deduplicated) and restored allocated, as they
  /// were: preallocated files (databases, VM images, swap files) stay so.
  @Test func writtenZerosAreRestoredAllocated() throws {
    let work = try BackupWorkspace(blockSize: 65536)
    let source = work.sub("src")
    try shell("mkdir -p '\(source)' && head -c 1048576 /dev/zero > '\(source)/zeros'")
    let original = try sparseLayout("\(source)/zeros")
    #expect(original.extents == ["0+1048576"])
    let snapshot = try work.backup([source])
    #expect(snapshot.statistics.bytesRead == 1_048_576)
    let target = work.sub("out")
    #expect(try work.restore(snapshot.id, to: target).status == 0)
    let restored = try sparseLayout("\(target + source)/zeros")
    #expect(restored.extents == original.extents)
    #expect(restored.allocated == original.allocated)
  }

  // MARK: Owner names

  /// Names are stored beside ids: `ls` shows them; a restore as root maps by
  /// name when the name exists here (the user was recreated with other ids),
  /// keeps the id when it does not, and --numeric-owner keeps the ids.
  @Test(.enabled(if: runningAsRoot, "creating users and chown need root"))
  func ownersAreMappedByName() throws {
    let renumbered = try TemporaryAccount()
    let vanished = try TemporaryAccount()
    let work = try BackupWorkspace()
    let source = work.sub("src")
    try shell(
      """
      set -e
      mkdir -p '\(source)/dir'
      printf 'a\\n' > '\(source)/renumbered' && chown \(renumbered.name):\(renumbered.name) '\(source)/renumbered'
      chown \(renumbered.name):\(renumbered.name) '\(source)/dir'
      ln -s renumbered '\(source)/link' && chown -h \(renumbered.name):\(renumbered.name) '\(source)/link'
      printf 'b\\n' > '\(source)/vanished' && chown \(vanished.name):\(vanished.name) '\(source)/vanished'
      printf 'c\\n' > '\(source)/unnamed' && chown 4000000123:4000000124 '\(source)/unnamed'
      printf 'd\\n' > '\(source)/acl'
      setfacl -m u:\(renumbered.name):r,g:\(renumbered.name):rw,u:\(vanished.name):r,u:4000000125:r '\(source)/acl'
      """)
    let (oldUID, oldGID) = (renumbered.uid, renumbered.gid)
    let vanishedIDs = (vanished.uid, vanished.gid)
    let snapshot = try work.backup([source])

    let listing = try work.run(["ls", "--repo", work.repo, snapshot.id]).stdout
    let line = listing.split(separator: "\n").first { $0.hasSuffix("/renumbered") } ?? ""
    #expect(line.contains("  \(renumbered.name)/\(renumbered.name)  "), "\(listing)")
    #expect(
      listing.split(separator: "\n").contains { $0.hasSuffix("/unnamed") && $0.contains("4000000123/4000000124") })
    let json = try work.run(["ls", "--repo", work.repo, snapshot.id, "--json"]).stdout
    #expect(json.contains("\"user\" : \"\(renumbered.name)\""), "\(json)")

    var newUID = UInt32.random(in: 400_000..<600_000)
    if newUID == oldUID { newUID += 1 }
    try renumbered.recreate(uid: newUID, gid: newUID)
    vanished.remove()

    let target = work.sub("out")
    let restore = try work.restore(snapshot.id, to: target)
    #expect(restore.status == 0, "\(restore.output)")
    for name in ["renumbered", "dir", "link"] {
      #expect(fileOwner("\(target + source)/\(name)")! == (newUID, newUID), "\(name) was not mapped by name")
    }
    #expect(fileOwner("\(target + source)/vanished")! == vanishedIDs)
    #expect(fileOwner("\(target + source)/unnamed")! == (4_000_000_123, 4_000_000_124))
    // ACL entries naming users and groups are mapped the same way.
    let acl = try shell("getfacl -n -c '\(target + source)/acl'")
    for line in ["user:\(newUID):r--", "group:\(newUID):rw-", "user:\(vanishedIDs.0):r--", "user:4000000125:r--"] {
      #expect(acl.contains(line), "\(acl)")
    }

    let numeric = work.sub("out-numeric")
    let numericRestore = try work.restore(snapshot.id, to: numeric, ["--numeric-owner"])
    #expect(numericRestore.status == 0, "\(numericRestore.output)")
    for name in ["renumbered", "dir", "link"] {
      #expect(fileOwner("\(numeric + source)/\(name)")! == (oldUID, oldGID))
    }
    let numericACL = try shell("getfacl -n -c '\(numeric + source)/acl'")
    #expect(numericACL.contains("user:\(oldUID):r--") && numericACL.contains("group:\(oldGID):rw-"), "\(numericACL)")

    // A differential keeps the names of the entries it takes from its base.
    try shell("printf 'd\\n' > '\(source)/added'")
    let differential = try work.backup([source], ["--differential"])
    #expect(differential.kind == "differential")
    let latest = work.sub("out-latest")
    #expect(try work.restore(differential.id, to: latest).status == 0)
    #expect(fileOwner("\(latest + source)/renumbered")! == (newUID, newUID))
  }

  // MARK: Field values

  /// The three values encode as Docs/FORMAT.md says (its sparse example
  /// included), survive the manifest codec, and damaged ones are refused.
  @Test func fieldValuesRoundTrip() throws {
    var entry = ManifestEntry(path: EntryPath("/s/f"), status: SnapshotForger.status(.file, mode: 0o644))
    entry.size = 5 << 20
    entry.setDataExtents([DataExtent(offset: 819_200, length: 100_000)])
    #expect(entry.field(.sparseExtents) == [0x80, 0x80, 0x32, 0xA0, 0x8D, 0x06])
    entry.setDataExtents([DataExtent(offset: 0, length: 10), DataExtent(offset: 4096, length: 1)])
    entry.setExtendedAttributes([
      ExtendedAttribute(name: Array("user.b".utf8), value: []),
      ExtendedAttribute(name: Array("system.posix_acl_access".utf8), value: [2, 0, 0, 0]),
    ])
    entry.ownerNames = OwnerNames(user: Array("ann".utf8), group: nil)
    #expect(entry.field(.ownerNames) == [3, 0x61, 0x6E, 0x6E, 0])
    entry.ownerNames.aclNames = [
      .init(isGroup: true, id: 5, name: Array("g".utf8)), .init(isGroup: false, id: 300, name: Array("u".utf8)),
    ]
    #expect(entry.field(.ownerNames) == [3, 0x61, 0x6E, 0x6E, 0, 0, 0xAC, 0x02, 1, 0x75, 1, 5, 1, 0x67])
    #expect(entry.fields.map(\.tag) == [3, 4, 6])

    var buffer = ManifestCodec.magic
    ManifestCodec.append(entry, to: &buffer)
    var decoder = try ManifestCodec.Decoder(part: ObjectID(w0: 0, w1: 0, w2: 0, w3: 0), bytes: buffer)
    let decoded = try #require(try decoder.next())
    #expect(decoded == entry)
    #expect(try decoded.dataExtents() == [DataExtent(offset: 0, length: 10), DataExtent(offset: 4096, length: 1)])
    #expect(try decoded.contentLength() == 11)
    #expect(
      try decoded.extendedAttributes().map { String(decoding: $0.name, as: UTF8.self) } == [
        "system.posix_acl_access", "user.b",
      ])
    #expect(decoded.ownerNames.user == Array("ann".utf8))
    #expect(decoded.ownerNames.group == nil)
    #expect(decoded.ownerNames.aclNames.map(\.id) == [300, 5])

    var damaged = entry
    damaged.setField(.sparseExtents, [0x00, 0x00])
    #expect(throws: CairnError.self) { try damaged.dataExtents() }
    damaged.setField(.sparseExtents, [0x80, 0x80, 0x80, 0x04, 0x01])
    #expect(throws: CairnError.self) { try damaged.dataExtents() }
    damaged.setField(.extendedAttributes, [0x01, 0x61, 0x05])
    #expect(throws: CairnError.self) { try damaged.extendedAttributes() }
    damaged.setField(.ownerNames, [0x09])
    #expect(damaged.ownerNames == OwnerNames(user: nil, group: nil))
  }

  /// A sparse file whose blocks hold more than its extents is damaged: not
  /// restored (no wrong bytes left), reported, exit 1; check says so too.
  @Test func sparseExtentsThatDisagreeWithTheBlocksAreRefused() async throws {
    let work = try BackupWorkspace()
    let forger = try await SnapshotForger(repo: work.repo)
    var bad = try await forger.file(Array("/s/bad".utf8), content: Array(repeating: 7, count: 10))
    bad.size = 100
    bad.setDataExtents([DataExtent(offset: 50, length: 5)])
    var good = try await forger.file(Array("/s/good".utf8), content: Array(repeating: 9, count: 10))
    good.size = 1000
    good.setDataExtents([DataExtent(offset: 990, length: 10)])
    let id = try await forger.writeSnapshot(
      [forger.directory(Array("/s".utf8)), bad, good], sources: ["/s"], time: Date())
    let target = work.sub("out")
    let restore = try work.restore(id, to: target)
    #expect(restore.status == 1, "\(restore.output)")
    #expect(restore.stderr.contains("'/s/bad' not restored"), "\(restore.stderr)")
    #expect(!FileManager.default.fileExists(atPath: "\(target)/s/bad"))
    let good10 = FileManager.default.contents(atPath: "\(target)/s/good")
    #expect(good10 == Data(Array(repeating: 0, count: 990) + Array(repeating: 9, count: 10)))
    let check = try Cairn.run(["check", "--repo", work.repo, "--read-data"])
    #expect(check.status != 0, "\(check.output)")
    #expect(check.output.contains("/s/bad"), "\(check.output)")
  }

  /// Reading plans cover exactly the data extents, every piece starts on a
  /// block boundary or at an extent's start (so blocks never span a hole and
  /// sit at the same file offsets as a dense file's), and segments stay near
  /// their length.
  @Test(arguments: [
    [DataExtent(offset: 0, length: 10_000_000)],
    [DataExtent(offset: 5000, length: 70000), DataExtent(offset: 200_000, length: 1)],
    [DataExtent(offset: 65536, length: 65536), DataExtent(offset: 3 << 20, length: 5 << 20)],
    (0..<300).map { DataExtent(offset: UInt64($0) * 40960, length: 4096) },
  ])
  func readingPlansCoverTheExtents(extents: [DataExtent]) {
    let blockSize = 65536
    let segmentLength = UInt64(4 * blockSize)
    let segments = SparseMap.segments(of: extents, blockSize: blockSize, segmentLength: segmentLength)
    let pieces = segments.flatMap { $0 }
    var covered: [DataExtent] = []
    for piece in pieces {
      let startsAnExtent = extents.contains { $0.offset == piece.offset }
      #expect(piece.offset % UInt64(blockSize) == 0 || startsAnExtent)
      #expect(piece.length > 0)
      if let last = covered.last, last.end == piece.offset {
        covered[covered.count - 1].length += piece.length
      } else {
        covered.append(DataExtent(offset: piece.offset, length: piece.length))
      }
    }
    #expect(covered == extents)
    for segment in segments.dropLast() {
      #expect(segment.reduce(0) { $0 + $1.length } >= segmentLength)
      #expect(segment.reduce(0) { $0 + $1.length } < 2 * segmentLength)
    }
  }

  /// The same data stored densely and behind a block-aligned hole is the
  /// same block objects: holes do not shift block boundaries.
  @Test func sparseAndDenseCopiesShareBlocks() async throws {
    let work = try BackupWorkspace(blockSize: 65536)
    let source = work.sub("src")
    try shell(
      """
      set -e
      mkdir -p '\(source)' && cd '\(source)'
      head -c 300000 /dev/urandom > dense
      truncate -s 131072 sparse && cat dense >> sparse
      """)
    let snapshot = try work.backup([source])
    #expect(snapshot.statistics.bytesRead == 600_000)
    #expect(try await work.inspection.dataObjectNames().count == 5, "300000 bytes are 5 blocks, stored once")
  }
}
