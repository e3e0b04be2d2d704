/// What to restore, and where.
public struct RestoreRequest: Sendable {
  public var snapshot: SnapshotRecord
  /// The target directory as bytes (a path need not be UTF-8).
  public var target: EntryPath
  public var overwrite: Bool
  /// When not empty, only these paths (and what lies below them) are restored.
  public var includes: [EntryPath]
  /// Owners by stored id only, never mapped by name (as `tar --numeric-owner`).
  public var numericOwner = false

  public init(snapshot: SnapshotRecord, target: String, overwrite: Bool = false, includes: [EntryPath] = []) {
    self.init(snapshot: snapshot, targetPath: EntryPath(target), overwrite: overwrite, includes: includes)
  }

  public init(snapshot: SnapshotRecord, targetPath: EntryPath, overwrite: Bool = false, includes: [EntryPath] = []) {
    self.snapshot = snapshot
    self.target = targetPath
    self.overwrite = overwrite
    self.includes = includes
  }
}
