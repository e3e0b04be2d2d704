import Foundation
import Testing

@testable import Cairn

/// On a storage that answers like a server, a backup stores several
/// bundles at once (`BundleWriter.remoteStoresInFlight`) while the next
/// fills; on a local one, one at a time. Either way the snapshot restores
/// exactly, and a failed store leaves no snapshot and nothing pending.
@Suite struct BundleStoresInFlightTests {
  /// A tree of small files only (about 24 MB: four or more bundles of
  /// 4 MiB), so that every object write but the manifest's is a bundle.
  static func smallFilesOnly(_ fixture: FaultyRepository) throws -> String {
    let root = fixture.directory.sub("small-only")
    try BundleTests.makeSmallFiles(at: root, count: 6000, largest: 8000)
    return root
  }

  static func backup(_ root: String, into repository: Repository) async throws -> SnapshotRecord {
    try await Backup(repository: repository, logger: FaultyRepository.logger)
      .run(BackupRequest(sources: [root], kind: .full)).record
  }

  @Test(arguments: [false, true])
  func bundlesStoreAtOnceOnlyWhenRemoteAndRestoreExactly(remote: Bool) async throws {
    let fixture = try await FaultyRepository(kind: .encrypted, actsRemote: remote)
    let root = try Self.smallFilesOnly(fixture)
    let record = try await Self.backup(root, into: try await fixture.withFaults())
    #expect(record.statistics.newObjects >= 4, "\(record.statistics.newObjects) objects")
    let most = fixture.faulty.mostObjectWritesInFlight
    if remote {
      #expect(most >= 2 && most <= BundleWriter.remoteStoresInFlight + 1, "\(most) object writes at once")
    } else {
      // The manifest part may be written while the last bundle is stored.
      #expect(most <= 2, "\(most) object writes at once")
    }

    let repository = try await fixture.withoutFaults()
    let target = fixture.directory.sub("out")
    let result = try await Restore(repository: repository, logger: FaultyRepository.logger)
      .run(RestoreRequest(snapshot: record, target: target))
    #expect(result.problems.isEmpty, "\(result.problems)")
    #expect(try TreeListing(target + root) == TreeListing(root))
    let check = try await fixture.check(repository)
    #expect(check.ok, "\(check.problems)")
  }

  /// The third bundle's store fails while others are under way: the backup
  /// throws it, records nothing, leaves nothing pending, and `check` passes.
  @Test func aFailedStoreAmongSeveralLeavesNoSnapshotAndNothingPending() async throws {
    let fixture = try await FaultyRepository(kind: .encrypted, actsRemote: true)
    let root = try Self.smallFilesOnly(fixture)
    let refused = CairnError(.io, "the server refused the upload")
    fixture.faulty.add(.init(.write, onCall: 3, kind: .objects, fault: .fail(refused)))
    do {
      _ = try await Self.backup(root, into: try await fixture.withFaults())
      Issue.record("the backup succeeded although a bundle's store failed")
    } catch let error as CairnError {
      #expect(error.message == refused.message, "\(error)")
    }
    let repository = try await fixture.withoutFaults()
    #expect(try await repository.snapshots().isEmpty, "a snapshot was recorded")
    if let memory = fixture.backing as? MemoryStorage {
      #expect(await memory.pendingCount == 0, "the failed backup left pending objects")
    }
    let check = try await fixture.check(repository)
    #expect(check.ok, "\(check.problems)")
  }
}
