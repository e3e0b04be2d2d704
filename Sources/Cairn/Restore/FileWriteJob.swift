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
  let parent: Descriptor
  let name: [UInt8]
  /// False where unnamed files are not used (no /proc/self/fd: see
  /// `TreeRestorer`): the file is created under `temporaryName`.
  let unnamedFiles: Bool
  /// The name the file is written under where it cannot be unnamed.
  let temporaryName: [UInt8]
  let displayPath: String
  let setOwner: Bool
  let files: FileSystem
  let store: ObjectStore
  let readAhead: ObjectReadAhead
  /// The planned takes of the file's objects: its bundle, or its first blocks in order.
  let tickets: [ObjectReadAhead.Ticket]
  let blockSize: Int
  let stop: StopFlag
  let refusals: AttributeRefusals

  /// Reads on the calling task; every system call (create, write, metadata,
  /// link) runs on `BlockingPool`. A small file (a slice of a bundle) is
  /// written and linked in a single pool job, a larger one in a job per
  /// block and one to finish.
  func run() async -> Outcome {
    if isSmallFile {
      switch await takeSmallFile() {
      case .done(let outcome): return outcome
      case .bytes(let bytes): return await BlockingPool.shared.run { self.writeSmallFile(bytes) }
      }
    }
    var reads = FileReads(entry: entry, blockSize: blockSize, readAhead: readAhead, tickets: tickets)
    // Whatever ends the write early, the takes it will not make are given up.
    defer { reads.dropRest() }
    var file: UnfinishedFile?
    func discard() async {
      if let file { await BlockingPool.shared.run { file.discard() } }
    }
    do {
      let placement = ContentPlacement(extents: try entry.dataExtents())
      let length = try entry.contentLength()
      let objects = entry.blocks.count
      var written: UInt64 = 0
      var index = 0
      repeat {
        try stop.check()
        var bytes: ArraySlice<UInt8> = []
        if index < objects {
          do {
            bytes = try await reads.next()?[...] ?? []
          } catch let error as CancellationError {
            throw error
          } catch {
            // Whatever keeps an object from being read or verified (missing,
            // corrupted, EIO, EACCES, EISDIR, ELOOP…) damages this file only.
            await discard()
            return .damaged(problem("'\(entry.path)' not restored: \(error)"))
          }
        }
        index += 1
        written += UInt64(bytes.count)
        let isLast = index >= objects
        if isLast && written != length {
          throw CairnError(
            .corrupted, "the blocks of '\(entry.path)' hold \(written) bytes but the manifest says \(length)")
        }
        let completesHere = objects == 0
        let job = self
        let step = try await BlockingPool.shared.run { [file, bytes] () throws -> (UnfinishedFile, Outcome?) in
          let target = try file ?? job.create(placement)
          do {
            try target.write(bytes, job: job)
          } catch {
            target.discard()
            throw error
          }
          return (target, completesHere ? job.complete(target) : nil)
        }
        file = step.0
        if let outcome = step.1 { return outcome }
        await CrashPoint.reachSuspending("restore.block")
      } while index < objects
      try stop.check()
      let finished = file!
      return await BlockingPool.shared.run { self.complete(finished) }
    } catch let error as CairnError where error.code == .corrupted || error.code == .notFound {
      await discard()
      return .damaged(problem("'\(entry.path)' not restored: \(error)"))
    } catch {
      await discard()
      return .failed(error)
    }
  }

  /// Whether the entry says the file is a slice of a bundle. A malformed
  /// slice counts: `takeSmallFile` refuses it with the reason.
  var isSmallFile: Bool { entry.field(.bundleSlice) != nil }

  /// A small file's bytes, or the outcome that ends it early.
  enum SmallFileBytes: Sendable {
    case bytes(ArraySlice<UInt8>)
    case done(Outcome)
  }

  /// The first half of a small file's write, on the calling task: takes its
  /// bundle from the read-ahead, cuts the file's bytes from it and checks
  /// them against the file's own address.
  func takeSmallFile() async -> SmallFileBytes {
    var reads = FileReads(entry: entry, blockSize: blockSize, readAhead: readAhead, tickets: tickets)
    defer { reads.dropRest() }
    do {
      try stop.check()
    } catch {
      return .done(.failed(error))
    }
    do {
      guard let slice = try entry.bundleSlice() else {
        throw CairnError(.io, "'\(entry.path)' was restored as a small file but is not one (a bug in the restore)")
      }
      let bytes = try Self.cut(slice, of: entry, from: try await reads.next() ?? [], store: store)
      let length = try entry.contentLength()
      guard UInt64(bytes.count) == length else {
        throw CairnError(
          .corrupted, "the bundle slice of '\(entry.path)' holds \(bytes.count) bytes but the manifest says \(length)")
      }
      return .bytes(bytes)
    } catch let error as CancellationError {
      return .done(.failed(error))
    } catch {
      // Whatever keeps its bundle from being read or its bytes from being
      // verified (missing, corrupted, EIO, EACCES…) damages this file only.
      return .done(.damaged(problem("'\(entry.path)' not restored: \(error)")))
    }
  }

  /// The second half, on a pool thread: creates the file, writes it, sets
  /// its metadata and links it.
  func writeSmallFile(_ bytes: ArraySlice<UInt8>) -> Outcome {
    let file: UnfinishedFile
    do {
      file = try create(ContentPlacement(extents: try entry.dataExtents()))
    } catch {
      return outcome(of: error)
    }
    do {
      try file.write(bytes, job: self)
    } catch {
      file.discard()
      return outcome(of: error)
    }
    return complete(file)
  }

  /// A damaged file for bytes that are wrong or missing, a failure otherwise.
  private func outcome(of error: any Error) -> Outcome {
    if let error = error as? CairnError, error.code == .corrupted || error.code == .notFound {
      return .damaged(problem("'\(entry.path)' not restored: \(error)"))
    }
    return .failed(error)
  }

  /// An unnamed file in the file's directory, or one under `temporaryName`.
  private func create(_ placement: ContentPlacement) throws -> UnfinishedFile {
    if unnamedFiles {
      do {
        let descriptor = try files.openUnnamed(in: parent)
        return UnfinishedFile(
          descriptor: descriptor, temporaryName: nil, parent: parent, files: files, placement: placement)
      } catch {
        // Not supported here (EOPNOTSUPP, EISDIR or EINVAL): a temporary name instead.
        guard error == .notSupported || error == .isDirectory || error == .invalidArgument else {
          throw CairnError.system("open", error, "could not create '\(displayPath)'")
        }
      }
    }
    do {
      let descriptor = try files.open(
        temporaryName, relativeTo: parent, flags: [.writeOnly, .create, .exclusive, .noFollow], mode: 0o600)
      return UnfinishedFile(
        descriptor: descriptor, temporaryName: temporaryName, parent: parent, files: files, placement: placement)
    } catch {
      throw CairnError.system("open", error, "could not create '\(displayPath)'")
    }
  }

  /// Gives a written file its size, metadata and name.
  private func complete(_ file: UnfinishedFile) -> Outcome {
    do {
      try file.placement.finish(file.descriptor, size: entry.size, files: files, display: displayPath)
    } catch {
      file.discard()
      return error.code == .corrupted ? .damaged(problem("'\(entry.path)' not restored: \(error)")) : .failed(error)
    }
    var metadataProblem: String?
    do {
      if setOwner { try files.changeOwner(file.descriptor, uid: entry.uid, gid: entry.gid) }
      try files.changeMode(file.descriptor, to: entry.mode)
      metadataProblem = MetadataRestorer.restoreAttributes(
        entry, on: .descriptor(file.descriptor.raw), refusals: refusals, files: files)
      try files.setTimes(file.descriptor, modification: entry.mtime)
    } catch {
      metadataProblem = "could not set the metadata of '\(entry.path)' (\(error))"
    }
    do throws(Errno) {
      if let temporaryName = file.temporaryName {
        try files.renameNoReplace(temporaryName, relativeTo: parent, to: name, relativeTo: parent)
      } else {
        try files.linkUnnamed(file.descriptor, as: name, in: parent)
      }
    } catch {
      file.discard()
      if error == .fileExists {
        return .damaged(problem("'\(entry.path)' not restored: something appeared at '\(displayPath)' meanwhile"))
      }
      return .failed(
        CairnError.system(
          file.temporaryName == nil ? "linkat" : "renameat2", error, "could not move '\(displayPath)' into place"))
    }
    if let metadataProblem { return .damaged(problem(metadataProblem)) }
    return .written(entry.size)
  }

  private func problem(_ message: String) -> RestoreProblem { RestoreProblem(path: entry.path, message: message) }

  /// The bytes of the file `entry` (which has `slice`), cut from its bundle
  /// and checked against the file's own address. Not copied: a bundle holds
  /// thousands of small files, and each copy was fresh memory to fault in.
  static func cut(_ slice: BundleSlice, of entry: ManifestEntry, from bundle: [UInt8], store: ObjectStore)
    throws(CairnError) -> ArraySlice<UInt8>
  {
    guard slice.end <= UInt64(bundle.count) else {
      throw CairnError(
        .corrupted,
        "bundle '\(entry.blocks[0])' holds \(bundle.count) bytes, but '\(entry.path)' lies at \(slice.offset)..<\(slice.end)"
      )
    }
    let bytes = bundle[Int(slice.offset)..<Int(slice.end)]
    let actual = bytes.withUnsafeBytes { store.address(of: $0) }
    guard actual == slice.content else {
      throw CairnError(
        .corrupted, "'\(entry.path)' in bundle '\(entry.blocks[0])' hashes to '\(actual)', not to '\(slice.content)'")
    }
    return bytes
  }

}

/// A file being written by a `FileWriteJob`: its descriptor, its temporary
/// name (nil when unnamed) and where its next block goes. Used by one pool
/// job at a time, each awaited before the next starts.
private final class UnfinishedFile: @unchecked Sendable {
  let descriptor: Descriptor
  let temporaryName: [UInt8]?
  let parent: Descriptor
  let files: FileSystem
  var placement: ContentPlacement

  init(
    descriptor: Descriptor, temporaryName: [UInt8]?, parent: Descriptor, files: FileSystem,
    placement: ContentPlacement
  ) {
    self.descriptor = descriptor
    self.temporaryName = temporaryName
    self.parent = parent
    self.files = files
    self.placement = placement
  }

  func write(_ bytes: ArraySlice<UInt8>, job: FileWriteJob) throws(CairnError) {
    guard !bytes.isEmpty else { return }
    try placement.write(bytes, to: descriptor, files: files, path: job.entry.path, display: job.displayPath)
  }

  /// Never leaves wrong or partial bytes behind: empties the file, then
  /// removes its temporary name (an unnamed one goes when it is closed).
  func discard() {
    try? files.truncate(descriptor, to: 0)
    if let temporaryName { try? files.remove(temporaryName, relativeTo: parent) }
  }
}
