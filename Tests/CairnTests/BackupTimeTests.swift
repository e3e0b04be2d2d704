import Cairn
import Foundation
import Testing

/// `backup --time`: the snapshot is dated at the given time, and the run
/// decides as if it ran then.
@Suite struct BackupTimeTests {
  @Test func localTimeAndISOFormsAreRead() throws {
    let paris = try #require(TimeZone(identifier: "Europe/Paris"))
    #expect(SnapshotTime.parse("2026-01-02 15:04:05", timeZone: paris) == Timestamps.parse("2026-01-02T14:04:05Z"))
    #expect(SnapshotTime.parse("2026-07-02 15:04:05", timeZone: paris) == Timestamps.parse("2026-07-02T13:04:05Z"))
    #expect(SnapshotTime.parse("2026-01-02T15:04:05Z") == Timestamps.parse("2026-01-02T15:04:05Z"))
    #expect(SnapshotTime.parse("2026-01-02T15:04:05+01:00") == Timestamps.parse("2026-01-02T14:04:05Z"))
    #expect(SnapshotTime.parse("2026-01-02T15:04:05.250Z") == Timestamps.parse("2026-01-02T15:04:05.250Z"))
  }

  @Test(arguments: [
    "2026-01-02T15:04:05", "2026-01-02", "2026-13-02 15:04:05", "2026-02-30 10:00:00", "yesterday",
    "2026-01-02 15:04", "",
  ])
  func otherFormsAreRefused(text: String) {
    #expect(SnapshotTime.parse(text) == nil, "'\(text)' was accepted")
  }

  /// An old copy imported with its date: the record carries the date (local
  /// time read in TZ), and a later import within full_every days is a
  /// differential of it.
  @Test func importedBackupsKeepTheirDates() throws {
    let work = try BackupWorkspace()
    let source = work.sub("src")
    try shell("mkdir -p '\(source)' && echo one > '\(source)/a'")
    let first = try Cairn.run(
      ["backup", "--repo", work.repo, "--json", "--time", "2025-11-01 03:00:00", source],
      environment: ["TZ": "Europe/Paris"])
    #expect(first.status == 0, "\(first.output)")
    try shell("echo two >> '\(source)/a'")
    let second = try Cairn.run(
      ["backup", "--repo", work.repo, "--json", "--time", "2025-11-03T02:00:00Z", source])
    #expect(second.status == 0, "\(second.output)")
    let snapshots = try work.snapshots()
    #expect(snapshots.map(\.time) == ["2025-11-01T02:00:00.000Z", "2025-11-03T02:00:00.000Z"])
    #expect(snapshots.map(\.kind) == ["full", "differential"])
  }

  @Test func aTimeInNeitherFormIsAUsageError() throws {
    let work = try BackupWorkspace()
    let source = work.sub("src")
    try shell("mkdir -p '\(source)' && echo one > '\(source)/a'")
    let result = try Cairn.run(["backup", "--repo", work.repo, "--time", "2025-11-01T03:00:00", source])
    #expect(result.status == 64, "\(result.output)")
    #expect(result.stderr.contains("--time takes"), "\(result.stderr)")
    #expect(try work.snapshots().isEmpty)
  }
}
