public import Foundation

/// What retention decided for one snapshot, and why.
public struct RetentionDecision: Sendable {
  public let record: SnapshotRecord
  public let group: SnapshotGroupKey
  public let keep: Bool
  /// The rules that keep it ("last", "daily", "within 30d", "tag NAME",
  /// "base of ID", "just made"); empty when it is removed.
  public let reasons: [String]
}

/// Which snapshots `forget` (or the job's retention) keeps and removes.
public struct RetentionPlan: Sendable {
  /// Kept by a rule of the policy.
  public var keptByCount: [SnapshotRecord] = []
  /// Kept beyond the rules because a kept differential is based on them.
  public var keptAsBase: [SnapshotRecord] = []
  public var removed: [SnapshotRecord] = []
  /// Every snapshot the plan looked at, oldest first.
  public var decisions: [RetentionDecision] = []
  /// Groups the rules would leave without any snapshot.
  public var emptiedGroups: [SnapshotGroupKey] = []

  /// Applies `policy` within each group of `snapshots` (oldest first, as
  /// `Repository.snapshots()` returns them), then keeps every full that a
  /// kept differential depends on: a differential never loses its base.
  ///
  /// - Parameters:
  ///   - only: look at this group alone; the others are neither kept nor removed.
  ///   - protecting: ids that are kept whatever the rules say (the snapshot a run just made).
  ///   - calendar: the calendar (and time zone) of the hourly…yearly buckets.
  public init(
    snapshots: [SnapshotRecord], policy: RetentionPolicy, grouping: SnapshotGrouping = .hostAndPaths,
    only: SnapshotGroupKey? = nil, protecting: Set<String> = [], calendar: Calendar = .current
  ) {
    var order: [SnapshotGroupKey] = []
    var groups: [SnapshotGroupKey: [SnapshotRecord]] = [:]
    for record in snapshots {
      let key = grouping.key(of: record)
      if let only, key != only { continue }
      if groups[key] == nil { order.append(key) }
      groups[key, default: []].append(record)
    }
    var reasons: [String: [String]] = [:]
    var groupOf: [String: SnapshotGroupKey] = [:]
    for key in order {
      let members = groups[key]!
      for record in members { groupOf[record.id] = key }
      let decided = Self.decide(members, policy: policy, calendar: calendar)
      var keptAny = false
      for record in members {
        var why = decided[record.id] ?? []
        if protecting.contains(record.id) { why.append("just made") }
        if !why.isEmpty { keptAny = true }
        reasons[record.id] = why
      }
      if !keptAny { emptiedGroups.append(key) }
    }
    // A kept differential keeps its base, even when the rules alone would not.
    let byID = Dictionary(snapshots.map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
    for record in snapshots where record.kind == .differential && !(reasons[record.id] ?? []).isEmpty {
      if let base = record.base, byID[base] != nil, reasons[base] != nil {
        reasons[base, default: []].append("base of \(record.id)")
      }
    }
    for record in snapshots {
      guard let why = reasons[record.id], let group = groupOf[record.id] else { continue }
      decisions.append(RetentionDecision(record: record, group: group, keep: !why.isEmpty, reasons: why))
      if why.isEmpty {
        removed.append(record)
      } else if why.allSatisfy({ $0.hasPrefix("base of ") }) {
        keptAsBase.append(record)
      } else {
        keptByCount.append(record)
      }
    }
  }

  /// The rules that keep each snapshot of one group, as restic applies them:
  /// newest first, `last` keeps the newest N; each calendar rule keeps the
  /// newest snapshot of each of the newest N periods that have one.
  private static func decide(_ members: [SnapshotRecord], policy: RetentionPolicy, calendar: Calendar)
    -> [String: [String]]
  {
    var isoCalendar = Calendar(identifier: .iso8601)
    isoCalendar.timeZone = calendar.timeZone
    typealias Bucket = (name: String, count: Int, key: (Date) -> [Int])
    func components(_ units: Set<Calendar.Component>, _ order: [Calendar.Component]) -> (Date) -> [Int] {
      { date in
        let parts = calendar.dateComponents(units, from: date)
        return order.map { parts.value(for: $0) ?? 0 }
      }
    }
    var buckets: [Bucket] = [
      ("hourly", policy.hourly, components([.year, .month, .day, .hour], [.year, .month, .day, .hour])),
      ("daily", policy.daily, components([.year, .month, .day], [.year, .month, .day])),
      (
        "weekly", policy.weekly,
        { date in
          let parts = isoCalendar.dateComponents([.yearForWeekOfYear, .weekOfYear], from: date)
          return [parts.yearForWeekOfYear ?? 0, parts.weekOfYear ?? 0]
        }
      ),
      ("monthly", policy.monthly, components([.year, .month], [.year, .month])),
      ("yearly", policy.yearly, components([.year], [.year])),
    ]
    var last: [[Int]?] = Array(repeating: nil, count: buckets.count)
    var lastCount = policy.last
    let newestFirst = members.reversed()
    let bound = newestFirst.first.flatMap { newest in
      policy.within.map { $0.subtracted(from: newest.date, in: calendar) }
    }
    var result: [String: [String]] = [:]
    for record in newestFirst {
      var why: [String] = []
      if lastCount > 0 {
        why.append("last")
        lastCount -= 1
      }
      for index in buckets.indices where buckets[index].count > 0 {
        let key = buckets[index].key(record.date)
        if key != last[index] {
          why.append(buckets[index].name)
          last[index] = key
          buckets[index].count -= 1
        }
      }
      if let bound, let within = policy.within, record.date >= bound { why.append("within \(within)") }
      for tag in policy.tags where record.tags.contains(tag) { why.append("tag \(tag)") }
      result[record.id] = why
    }
    return result
  }
}
