public import Foundation

/// What to back up, and how.
public struct BackupRequest: Sendable {
  public enum Kind: Sendable, Equatable {
    /// Full when none exists or the newest full is older than `fullEvery` days; differential otherwise.
    case automatic(fullEvery: Double)
    case full
    case differential
  }

  /// The paths to back up, as bytes (a command-line argument need not be UTF-8).
  public var sources: [EntryPath]
  public var kind: Kind
  public var now: Date
  public var host: String
  /// Glob patterns of paths not to back up (see `ExcludeMatcher`).
  public var exclude: [String]
  /// Labels stored in the snapshot record.
  public var tags: [String]
  /// Caches, marker files, large files, other file systems.
  public var excludeRules = SourceExcludes()

  public init(
    sources: [String], kind: Kind, now: Date = Date(), host: String = Backup.hostName, exclude: [String] = [],
    tags: [String] = []
  ) {
    self.init(
      sourcePaths: sources.map(EntryPath.init), kind: kind, now: now, host: host, exclude: exclude, tags: tags)
  }

  public init(
    sourcePaths: [EntryPath], kind: Kind, now: Date = Date(), host: String = Backup.hostName, exclude: [String] = [],
    tags: [String] = []
  ) {
    self.tags = tags
    self.sources = sourcePaths
    self.kind = kind
    self.now = now
    self.host = host
    self.exclude = exclude
  }
}
