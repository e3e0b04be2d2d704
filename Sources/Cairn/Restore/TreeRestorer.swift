import SystemPackage

/// Writes entries, arriving in manifest order, under a target directory:
/// directories, links and special files itself, file contents by
/// `FileWriteJob`s in flight (collected in order, so problems are reported
/// in manifest order). A directory gets its metadata once the files written
/// into it are complete, since a rename into it changes its mtime.
/// Used by one task; its system calls run on `BlockingPool`, in jobs that
/// task awaits.
final class TreeRestorer: @unchecked Sendable {
  // @unchecked: one task uses it, and the pool jobs it hands its system
  // calls to (which touch its state) are each awaited before it goes on, so
  // no two threads use it at once.
  private struct Frame: Sendable {
    let path: EntryPath
    /// Shared with the writes in flight below it: closed when the last lets go.
    let handle: Descriptor
    var descriptor: Int32 { handle.raw }
    /// The directory's own entry, applied when the frame is left (after its children).
    let entry: ManifestEntry?
  }

  private struct Identity: Hashable {
    let device: UInt64
    let inode: UInt64
  }

  private let store: ObjectStore
  private let readAhead: ObjectReadAhead
  /// The snapshot's block size, for the estimates of large files' later blocks.
  private let blockSize: Int
  private let files: FileSystem
  private let targetHandle: Descriptor
  private var target: Int32 { targetHandle.raw }
  private let targetPath: String
  private let overwrite: Bool
  private let stop: StopFlag
  private let onProblem: @Sendable (RestoreProblem) -> Void
  private let onWarning: @Sendable (String) -> Void
  /// Files are written unnamed and linked to their names when complete
  /// (see `FileWriteJob`); linking an unnamed file without privileges
  /// needs /proc/self/fd before Linux 6.10 (`cairn_link_unnamed`).
  private let unnamedFiles = SystemCalls.exists("/proc/self/fd") && !TestSwitches.restoreUnderTemporaryNames
  /// Where they cannot be, under `.cairn-<random>-<n>.part` in their
  /// directory, renamed to their names when complete.
  private let temporaryPrefix = ".cairn-\(String(UInt64.random(in: 0...UInt64.max), radix: 16))-"
  private var temporaryCount = 0
  private let isRoot = SystemCalls.effectiveUserID == 0
  private var stack: [Frame] = []
  private var firstLinks: [Identity: EntryPath] = [:]
  private let owners: OwnerMapper
  private let refusals = AttributeRefusals()
  private(set) var result = RestoreResult()
  /// File contents being written by other threads, oldest first: a file,
  /// or a batch of small files and other entries (`EntryBatch`).
  private var writes: [Task<[FileWriteJob.Outcome], Never>] = []
  private var writesStart = 0
  /// Consecutive small files and other entries not yet started, started
  /// as one write when full, when a larger file or a hard link comes, or
  /// before a directory is left.
  private var batch = EntryBatch()
  /// Writes started and collected since the restore began.
  private var writesStarted = 0
  private var writesCollected = 0
  /// Directories left, whose metadata waits until the writes started before
  /// they were left are collected: renaming a file into a directory changes
  /// its mtime. Deepest first, as they were left.
  private var leftDirectories: [(writesBefore: Int, frame: Frame)] = []
  /// File writes in flight (a batch of small files is one): enough to keep
  /// the disk and both cores busy (reading ahead is `ObjectReadAhead`'s
  /// job, not theirs).
  static let writesInFlight = 32

  init(
    store: ObjectStore, readAhead: ObjectReadAhead, blockSize: Int, files: FileSystem, target: Descriptor,
    targetPath: String, overwrite: Bool,
    numericOwner: Bool = false, stop: StopFlag,
    onProblem: @escaping @Sendable (RestoreProblem) -> Void, onWarning: @escaping @Sendable (String) -> Void
  ) {
    if TestSwitches.linkUnnamedThroughProc { LinuxFileSystemCalls.linkUnnamedThroughProc() }
    self.stop = stop
    self.onWarning = onWarning
    self.owners = OwnerMapper(numericOnly: numericOwner || SystemCalls.effectiveUserID != 0)
    self.store = store
    self.readAhead = readAhead
    self.blockSize = blockSize
    self.files = files
    self.targetHandle = target
    self.targetPath = targetPath
    self.overwrite = overwrite
    self.onProblem = onProblem
  }

