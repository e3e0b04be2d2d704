/// A file or directory a backup could not read; the backup goes on without it.
public struct BackupProblem: Sendable, CustomStringConvertible {
  public let path: String
  public let message: String
  public var description: String { "'\(path)' \(message)" }
}

/// What a finished backup made.
public struct BackupResult: Sendable {
  public let record: SnapshotRecord
  public let problems: [BackupProblem]
  /// Things worth saying that are not problems: why the kind differs from
  /// the one asked for, what was left out on purpose.
  public let notes: [String]
  /// Things wrong in the repository that the run worked around (a damaged
  /// base manifest made it take a full).
  public let warnings: [String]
}
