public import Foundation

/// Whether a snapshot holds the whole tree or the changes since its base.
public enum SnapshotKind: String, Codable, Sendable {
  case full
  case differential
}

/// Figures about one backup run.
public struct SnapshotStatistics: Codable, Sendable, Equatable {
  /// Regular files in the snapshot's tree.
  public var files: Int = 0
  public var directories: Int = 0
  /// Symlinks, FIFOs, sockets and device files.
  public var others: Int = 0
  /// Logical bytes of the files in the tree.
  public var bytes: UInt64 = 0
  /// Files that this run read and hashed (the rest were unchanged since the base).
  public var filesRead: Int = 0
  public var bytesRead: UInt64 = 0
  /// Objects (data and manifest) that this run added to the store.
  public var newObjects: Int = 0
  public var newBytes: UInt64 = 0
  /// Files that could not be read or changed while being read.
  public var problems: Int = 0
  public var durationSeconds: Double = 0

  public init() {}
}

/// `snapshots/ID.json`: a snapshot exists exactly when this record does.
public struct SnapshotRecord: Codable, Sendable, Equatable {
  public static let currentVersion = 1

  public var version: Int
  public var id: String
  public var kind: SnapshotKind
  /// The full snapshot a differential is diffed against; nil for a full.
  public var base: String?
  /// Creation time, ISO 8601 with fractional seconds, UTC.
  public var time: String
  public var host: String
  public var sources: [String]
  public var blockSize: Int
  /// The manifest's parts, in order.
  public var manifest: [String]
  public var statistics: SnapshotStatistics
  /// Write order: one more than the largest sequence among the records
  /// present when this one was written (0 when the key is absent). Snapshots
  /// are ordered by it, not by `time`, so a clock that was wrong can never
  /// make a new snapshot look older than an existing one.
  public var sequence: Int
  /// Labels given with `backup --tag`, for grouping and `forget --keep-tag`.
  public var tags: [String] = []

  enum CodingKeys: String, CodingKey {
    case version, id, kind, base, time, host, sources, blockSize, manifest, statistics, sequence, tags
  }

  public init(
    id: String, kind: SnapshotKind, base: String?, time: String, host: String, sources: [String], blockSize: Int,
    manifest: [ObjectID], statistics: SnapshotStatistics, sequence: Int = 0, tags: [String] = []
  ) {
    self.sequence = sequence
    self.version = Self.currentVersion
    self.id = id
    self.kind = kind
    self.base = base
    self.time = time
    self.host = host
    self.sources = sources
    self.blockSize = blockSize
    self.manifest = manifest.map(\.hex)
    self.statistics = statistics
    self.tags = tags
  }

  public init(from decoder: any Decoder) throws {
    let container = try decoder.container(keyedBy: CodingKeys.self)
    version = try container.decode(Int.self, forKey: .version)
    id = try container.decode(String.self, forKey: .id)
    kind = try container.decode(SnapshotKind.self, forKey: .kind)
    base = try container.decodeIfPresent(String.self, forKey: .base)
    time = try container.decode(String.self, forKey: .time)
    host = try container.decode(String.self, forKey: .host)
    sources = try container.decode([String].self, forKey: .sources)
    blockSize = try container.decode(Int.self, forKey: .blockSize)
    manifest = try container.decode([String].self, forKey: .manifest)
    statistics = try container.decode(SnapshotStatistics.self, forKey: .statistics)
    sequence = try container.decodeIfPresent(Int.self, forKey: .sequence) ?? 0
    tags = try container.decodeIfPresent([String].self, forKey: .tags) ?? []
  }

  public func encode(to encoder: any Encoder) throws {
    var container = encoder.container(keyedBy: CodingKeys.self)
    try container.encode(version, forKey: .version)
    try container.encode(id, forKey: .id)
    try container.encode(kind, forKey: .kind)
    try container.encode(base, forKey: .base)  // null for a full: the key is always present
    try container.encode(time, forKey: .time)
    try container.encode(host, forKey: .host)
    try container.encode(sources, forKey: .sources)
    try container.encode(blockSize, forKey: .blockSize)
    try container.encode(manifest, forKey: .manifest)
    try container.encode(statistics, forKey: .statistics)
    try container.encode(tags, forKey: .tags)
    try container.encode(sequence, forKey: .sequence)
  }

