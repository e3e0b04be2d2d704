import SystemPackage

/// Creates one file, writes its content, taken from the read-ahead, and sets
/// its metadata, on any thread. The file is created unnamed (`O_TMPFILE`)
/// and linked to its name only once it is complete, so a file under its real
/// name is never partial, whatever stops the restore; where the file system
/// has no unnamed files, it is created under a temporary name and renamed
/// instead. (Unnamed files also spare the directory's lock: the inode is
/// allocated outside it, and one entry is added instead of two changed.)
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
  /// The directory the file is in, kept open until the job ends so that a
  /// damaged file can be removed even where its full path exceeds PATH_MAX.
  let parent: DirectoryHandle
  let name: [UInt8]
  /// False where unnamed files cannot be linked (no /proc and no
  /// CAP_DAC_READ_SEARCH): the file is created under `temporaryName`.
  let unnamedFiles: Bool
  /// The name the file is written under where it cannot be unnamed.
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
    let descriptor: Int32
    let isUnnamed: Bool
    do {
      (descriptor, isUnnamed) = try create()
    } catch {
      return .failed(CairnError.system("open", error, "could not create '\(displayPath)'"))
    }
    defer { SystemCalls.close(descriptor) }
    return await write(descriptor, isUnnamed: isUnnamed)
  }

  /// An unnamed file in the file's directory, or one under `temporaryName`.
  private func create() throws(Errno) -> (descriptor: Int32, isUnnamed: Bool) {
    if unnamedFiles {
      do {
        return (try SystemCalls.openUnnamed(in: parent.descriptor), true)
      } catch {
        // Not supported here (EOPNOTSUPP, EISDIR or EINVAL): a temporary name instead.
        guard error == .notSupported || error == .isDirectory || error == .invalidArgument else { throw error }
      }
    }
    let descriptor = try SystemCalls.open(
      temporaryName, relativeTo: parent.descriptor, flags: [.writeOnly, .create, .exclusive, .noFollow], mode: 0o600)
    return (descriptor, false)
  }

  private func write(_ descriptor: Int32, isUnnamed: Bool) async -> Outcome {
    func discard() { Self.discard(descriptor, temporaryName: isUnnamed ? nil : temporaryName, in: parent) }
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
    do throws(Errno) {
      if isUnnamed {
        try SystemCalls.linkUnnamed(descriptor, as: name, in: parent.descriptor)
      } else {
        try SystemCalls.renameNoReplace(
          temporaryName, relativeTo: parent.descriptor, to: name, relativeTo: parent.descriptor)
      }
    } catch {
      discard()
      if error == .fileExists {
        return .damaged(problem("'\(entry.path)' not restored: something appeared at '\(displayPath)' meanwhile"))
      }
      return .failed(
        CairnError.system(isUnnamed ? "linkat" : "renameat2", error, "could not move '\(displayPath)' into place"))
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

  /// Never leaves wrong or partial bytes behind: empties the file, then
  /// removes its temporary name (an unnamed one goes when it is closed).
  private static func discard(_ descriptor: Int32, temporaryName: [UInt8]?, in parent: DirectoryHandle) {
    try? SystemCalls.truncate(descriptor, to: 0)
    if let temporaryName { try? SystemCalls.remove(temporaryName, relativeTo: parent.descriptor) }
  }
}
