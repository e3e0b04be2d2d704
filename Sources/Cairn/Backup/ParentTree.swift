/// The newest earlier snapshot of the same host and sources (full or
/// differential), read alongside a differential backup for change detection
/// only: a file whose size, mtime, ctime, inode, mode and owner agree with
/// its parent entry reuses the parent's block list without being read. The
/// differential itself is still encoded against its base full.
///
/// Walked forward once, in manifest order, like the tree walk. A parent that
/// cannot be read is only a lost shortcut: the files are read instead.
struct ParentTree {
  /// Nil once the parent failed to read.
  private var cursor: ManifestCursor<SnapshotTreeReader>?

  /// The parent of a differential based on `base`: the newest snapshot of
  /// the same host and sources, when it is not the base itself (which the
  /// backup already compares with).
  static func open(
    for base: SnapshotRecord?, host: String, sources: [String], snapshots: [SnapshotRecord], in repository: Repository
  ) async -> ParentTree? {
    guard let base,
      let parent = snapshots.last(where: { $0.host == host && $0.sources == sources }),
      parent.id != base.id, parent.kind == .differential
    else { return nil }
    guard let reader = try? await SnapshotTreeReader.open(parent, in: repository, known: snapshots) else {
      return nil
    }
    return ParentTree(cursor: ManifestCursor(reader))
  }

  private init(cursor: ManifestCursor<SnapshotTreeReader>) { self.cursor = cursor }

  /// The parent's entry for the file at `path` when it may be reused for
  /// a file whose current status is `status`; nil when it may not.
  /// Paths must come in increasing order.
  mutating func unchangedFile(at path: EntryPath, status: FileStatus) async -> ManifestEntry? {
    let found: ManifestEntry?
    do {
      found = try await cursor?.seek(path)
    } catch {
      cursor = nil
      return nil
    }
    guard let entry = found else { return nil }
    guard entry.kind == .file, entry.isUnchanged(comparedTo: status) else { return nil }
    var reused = ManifestEntry(path: path, status: status)
    reused.blocks = entry.blocks
    reused.size = entry.size
    // Content pointers and metadata fields (bundle slices, sparse extents,
    // attributes) travel with the blocks: ctime says none of them changed.
    reused.fields = entry.fields
    return reused
  }
}
