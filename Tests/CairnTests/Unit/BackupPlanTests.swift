import Foundation
import Testing

@testable import Cairn

/// Full or differential, and against which base: `Backup.plan` on made-up records.
@Suite struct BackupPlanTests {
  private let now = Timestamps.parse("2026-03-20T12:00:00Z")!
  private let sources = ["/src"]

  private func record(
    _ time: String, host: String = "here", sources: [String] = ["/src"], kind: SnapshotKind = .full
  ) -> SnapshotRecord {
    RetentionPolicyTests.record(time, host: host, sources: sources, kind: kind)
  }

  private func plan(_ kind: BackupRequest.Kind, _ snapshots: [SnapshotRecord]) -> (
    kind: SnapshotKind, base: String?, note: String?
  ) {
    let request = BackupRequest(sources: sources, kind: kind, now: now, host: "here")
    let planned = Backup.plan(request, sources: sources, snapshots: snapshots)
    return (planned.kind, planned.base?.id, planned.note)
  }

  @Test func fullIsFullWhateverExists() {
    let planned = plan(.full, [record("2026-03-19T12:00:00Z")])
    #expect(planned.kind == .full && planned.base == nil && planned.note == nil)
  }

  /// The base is the newest full of the same sources and host: never a
  /// differential, another host's or other sources' full.
  @Test func aDifferentialIsBasedOnTheNewestFullOfTheSameSourcesAndHost() {
    let base = record("2026-03-10T12:00:00Z")
    let snapshots = [
      record("2026-03-01T12:00:00Z"), base, record("2026-03-11T12:00:00Z", kind: .differential),
      record("2026-03-12T12:00:00Z", host: "elsewhere"), record("2026-03-13T12:00:00Z", sources: ["/other"]),
    ]
    let planned = plan(.differential, snapshots)
    #expect(planned.kind == .differential && planned.base == base.id, "\(planned)")
  }

  @Test func aDifferentialWithoutAFullIsAFullAndSaysSo() {
    let planned = plan(.differential, [record("2026-03-19T12:00:00Z", host: "elsewhere")])
    #expect(planned.kind == .full && planned.base == nil)
    #expect(planned.note?.contains("no full snapshot") == true, "\(planned)")
  }

  /// Automatic: differential while the newest full is younger than
  /// `fullEvery` days, full from that age on, full when there is none.
  @Test(arguments: [("2026-03-07T12:00:01Z", SnapshotKind.differential), ("2026-03-06T12:00:00Z", .full)])
  func automaticFollowsTheAgeOfTheNewestFull(fullTime: String, expected: SnapshotKind) {
    let planned = plan(.automatic(fullEvery: 14), [record(fullTime)])
    #expect(planned.kind == expected, "\(planned)")
    #expect(planned.note == nil)
    #expect(plan(.automatic(fullEvery: 14), []).kind == .full)
  }

  /// A full dated ahead of this clock has no known age: a full starts a
  /// chain this clock can date, and the note says why.
  @Test func aFullDatedAheadOfTheClockIsNotABase() {
    let planned = plan(.automatic(fullEvery: 14), [record("2026-03-25T12:00:00Z")])
    #expect(planned.kind == .full && planned.base == nil)
    #expect(planned.note?.contains("ahead of this clock") == true, "\(planned)")
  }
}
