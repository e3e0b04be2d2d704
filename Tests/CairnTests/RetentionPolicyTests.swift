import Cairn
import Foundation
import Testing

/// The keep rules on made-up snapshot records: buckets, groups, bases, durations.
@Suite struct RetentionPolicyTests {
  static func record(
    _ time: String, host: String = "a", sources: [String] = ["/src"], kind: SnapshotKind = .full,
    base: String? = nil, tags: [String] = []
  ) -> SnapshotRecord {
    let date = Timestamps.parse(time)!
    return SnapshotRecord(
      id: Timestamps.snapshotID(at: date), kind: kind, base: base, time: Timestamps.format(date), host: host,
      sources: sources, blockSize: 65536, manifest: [], statistics: SnapshotStatistics(), tags: tags)
  }

  static func calendar(_ zone: String) -> Calendar {
    var calendar = Calendar(identifier: .gregorian)
    calendar.timeZone = TimeZone(identifier: zone)!
    return calendar
  }

  static func kept(_ plan: RetentionPlan) -> [String] {
    plan.decisions.filter(\.keep).map(\.record.time)
  }

  @Test func dailyKeepsTheNewestOfEachOfTheLastDaysThatHaveSnapshots() {
    // Days 1, 2 (twice), 5 and 9: a gap is not a period.
    let records = [
      "2026-03-01T10:00:00Z", "2026-03-02T08:00:00Z", "2026-03-02T20:00:00Z", "2026-03-05T10:00:00Z",
      "2026-03-09T10:00:00Z",
    ].map { Self.record($0) }
    var policy = RetentionPolicy()
    policy.daily = 3
    let plan = RetentionPlan(snapshots: records, policy: policy, calendar: Self.calendar("UTC"))
    #expect(
      Self.kept(plan) == ["2026-03-02T20:00:00.000Z", "2026-03-05T10:00:00.000Z", "2026-03-09T10:00:00.000Z"])
    #expect(plan.decisions.last?.reasons == ["daily"])
    #expect(plan.removed.count == 2)
  }

  @Test func bucketsFollowTheLocalTimeZone() {
    let records = ["2026-02-28T12:00:00Z", "2026-03-01T23:00:00Z", "2026-03-02T01:00:00Z"].map { Self.record($0) }
    var policy = RetentionPolicy()
    policy.daily = 2
    let utc = RetentionPlan(snapshots: records, policy: policy, calendar: Self.calendar("UTC"))
    #expect(Self.kept(utc) == ["2026-03-01T23:00:00.000Z", "2026-03-02T01:00:00.000Z"])
    // In Tokyo the last two fall on the same day (2 March), so the day before is kept.
    let tokyo = RetentionPlan(snapshots: records, policy: policy, calendar: Self.calendar("Asia/Tokyo"))
    #expect(Self.kept(tokyo) == ["2026-02-28T12:00:00.000Z", "2026-03-02T01:00:00.000Z"])
  }

  @Test func weeklyMonthlyYearlyAndLastCombine() {
    // One snapshot a day over 400 days.
    let start = Timestamps.parse("2025-01-01T12:00:00Z")!
    let records = (0..<400).map { Self.record(Timestamps.format(start + Double($0) * 86400)) }
    var policy = RetentionPolicy()
    policy.last = 2
    policy.weekly = 3
    policy.monthly = 2
    policy.yearly = 5
    let plan = RetentionPlan(snapshots: records, policy: policy, calendar: Self.calendar("UTC"))
    // 2026-02-04 (newest, a Wednesday), 02-03; weekly: 02-04, 02-01 (Sunday), 01-25;
    // monthly: 02-04, 01-31; yearly: 02-04, 2025-12-31.
    #expect(
      Self.kept(plan).map { String($0.prefix(10)) } == [
        "2025-12-31", "2026-01-25", "2026-01-31", "2026-02-01", "2026-02-03", "2026-02-04",
      ])
    let newest = plan.decisions.last!
    #expect(newest.reasons == ["last", "weekly", "monthly", "yearly"])
  }

  @Test func rulesCountWithinEachGroup() {
    let records = [
      Self.record("2026-03-01T10:00:00Z", host: "laptop"), Self.record("2026-03-02T10:00:00Z", host: "server"),
      Self.record("2026-03-03T10:00:00Z", host: "laptop"), Self.record("2026-03-04T10:00:00Z", host: "server"),
      Self.record("2026-03-05T10:00:00Z", host: "server", sources: ["/etc"]),
    ]
    let byDefault = RetentionPlan(snapshots: records, policy: RetentionPolicy(last: 1))
    #expect(Self.kept(byDefault).map { String($0.prefix(10)) } == ["2026-03-03", "2026-03-04", "2026-03-05"])
    let byHost = RetentionPlan(
      snapshots: records, policy: RetentionPolicy(last: 1), grouping: try! SnapshotGrouping(parsing: "host"))
    #expect(Self.kept(byHost).map { String($0.prefix(10)) } == ["2026-03-03", "2026-03-05"])
    let whole = RetentionPlan(
      snapshots: records, policy: RetentionPolicy(last: 1), grouping: try! SnapshotGrouping(parsing: ""))
    #expect(Self.kept(whole).map { String($0.prefix(10)) } == ["2026-03-05"])
  }

  @Test func aKeptDifferentialKeepsItsBase() {
    let full = Self.record("2026-03-01T10:00:00Z")
    let differential = Self.record("2026-03-02T10:00:00Z", kind: .differential, base: full.id)
    let plan = RetentionPlan(snapshots: [full, differential], policy: RetentionPolicy(last: 1))
    #expect(plan.keptAsBase.map(\.id) == [full.id])
    #expect(plan.decisions.first?.reasons == ["base of \(differential.id)"])
    #expect(plan.removed.isEmpty)
  }

  @Test func withinAndTagsAndEmptyGroups() throws {
    let records = [
      Self.record("2025-01-01T10:00:00Z", tags: ["keep"]), Self.record("2026-01-15T10:00:00Z"),
      Self.record("2026-02-20T10:00:00Z"), Self.record("2026-03-01T10:00:00Z"),
    ]
    var policy = RetentionPolicy()
    policy.within = try RetentionDuration(parsing: "2w")
    policy.tags = ["keep"]
    let plan = RetentionPlan(snapshots: records, policy: policy, calendar: Self.calendar("UTC"))
    #expect(Self.kept(plan).map { String($0.prefix(10)) } == ["2025-01-01", "2026-02-20", "2026-03-01"])
    #expect(plan.decisions.first?.reasons == ["tag keep"])
    var tagsOnly = RetentionPolicy()
    tagsOnly.tags = ["nothing-has-this"]
    #expect(RetentionPlan(snapshots: records, policy: tagsOnly).emptiedGroups.count == 1)
    let protected = RetentionPlan(snapshots: records, policy: tagsOnly, protecting: [records[3].id])
    #expect(protected.emptiedGroups.isEmpty && protected.decisions.last?.reasons == ["just made"])
  }

  @Test(arguments: [
    ("30d", RetentionDuration(days: 30)), ("2w", RetentionDuration(days: 14)),
    ("1y2m", RetentionDuration(years: 1, months: 2)), ("12h", RetentionDuration(hours: 12)),
  ])
  func durationsParse(text: String, expected: RetentionDuration) throws {
    #expect(try RetentionDuration(parsing: text) == expected)
  }

  @Test(arguments: ["3x", "", "d", "10", "-3d", "1.5d"])
  func badDurationsAreRefused(text: String) {
    #expect(throws: CairnError.self) { try RetentionDuration(parsing: text) }
  }
}
