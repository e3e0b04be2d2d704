import Foundation
import Testing

/// Ways to damage an object file in the repository.
enum ObjectDamage: String, CaseIterable, Sendable {
  /// One byte's bits flipped, size unchanged.
  case flippedByte
  /// Cut to half its size.
  case truncated
  /// Gone altogether.
  case deleted

  func apply(to name: String, in work: BackupWorkspace) throws {
    switch self {
    case .flippedByte: try work.inspection.damage(name, .flipByte(at: 100))
    case .truncated: try work.inspection.damage(name, .truncate(to: 30000))
    case .deleted: try work.inspection.damage(name, .delete)
    }
  }
}

@Suite struct IntegrityTests {
  /// Makes `src` with a two-block `victim`, a `twin` sharing its blocks, a
  /// one-block `bystander` and a small file; backs it up.
  private func backedUpTree(_ work: BackupWorkspace) throws -> (source: String, snapshot: SnapshotSummary) {
    let source = work.sub("src")
    try shell(
      """
      mkdir -p \(source)/d && head -c 131072 /dev/urandom > \(source)/victim && cp \(source)/victim \(source)/d/twin \
        && head -c 65536 /dev/urandom > \(source)/bystander && echo small > \(source)/small
      """)
    return (source, try work.backup([source]))
  }

  /// Every regular file the restore left in `restoredRoot` has exactly the
  /// bytes of the file at the same place in `original`.
  private func expectNoWrongBytes(in restoredRoot: String, comparedTo original: TreeListing) throws {
    guard FileManager.default.fileExists(atPath: restoredRoot) else { return }
    let restored = try TreeListing(restoredRoot)
    for (path, item) in restored.items where item.content != nil {
      #expect(
        item.content == original.items[path]?.content,
        "'\(String(decoding: path, as: UTF8.self))' was restored with wrong bytes")
    }
  }

  /// A damaged data block (flipped, truncated or missing) makes restore exit
  /// 1 naming the object and the files it breaks; those files are not left
  /// behind with wrong or partial bytes, and the others restore intact.
  @Test(arguments: ObjectDamage.allCases, RepositoryKind.allCases)
  func damagedDataObjectFailsRestoreByName(damage: ObjectDamage, kind: RepositoryKind) async throws {
    let work = try BackupWorkspace(blockSize: 65536, kind: kind)
    let (source, snapshot) = try backedUpTree(work)
    let original = try TreeListing(source)
    // The victim's second block: a restore that wrote as it went has already
    // written the first block when it meets this one.
    let damaged = try await work.inspection.blockNames(ofFile: "\(source)/victim")[1]
    #expect(try await work.inspection.dataObjectNames().contains(damaged))
    try damage.apply(to: damaged, in: work)

    let target = work.sub("out")
    let restore = try work.restore(snapshot.id, to: target)
    #expect(restore.status == 1, "\(restore.output)")
    #expect(restore.stderr.contains(damaged), "\(restore.stderr)")
    #expect(restore.stderr.contains("victim"), "\(restore.stderr)")
    #expect(restore.stderr.contains("twin"), "\(restore.stderr)")
    try expectNoWrongBytes(in: target + source, comparedTo: original)
    #expect(!FileManager.default.fileExists(atPath: "\(target)\(source)/victim"))
    #expect(!FileManager.default.fileExists(atPath: "\(target)\(source)/d/twin"))
    // The undamaged files are all there.
    for name in ["bystander", "small"] {
      #expect(
        FileManager.default.contents(atPath: "\(target)\(source)/\(name)")
          == FileManager.default.contents(atPath: "\(source)/\(name)"))
    }
  }

  /// A damaged manifest part makes restore fail naming it, and writes no wrong bytes.
  @Test(arguments: RepositoryKind.allCases)
  func damagedManifestFailsRestoreByName(kind: RepositoryKind) throws {
    let work = try BackupWorkspace(blockSize: 65536, kind: kind)
    let (source, snapshot) = try backedUpTree(work)
    let original = try TreeListing(source)
    let part = try #require(snapshot.manifest.first)
    try work.inspection.damage(part, .flipByte(at: 20))

    let target = work.sub("out")
    let restore = try work.restore(snapshot.id, to: target)
    #expect(restore.status == 1, "\(restore.output)")
    #expect(restore.stderr.contains(part), "\(restore.stderr)")
    try expectNoWrongBytes(in: target + source, comparedTo: original)
  }

  /// Damage to the base of a differential is caught when the differential is restored.
  @Test(arguments: RepositoryKind.allCases)
  func damagedBaseBlockFailsDifferentialRestore(kind: RepositoryKind) async throws {
    let work = try BackupWorkspace(blockSize: 65536, kind: kind)
    let (source, _) = try backedUpTree(work)
    try shell("echo later > \(source)/later")
    let differential = try work.backup([source], ["--differential"])
    #expect(differential.kind == "differential")
    let original = try TreeListing(source)
    let damaged = try await work.inspection.blockNames(ofFile: "\(source)/bystander")[0]
    try work.inspection.damage(damaged, .flipByte(at: 5))

    let target = work.sub("out")
    let restore = try work.restore("latest", to: target)
    #expect(restore.status == 1, "\(restore.output)")
    #expect(restore.stderr.contains(damaged), "\(restore.stderr)")
    #expect(!FileManager.default.fileExists(atPath: "\(target)\(source)/bystander"))
    try expectNoWrongBytes(in: target + source, comparedTo: original)
    #expect(FileManager.default.contents(atPath: "\(target)\(source)/later") == Data("later\n".utf8))
  }
}
