import Foundation
import Testing

@testable import Cairn

#if canImport(Glibc)
  import Glibc
#endif

/// Small files travel in bundles, end to end through the real binary: they
/// restore exactly, an unchanged tree adds no bundle, one change rewrites
/// about one bundle, gc and check treat bundles as objects, a damaged bundle
/// loses only its own files, and a backup publishes its objects in batches.
@Suite struct BundleTests {
  static let blockSize = 65536
  /// Files up to a quarter block go into bundles.
  static let smallFileLimit = 16384
  static let targetBundle = 4 << 20

  /// Writes `count` files of 1 to `largest` random bytes (deterministic for
  /// a seed) into `directories` directories under `root`; returns their bytes.
  @discardableResult
  static func makeSmallFiles(at root: String, count: Int, largest: Int, directories: Int = 20, seed: UInt64 = 1)
    throws -> Int
  {
    var generator = BundlePolicyTests.Generator(state: seed)
    var total = 0
    for directory in 0..<directories {
      try FileManager.default.createDirectory(atPath: "\(root)/d\(directory)", withIntermediateDirectories: true)
    }
    for index in 0..<count {
      let size = 1 + Int(generator.next() % UInt64(largest))
      var bytes = [UInt8](repeating: 0, count: size)
      var position = 0
      while position < size {
        let word = generator.next()
        for shift in stride(from: 0, to: 64, by: 8) where position < size {
          bytes[position] = UInt8(truncatingIfNeeded: word >> UInt64(shift))
          position += 1
        }
      }
      try Data(bytes).write(to: URL(fileURLWithPath: "\(root)/d\(index % directories)/f\(index)"))
      total += size
    }
    return total
  }

  /// For every file of a snapshot in a bundle: its path and bundle.
  static func bundles(in repo: String, snapshot: String) async throws -> [String: String] {
    let repository = try await RepositoryInspection(path: repo).open()
    let record = try await repository.findSnapshot(snapshot)
    var result: [String: String] = [:]
    try await repository.forEachEntry(of: record) { entry in
      if try entry.bundleSlice() != nil { result[entry.path.description] = entry.blocks[0].hex }
    }
    return result
  }

  /// Many small files (and some large, empty, hard-linked ones) restore byte
  /// for byte, and take about (bytes ÷ 4 MiB) objects, not one per file.
  @Test func manySmallFilesRestoreExactlyFromFewObjects() async throws {
    let work = try BackupWorkspace(blockSize: Self.blockSize)
    let source = work.sub("src")
    let smallBytes = try Self.makeSmallFiles(at: source, count: 3000, largest: 8000)
    try shell(
      """
      set -e
      cd '\(source)'
      head -c 200000 /dev/urandom > large
      head -c 16385 /dev/urandom > just-over-the-limit
      head -c 16384 /dev/urandom > at-the-limit
      : > empty
      cp d1/f1 duplicate-of-f1
      ln d2/f2 hard-link-to-f2
      printf 'odd name' > $'odd\\nname\\xff'
      """)
    let original = try TreeListing(source)
    let snapshot = try work.backup([source])
    let data = try await work.inspection.dataObjectNames()
    // large: 4 blocks, just-over-the-limit: 1; everything else is small.
    let bundles = data.count - 5
    let expected = Double(smallBytes) / Double(Self.targetBundle)
    #expect(bundles >= 1 && Double(bundles) <= expected * 3 + 2, "\(bundles) bundles for \(smallBytes) bytes")
    #expect(Double(snapshot.statistics.newObjects) / Double(snapshot.statistics.files) < 0.01)

    let inBundles = try await Self.bundles(in: work.repo, snapshot: snapshot.id)
    #expect(inBundles.count == 3000 + 4)  // with at-the-limit, duplicate, hard link, odd name
    #expect(Set(inBundles.values).count == bundles)

    let target = work.sub("out")
    let restore = try work.restore(snapshot.id, to: target)
    #expect(restore.status == 0, "\(restore.output)")
    let restored = try TreeListing(target + source)
    #expect(restored == original, "\(original.differences(from: restored))")
    let check = try Cairn.run(["check", "--repo", work.repo, "--read-data"])
    #expect(check.status == 0, "\(check.output)")
  }

