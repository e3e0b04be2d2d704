public import Logging
import SystemPackage

/// Recreates a snapshot's tree under a target directory: TARGET/<absolute
/// source path>/…, with contents verified block by block and metadata
/// (mode, mtime, ownership when root, hard links, symlinks) as it was.
///
/// It never writes outside the target: every directory is opened with
/// `openat(…, O_NOFOLLOW)` from the target's descriptor, and a manifest path
/// with `..`, `.` or empty components is refused before anything is written.
///
/// The restore is a pipeline: `EntryLookahead` reads the tree ahead and plans
/// each file's objects, `ObjectReadAhead` reads and verifies them ahead of
/// the writes (on every core, and with many requests in flight on a remote
/// storage), and `TreeRestorer` writes entries in manifest order, file
/// contents by `FileWriteJob`s in flight.
public struct Restore: Sendable {
  let repository: Repository
  let logger: Logger
  let onProblem: @Sendable (RestoreProblem) -> Void
  let onWarning: @Sendable (String) -> Void
  /// Files and bytes restored so far, for a progress line.
  let progress: BackupProgress?
  /// The target's file system; tests put one that fails on purpose here.
  let files: FileSystem

  public init(
    repository: Repository, logger: Logger, progress: BackupProgress? = nil,
    onProblem: @escaping @Sendable (RestoreProblem) -> Void = { _ in },
    onWarning: @escaping @Sendable (String) -> Void = { _ in }
  ) {
    self.init(
      repository: repository, logger: logger, progress: progress, files: .linux, onProblem: onProblem,
      onWarning: onWarning)
  }

  init(
    repository: Repository, logger: Logger, progress: BackupProgress? = nil, files: FileSystem,
    onProblem: @escaping @Sendable (RestoreProblem) -> Void = { _ in },
    onWarning: @escaping @Sendable (String) -> Void = { _ in }
  ) {
    self.files = files
    self.repository = repository
    self.logger = logger
    self.progress = progress
    self.onProblem = onProblem
    self.onWarning = onWarning
  }

  /// Restores `request`. When the task is cancelled (the CLI does so on
  /// SIGINT, SIGTERM, SIGHUP), the writes stop, their temporary files are
  /// removed, and it throws `CancellationError`: every file under its real
  /// name is complete.
  public func run(_ request: RestoreRequest) async throws -> RestoreResult {
    try await StopFlag.whileRunning { stop in try await run(request, stop: stop) }
  }

  private func run(_ request: RestoreRequest, stop: StopFlag) async throws -> RestoreResult {
    try await Self.validate(request.snapshot, in: repository)
    SystemCalls.raiseOpenFileLimit()
    AllocatorTuning.apply()
    let files = self.files
    let targetDescriptor = try await BlockingPool.shared.run { () throws(CairnError) -> Descriptor in
      try Self.prepareTarget(request.target, overwrite: request.overwrite, files: files)
    }
    let limits = ObjectReadAhead.Limits.suited(to: repository.storage)
    let readAhead = ObjectReadAhead(store: repository.store, limits: limits)
    logger.debug("restore reads ahead", metadata: ["reads": "\(limits.reads)", "bytes": "\(limits.bytes)"])
    let writer = TreeRestorer(
      store: repository.store, readAhead: readAhead, blockSize: request.snapshot.blockSize, files: files,
      target: targetDescriptor,
      targetPath: request.target.description, overwrite: request.overwrite, numericOwner: request.numericOwner,
      stop: stop, onProblem: onProblem, onWarning: onWarning)
    defer { writer.close() }
    do {
      try await restoreTree(request, into: writer, readAhead: readAhead, stop: stop)
    } catch {
      stop.set()
      readAhead.cancel()
      await writer.waitForWrites()
      throw error
    }
    var result = writer.result
    result.objectsRead = readAhead.readCount
    return result
  }

  private func restoreTree(
    _ request: RestoreRequest, into writer: TreeRestorer, readAhead: ObjectReadAhead, stop: StopFlag
  ) async throws {
    if request.includes.isEmpty {
      progress?.expect(files: request.snapshot.statistics.files, bytes: request.snapshot.statistics.bytes)
    }
    var entries = EntryLookahead(
      tree: try await SnapshotTreeReader.open(request.snapshot, in: repository),
      selection: RestoreSelection(snapshot: request.snapshot.id, includes: request.includes),
      readAhead: readAhead, blockSize: request.snapshot.blockSize)
    while let planned = try await entries.next() {
      try stop.check()
      try await writer.restore(planned)
      if planned.entry.kind == .file { progress?.fileDone(bytes: planned.entry.size) }
    }
    try await writer.finish()
    for include in entries.selection.unmatchedIncludes {
      writer.report(include, "'\(include)' is not in snapshot '\(request.snapshot.id)'")
    }
  }

  /// Reads the whole tree once before anything is written, refusing a
  /// snapshot with an unsafe path, or with an entry below a symlink or file
  /// (which could only be reached by following a link out of the target).
  static func validate(_ snapshot: SnapshotRecord, in repository: Repository) async throws {
    var tree = try await SnapshotTreeReader.open(snapshot, in: repository)
    var lastNonDirectory: EntryPath?
    while let entry = try await tree.next() {
      try RestoreSelection.checkSafe(entry.path, in: snapshot.id)
      if let lastNonDirectory, entry.path.isWithin(lastNonDirectory) {
        throw CairnError(
          .unsafePath,
          "snapshot '\(snapshot.id)' holds '\(entry.path)' below the non-directory '\(lastNonDirectory)'; "
            + "restore refused")
      }
      lastNonDirectory = entry.kind == .directory ? nil : entry.path
    }
  }

  /// Creates the target if needed and refuses a non-empty one unless told to overwrite.
  static func prepareTarget(_ target: EntryPath, overwrite: Bool, files: FileSystem) throws(CairnError) -> Descriptor {
    var components: [UInt8] = []
    for part in target.bytes.split(separator: EntryPath.slash, omittingEmptySubsequences: false) {
      components += part
      if !components.isEmpty {
        do {
          try files.makeDirectory(components, mode: 0o755)
        } catch {
          if error != .fileExists { throw .system("mkdir", error, "could not create target directory '\(target)'") }
        }
      }
      components.append(EntryPath.slash)
    }
    let descriptor: Descriptor
    do {
      descriptor = try files.open(target.bytes, flags: [.readOnly, .directory])
    } catch {
      throw .system("open", error, "target '\(target)' is not a directory that can be opened")
    }
    if !overwrite {
      let names = (try? files.directoryNames(descriptor)) ?? []
      if !names.isEmpty {
        throw CairnError(
          .invalidArgument, "target '\(target)' is not empty; choose an empty directory or pass --overwrite")
      }
    }
    return descriptor
  }
}