  func report(_ path: EntryPath, _ message: String) {
    report(RestoreProblem(path: path, message: message))
  }

  private func report(_ problem: RestoreProblem) {
    result.problems.append(problem)
    onProblem(problem)
  }

  func warn(_ message: String) {
    result.warnings.append(message)
    onWarning(message)
  }

  func close() {
    // Descriptors close when the last user (a write in flight) lets go.
    stack.removeAll()
  }

  private var currentHandle: Descriptor { stack.last?.handle ?? targetHandle }

  /// Runs `body`, which makes system calls for this restorer, on the pool,
  /// and waits for it.
  private func onPool<T: Sendable, E: Error>(_ body: @escaping @Sendable () throws(E) -> T) async throws(E) -> T {
    try await BlockingPool.shared.run(body)
  }

  /// Leaves directories until the top of the stack is an ancestor of `path`.
  private func leave(until path: EntryPath) async {
    while let top = stack.last, !(path.isWithin(top.path) && path != top.path) {
      // Entries made in a directory change its mtime: they start before it is left.
      startBatch()
      stack.removeLast()
      if top.entry != nil { leftDirectories.append((writesStarted, top)) }
    }
    await applyLeftDirectories()
  }

  /// Sets the metadata of the left directories whose files are all written.
  private func applyLeftDirectories() async {
    var ready = 0
    for (writesBefore, _) in leftDirectories {
      guard writesBefore <= writesCollected else { break }
      ready += 1
    }
    guard ready > 0 else { return }
    let frames = leftDirectories.prefix(ready).map(\.frame)
    leftDirectories.removeFirst(ready)
    await onPool {
      for frame in frames {
        if let entry = frame.entry { self.applyMetadata(entry, descriptor: frame.handle) }
      }
    }
  }

  /// Opens (creating when missing) the directories between the stack and `parent`.
  private func enter(_ parent: [ArraySlice<UInt8>]) async throws {
    guard stack.count < parent.count else { return }
    try await onPool { try self.enterNow(parent) }
  }

  private func enterNow(_ parent: [ArraySlice<UInt8>]) throws {
    while stack.count < parent.count {
      let name = Array(parent[stack.count])
      let path = EntryPath(bytes: [EntryPath.slash] + parent[0...stack.count].joined(separator: [EntryPath.slash]))
      let handle = try openDirectory(name, path: path, create: true)
      stack.append(Frame(path: path, handle: handle, entry: nil))
    }
  }

  private func openDirectory(_ name: [UInt8], path: EntryPath, create: Bool) throws -> Descriptor {
    do {
      return try files.open(name, relativeTo: currentHandle, flags: [.readOnly, .directory, .noFollow])
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
      try files.makeDirectory(name, relativeTo: currentHandle, mode: mode)
    } catch {
      if error == .fileExists { return }
      throw CairnError.system("mkdir", error, "could not create '\(targetPath)\(path)'")
    }
  }

  func restore(_ planned: PlannedEntry) async throws {
    let entry = owners.mapped(planned.entry)
    await leave(until: entry.path)
    let components = entry.path.components
    guard let last = components.last else {
      // The entry for "/" itself: its contents land directly in the target.
      readAhead.drop(planned.tickets)
      return
    }
    try await enter(Array(components.dropLast()))
    let name = Array(last)
    switch entry.kind {
    case .directory:
      result.directories += 1
      try await onPool {
        try self.makeDirectory(name, path: entry.path)
        let handle = try self.openDirectory(name, path: entry.path, create: false)
        self.stack.append(Frame(path: entry.path, handle: handle, entry: entry))
      }
    case .file:
      result.files += 1
      if entry.isInconsistent {
        warn(
          "'\(entry.path)' kept changing while it was backed up: the restored copy may not be a consistent version")
      }
      try await restoreFile(entry, name: name, tickets: planned.tickets)
      try await drain(keeping: Self.writesInFlight)
    case .symlink, .fifo, .socket, .characterDevice, .blockDevice:
      result.others += 1
      batch.append(
        .other(
          OtherEntryJob(
            entry: entry, name: name, parent: currentHandle, targetPath: targetPath, overwrite: overwrite,
            setOwner: isRoot, files: files, refusals: refusals)))
      if batch.isFull { startBatch() }
      try await drain(keeping: Self.writesInFlight)
    case .removed:
      break
    }
  }