  /// An unchanged tree adds no bundle: a second full makes the same bundles
  /// (and the same manifest), a differential reads nothing.
  @Test func unchangedTreeAddsNoBundle() async throws {
    let work = try BackupWorkspace(blockSize: Self.blockSize)
    let source = work.sub("src")
    try Self.makeSmallFiles(at: source, count: 2000, largest: 8000)
    let first = try work.backup([source], ["--full"], now: "2026-03-01T10:00:00Z")
    let before = try await work.inspection.objectNames()
    let full = try work.backup([source], ["--full"], now: "2026-03-01T11:00:00Z")
    #expect(full.statistics.filesRead == 2000)
    #expect(full.statistics.newObjects == 0 && full.statistics.newBytes == 0)
    #expect(full.manifest == first.manifest)
    #expect(try await work.inspection.objectNames() == before)
    let differential = try work.backup([source], ["--differential"], now: "2026-03-01T12:00:00Z")
    #expect(differential.statistics.filesRead == 0)
    #expect(try await work.inspection.objectNames().subtracting(before).isSubset(of: Set(differential.manifest)))
  }

  /// One changed small file among 6,000: a differential stores one bundle
  /// holding only that file; a full rewrites about one bundle of the dozen.
  @Test func oneChangedSmallFileRewritesAboutOneBundle() async throws {
    let work = try BackupWorkspace(blockSize: Self.blockSize)
    let source = work.sub("src")
    try Self.makeSmallFiles(at: source, count: 6000, largest: 16000)
    let first = try work.backup([source], ["--full"], now: "2026-03-01T10:00:00Z")
    let firstBundles = try await Self.bundles(in: work.repo, snapshot: first.id)
    #expect(Set(firstBundles.values).count >= 4, "the tree should span several bundles")

    // The same size, other bytes, in the middle of the tree.
    let changed = "\(source)/d7/f3007"
    let size = try #require(try FileManager.default.attributesOfItem(atPath: changed)[.size] as? Int)
    try Data((0..<size).map { UInt8(truncatingIfNeeded: $0 &* 7 &+ 1) }).write(to: URL(fileURLWithPath: changed))
    let before = try await work.inspection.objectNames()

    let differential = try work.backup([source], ["--differential"], now: "2026-03-01T11:00:00Z")
    let addedByDifferential = try await work.inspection.objectNames().subtracting(before).subtracting(
      differential.manifest)
    #expect(differential.statistics.filesRead == 1)
    #expect(addedByDifferential.count == 1, "a differential stores one bundle for the one changed file")
    let differentialBundles = try await Self.bundles(in: work.repo, snapshot: differential.id)
    #expect(differentialBundles[changed].map { addedByDifferential.contains($0) } == true)
    #expect(differential.statistics.newBytes < UInt64(size + 65536))

    let afterDifferential = try await work.inspection.objectNames()
    let full = try work.backup([source], ["--full"], now: "2026-03-01T12:00:00Z")
    let addedByFull = try await work.inspection.objectNames().subtracting(afterDifferential).subtracting(full.manifest)
    #expect((1...2).contains(addedByFull.count), "a full after one change wrote \(addedByFull.count) bundles")
    #expect(
      full.statistics.newBytes < first.statistics.newBytes / 2,
      "one change cost \(full.statistics.newBytes) of \(first.statistics.newBytes) bytes")
    let fullBundles = try await Self.bundles(in: work.repo, snapshot: full.id)
    let unchangedBundles = Set(fullBundles.values).intersection(Set(firstBundles.values))
    #expect(unchangedBundles.count >= Set(firstBundles.values).count - 2)
  }

  /// gc counts bundles like blocks: a bundle stays while any snapshot
  /// references it and goes with the last one.
  @Test func gcKeepsABundleWhileReferencedAndDeletesItAfter() async throws {
    let work = try BackupWorkspace(blockSize: Self.blockSize)
    let source = work.sub("src")
    try Self.makeSmallFiles(at: source, count: 300, largest: 2000)
    let first = try work.backup([source], ["--full"], now: "2026-03-01T10:00:00Z")
    let oldBundles = Set(try await Self.bundles(in: work.repo, snapshot: first.id).values)
    try shell("printf 'changed' > '\(source)/d3/f3'")
    let second = try work.backup([source], ["--full"], now: "2026-03-01T11:00:00Z")
    let newBundles = Set(try await Self.bundles(in: work.repo, snapshot: second.id).values)
    let onlyOld = oldBundles.subtracting(newBundles)
    #expect(!onlyOld.isEmpty)

    try work.run(["gc", "--repo", work.repo])
    #expect(
      onlyOld.isSubset(of: try await work.inspection.objectNames()), "gc deleted a bundle the first snapshot references"
    )

    try work.run(["forget", "--repo", work.repo, "--keep", "1"])
    try work.run(["gc", "--repo", work.repo])
    let left = try await work.inspection.objectNames()
    #expect(onlyOld.isDisjoint(with: left), "gc kept a bundle no snapshot references")
    #expect(newBundles.isSubset(of: left))
    let restore = try work.restore(second.id, to: work.sub("out"))
    #expect(restore.status == 0, "\(restore.output)")
    #expect(try TreeListing(work.sub("out") + source) == TreeListing(source))
    let check = try Cairn.run(["check", "--repo", work.repo, "--read-data"])
    #expect(check.status == 0, "\(check.output)")
  }

  /// A tree of small files in bundles and large files in blocks, with the
  /// bundle of `d0/f0` damaged.
  private static func damagedBundleFixture() async throws -> (
    work: BackupWorkspace, source: String, snapshot: SnapshotSummary, bundle: String, original: TreeListing
  ) {
    let work = try BackupWorkspace(blockSize: Self.blockSize)
    let source = work.sub("src")
    try Self.makeSmallFiles(at: source, count: 200, largest: 1000, directories: 4)
    try shell("head -c 150000 /dev/urandom > '\(source)/large-1' && head -c 70000 /dev/urandom > '\(source)/large-2'")
    let original = try TreeListing(source)
    let snapshot = try work.backup([source])
    // The cut rule hashes paths, and the workspace's path is random: the
    // tree may take more than one bundle. The damaged one is d0/f0's.
    let bundle = try #require(try await Self.bundles(in: work.repo, snapshot: snapshot.id)["\(source)/d0/f0"])
    let size = try #require(try await work.inspection.objects()[bundle])
    try work.inspection.damage(bundle, .flipByte(at: Int(size) / 2))
    return (work, source, snapshot, bundle, original)
  }

  @Test func checkReadDataNamesADamagedBundleAndItsFiles() async throws {
    let fixture = try await Self.damagedBundleFixture()
    let quick = try Cairn.run(["check", "--repo", fixture.work.repo])
    #expect(quick.status == 0, "without --read-data, a present bundle is not read: \(quick.output)")
    let check = try Cairn.run(["check", "--repo", fixture.work.repo, "--read-data"])
    #expect(check.status == 1)
    #expect(check.output.contains(fixture.bundle), "\(check.output)")
    #expect(check.output.contains(fixture.snapshot.id))
    #expect(check.output.contains("\(fixture.source)/d0/f0"), "the files it breaks are named: \(check.output)")
  }

  /// Restore checks each small file against its own address, not the
  /// bundle as a whole: the files the damage reaches are not restored, the
  /// bundle's other files and every other file are, byte for byte.
  @Test func restoreWithADamagedBundleRestoresTheOtherFilesAndFails() async throws {
    let fixture = try await Self.damagedBundleFixture()
    let target = fixture.work.sub("out")
    let restore = try fixture.work.restore(fixture.snapshot.id, to: target)
    #expect(restore.status == 1)
    #expect(restore.output.contains(fixture.bundle), "\(restore.output)")
    let root = target + fixture.source
    try expectNoWrongBytes(in: root, comparedTo: fixture.original)
    let restored = try TreeListing(root)
    for name in ["large-1", "large-2"] {
      #expect(restored.items[Data(name.utf8)] == fixture.original.items[Data(name.utf8)], "'\(name)' not restored")
    }
    let inBundle = try await Self.bundles(in: fixture.work.repo, snapshot: fixture.snapshot.id)
      .filter { $0.value == fixture.bundle }.keys.map { Data($0.dropFirst(fixture.source.count + 1).utf8) }
    let missing = inBundle.filter { restored.items[$0] == nil }
    #expect(!missing.isEmpty, "no file of the damaged bundle was refused")
    for name in missing {
      #expect(restore.output.contains(String(decoding: name, as: UTF8.self)), "'\(name)' is missing without a word")
    }
  }

  /// In an uncompressed, unencrypted bundle, one damaged byte costs exactly
  /// the file it lies in: every other file of the bundle restores.
  @Test func aDamagedByteInABundleCostsOnlyTheFileItLiesIn() async throws {
    let work = try BackupWorkspace(blockSize: Self.blockSize, kind: .plain)
    let source = work.sub("src")
    try Self.makeSmallFiles(at: source, count: 60, largest: 1000, directories: 2)
    let original = try TreeListing(source)
    let snapshot = try work.backup([source])
    let repository = try await RepositoryInspection(path: work.repo).open()
    let record = try await repository.findSnapshot(snapshot.id)
    var slices: [(path: String, bundle: String, slice: BundleSlice)] = []
    try await repository.forEachEntry(of: record) { entry in
      if let slice = try entry.bundleSlice(), slice.end > slice.offset {
        slices.append((entry.path.description, entry.blocks[0].hex, slice))
      }
    }
    let victim = try #require(slices.dropFirst(slices.count / 2).first)
    let siblings = slices.filter { $0.bundle == victim.bundle && $0.path != victim.path }
    #expect(!siblings.isEmpty, "the bundle holds other files")
    try work.inspection.damage(victim.bundle, .flipByte(at: ObjectEnvelope.headerSize + Int(victim.slice.offset)))

    let target = work.sub("out")
    let restore = try work.restore(snapshot.id, to: target)
    #expect(restore.status == 1)
    #expect(restore.output.contains(victim.path), "\(restore.output)")
    let root = target + source
    try expectNoWrongBytes(in: root, comparedTo: original)
    let restored = try TreeListing(root)
    let relative = { (path: String) in Data(path.dropFirst(source.count + 1).utf8) }
    #expect(restored.items[relative(victim.path)] == nil)
    for sibling in siblings {
      #expect(restored.items[relative(sibling.path)] != nil, "'\(sibling.path)' was not restored")
    }
    #expect(restored.items.count == original.items.count - 1)
  }

  /// A backup publishes its objects in batches: killed near its end, it
  /// leaves most of what it wrote durable and named, and the next run
  /// writes much less than the whole tree again.
  @Test func interruptedBackupKeepsPublishedBatches() async throws {
    let work = try BackupWorkspace(blockSize: Self.blockSize)
    let source = work.sub("src")
    // 600 files of one block each, none small: 600 arrivals at backup.block.
    try shell(
      """
      set -e
      mkdir -p '\(source)'
      for i in $(seq 1 6); do head -c \(100 * Self.blockSize) /dev/urandom > '\(source)/chunk'; \
        split -b \(Self.blockSize) -a 3 '\(source)/chunk' '\(source)/part-'$i'-'; done
      rm '\(source)/chunk'
      """)
    let reference = work.sub("reference")
    try work.run(["init", "--repo", reference, "--block-size", String(Self.blockSize)])
    let clean = try jsonObject(try work.run(["backup", "--repo", reference, "--json", source]).stdout)
    let cleanBytes = try #require((clean["snapshot"] as? [String: Any])?["statistics"] as? [String: Any])["newBytes"]
    let total = try #require(cleanBytes as? Int)

    let crashed = try runCairnAllowingCrash(
      ["backup", "--repo", work.repo, source],
      environment: ["CAIRN_CRASH_AT": "backup.block:570", "CAIRN_PUBLISH_BYTES": String(1 << 20)])
    #expect(crashed.killedBySignal)
    #expect(try snapshotIDs(work.repo).isEmpty)
    let published = try await work.inspection.objects()
    #expect(published.count > 300, "only \(published.count) of 600 objects were published before the kill")

    let check = try Cairn.run(["check", "--repo", work.repo, "--read-data"])
    #expect(check.status == 0, "\(check.output)")
    let again = try jsonObject(try work.run(["backup", "--repo", work.repo, "--json", source]).stdout)
    let statistics = try #require((again["snapshot"] as? [String: Any])?["statistics"] as? [String: Any])
    let second = try #require(statistics["newBytes"] as? Int)
    #expect(second < total / 2, "the second run wrote \(second) bytes of \(total)")
    let restore = try work.restore("latest", to: work.sub("out"))
    #expect(restore.status == 0, "\(restore.output)")
    #expect(try TreeListing(work.sub("out") + source) == TreeListing(source))
  }
}
