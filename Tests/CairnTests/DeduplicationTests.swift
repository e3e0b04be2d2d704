import Foundation
import Testing

@Suite struct DeduplicationTests {
  /// A second full backup of an unchanged tree reads every file again but
  /// adds no object at all: the blocks are present, and the manifest (which
  /// records only what lstat says and the block lists) is byte for byte the
  /// same, so its object is present too.
  @Test func secondFullOfUnchangedTreeAddsNoObjects() async throws {
    let blockSize = 65536
    let work = try BackupWorkspace(blockSize: blockSize)
    let source = work.sub("src")
    try shell(
      """
      mkdir -p \(source)/d/e \(source)/empty && head -c \(4 * blockSize + 3) /dev/urandom > \(source)/big \
        && echo small > \(source)/d/small && : > \(source)/d/e/zero && ln -s big \(source)/link
      """)
    let first = try work.backup([source], now: "2026-01-01T00:00:00Z")
    #expect(first.statistics.newObjects == 7)  // five blocks of big, one of small, one manifest part
    let before = try await work.inspection.objectNames()
    #expect(before.count == first.statistics.newObjects)

    let second = try work.backup([source], ["--full"], now: "2026-01-01T01:00:00Z")
    #expect(second.kind == "full")
    #expect(second.base == nil)
    // A full reads and hashes every file...
    #expect(second.statistics.filesRead == second.statistics.files)
    #expect(second.statistics.bytesRead == UInt64(4 * blockSize + 3 + 6))
    // ...but writes nothing the store already has.
    #expect(second.statistics.newObjects == 0)
    #expect(second.statistics.newBytes == 0)
    #expect(try await work.inspection.objectNames() == before)
    #expect(second.manifest == first.manifest)
  }

  /// When only metadata changes (an mtime), a full backup adds exactly its
  /// new manifest part(s) and not a single data object.
  @Test func fullAfterMetadataChangeAddsOnlyManifestObjects() async throws {
    let blockSize = 65536
    let work = try BackupWorkspace(blockSize: blockSize)
    let source = work.sub("src")
    try shell("mkdir -p \(source) && head -c \(2 * blockSize) /dev/urandom > \(source)/f && echo g > \(source)/g")
    let first = try work.backup([source], now: "2026-01-01T00:00:00Z")
    let before = try await work.inspection.objectNames()
    try shell("touch -d '2021-01-01 00:00:00.5' \(source)/f")
    let second = try work.backup([source], ["--full"], now: "2026-01-01T01:00:00Z")
    let added = try await work.inspection.objectNames().subtracting(before)
    #expect(second.manifest != first.manifest)
    #expect(added == Set(second.manifest))
    #expect(second.statistics.newObjects == second.manifest.count)
    #expect(try await work.inspection.dataObjectNames().count == 3)
  }

  /// Two identical multi-block files cost what one copy costs.
  @Test func identicalFilesShareTheirBlocks() async throws {
    let blockSize = 65536
    let work = try BackupWorkspace(blockSize: blockSize)
    let source = work.sub("src")
    try shell(
      """
      mkdir -p \(source)/other && head -c \(3 * blockSize + 1000) /dev/urandom > \(source)/a \
        && cp \(source)/a \(source)/other/copy-of-a
      """)
    let snapshot = try work.backup([source])
    let expected = Set(try await work.inspection.blockNames(ofFile: "\(source)/a"))
    #expect(expected.count == 4)
    #expect(try await work.inspection.dataObjectNames() == expected)
    #expect(try await work.inspection.objectNames().count == expected.count + snapshot.manifest.count)
    #expect(snapshot.statistics.newObjects == expected.count + snapshot.manifest.count)
    #expect(snapshot.statistics.bytesRead == UInt64(2 * (3 * blockSize + 1000)))

    // Both copies restore intact from the shared blocks.
    let restore = try work.restore(snapshot.id, to: work.sub("out"))
    #expect(restore.status == 0, "\(restore.output)")
    let original = try TreeListing(source)
    let restored = try TreeListing(work.sub("out") + source)
    #expect(restored == original, "\(original.differences(from: restored))")
  }

  /// A file made of one block repeated is stored as that one block; a copy
  /// with a few bytes changed in one block adds exactly one data object.
  @Test func repeatedAndNearlyIdenticalBlocksAreStoredOnce() async throws {
    let blockSize = 65536
    let work = try BackupWorkspace(blockSize: blockSize)
    let source = work.sub("src")
    try shell(
      """
      mkdir -p \(source) && head -c \(blockSize) /dev/urandom > \(work.sub("block")) \
        && cat \(work.sub("block")) \(work.sub("block")) \(work.sub("block")) \(work.sub("block")) > \(source)/repeated \
        && head -c \(3 * blockSize) /dev/urandom > \(source)/random
      """)
    try work.backup([source], now: "2026-01-01T00:00:00Z")
    #expect(try await work.inspection.dataObjectNames().count == 4)  // the repeated block once, three random ones

    let before = try await work.inspection.dataObjectNames()
    try shell(
      """
      cp \(source)/random \(source)/nearly && printf 'sixteen bytes!!!' | dd of=\(source)/nearly bs=1 seek=\(blockSize + 17) conv=notrunc status=none
      """)
    let differential = try work.backup([source], ["--differential"], now: "2026-01-01T01:00:00Z")
    let added = try await work.inspection.dataObjectNames().subtracting(before)
    #expect(added.count == 1)
    #expect(added == Set(try await work.inspection.blockNames(ofFile: "\(source)/nearly")).subtracting(before))
    #expect(differential.statistics.newObjects == 1 + differential.manifest.count)

    let restore = try work.restore("latest", to: work.sub("out"))
    #expect(restore.status == 0, "\(restore.output)")
    let original = try TreeListing(source)
    let restored = try TreeListing(work.sub("out") + source)
    #expect(restored == original, "\(original.differences(from: restored))")
  }
}
