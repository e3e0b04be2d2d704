import SystemPackage

/// Creates a symlink, FIFO, socket or device node and sets its metadata, on
/// a pool thread, in the same batch as the small files around it
/// (`EntryBatch`). Its problems are returned, not reported, so that the
/// restorer reports them in manifest order.
struct OtherEntryJob: Sendable {
  let entry: ManifestEntry
  let name: [UInt8]
  /// The directory it goes in, kept open until the job ends.
  let parent: Descriptor
  let targetPath: String
  let overwrite: Bool
  let setOwner: Bool
  let files: FileSystem
  let refusals: AttributeRefusals

  /// Throws only what ends the restore (a directory in the way).
  func run() throws -> [RestoreProblem] {
    if overwrite {
      try Self.removeNonDirectory(name, in: parent, path: entry.path, targetPath: targetPath, files: files)
    }
    do {
      if entry.kind == .symlink {
        try files.makeSymlink(name, relativeTo: parent, target: entry.symlinkTarget)
      } else {
        try files.makeNode(name, relativeTo: parent, kind: entry.kind, mode: entry.mode, device: entry.rdev)
      }
    } catch {
      let what = entry.kind == .symlink ? "symlink" : "\(entry.kind)"
      return [problem("could not create \(what) '\(entry.path)' (\(error))")]
    }
    return applyMetadata()
  }

  /// Ownership (as root), then mode (not of a symlink), attributes, times.
  private func applyMetadata() -> [RestoreProblem] {
    var problems: [RestoreProblem] = []
    do {
      if setOwner { try files.changeOwner(name, relativeTo: parent, uid: entry.uid, gid: entry.gid) }
      if entry.kind != .symlink { try files.changeMode(name, relativeTo: parent, to: entry.mode) }
      let target = AttributeTarget.entry(name, in: parent.raw, fullPath: Array(targetPath.utf8) + entry.path.bytes)
      if let message = MetadataRestorer.restoreAttributes(entry, on: target, refusals: refusals, files: files) {
        problems.append(problem(message))
      }
      try files.setTimes(name, relativeTo: parent, modification: entry.mtime)
    } catch {
      problems.append(problem("could not set the metadata of '\(entry.path)' (\(error))"))
    }
    return problems
  }

  private func problem(_ message: String) -> RestoreProblem { RestoreProblem(path: entry.path, message: message) }

  /// With --overwrite, removes a non-directory in the way of a new entry;
  /// a directory in the way ends the restore.
  static func removeNonDirectory(
    _ name: [UInt8], in parent: Descriptor, path: EntryPath, targetPath: String, files: FileSystem
  ) throws {
    guard let status = try? files.linkStatus(name, relativeTo: parent) else { return }
    if status.kind == .directory {
      throw CairnError(.invalidArgument, "'\(targetPath)\(path)' is a directory in the target; remove it first")
    }
    try? files.remove(name, relativeTo: parent)
  }
}