  /// The one order of snapshots, oldest first: by `sequence` (write order),
  /// then `time`, then `id`. "Newest" and `latest` mean the last in it.
  public static func isOrderedBefore(_ a: SnapshotRecord, _ b: SnapshotRecord) -> Bool {
    (a.sequence, a.date, a.id) < (b.sequence, b.date, b.id)
  }

  /// How far ahead of `now` a record's time may be before it is reported as
  /// dated in the future (clocks of machines sharing a repository differ a little).
  public static let clockTolerance: TimeInterval = 300

  /// Whether the record is dated ahead of `now` (beyond `clockTolerance`).
  public func isDatedAhead(of now: Date) -> Bool {
    date.timeIntervalSince(now) > Self.clockTolerance
  }

  /// The warning for a record dated ahead of `now`.
  public func aheadOfClockWarning(now: Date) -> String {
    "snapshot '\(id)' is dated \(time), ahead of this machine's clock (\(Timestamps.format(now))); "
      + "snapshots are ordered by when they were written, not by date"
  }

  /// The manifest's parts as addresses; throws `.corrupted` for a malformed one.
  public func manifestObjects() throws(CairnError) -> [ObjectID] {
    var result: [ObjectID] = []
    for hex in manifest {
      guard let id = ObjectID(hex: hex) else {
        throw CairnError(.corrupted, "snapshot '\(id)' names an invalid manifest object '\(hex)'")
      }
      result.append(id)
    }
    return result
  }

  /// The creation time as a date (distant past if the field is malformed).
  public var date: Date { Timestamps.parse(time) ?? .distantPast }
}

/// Formatting and parsing of the ISO 8601 times in records and logs.
public enum Timestamps {
  private static let style = Date.ISO8601FormatStyle(includingFractionalSeconds: true)
  private static let plainStyle = Date.ISO8601FormatStyle()

  public static func format(_ date: Date) -> String { style.format(date) }

  public static func parse(_ text: String) -> Date? {
    (try? style.parse(text)) ?? (try? plainStyle.parse(text))
  }

  /// A snapshot ID: the UTC time to the second, then 8 random hex digits,
  /// so that IDs sort by time and never collide.
  public static func snapshotID(at date: Date) -> String {
    let seconds = Int64(date.timeIntervalSince1970.rounded(.down))
    let days = seconds >= 0 ? seconds / 86400 : (seconds - 86399) / 86400
    let secondOfDay = seconds - days * 86400
    let (year, month, day) = civilDate(daysSinceEpoch: days)
    let random = String(UInt32.random(in: 0...UInt32.max), radix: 16)
    func pad(_ value: Int64, _ width: Int) -> String {
      let text = String(value)
      return String(repeating: "0", count: max(0, width - text.count)) + text
    }
    return pad(year, 4) + pad(month, 2) + pad(day, 2) + "T" + pad(secondOfDay / 3600, 2)
      + pad(secondOfDay % 3600 / 60, 2) + pad(secondOfDay % 60, 2) + "Z-"
      + String(repeating: "0", count: 8 - random.count) + random
  }

  /// Days since 1970-01-01 to a proleptic Gregorian date (Howard Hinnant's algorithm).
  private static func civilDate(daysSinceEpoch: Int64) -> (Int64, Int64, Int64) {
    let z = daysSinceEpoch + 719_468
    let era = (z >= 0 ? z : z - 146_096) / 146_097
    let dayOfEra = z - era * 146_097
    let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36524 - dayOfEra / 146_096) / 365
    let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
    let monthIndex = (5 * dayOfYear + 2) / 153
    let day = dayOfYear - (153 * monthIndex + 2) / 5 + 1
    let month = monthIndex < 10 ? monthIndex + 3 : monthIndex - 9
    return (yearOfEra + era * 400 + (month <= 2 ? 1 : 0), month, day)
  }
}

extension JSONEncoder {
  /// Pretty, key-sorted JSON: records and configs that diff well and read well.
  public static var cairn: JSONEncoder {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
    return encoder
  }
}
