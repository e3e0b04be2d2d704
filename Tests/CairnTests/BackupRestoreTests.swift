import Foundation
import Testing

#if canImport(Glibc)
  import Glibc
#endif

/// Builds, under `path`, a tree holding every kind of entry and metadata Cairn
/// must restore exactly: empty files; files of exactly one block and one byte
/// either side; a multi-block file; live, dangling and directory symlinks;
/// empty directories; a hard-linked pair in two directories; a non-UTF-8 name
/// and a name with a newline (and other awkward names); symlink targets that
/// are long or not UTF-8; modes 0600, 0755, 4755, 0700 and 1777 (and, as
/// root, foreign and 32-bit owners); distinct nanosecond mtimes on everything,
/// and mtimes before the epoch and far in the future.
func makeEveryKindOfEntryTree(at path: String, blockSize: Int) throws {
  try shell(
    #"""
    set -euo pipefail
    B=\#(blockSize)
    mkdir -p '\#(path)' && cd '\#(path)'
    : > empty
    mkdir -p sub/deeper empty-dir sub/empty-inner private-dir sticky-dir
    : > sub/deeper/also-empty
    head -c "$B" /dev/urandom > exact-block
    head -c $((B - 1)) /dev/urandom > block-minus-one
    head -c $((B + 1)) /dev/urandom > block-plus-one
    head -c $((3 * B + 12345)) /dev/urandom > sub/multi-block
    ln -s exact-block live-link
    if [ "$(id -u)" = 0 ]; then chown -h 2345:3456 live-link; fi
    ln -s sub dir-link
    ln -s 'no/such/target' dangling-link
    head -c 1000 /dev/urandom > sub/hard-a
    ln sub/hard-a sub/deeper/hard-b
    printf 'not utf-8' > $'name-\xff-byte'
    printf 'has a newline' > $'new\nline'
    printf 'secret\n' > private && chmod 0600 private
    printf '#!/bin/sh\necho hi\n' > tool && chmod 0755 tool
    printf 'setuid\n' > setuid
    if [ "$(id -u)" = 0 ]; then chown 1234:5678 setuid private-dir; fi
    chmod 4755 setuid
    chmod 0700 private-dir
    chmod 1777 sticky-dir
    printf 'big ids' > big-ids
    if [ "$(id -u)" = 0 ]; then chown 4000000000:4000000001 big-ids; fi
    ln -s $'odd\xfe\ntarget' odd-target-link
    ln -s "$(printf 'x%.0s' $(seq 1 3000))" long-target-link
    for name in -dash 'back\slash' 'star*' ' leading space' 'trailing space ' $'tab\tname'; do
      printf '%s' "$name" > "$name"
    done
    i=0
    find . -depth -print0 | while IFS= read -r -d '' p; do
      i=$((i + 1))
      touch -h -d "2020-01-02 03:04:05.$(printf '%09d' $((123456789 + i)))" "$p"
    done
    # Times before the epoch (negative seconds) and far in the future; creating
    # these files changed the root's mtime, so it is set again last.
    printf 'before' > pre-epoch && touch -d '1969-12-31 23:59:59.5 UTC' pre-epoch
    printf 'after' > far-future && touch -d '2250-01-01 00:00:00.75 UTC' far-future
    touch -h -d '1950-06-07 08:09:10.111 UTC' odd-target-link
    touch -d '2020-01-02 03:04:05.5' .
    """#)
}

@Suite struct BackupRestoreTests {
  /// Every kind of entry restores byte for byte and metadata for metadata,
  /// whatever the block size (including one that is not a power of two),
  /// plain or compressed and encrypted.
  @Test(arguments: [65536, 100_000, 1_048_576], RepositoryKind.allCases)
  func everyKindOfEntryRestoresExactly(blockSize: Int, kind: RepositoryKind) async throws {
    let work = try BackupWorkspace(blockSize: blockSize, kind: kind)
    let source = work.sub("src")
    try makeEveryKindOfEntryTree(at: source, blockSize: blockSize)
    let original = try TreeListing(source)
    // The fixture really holds what it claims (guards against a silently broken script).
    #expect(original.items[Data([0x6E, 0x61, 0x6D, 0x65, 0x2D, 0xFF, 0x2D, 0x62, 0x79, 0x74, 0x65])] != nil)
    #expect(original.items[Data("new\nline".utf8)] != nil)
    #expect(original.items[Data("setuid".utf8)]?.mode == 0o4755)
    #expect(original.items[Data("sub/deeper/hard-b".utf8)]?.hardLinkGroup == Data("sub/deeper/hard-b".utf8))
    #expect(original.items[Data("exact-block".utf8)]?.size == Int64(blockSize))
    #expect(original.items[Data("private".utf8)]?.mtime.map { $0 % 1_000_000_000 != 0 } == true)
    #expect(original.items[Data("pre-epoch".utf8)]?.mtime == -500_000_000)

    let snapshot = try work.backup([source])
    #expect(snapshot.kind == "full")
    #expect(snapshot.sources == [source])
    let regularFiles = original.items.values.filter { $0.type == UInt32(S_IFREG) }
    #expect(snapshot.statistics.files == regularFiles.count)
    #expect(snapshot.statistics.bytes == UInt64(regularFiles.reduce(0) { $0 + $1.size }))

    // Each distinct block of a large file is stored once; empty files have
    // none; the last block may be short. Small files (up to a quarter block)
    // share a bundle or two.
    let smallFileLimit = min(blockSize / 4, 256 << 10)
    let large = original.fileContents.filter { $0.count > smallFileLimit }
    let expectedBlocks = distinctBlocks(large, blockSize: blockSize)
    let bundles = try await work.inspection.dataObjectNames().count - expectedBlocks.count
    #expect(
      (1...2).contains(bundles), "\(bundles) bundles for \(original.fileContents.count - large.count) small files")

    let target = work.sub("out")
    let restore = try work.restore(snapshot.id, to: target)
    #expect(restore.status == 0, "\(restore.output)")
    let restored = try TreeListing(target + source)
    #expect(restored == original, "\(original.differences(from: restored))")
  }

  /// In a repository without encryption, object names are the SHA-256 of
  /// each block's plaintext (Docs/FORMAT.md), compressed or not: an
  /// independent computation with dd and sha256sum finds exactly the
  /// objects the storage lists. (The one test that computes names itself:
  /// it checks the format. Every other oracle asks the library.)
  @Test func objectsAreNamedBySHA256OfEachBlock() async throws {
    let blockSize = 65536
    let work = try BackupWorkspace(blockSize: blockSize)
    let source = work.sub("src")
    try shell(
      "mkdir -p \(source) && head -c \(3 * blockSize + 7) /dev/urandom > \(source)/a && head -c \(blockSize) /dev/urandom > \(source)/b"
    )
    try work.backup([source])
    let expected =
      try blockHashes(of: "\(source)/a", blockSize: blockSize)
      + blockHashes(of: "\(source)/b", blockSize: blockSize)
    #expect(expected.count == 5)
    #expect(try await work.inspection.dataObjectNames() == Set(expected))
  }

  /// The SHA-256 (lowercase hex) of each `blockSize`-byte block of a file,
  /// computed with dd and sha256sum.
  private func blockHashes(of path: String, blockSize: Int) throws -> [String] {
    let output = try shell(
      """
      size=$(stat -c %s '\(path)'); count=$(( (size + \(blockSize) - 1) / \(blockSize) ))
      for ((i = 0; i < count; i++)); do
        dd if='\(path)' bs=\(blockSize) skip=$i count=1 iflag=fullblock status=none | sha256sum | cut -c1-64
      done
      """)
    return output.split(separator: "\n").map(String.init)
  }

  /// A FIFO and a Unix socket (and, as root, character and block devices) are
  /// recorded and recreated as what they were, with their mode, times and
  /// device numbers: never dropped, never turned into something else.
  @Test func specialFilesRestoreAsThemselves() throws {
    let work = try BackupWorkspace()
    let source = work.sub("src")
    try shell("mkdir -p \(source) && mkfifo -m 0640 \(source)/pipe && echo x > \(source)/file")
    try makeUnixSocket(at: "\(source)/socket")
    let asRoot = geteuid() == 0
    if asRoot {
      try shell("mknod -m 0620 \(source)/chardev c 1 3 && mknod -m 0600 \(source)/blockdev b 7 200")
    }
    try shell("touch -h -d '2021-03-04 05:06:07.000000001' \(source)/pipe \(source)/socket \(source)")
    let snapshot = try work.backup([source])
    let restore = try work.restore(snapshot.id, to: work.sub("out"))
    #expect(restore.status == 0, "\(restore.output)")
    let original = try TreeListing(source)
    let restored = try TreeListing(work.sub("out") + source)
    #expect(restored.items[Data("pipe".utf8)]?.type == UInt32(S_IFIFO))
    #expect(restored.items[Data("socket".utf8)]?.type == UInt32(S_IFSOCK))
    #expect(restored == original, "\(original.differences(from: restored))")
    if asRoot {
      // TreeListing does not compare device numbers: stat does.
      let devices = "stat -c '%n %F %t:%T' chardev blockdev"
      #expect(try shell("cd \(source) && \(devices)") == shell("cd \(work.sub("out") + source) && \(devices)"))
    }
  }

  /// A symlink in the target where the snapshot has a directory is never
  /// followed, even with --overwrite: whether the restore refuses or replaces
  /// it, nothing lands in the directory the symlink points to.
  @Test func restoreNeverWritesThroughASymlinkInTheTarget() throws {
    let work = try BackupWorkspace()
    let source = work.sub("src")
    try shell("mkdir -p \(source)/sub && echo inside > \(source)/sub/file && echo top > \(source)/top")
    let snapshot = try work.backup([source])
    let target = work.sub("out")
    let decoy = work.sub("decoy")
    try shell("mkdir -p \(decoy) \(target)\(source) && ln -s \(decoy) \(target)\(source)/sub")
    let restore = try work.restore(snapshot.id, to: target, ["--overwrite"])
    #expect(try FileManager.default.contentsOfDirectory(atPath: decoy).isEmpty)
    if restore.status == 0 {
      let original = try TreeListing(source)
      let restored = try TreeListing(target + source)
      #expect(restored == original, "\(original.differences(from: restored))")
    } else {
      #expect(restore.stderr.contains("\(source)/sub"), "\(restore.stderr)")
    }
  }

  /// Several sources in one snapshot each land under their own absolute path.
  @Test func severalSourcesRestoreSideBySide() throws {
    let work = try BackupWorkspace()
    let first = work.sub("one")
    let second = work.sub("two/nested")
    try shell(
      "mkdir -p \(first)/d \(second) && echo 1 > \(first)/d/f && head -c 70000 /dev/urandom > \(second)/g")
    let snapshot = try work.backup([second, first])
    #expect(Set(snapshot.sources) == [first, second])
    let restore = try work.restore("latest", to: work.sub("out"))
    #expect(restore.status == 0, "\(restore.output)")
    for source in [first, second] {
      let original = try TreeListing(source)
      let restored = try TreeListing(work.sub("out") + source)
      #expect(restored == original, "\(original.differences(from: restored))")
    }
  }

  /// `--include` restores one subtree and nothing beside it.
  @Test func includeRestoresOnlyThatSubtree() throws {
    let work = try BackupWorkspace()
    let source = work.sub("src")
    try makeEveryKindOfEntryTree(at: source, blockSize: 65536)
    try work.backup([source])
    let target = work.sub("out")
    let restore = try work.restore("latest", to: target, ["--include", "\(source)/sub"])
    #expect(restore.status == 0, "\(restore.output)")
    #expect(try FileManager.default.contentsOfDirectory(atPath: target + source) == ["sub"])
    let original = try TreeListing("\(source)/sub")
    let restored = try TreeListing("\(target)\(source)/sub")
    // The hard link's partner sits inside sub as well, so the group survives.
    #expect(restored == original, "\(original.differences(from: restored))")
  }

  /// With --overwrite, files in the way (other contents, other modes, a
  /// symlink where a file was) are replaced by the snapshot's versions, and
  /// a symlink in the way is replaced, never written through.
  @Test func overwriteReplacesFilesInTheWay() throws {
    let work = try BackupWorkspace()
    let source = work.sub("src")
    try makeEveryKindOfEntryTree(at: source, blockSize: 65536)
    let snapshot = try work.backup([source])
    let target = work.sub("out")
    let placed = target + source
    try shell(
      """
      mkdir -p '\(placed)/sub'
      echo stale > '\(placed)/exact-block'
      chmod 0666 '\(placed)/exact-block'
      echo decoy > '\(work.sub("decoy"))'
      ln -s '\(work.sub("decoy"))' '\(placed)/private'
      echo stale > '\(placed)/live-link'
      echo stale > '\(placed)/sub/multi-block'
      """)
    let refused = try work.restore(snapshot.id, to: target)
    #expect(refused.status != 0)
    let restore = try work.restore(snapshot.id, to: target, ["--overwrite"])
    #expect(restore.status == 0, "\(restore.output)")
    let original = try TreeListing(source)
    let restored = try TreeListing(placed)
    #expect(restored == original, "\(original.differences(from: restored))")
    #expect(try String(contentsOfFile: work.sub("decoy"), encoding: .utf8) == "decoy\n")
  }

  /// Files longer than one read segment (16 MiB) are hashed by several tasks
  /// at once; their blocks must still come back in order. The sizes straddle
  /// the segment boundary: one byte over one segment, and two segments and a bit.
  @Test func filesSpanningSeveralReadSegmentsRestoreInOrder() async throws {
    let blockSize = 65536
    let segment = 16 << 20
    let work = try BackupWorkspace(blockSize: blockSize)
    let source = work.sub("src")
    try shell(
      """
      mkdir -p \(source) && head -c \(2 * segment + 70000) /dev/urandom > \(source)/two-segments-and-a-bit \
        && head -c \(segment + 1) \(source)/two-segments-and-a-bit > \(source)/one-segment-plus-one
      """)
    let snapshot = try work.backup([source])
    // The shorter file is a prefix of the longer: all its blocks but the last are shared.
    #expect(try await work.inspection.dataObjectNames().count == (2 * segment + 70000 + blockSize - 1) / blockSize + 1)
    let restore = try work.restore(snapshot.id, to: work.sub("out"))
    #expect(restore.status == 0, "\(restore.output)")
    let original = try TreeListing(source)
    let restored = try TreeListing(work.sub("out") + source)
    #expect(restored == original, "\(original.differences(from: restored))")
  }

  /// SNAPSHOT may be an id, a unique prefix of one, or `latest`.
  @Test func snapshotIsFoundByIdPrefixOrLatest() throws {
    let work = try BackupWorkspace()
    let source = work.sub("src")
    try shell("mkdir -p \(source) && echo first > \(source)/f")
    let first = try work.backup([source], now: "2026-01-01T00:00:00Z")
    let earlier = work.sub("earlier")
    try shell("cp -a \(source) \(earlier) && echo second > \(source)/f")
    let second = try work.backup([source], now: "2026-02-01T00:00:00Z")
    #expect(first.id.hasPrefix("20260101"))
    #expect(second.id.hasPrefix("20260201"))

    let byPrefix = try work.restore("20260101", to: work.sub("by-prefix"))
    #expect(byPrefix.status == 0, "\(byPrefix.output)")
    #expect(try TreeListing(work.sub("by-prefix") + source) == TreeListing(earlier))
    let byID = try work.restore(second.id, to: work.sub("by-id"))
    #expect(byID.status == 0, "\(byID.output)")
    #expect(try TreeListing(work.sub("by-id") + source) == TreeListing(source))
    let latest = try work.restore("latest", to: work.sub("latest"))
    #expect(latest.status == 0, "\(latest.output)")
    #expect(try TreeListing(work.sub("latest") + source) == TreeListing(source))
  }

  /// A source whose own path is not UTF-8 (byte 0xff in its name) backs up
  /// and restores like any other: Linux paths are bytes.
  @Test func sourceWhoseNameIsNotUTF8() throws {
    let work = try BackupWorkspace()
    let parent = work.sub("parent")
    try shell("mkdir -p '\(parent)/'$'src-\\xff' && echo inside > '\(parent)/'$'src-\\xff/file'")
    let backup = try Cairn.runViaShell("backup --repo '\(work.repo)' '\(parent)/'$'src-\\xff'")
    try #require(backup.status == 0, "\(backup.output)")
    let restore = try work.restore("latest", to: work.sub("out"))
    #expect(restore.status == 0, "\(restore.output)")
    let original = try TreeListing(parent, includeRootMetadata: false)
    let restored = try TreeListing(work.sub("out") + parent, includeRootMetadata: false)
    #expect(restored == original, "\(original.differences(from: restored))")
  }

  /// Two sources whose names differ only in bytes that are not UTF-8 (0xff
  /// and 0xfe, which both decode to U+FFFD) are two sources: both are
  /// backed up, neither is silently dropped.
  @Test func sourcesDifferingOnlyInInvalidBytesAreBothBackedUp() throws {
    let work = try BackupWorkspace()
    let parent = work.sub("parent")
    try shell(
      """
      mkdir -p '\(parent)/'$'src-\\xff' '\(parent)/'$'src-\\xfe' && echo one > '\(parent)/'$'src-\\xff/one' \
        && echo two > '\(parent)/'$'src-\\xfe/two'
      """)
    let backup = try Cairn.runViaShell(
      "backup --repo '\(work.repo)' '\(parent)/'$'src-\\xff' '\(parent)/'$'src-\\xfe'")
    try #require(backup.status == 0, "\(backup.output)")
    let snapshot = try #require(try work.snapshots().last)
    #expect(snapshot.sources.count == 2, "sources: \(snapshot.sources)")
    #expect(snapshot.statistics.files == 2)
    let restore = try work.restore("latest", to: work.sub("out"))
    #expect(restore.status == 0, "\(restore.output)")
    let original = try TreeListing(parent, includeRootMetadata: false)
    let restored = try TreeListing(work.sub("out") + parent, includeRootMetadata: false)
    #expect(restored == original, "\(original.differences(from: restored))")
  }

  /// A restore target whose name is not UTF-8 is used as given: the files
  /// land below it, and nothing is written to the U+FFFD-repaired spelling.
  @Test func restoreTargetWhoseNameIsNotUTF8() throws {
    let work = try BackupWorkspace()
    let source = work.sub("src")
    try shell("mkdir -p \(source) && echo content > \(source)/file")
    try work.backup([source])
    let restore = try Cairn.runViaShell("restore --repo '\(work.repo)' latest '\(work.sub("out-"))'$'\\xff'")
    #expect(restore.status == 0, "\(restore.output)")
    let asGiven = try runProcess(
      "/bin/bash", ["-c", "cmp '\(source)/file' '\(work.sub("out-"))'$'\\xff''\(source)/file'"])
    #expect(asGiven.status == 0, "not restored below the target as named: \(asGiven.output)")
    #expect(!FileManager.default.fileExists(atPath: work.sub("out-\u{FFFD}")), "restored into another directory")
  }

  /// --include takes a path that is not UTF-8, as bytes.
  @Test func includeWhoseNameIsNotUTF8() throws {
    let work = try BackupWorkspace()
    let source = work.sub("src")
    try shell(
      "mkdir -p '\(source)/'$'dir-\\xff' \(source)/other && echo in > '\(source)/'$'dir-\\xff/f' && echo out > \(source)/other/g"
    )
    try work.backup([source])
    let restore = try Cairn.runViaShell(
      "restore --repo '\(work.repo)' latest '\(work.sub("out"))' --include '\(source)/'$'dir-\\xff'")
    try #require(restore.status == 0, "\(restore.output)")
    let restored = try TreeListing(work.sub("out") + source, includeRootMetadata: false)
    let original = try TreeListing(source, includeRootMetadata: false)
    var expected = original
    expected.items = original.items.filter { $0.key.starts(with: Data("dir-".utf8)) }
    #expect(expected.items.count == 2)
    #expect(restored == expected, "\(expected.differences(from: restored))")
  }
}

/// Binds a Unix domain socket at `path` (leaving the socket file behind), as
/// a server would; `mkfifo` and `mknod` cannot make one.
private func makeUnixSocket(at path: String) throws {
  struct SocketFailure: Error { let call: String, errno: Int32 }
  let descriptor = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
  guard descriptor >= 0 else { throw SocketFailure(call: "socket", errno: errno) }
  defer { close(descriptor) }
  var address = sockaddr_un()
  address.sun_family = sa_family_t(AF_UNIX)
  let bytes = Array(path.utf8)
  guard bytes.count < MemoryLayout.size(ofValue: address.sun_path) else {
    throw SocketFailure(call: "sun_path", errno: ENAMETOOLONG)
  }
  withUnsafeMutableBytes(of: &address.sun_path) { raw in
    raw.copyBytes(from: bytes)
    raw[bytes.count] = 0
  }
  let result = withUnsafePointer(to: &address) { pointer in
    pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) {
      bind(descriptor, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
    }
  }
  guard result == 0 else { throw SocketFailure(call: "bind", errno: errno) }
}
