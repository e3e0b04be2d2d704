/// Looking into snapshots without restoring them: listing, comparing, totals.
extension Repository {
  /// Calls `body` with every entry of the snapshot's complete tree (a
  /// differential resolved through its base) at or below `path`, in order.
  public func forEachEntry(
    of record: SnapshotRecord, under path: EntryPath? = nil, _ body: (ManifestEntry) throws -> Void
  ) async throws {
    var tree = try await SnapshotTreeReader.open(record, in: self)
    while let entry = try await tree.next() {
      if let path, !entry.path.isWithin(path) { continue }
      try body(entry)
    }
  }
}

/// The differences between two snapshots' trees.
public struct SnapshotDifference: Encodable, Sendable {
  public struct Change: Encodable, Sendable {
    public let path: String
    /// What differs: any of "type", "content", "mode", "owner", "mtime", "target", "xattrs".
    public let what: [String]
  }

  public var added: [String] = []
  public var removed: [String] = []
  public var changed: [Change] = []
  /// Bytes of added files, plus bytes of changed files' blocks that the older snapshot does not have.
  public var bytesDiffering: UInt64 = 0
  public var bytesRemoved: UInt64 = 0

  /// Compares the trees of `older` and `newer` in one merged pass.
  public init(repository: Repository, from older: SnapshotRecord, to newer: SnapshotRecord) async throws {
    var merge = ManifestMerge(
      try await SnapshotTreeReader.open(older, in: repository), try await SnapshotTreeReader.open(newer, in: repository)
    )
    while let step = try await merge.next() {
      switch step {
      case .left(let oldEntry):
        removed.append(oldEntry.path.description)
        bytesRemoved += oldEntry.size
      case .right(let newEntry):
        added.append(newEntry.path.description)
        bytesDiffering += newEntry.size
      case .both(let oldEntry, let newEntry):
        let what = Self.differences(oldEntry, newEntry)
        guard !what.isEmpty else { continue }
        changed.append(Change(path: newEntry.path.description, what: what))
        if what.contains("content"), (try? newEntry.bundleSlice()) != nil {
          bytesDiffering += newEntry.size
        } else if what.contains("content") {
          let known = Set(oldEntry.blocks)
          for (index, block) in newEntry.blocks.enumerated() where !known.contains(block) {
            bytesDiffering += Self.logicalSize(ofBlock: index, in: newEntry, blockSize: newer.blockSize)
          }
        }
      }
    }
  }

  /// Every block of a file is a whole block but the last, which holds the rest.
  static func logicalSize(ofBlock index: Int, in entry: ManifestEntry, blockSize: Int) -> UInt64 {
    let before = UInt64(index) * UInt64(blockSize)
    return min(UInt64(blockSize), entry.size > before ? entry.size - before : 0)
  }

  static func differences(_ old: ManifestEntry, _ new: ManifestEntry) -> [String] {
    var what: [String] = []
    if old.kind != new.kind { what.append("type") }
    if !old.hasSameContent(as: new) || old.field(.sparseExtents) != new.field(.sparseExtents) {
      what.append("content")
    }
    if old.mode != new.mode { what.append("mode") }
    if old.uid != new.uid || old.gid != new.gid { what.append("owner") }
    if old.mtime != new.mtime && new.kind != .directory { what.append("mtime") }
    if old.symlinkTarget != new.symlinkTarget { what.append("target") }
    if old.field(.extendedAttributes) != new.field(.extendedAttributes) { what.append("xattrs") }
    return what
  }
}

/// Totals over a whole repository.
public struct RepositoryStatistics: Encodable, Sendable {
  public var snapshots = 0
  public var fullSnapshots = 0
  /// Sum of the logical sizes of every snapshot's tree.
  public var logicalBytes: UInt64 = 0
  /// Bytes of every object on disk (data and manifests).
  public var storedBytes: UInt64 = 0
  public var objects = 0
  /// logicalBytes / storedBytes: how much deduplication saves.
  public var deduplicationRatio: Double = 0

  public init(repository: Repository) async throws {
    let records = try await repository.snapshots()
    snapshots = records.count
    fullSnapshots = records.filter { $0.kind == .full }.count
    logicalBytes = records.reduce(0) { $0 + $1.statistics.bytes }
    var objects = 0
    var storedBytes: UInt64 = 0
    try await repository.store.forEachObject { _, size in
      objects += 1
      storedBytes += size
    }
    self.objects = objects
    self.storedBytes = storedBytes
    deduplicationRatio = storedBytes == 0 ? 0 : Double(logicalBytes) / Double(storedBytes)
  }
}