  /// With --overwrite, removes a non-directory in the way of a new entry.
  private func replaceExisting(_ name: [UInt8], path: EntryPath) throws {
    guard overwrite else { return }
    try OtherEntryJob.removeNonDirectory(name, in: currentHandle, path: path, targetPath: targetPath, files: files)
  }

  /// Starts the write of a file's content (`tickets` are its planned
  /// objects), or links it to an earlier copy of the same inode.
  private func restoreFile(_ entry: ManifestEntry, name: [UInt8], tickets: [ObjectReadAhead.Ticket]) async throws {
    var handedOver = false
    defer { if !handedOver { readAhead.drop(tickets) } }
    if overwrite { try await onPool { try self.replaceExisting(name, path: entry.path) } }
    let identity = Identity(device: entry.device, inode: entry.inode)
    if entry.linkCount > 1, let first = firstLinks[identity] {
      let existing = Array(first.bytes.dropFirst())
      let linked = await onPool {
        // When it fails, a copy is written: the content is the same.
        (try? self.files.makeHardLink(
          existing, relativeTo: self.targetHandle, as: name, relativeTo: self.currentHandle)) != nil
      }
      if linked { return }
    }
    temporaryCount += 1
    let temporaryName = Array("\(temporaryPrefix)\(temporaryCount).part".utf8)
    let job = FileWriteJob(
      entry: entry, parent: currentHandle, name: name, unnamedFiles: unnamedFiles, temporaryName: temporaryName,
      displayPath: "\(targetPath)\(entry.path)",
      setOwner: isRoot, files: files, store: store, readAhead: readAhead, tickets: tickets,
      blockSize: blockSize, stop: stop, refusals: refusals)
    handedOver = true
    if entry.linkCount <= 1 && job.isSmallFile {
      batch.append(.smallFile(job))
      if batch.isFull { startBatch() }
      return
    }
    startBatch()
    if entry.linkCount > 1 {
      // Written before its links exist, so a damaged first copy is never
      // reachable through another name.
      switch await job.run() {
      case .written(let bytes): result.bytes += bytes
      case .damaged(let problem):
        report(problem)
        return
      case .failed(let error): throw error
      }
      if firstLinks[identity] == nil { firstLinks[identity] = entry.path }
      return
    }
    writes.append(Task { [await job.run()] })
    writesStarted += 1
  }

  /// Starts the entries waiting as one write.
  private func startBatch() {
    guard !batch.isEmpty else { return }
    let started = batch
    batch = EntryBatch()
    writes.append(Task { await started.run() })
    writesStarted += 1
  }

  /// Ownership (as root), then mode (chown clears setuid), then times.
  private func applyMetadata(_ entry: ManifestEntry, descriptor: Descriptor) {
    do {
      if isRoot { try files.changeOwner(descriptor, uid: entry.uid, gid: entry.gid) }
      try files.changeMode(descriptor, to: entry.mode)
      if let problem = MetadataRestorer.restoreAttributes(
        entry, on: .descriptor(descriptor.raw), refusals: refusals, files: files)
      {
        report(entry.path, problem)
      }
      try files.setTimes(descriptor, modification: entry.mtime)
    } catch {
      report(entry.path, "could not set the metadata of '\(entry.path)' (\(error))")
    }
  }

  /// Leaves every directory, applying their metadata deepest first, and
  /// waits for every file write.
  func finish() async throws {
    await leave(until: EntryPath(bytes: []))
    startBatch()
    try await drain(keeping: 0)
    await applyLeftDirectories()
    for problem in refusals.problems { report(problem) }
  }

  /// After a failure: lets every write in flight end before descriptors close.
  func waitForWrites() async {
    batch.dropTickets(from: readAhead)
    batch = EntryBatch()
    for task in writes[writesStart...] { _ = await task.value }
    writes.removeAll()
    writesStart = 0
  }

  /// Collects finished writes in order, so reports keep the manifest's order.
  private func drain(keeping limit: Int) async throws {
    while writes.count - writesStart > limit {
      let task = writes[writesStart]
      writesStart += 1
      let outcomes = await task.value
      writesCollected += 1
      await applyLeftDirectories()
      for outcome in outcomes {
        switch outcome {
        case .written(let bytes):
          result.bytes += bytes
        case .damaged(let problem):
          report(problem)
        case .failed(let error):
          throw error
        }
      }
    }
    if writesStart > 1024 {
      writes.removeFirst(writesStart)
      writesStart = 0
    }
  }
}
