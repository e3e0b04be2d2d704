public import Logging
import SystemPackage

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

/// What a restore wrote, and what it could not.
public struct RestoreResult: Sendable {
  public var files = 0
  public var directories = 0
  public var others = 0
  public var bytes: UInt64 = 0
  public var problems: [String] = []
  /// Files restored from a copy stored marked inconsistent.
  public var warnings: [String] = []
}

/// Recreates a snapshot's tree under a target directory: TARGET/<absolute
/// source path>/…, with contents verified block by block and metadata
/// (mode, mtime, ownership when root, hard links, symlinks) as it was.
///
/// It never writes outside the target: every directory is opened with
/// `openat(…, O_NOFOLLOW)` from the target's descriptor, and a manifest path
/// with `..`, `.` or empty components is refused before anything is written.
public struct Restore: Sendable {
  let repository: Repository
  let logger: Logger
  let onProblem: @Sendable (String) -> Void
  let onWarning: @Sendable (String) -> Void
  /// Files and bytes restored so far, for a progress line.
  let progress: BackupProgress?

  public init(
    repository: Repository, logger: Logger, progress: BackupProgress? = nil,
    onProblem: @escaping @Sendable (String) -> Void = { _ in },
    onWarning: @escaping @Sendable (String) -> Void = { _ in }
  ) {
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
    let targetDescriptor = try Self.prepareTarget(request.target, overwrite: request.overwrite)
    let writer = TreeRestorer(
      store: repository.store, target: targetDescriptor, targetPath: request.target.description,
      overwrite: request.overwrite, numericOwner: request.numericOwner, stop: stop,
      onProblem: onProblem, onWarning: onWarning)
    defer { writer.close() }
    do {
      try await restoreTree(request, into: writer, stop: stop)
    } catch {
      stop.set()
      await writer.waitForWrites()
      throw error
    }
    return writer.result
  }

  private func restoreTree(_ request: RestoreRequest, into writer: TreeRestorer, stop: StopFlag) async throws {
    if request.includes.isEmpty {
      progress?.expect(files: request.snapshot.statistics.files, bytes: request.snapshot.statistics.bytes)
    }
    var tree = try await SnapshotTreeReader.open(request.snapshot, in: repository)
    var matchedIncludes = Set<EntryPath>()
    while let entry = try await tree.next() {
      try stop.check()
      guard entry.path.isSafeToRestore else {
        throw CairnError(
          .unsafePath,
          "snapshot '\(request.snapshot.id)' holds the unsafe path '\(entry.path)'; restore refused")
      }
      if !request.includes.isEmpty {
        guard let include = request.includes.first(where: { entry.path.isWithin($0) }) else { continue }
        matchedIncludes.insert(include)
      }
      try await writer.restore(entry)
      if entry.kind == .file { progress?.fileDone(bytes: entry.size) }
    }
    try await writer.finish()
    for include in request.includes where !matchedIncludes.contains(include) {
      writer.report("'\(include)' is not in snapshot '\(request.snapshot.id)'")
    }
  }

