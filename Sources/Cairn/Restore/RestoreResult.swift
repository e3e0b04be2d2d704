/// Something a restore could not do for one entry (or one include); the
/// restore goes on with the others and ends with exit status 1.
public struct RestoreProblem: Sendable, CustomStringConvertible {
  /// The entry concerned, as the snapshot names it (for an include not in
  /// the snapshot, the include).
  public let path: EntryPath
  /// The whole sentence, naming the path, what failed and why.
  public let message: String

  public var description: String { message }
}

/// What a restore wrote, and what it could not.
public struct RestoreResult: Sendable {
  public var files = 0
  public var directories = 0
  public var others = 0
  public var bytes: UInt64 = 0
  public var problems: [RestoreProblem] = []
  /// Files restored from a copy stored marked inconsistent.
  public var warnings: [String] = []
  /// Objects read from the repository (a bundle once for all of its files).
  public var objectsRead = 0
}
