import Cairn
import Foundation
import Testing

extension HeavyCrashTests {
  /// gc and forget killed with SIGKILL at many points: every kept snapshot
  /// still restores, and the next gc removes all the garbage. On a plain and
  /// on a compressed, encrypted repository (`RepositoryKind`).
  @Suite struct GCCrashTests {
    @Test(arguments: RepositoryKind.allCases)
    func gcKilledAtManyPointsThenRunAgainLosesNothing(kind: RepositoryKind) async throws {
      let history = try History(kind: kind)
      #expect(try history.cairn(["forget", "--repo", history.repo, "--keep", "2"]).status == 0)
      let kept = try await RepositoryInspection(path: history.repo).records().map(\.id)

      // What a clean gc leaves behind, on a copy.
      let clean = history.directory.sub("clean")
      try shell("cp -a \(history.repo) \(clean)")
      let cleanRun = try jsonObject(try history.cairn(["gc", "--repo", clean, "--json"]).stdout)
      let deletions = cleanRun["objectsDeleted"] as? Int ?? 0
      #expect(deletions > 5, "need garbage to crash in the middle of")
      let expected = try await RepositoryInspection(path: clean).objectNames()

      let points = Array(Set([1, 2, deletions / 3, deletions / 2, deletions - 1])).filter { $0 >= 1 }.sorted()
      for point in points {
        let copy = history.directory.sub("crash-\(point)")
        try shell("rm -rf \(copy) && cp -a \(history.repo) \(copy)")
        let crashed = try runCairnAllowingCrash(
          ["gc", "--repo", copy],
          environment: history.environment.merging(["CAIRN_CRASH_AT": "gc.delete:\(point)"]) { $1 })
        #expect(crashed.killedBySignal && crashed.status == 9, "gc should have been killed at deletion \(point)")
        // Every kept snapshot is complete even before the next gc.
        let check = try history.cairn(["check", "--repo", copy, "--read-data"])
        #expect(check.status == 0, "after a crash at deletion \(point): \(check.output)")
        let again = try history.cairn(["gc", "--repo", copy])
        #expect(again.status == 0, "\(again.output)")
        #expect(try await RepositoryInspection(path: copy).objectNames() == expected, "crash at \(point)")
      }

      // The last copy restores every kept snapshot byte for byte.
      let last = history.directory.sub("crash-\(points.last!)")
      for id in kept {
        let index = history.snapshots.firstIndex { $0.id == id }!
        let target = history.directory.sub("restore-\(index)")
        let restore = try history.cairn(["restore", "--repo", last, id, target])
        #expect(restore.status == 0, "\(restore.output)")
        #expect(try TreeListing(target + history.source) == TreeListing(history.snapshots[index].copy))
      }
    }

    @Test(arguments: RepositoryKind.allCases)
    func forgetKilledMidwayNeverOrphansADifferential(kind: RepositoryKind) async throws {
      let history = try History(kind: kind)
      // Keep 1 removes five records: differentials first, then fulls.
      for point in 1...4 {
        let copy = history.directory.sub("forget-\(point)")
        try shell("rm -rf \(copy) && cp -a \(history.repo) \(copy)")
        let crashed = try runCairnAllowingCrash(
          ["forget", "--repo", copy, "--keep", "1"],
          environment: history.environment.merging(["CAIRN_CRASH_AT": "forget.delete:\(point)"]) { $1 })
        #expect(crashed.killedBySignal, "forget should have been killed at removal \(point)")
        let check = try history.cairn(["check", "--repo", copy])
        #expect(check.status == 0, "after a crash at removal \(point): \(check.output)")
        #expect(try history.cairn(["forget", "--repo", copy, "--keep", "1"]).status == 0)
        #expect(try history.cairn(["gc", "--repo", copy]).status == 0)
        #expect(try history.cairn(["check", "--repo", copy, "--read-data"]).status == 0)
        #expect(
          try await RepositoryInspection(path: copy).records().map(\.id)
            == [history.snapshots[5].id, history.snapshots[3].id].sorted())
      }
    }
  }
}