  /// Reads the whole tree once before anything is written, refusing a
  /// snapshot with an unsafe path, or with an entry below a symlink or file
  /// (which could only be reached by following a link out of the target).
  static func validate(_ snapshot: SnapshotRecord, in repository: Repository) async throws {
    var tree = try await SnapshotTreeReader.open(snapshot, in: repository)
    var lastNonDirectory: EntryPath?
    while let entry = try await tree.next() {
      guard entry.path.isSafeToRestore else {
        throw CairnError(
          .unsafePath, "snapshot '\(snapshot.id)' holds the unsafe path '\(entry.path)'; restore refused")
      }
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
  static func prepareTarget(_ target: EntryPath, overwrite: Bool) throws(CairnError) -> Int32 {
    var components: [UInt8] = []
    for part in target.bytes.split(separator: EntryPath.slash, omittingEmptySubsequences: false) {
      components += part
      if !components.isEmpty {
        do {
          try SystemCalls.makeDirectory(components, mode: 0o755)
        } catch {
          if error != .fileExists { throw .system("mkdir", error, "could not create target directory '\(target)'") }
        }
      }
      components.append(EntryPath.slash)
    }
    let descriptor: Int32
    do {
      descriptor = try SystemCalls.open(target.bytes, flags: [.readOnly, .directory])
    } catch {
      throw .system("open", error, "target '\(target)' is not a directory that can be opened")
    }
    if !overwrite {
      let names = (try? SystemCalls.directoryNames(descriptor)) ?? []
      if !names.isEmpty {
        SystemCalls.close(descriptor)
        throw CairnError(
          .invalidArgument, "target '\(target)' is not empty; choose an empty directory or pass --overwrite")
      }
    }
    return descriptor
  }
}

/// Writes entries, arriving in manifest order, under a target directory.
final class TreeRestorer {
  private struct Frame {
    let path: EntryPath
    let handle: DirectoryHandle
    var descriptor: Int32 { handle.descriptor }
    /// The directory's own entry, applied when the frame is left (after its children).
    let entry: ManifestEntry?
  }

  private struct Identity: Hashable {
    let device: UInt64
    let inode: UInt64
  }

  private let store: ObjectStore
  private let bundles: BundleCache
  private let targetHandle: DirectoryHandle
  private var target: Int32 { targetHandle.descriptor }
  private let targetPath: String
  private let overwrite: Bool
  private let stop: StopFlag
  private let onProblem: @Sendable (String) -> Void
  private let onWarning: @Sendable (String) -> Void
  /// Files are written under `.cairn-<random>-<n>.part` in their directory
  /// and renamed to their names when complete.
  private let temporaryPrefix = ".cairn-\(String(UInt64.random(in: 0...UInt64.max), radix: 16))-"
  private var temporaryCount = 0
  private let isRoot = SystemCalls.effectiveUserID == 0
  private var stack: [Frame] = []
  private var firstLinks: [Identity: EntryPath] = [:]
  private let owners: OwnerMapper
  private let refusals = AttributeRefusals()
  private(set) var result = RestoreResult()
  /// File contents being written by other threads, oldest first.
  private var writes: [Task<FileWriteJob.Outcome, Never>] = []
  private var writesStart = 0
  /// Writes started and collected since the restore began.
  private var writesStarted = 0
  private var writesCollected = 0
  /// Directories left, whose metadata waits until the writes started before
  /// they were left are collected: renaming a file into a directory changes
  /// its mtime. Deepest first, as they were left.
  private var leftDirectories: [(writesBefore: Int, frame: Frame)] = []
  static let writesInFlight = 32

  init(
    store: ObjectStore, target: Int32, targetPath: String, overwrite: Bool, numericOwner: Bool = false, stop: StopFlag,
    onProblem: @escaping @Sendable (String) -> Void, onWarning: @escaping @Sendable (String) -> Void
  ) {
    self.stop = stop
    self.onWarning = onWarning
    self.owners = OwnerMapper(numericOnly: numericOwner || SystemCalls.effectiveUserID != 0)
    self.store = store
    self.bundles = BundleCache(store: store)
    self.targetHandle = DirectoryHandle(descriptor: target)
    self.targetPath = targetPath
    self.overwrite = overwrite
    self.onProblem = onProblem
  }

  func report(_ message: String) {
    result.problems.append(message)
    onProblem(message)
  }

  func warn(_ message: String) {
    result.warnings.append(message)
    onWarning(message)
  }

  func close() {
    // Descriptors close when the last user (a write in flight) lets go.
    stack.removeAll()
  }

  private var currentHandle: DirectoryHandle { stack.last?.handle ?? targetHandle }
  private var currentDirectory: Int32 { currentHandle.descriptor }

  /// Leaves directories until the top of the stack is an ancestor of `path`.
  private func leave(until path: EntryPath) {
    while let top = stack.last, !(path.isWithin(top.path) && path != top.path) {
      stack.removeLast()
      if top.entry != nil { leftDirectories.append((writesStarted, top)) }
    }
    applyLeftDirectories()
  }

  /// Sets the metadata of the left directories whose files are all written.
  private func applyLeftDirectories() {
    var applied = 0
    for (writesBefore, frame) in leftDirectories {
      guard writesBefore <= writesCollected else { break }
      if let entry = frame.entry { applyMetadata(entry, descriptor: frame.descriptor) }
      applied += 1
    }
    leftDirectories.removeFirst(applied)
  }

  /// Opens (creating when missing) the directories between the stack and `parent`.
  private func enter(_ parent: [ArraySlice<UInt8>]) throws {
    while stack.count < parent.count {
      let name = Array(parent[stack.count])
      let path = EntryPath(bytes: [EntryPath.slash] + parent[0...stack.count].joined(separator: [EntryPath.slash]))
      let descriptor = try openDirectory(name, path: path, create: true)
      stack.append(Frame(path: path, handle: DirectoryHandle(descriptor: descriptor), entry: nil))
    }
  }

  private func openDirectory(_ name: [UInt8], path: EntryPath, create: Bool) throws -> Int32 {
    do {
      return try SystemCalls.open(name, relativeTo: currentDirectory, flags: [.readOnly, .directory, .noFollow])
    } catch {
      if error == .noSuchFileOrDirectory && create {
        try makeDirectory(name, path: path, mode: 0o755)
        return try openDirectory(name, path: path, create: false)
      }
      if error == .tooManySymbolicLinkLevels || error == .notDirectory {
        throw CairnError(
          .unsafePath, "'\(path)' is not a directory in the target (a symlink or file is in the way); restore refused")
      }
      throw CairnError.system("open", error, "could not open '\(targetPath)\(path)'")
    }
  }

  /// Directories with an entry start private (0700) and get their mode when
  /// left; ancestors the snapshot does not hold (above a source) get 0755.
  private func makeDirectory(_ name: [UInt8], path: EntryPath, mode: UInt32 = 0o700) throws {
    do {
      try SystemCalls.makeDirectory(name, relativeTo: currentDirectory, mode: mode)
    } catch {
      if error == .fileExists { return }
      throw CairnError.system("mkdir", error, "could not create '\(targetPath)\(path)'")
    }
  }

  func restore(_ entry: ManifestEntry) async throws {
    let entry = owners.mapped(entry)
    leave(until: entry.path)
    let components = entry.path.components
    guard let last = components.last else {
      // The entry for "/" itself: its contents land directly in the target.
      return
    }
    try enter(Array(components.dropLast()))
    let name = Array(last)
    switch entry.kind {
    case .directory:
      result.directories += 1
      try makeDirectory(name, path: entry.path)
      let descriptor = try openDirectory(name, path: entry.path, create: false)
      stack.append(Frame(path: entry.path, handle: DirectoryHandle(descriptor: descriptor), entry: entry))
    case .file:
      result.files += 1
      if entry.isInconsistent {
        warn(
          "'\(entry.path)' kept changing while it was backed up: the restored copy may not be a consistent version")
      }
      try await restoreFile(entry, name: name)
      try await drain(keeping: Self.writesInFlight)
    case .symlink:
      result.others += 1
      try replaceExisting(name, path: entry.path)
      do {
        try SystemCalls.makeSymlink(name, relativeTo: currentDirectory, target: entry.symlinkTarget)
      } catch {
        report("could not create symlink '\(entry.path)' (\(error))")
        return
      }
      applyMetadata(entry, name: name)
    case .fifo, .socket, .characterDevice, .blockDevice:
      result.others += 1
      try replaceExisting(name, path: entry.path)
      do {
        try SystemCalls.makeNode(
          name, relativeTo: currentDirectory, kind: entry.kind, mode: entry.mode, device: entry.rdev)
      } catch {
        report("could not create \(entry.kind) '\(entry.path)' (\(error))")
        return
      }
      applyMetadata(entry, name: name)
    case .removed:
      break
    }
  }

  /// With --overwrite, removes a non-directory in the way of a new entry.
  private func replaceExisting(_ name: [UInt8], path: EntryPath) throws {
    guard overwrite else { return }
    guard let status = try? SystemCalls.linkStatus(name, relativeTo: currentDirectory) else { return }
    if status.kind == .directory {
      throw CairnError(.invalidArgument, "'\(targetPath)\(path)' is a directory in the target; remove it first")
    }
    try? SystemCalls.remove(name, relativeTo: currentDirectory)
  }

  private func restoreFile(_ entry: ManifestEntry, name: [UInt8]) async throws {
    try replaceExisting(name, path: entry.path)
    let identity = Identity(device: entry.device, inode: entry.inode)
    if entry.linkCount > 1, let first = firstLinks[identity] {
      do {
        try SystemCalls.makeHardLink(
          Array(first.bytes.dropFirst()), relativeTo: target, as: name, relativeTo: currentDirectory)
        return
      } catch {
        // Fall through and write a copy: the content is the same.
      }
    }
    temporaryCount += 1
    let temporaryName = Array("\(temporaryPrefix)\(temporaryCount).part".utf8)
    let descriptor: Int32
    do {
      descriptor = try SystemCalls.open(
        temporaryName, relativeTo: currentDirectory, flags: [.writeOnly, .create, .exclusive, .noFollow], mode: 0o600)
    } catch {
      throw CairnError.system("open", error, "could not create a temporary file for '\(targetPath)\(entry.path)'")
    }
    let job = FileWriteJob(
      entry: entry, descriptor: descriptor, parent: currentHandle, name: name, temporaryName: temporaryName,
      displayPath: "\(targetPath)\(entry.path)",
      setOwner: isRoot, store: store, bundles: bundles, stop: stop, refusals: refusals)
    if entry.linkCount > 1 {
      // Written before its links exist, so a damaged first copy is never
      // reachable through another name.
      switch await job.run() {
      case .written(let bytes): result.bytes += bytes
      case .damaged(let message):
        report(message)
        return
      case .failed(let error): throw error
      }
      if firstLinks[identity] == nil { firstLinks[identity] = entry.path }
      return
    }
    writes.append(Task { await job.run() })
    writesStarted += 1
  }

  /// Ownership (as root), then mode (chown clears setuid), then times.
  private func applyMetadata(_ entry: ManifestEntry, descriptor: Int32) {
    do {
      if isRoot { try SystemCalls.changeOwner(descriptor, uid: entry.uid, gid: entry.gid) }
      try SystemCalls.changeMode(descriptor, to: entry.mode)
      if let problem = MetadataRestorer.restoreAttributes(entry, on: .descriptor(descriptor), refusals: refusals) {
        report(problem)
      }
      try SystemCalls.setTimes(descriptor, modification: entry.mtime)
    } catch {
      report("could not set the metadata of '\(entry.path)' (\(error))")
    }
  }

  /// The same for entries that cannot be opened (symlinks, FIFOs, devices).
  private func applyMetadata(_ entry: ManifestEntry, name: [UInt8]) {
    do {
      if isRoot { try SystemCalls.changeOwner(name, relativeTo: currentDirectory, uid: entry.uid, gid: entry.gid) }
      if entry.kind != .symlink { try SystemCalls.changeMode(name, relativeTo: currentDirectory, to: entry.mode) }
      let target = SystemCalls.AttributeTarget.entry(
        name, in: currentDirectory, fullPath: Array(targetPath.utf8) + entry.path.bytes)
      if let problem = MetadataRestorer.restoreAttributes(entry, on: target, refusals: refusals) { report(problem) }
      try SystemCalls.setTimes(name, relativeTo: currentDirectory, modification: entry.mtime)
    } catch {
      report("could not set the metadata of '\(entry.path)' (\(error))")
    }
  }

  /// Leaves every directory, applying their metadata deepest first, and
  /// waits for every file write.
  func finish() async throws {
    leave(until: EntryPath(bytes: []))
    try await drain(keeping: 0)
    applyLeftDirectories()
    for message in refusals.messages { report(message) }
  }

  /// After a failure: lets every write in flight end before descriptors close.
  func waitForWrites() async {
    for task in writes[writesStart...] { _ = await task.value }
    writes.removeAll()
    writesStart = 0
  }

  /// Collects finished writes in order, so reports keep the manifest's order.
  private func drain(keeping limit: Int) async throws {
    while writes.count - writesStart > limit {
      let task = writes[writesStart]
      writesStart += 1
      let outcome = await task.value
      writesCollected += 1
      applyLeftDirectories()
      switch outcome {
      case .written(let bytes):
        result.bytes += bytes
      case .damaged(let message):
        report(message)
      case .failed(let error):
        throw error
      }
    }
    if writesStart > 1024 {
      writes.removeFirst(writesStart)
      writesStart = 0
    }
  }
}

/// Writes one file's content from the store and sets its metadata, on any
/// thread. The file was created (empty, 0600) under a temporary name in
/// manifest order by the restorer; this job owns its descriptor and closes
/// it, and renames the file to its real name only once it is complete, so a
/// file under its real name is never partial, whatever stops the restore.
struct FileWriteJob: Sendable {
  enum Outcome: Sendable {
    case written(UInt64)
    /// A block that could not be read or verified (missing, corrupted,
    /// unreadable): the file was emptied and removed.
    case damaged(String)
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
  let bundles: BundleCache
  let stop: StopFlag
  let refusals: AttributeRefusals

  func run() async -> Outcome {
    defer { SystemCalls.close(descriptor) }
    var written: UInt64 = 0
    do {
      var placement = ContentPlacement(extents: try entry.dataExtents())
      let length = try entry.contentLength()
      // A small file is a slice of a bundle (its one object); others are their blocks.
      let slice = try entry.bundleSlice()
      if let slice {
        let bytes: [UInt8]
        do {
          bytes = try await bundles.content(of: entry, slice: slice)
        } catch {
          discard()
          return .damaged("'\(entry.path)' not restored: \(error)")
        }
        try placement.write(bytes, to: descriptor, path: entry.path, display: displayPath)
        written = UInt64(bytes.count)
      }
      for block in slice == nil ? entry.blocks : [] {
        try stop.check()
        let bytes: [UInt8]
        do {
          bytes = try await store.get(block)
        } catch {
          // Whatever keeps an object from being read or verified (missing,
          // corrupted, EIO, EACCES, EISDIR, ELOOP…) damages this file only.
          discard()
          return .damaged("'\(entry.path)' not restored: \(error)")
        }
        try placement.write(bytes, to: descriptor, path: entry.path, display: displayPath)
        written += UInt64(bytes.count)
        await CrashPoint.reachSuspending("restore.block")
      }
      try stop.check()
      if written != length {
        throw CairnError(
          .corrupted, "the blocks of '\(entry.path)' hold \(written) bytes but the manifest says \(length)")
      }
      try placement.finish(descriptor, size: entry.size, display: displayPath)
    } catch let error as CairnError where error.code == .corrupted || error.code == .notFound {
      discard()
      return .damaged("'\(entry.path)' not restored: \(error)")
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
        return .damaged("'\(entry.path)' not restored: something appeared at '\(displayPath)' meanwhile")
      }
      return .failed(CairnError.system("renameat2", error, "could not move '\(displayPath)' into place"))
    }
    if let metadataProblem { return .damaged(metadataProblem) }
    return .written(entry.size)
  }

  /// Never leaves wrong or partial bytes behind: empties the temporary file, then removes it.
  private func discard() {
    try? SystemCalls.truncate(descriptor, to: 0)
    try? SystemCalls.remove(temporaryName, relativeTo: parent.descriptor)
  }
}

/// A directory descriptor shared by the restorer and the writes in flight
/// below it; closed when the last of them lets go.
final class DirectoryHandle: @unchecked Sendable {
  // @unchecked: the descriptor is immutable; *at calls on it are thread-safe.
  let descriptor: Int32
  init(descriptor: Int32) { self.descriptor = descriptor }
  deinit { SystemCalls.close(descriptor) }
}
