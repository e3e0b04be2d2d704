import Cairn
import Foundation
import Testing

@Suite struct RetentionTests {
  @Test func historyHasTheExpectedKinds() throws {
    let history = try History()
    #expect(
      history.snapshots.map(\.kind) == ["full", "differential", "differential", "full", "differential", "differential"])
  }

  @Test func forgetKeepsNewestAndTheirBasesAndEverythingLeftRestores() async throws {
    let history = try History()
    let ids = history.snapshots.map(\.id)

    // Keep 2: the two newest differentials, plus the full they are based on.
    let forget = try Cairn.run(["forget", "--repo", history.repo, "--keep", "2", "--json"])
    #expect(forget.status == 0, "\(forget.output)")
    let output = try jsonObject(forget.stdout)
    #expect(output["kept"] as? [String] == [ids[4], ids[5]])
    #expect(output["keptAsBase"] as? [String] == [ids[3]])
    #expect(output["removed"] as? [String] == [ids[0], ids[1], ids[2]])

    let gc = try Cairn.run(["gc", "--repo", history.repo])
    #expect(gc.status == 0, "\(gc.output)")
    let remaining = try await RepositoryInspection(path: history.repo).records().map(\.id)
    #expect(remaining == [ids[3], ids[4], ids[5]])
    for index in 3...5 {
      let restored = try history.restore(ids[index], label: "\(index)")
      #expect(try TreeListing(restored) == TreeListing(history.snapshots[index].copy), "snapshot \(index)")
    }
    let check = try Cairn.run(["check", "--repo", history.repo, "--read-data"])
    #expect(check.status == 0, "\(check.output)")
  }

  @Test func forgetRefusesKeepZeroAndDryRunChangesNothing() async throws {
    let history = try History()
    let before = try await RepositoryInspection(path: history.repo).records().map(\.id)
    let zero = try Cairn.run(["forget", "--repo", history.repo, "--keep", "0"])
    #expect(zero.status != 0)
    #expect(zero.stderr.contains("--keep"))
    let dry = try Cairn.run(["forget", "--repo", history.repo, "--keep", "1", "--dry-run", "--verbose"])
    #expect(dry.status == 0)
    #expect(dry.stdout.contains("would remove"))
    #expect(try await RepositoryInspection(path: history.repo).records().map(\.id) == before)
  }

  @Test func gcDeletesExactlyWhatOnlyForgottenSnapshotsReferenced() async throws {
    let history = try History()
    let inspection = RepositoryInspection(path: history.repo)
    let objectsBefore = try await inspection.objects()
    let records = try await inspection.records()
    let forget = try Cairn.run(["forget", "--repo", history.repo, "--keep", "2"])
    #expect(forget.status == 0, "\(forget.output)")
    let kept = Set(try await inspection.records().map(\.id))
    var stillReferenced = Set<String>()
    for record in records where kept.contains(record.id) {
      stillReferenced.formUnion(try await inspection.references(of: record))
    }
    let expectedGarbage = Set(objectsBefore.keys).subtracting(stillReferenced)
    #expect(!expectedGarbage.isEmpty, "the history should leave garbage behind")
    let expectedBytes = expectedGarbage.reduce(UInt64(0)) { $0 + objectsBefore[$1]! }

    let dry = try jsonObject(try Cairn.run(["gc", "--repo", history.repo, "--json", "--dry-run"]).stdout)
    #expect(dry["objectsDeleted"] as? Int == expectedGarbage.count)
    #expect(try await inspection.objects() == objectsBefore, "a dry run deletes nothing")

    let gc = try jsonObject(try Cairn.run(["gc", "--repo", history.repo, "--json"]).stdout)
    #expect(gc["objectsDeleted"] as? Int == expectedGarbage.count)
    #expect((gc["bytesFreed"] as? NSNumber)?.uint64Value == expectedBytes)
    #expect(Set(try await inspection.objects().keys) == Set(objectsBefore.keys).subtracting(expectedGarbage))

    let again = try jsonObject(try Cairn.run(["gc", "--repo", history.repo, "--json"]).stdout)
    #expect(again["objectsDeleted"] as? Int == 0)
  }

  @Test func backupKeepAppliesRetentionAndCollectsGarbage() async throws {
    let history = try History()
    let result = try Cairn.run(
      ["backup", "--repo", history.repo, "--keep", "1", "--json", "--time", "2026-01-19T12:00:00Z", history.source])
    #expect(result.status == 0, "\(result.output)")
    let output = try jsonObject(result.stdout)
    let snapshot = output["snapshot"] as? [String: Any] ?? [:]
    let newest = snapshot["id"] as? String ?? ""
    let remaining = try await RepositoryInspection(path: history.repo).records().map(\.id)
    // The new differential is kept with its base (the day-15 full).
    #expect(remaining == [history.snapshots[3].id, newest])
    #expect((output["gc"] as? [String: Any])?["objectsDeleted"] as? Int ?? 0 > 0)
    let check = try Cairn.run(["check", "--repo", history.repo, "--read-data"])
    #expect(check.status == 0, "\(check.output)")
  }
}
