import SystemPackage

/// Writes one file's content, taken from the read-ahead, and sets its
/// metadata, on any thread. The file was created (empty, 0600) under a temporary name in
/// manifest order by the restorer; this job owns its descriptor and closes
/// it, and renames the file to its real name only once it is complete, so a
/// file under its real name is never partial, whatever stops the restore.
struct FileWriteJob: Sendable {
  enum Outcome: Sendable {
    case written(UInt64)
    /// A block that could not be read or verified (missing, corrupted,
    /// unreadable): the file was emptied and removed. Or metadata that
    /// could not be set on a file that was written.
    case damaged(RestoreProblem)
    case failed(any Error)
  }

  let entry: ManifestEntry
  let descriptor: Int32
  /// The directory the file is in, kept open until the job ends so that a
  /// damaged file can be removed even where its full path exceeds PATH_MAX.
  let parent: DirectoryHandle
  let name: [UInt8]
  let temporaryName: [UInt8]
  let displayPath: String
  let setOwner: Bool
  let store: ObjectStore
  let readAhead: ObjectReadAhead
  /// The planned takes of the file's objects: its bundle, or its first blocks in order.
  let tickets: [ObjectReadAhead.Ticket]
  let blockSize: Int
  let stop: StopFlag
  let refusals: AttributeRefusals

  func run() async -> Outcome {
    defer { SystemCalls.close(descriptor) }
    var reads = FileReads(entry: entry, blockSize: blockSize, readAhead: readAhead, tickets: tickets)
    // Whatever ends the write early, the takes it will not make are given up.
    defer { reads.dropRest() }
    do {
      var placement = ContentPlacement(extents: try entry.dataExtents())
      let length = try entry.contentLength()
      // A small file is a slice of a bundle (its one object); others are their blocks.
      let slice = try entry.bundleSlice()
      var written: UInt64 = 0
      while true {
        try stop.check()
        var bytes: [UInt8]
        do {
          guard let next = try await reads.next() else { break }
          bytes = next
          if let slice { bytes = try Self.cut(slice, of: entry, from: bytes, store: store) }
        } catch let error as CancellationError {
          throw error
        } catch {
          // Whatever keeps an object from being read or verified (missing,
          // corrupted, EIO, EACCES, EISDIR, ELOOP…) damages this file only.
          discard()
          return .damaged(problem("'\(entry.path)' not restored: \(error)"))
        }
        try placement.write(bytes, to: descriptor, path: entry.path, display: displayPath)
        written += UInt64(bytes.count)
        if slice == nil { await CrashPoint.reachSuspending("restore.block") }
      }
      try stop.check()
      if written != length {
        throw CairnError(
          .corrupted, "the blocks of '\(entry.path)' hold \(written) bytes but the manifest says \(length)")
      }
      try placement.finish(descriptor, size: entry.size, display: displayPath)
    } catch let error as CairnError where error.code == .corrupted || error.code == .notFound {
      discard()
      return .damaged(problem("'\(entry.path)' not restored: \(error)"))
    } catch {
      discard()
      return .failed(error)
    }
    var metadataProblem: String?
    do {
      if setOwner { try SystemCalls.changeOwner(descriptor, uid: entry.uid, gid: entry.gid) }
      try SystemCalls.changeMode(descriptor, to: entry.mode)
      metadataProblem = MetadataRestorer.restoreAttributes(entry, on: .descriptor(descriptor), refusals: refusals)
      try SystemCalls.setTimes(descriptor, modification: entry.mtime)
    } catch {
      metadataProblem = "could not set the metadata of '\(entry.path)' (\(error))"
    }
    do {
      try SystemCalls.renameNoReplace(
        temporaryName, relativeTo: parent.descriptor, to: name, relativeTo: parent.descriptor)
    } catch {
      discard()
      if error == .fileExists {
        return .damaged(problem("'\(entry.path)' not restored: something appeared at '\(displayPath)' meanwhile"))
      }
      return .failed(CairnError.system("renameat2", error, "could not move '\(displayPath)' into place"))
    }
    if let metadataProblem { return .damaged(problem(metadataProblem)) }
    return .written(entry.size)
  }

  private func problem(_ message: String) -> RestoreProblem { RestoreProblem(path: entry.path, message: message) }

  /// The bytes of the file `entry` (which has `slice`), cut from its bundle
  /// and checked against the file's own address.
  static func cut(_ slice: BundleSlice, of entry: ManifestEntry, from bundle: [UInt8], store: ObjectStore)
    throws(CairnError) -> [UInt8]
  {
    guard slice.end <= UInt64(bundle.count) else {
      throw CairnError(
        .corrupted,
        "bundle '\(entry.blocks[0])' holds \(bundle.count) bytes, but '\(entry.path)' lies at \(slice.offset)..<\(slice.end)"
      )
    }
    let bytes = Array(bundle[Int(slice.offset)..<Int(slice.end)])
    let actual = bytes.withUnsafeBytes { store.address(of: $0) }
    guard actual == slice.content else {
      throw CairnError(
        .corrupted, "'\(entry.path)' in bundle '\(entry.blocks[0])' hashes to '\(actual)', not to '\(slice.content)'")
    }
    return bytes
  }

  /// Never leaves wrong or partial bytes behind: empties the temporary file, then removes it.
  private func discard() {
    try? SystemCalls.truncate(descriptor, to: 0)
    try? SystemCalls.remove(temporaryName, relativeTo: parent.descriptor)
  }
}
