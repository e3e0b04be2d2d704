public import Foundation
public import Logging
import Synchronization
import SystemPackage

/// What to back up, and how.
public struct BackupRequest: Sendable {
  public enum Kind: Sendable, Equatable {
    /// Full when none exists or the newest full is older than `fullEvery` days; differential otherwise.
    case automatic(fullEvery: Double)
    case full
    case differential
  }

  /// The paths to back up, as bytes (a command-line argument need not be UTF-8).
  public var sources: [EntryPath]
  public var kind: Kind
  public var now: Date
  public var host: String
  /// Glob patterns of paths not to back up (see `ExcludeMatcher`).
  public var exclude: [String]
  /// Labels stored in the snapshot record.
  public var tags: [String]
  /// Caches, marker files, large files, other file systems.
  public var excludeRules = SourceExcludes()

  public init(
    sources: [String], kind: Kind, now: Date = Date(), host: String = Backup.hostName, exclude: [String] = [],
    tags: [String] = []
  ) {
    self.init(
      sourcePaths: sources.map(EntryPath.init), kind: kind, now: now, host: host, exclude: exclude, tags: tags)
  }

  public init(
    sourcePaths: [EntryPath], kind: Kind, now: Date = Date(), host: String = Backup.hostName, exclude: [String] = [],
    tags: [String] = []
  ) {
    self.tags = tags
    self.sources = sourcePaths
    self.kind = kind
    self.now = now
    self.host = host
    self.exclude = exclude
  }
}

/// A file or directory a backup could not read; the backup goes on without it.
public struct BackupProblem: Sendable, CustomStringConvertible {
  public let path: String
  public let message: String
  public var description: String { "'\(path)' \(message)" }
}

/// What a finished backup made.
public struct BackupResult: Sendable {
  public let record: SnapshotRecord
  public let problems: [BackupProblem]
  /// Things worth saying that are not problems: why the kind differs from
  /// the one asked for, what was left out on purpose.
  public let notes: [String]
  /// Things wrong in the repository that the run worked around (a damaged
  /// base manifest made it take a full).
  public let warnings: [String]
}

/// Backs up source trees into a repository as one snapshot.
///
/// Order of writes: data objects and manifest parts (no fsync each), one
/// `syncfs` over the repository, then the snapshot record (temporary file,
/// fsync, rename, fsync of the directory). A crash before the record leaves
/// only unreferenced objects, which gc removes.
public struct Backup: Sendable {
  public static var hostName: String { SystemCalls.hostName }

  /// Files at most this many blocks long are read by one task; longer files
  /// are split so both cores hash one large file.
  static let segmentBytes = 16 << 20
  /// Entries in flight between the walk and the manifest writer.
  static let windowSize = 128
  /// How many times a file that changed while it was read is read again
  /// before its last copy is stored marked inconsistent.
  static let rereadLimit = 3
  /// Bytes of small files read ahead in that window, at most (about).
  static let smallBytesInWindow = 8 << 20

  let repository: Repository
  let logger: Logger
  let progress: BackupProgress?
  let onProblem: @Sendable (BackupProblem) -> Void

  public init(
    repository: Repository, logger: Logger, progress: BackupProgress? = nil,
    onProblem: @escaping @Sendable (BackupProblem) -> Void = { _ in }
  ) {
    self.repository = repository
    self.logger = logger
    self.progress = progress
    self.onProblem = onProblem
  }

  /// Chooses full or differential for `request` given the existing snapshots,
  /// and the base for a differential: the newest full of the same sources and host.
  public static func plan(_ request: BackupRequest, sources: [String], snapshots: [SnapshotRecord])
    -> (kind: SnapshotKind, base: SnapshotRecord?, note: String?)
  {
    let base = snapshots.last { $0.kind == .full && $0.sources == sources && $0.host == request.host }
    switch request.kind {
    case .full:
      return (.full, nil, nil)
    case .differential:
      guard let base else { return (.full, nil, "no full snapshot of these sources exists yet, so this one is full") }
      return (.differential, base, nil)
    case .automatic(let fullEvery):
      guard let base else { return (.full, nil, nil) }
      if base.isDatedAhead(of: request.now) {
        // Its age is unknown: a full now starts a chain dated by this clock.
        return (.full, nil, "the newest full '\(base.id)' is dated ahead of this clock, so this one is full")
      }
      let age = request.now.timeIntervalSince(base.date)
      if age >= fullEvery * 86400 { return (.full, nil, nil) }
      return (.differential, base, nil)
    }
  }

  /// Resolves sources to absolute canonical paths in manifest order, refusing
  /// missing ones and sources that lie inside one another.
  public static func resolveSources(_ sources: [EntryPath]) throws(CairnError) -> [EntryPath] {
    guard !sources.isEmpty else { throw CairnError(.invalidArgument, "no source given; name at least one directory") }
    var resolved: [EntryPath] = []
    for source in sources {
      do {
        resolved.append(EntryPath(bytes: try SystemCalls.canonicalPath(source.bytes)))
      } catch {
        if error == .noSuchFileOrDirectory {
          throw CairnError(.notFound, "source '\(source)' does not exist")
        }
        throw .system("realpath", error, "source '\(source)' cannot be resolved")
      }
    }
    resolved = Array(Set(resolved)).sorted()
    for (earlier, later) in zip(resolved, resolved.dropFirst()) where later.isWithin(earlier) {
      throw CairnError(.invalidArgument, "source '\(later)' lies inside source '\(earlier)'; give only the outer one")
    }
    return resolved
  }

  /// Backs up `request` as one new snapshot. When the task is cancelled
  /// (the CLI does so on SIGINT, SIGTERM, SIGHUP), the readers stop, the
  /// pending objects this run wrote are removed, no record is written, and
  /// it throws `CancellationError`; so does any other failure clean up.
  public func run(_ request: BackupRequest) async throws -> BackupResult {
    try await StopFlag.whileRunning { stop in try await run(request, stop: stop) }
  }

  private func run(_ request: BackupRequest, stop: StopFlag) async throws -> BackupResult {
    let started = ContinuousClock.now
    SystemCalls.raiseOpenFileLimit()
    AllocatorTuning.apply()
    let (roots, missing) = try Self.resolveSources(request.sources, allowingMissing: true)
    // A missing source stays in the record, so the snapshot stays in its group.
    let sourceNames = (roots + missing).sorted().map(\.description)
    let snapshots = try await repository.snapshots()
    if !repository.storage.checksExistenceCheaply {
      // One listing (256 prefixes in parallel) instead of a request per
      // block, made once the backup has more than a few objects to store.
      repository.store.useListingForExistence()
    }
    var (kind, base, note) = Self.plan(request, sources: sourceNames, snapshots: snapshots)
    var warnings: [String] = []
    if let planned = base, let damage = await Self.manifestDamage(of: planned, in: repository) {
      // Without a readable base no differential can be made: a full can.
      warnings.append(
        "the manifest of full snapshot '\(planned.id)' cannot be read (\(damage)); this backup is full instead "
          + "of differential; run 'cairn check'")
      kind = .full
      base = nil
    }
    if let progress {
      if let previous = snapshots.last(where: { $0.sources == sourceNames }) {
        progress.filesTotal.store(previous.statistics.files, ordering: .relaxed)
        progress.bytesTotal.store(previous.statistics.bytes, ordering: .relaxed)
      } else {
        let sources = request.sources
        let exclude = request.exclude
        Task.detached(priority: .low) { progress.estimate(sources: sources, exclude: exclude) }
      }
    }
    logger.debug("backup planned", metadata: ["kind": "\(kind)", "base": "\(base?.id ?? "none")"])

    // The repository is known by its resolved directory (device and inode),
    // not by the path as given: a --repo through a symlink into a source is
    // still left out of the backup.
    let repositoryStatus = (try? SystemCalls.canonicalPath(Array(repository.path.utf8))).flatMap {
      try? SystemCalls.linkStatus($0)
    }
    var excluded: Set<TreeWalker.FileIdentity> = []
    if let repositoryStatus {
      excluded.insert(TreeWalker.FileIdentity(device: repositoryStatus.device, inode: repositoryStatus.inode))
    }
    let session = BackupSession(
      store: repository.store, blockSize: repository.config.blockSize,
      base: try base.map { ManifestReader(store: repository.store, parts: try $0.manifestObjects()) },
      progress: progress, stop: stop, onProblem: onProblem)
    for source in missing {
      session.report(source, "does not exist (is its drive mounted?); the snapshot holds the other sources")
    }
    session.parentTree = await ParentTree.open(
      for: base, host: request.host, sources: sourceNames, snapshots: snapshots, in: repository)
    var walker = TreeWalker(roots: roots, excluding: excluded, excludes: ExcludeMatcher(request.exclude))
    walker.rules = request.excludeRules
    var notes = note.map { [$0] } ?? []
    defer { walker.closeAll() }
    do {
      while let event = walker.next() {
        try stop.check()
        switch event {
        case .problem(let path, let message):
          session.report(path, message)
        case .notice(let path, let message):
          notes.append("'\(path)' \(message)")
        case .entry(let path, let status, let parent, let name):
          try await session.add(path: path, status: status, parent: parent, name: name)
        }
      }
      let manifest = try await session.finish()
      try stop.check()
      try await repository.store.commit()
      await CrashPoint.reachSuspending("backup.record")
      try stop.check()
      var statistics = session.statistics
      statistics.durationSeconds = (ContinuousClock.now - started).seconds
      // Written after every record present now, whatever their dates say
      // (the records are read again: another backup may have finished).
      let present = try await repository.snapshots()
      let sequence = (present.map(\.sequence).max() ?? 0) + 1
      // Two snapshots never share a time either.
      var time = request.now
      while present.contains(where: { $0.time == Timestamps.format(time) }) { time += 0.001 }
      let record = SnapshotRecord(
        id: Timestamps.snapshotID(at: time), kind: kind, base: base?.id, time: Timestamps.format(time),
        host: request.host, sources: sourceNames,
        blockSize: repository.config.blockSize, manifest: manifest, statistics: statistics, sequence: sequence,
        tags: request.tags)
      try await repository.writeSnapshot(record)
      logger.debug("snapshot written", metadata: ["id": "\(record.id)"])
      return BackupResult(record: record, problems: session.problems, notes: notes, warnings: warnings)
    } catch {
      // Stop the readers, then remove what this run left pending: the
      // objects it published are unreferenced, for gc.
      stop.set()
      session.cancel()
      await session.waitForReads()
      _ = try? await repository.storage.removeLeftovers(onlyOwn: true)
      throw error
    }
  }
}

extension Backup {
  /// Why the manifest of `record` cannot serve as a base (a part missing,
  /// unreadable or not matching its address), or nil when every part reads.
  static func manifestDamage(of record: SnapshotRecord, in repository: Repository) async -> String? {
    do {
      for part in try record.manifestObjects() { _ = try await repository.store.get(part) }
      return nil
    } catch {
      return "\(error)"
    }
  }
}

extension Duration {
  var seconds: Double {
    Double(components.seconds) + Double(components.attoseconds) / 1e18
  }
}

/// An open source file shared by the tasks that read its segments; closed
/// when the last of them lets go.
final class OpenSourceFile: @unchecked Sendable {
  // @unchecked: the descriptor is immutable and only used with pread, which
  // is safe from several threads at once.
  let descriptor: Int32
  init(descriptor: Int32) { self.descriptor = descriptor }
  deinit { SystemCalls.close(descriptor) }
}

/// What reading one segment of a file produced.
struct SegmentResult: Sendable {
  var blocks: [ObjectID] = []
  var bytes: UInt64 = 0
  var newObjects = 0
  var newBytes: UInt64 = 0
}

/// The state of one backup run: the in-order window between the walk and the
/// manifest writer, the base manifest being merged, and the statistics.
/// Used by one task only.
final class BackupSession {
  private enum Slot {
    case ready(ManifestEntry)
    case reading(ManifestEntry, OpenSourceFile, [Task<SegmentResult, any Error>], baseHadPath: Bool)
    /// A small file being read whole, for a bundle.
    case readingSmall(ManifestEntry, OpenSourceFile, Task<SmallFileContent, any Error>, baseHadPath: Bool)
    /// Written to the manifest: what it held (a file's content, its descriptor) is let go.
    case done
  }

  private let store: ObjectStore
  private let chunker: Chunker
  private let writer: BundleWriter
  private let published: PublishSchedule
  /// Bytes of small files read (or being read) in the window.
  private var smallBytesInWindow = 0
  private var base: ManifestReader?
  private var baseHead: ManifestEntry?
  private var baseStarted = false
  /// The newest snapshot of these sources, when it is not the base: files
  /// unchanged since it are not read again.
  var parentTree: ParentTree?
  private var window: [Slot] = []
  private var windowStart = 0
  private let onProblem: @Sendable (BackupProblem) -> Void
  private let progress: BackupProgress?
  private let stop: StopFlag
  /// The tasks of files read again (the window holds only the first read's).
  private var rereadTasks: [Task<SegmentResult, any Error>] = []
  private let metadata = EntryMetadataReader()
  private(set) var statistics = SnapshotStatistics()
  private(set) var problems: [BackupProblem] = []

  init(
    store: ObjectStore, blockSize: Int, base: ManifestReader?, progress: BackupProgress?, stop: StopFlag,
    onProblem: @escaping @Sendable (BackupProblem) -> Void
  ) {
    self.stop = stop
    self.store = store
    self.chunker = Chunker(blockSize: blockSize)
    self.published = PublishSchedule.fromEnvironment(store: store)
    self.writer = BundleWriter(store: store, policy: BundlePolicy(blockSize: blockSize), published: published)
    self.base = base
    self.progress = progress
    self.onProblem = onProblem
  }

  func report(_ path: EntryPath, _ message: String) {
    let problem = BackupProblem(path: path.description, message: message)
    problems.append(problem)
    statistics.problems += 1
    onProblem(problem)
  }

  /// Moves through the base manifest up to `path`: base entries before it
  /// are gone (removal marks); returns the base entry at `path`, if any.
  private func baseEntry(at path: EntryPath) async throws -> ManifestEntry? {
    guard base != nil else { return nil }
    if !baseStarted {
      baseStarted = true
      baseHead = try await base!.next()
    }
    while let head = baseHead, head.path < path {
      window.append(.ready(.removal(of: head.path)))
      baseHead = try await base!.next()
    }
    guard let head = baseHead, head.path == path else { return nil }
    baseHead = try await base!.next()
    return head
  }

  /// `entry` with its owner names and extended attributes, read by path.
  private func described(_ entry: ManifestEntry, parent: Int32, name: [UInt8]) -> ManifestEntry {
    var entry = entry
    let target = SystemCalls.AttributeTarget.entry(name, in: parent, fullPath: entry.path.bytes)
    if let problem = metadata.complete(&entry, attributesAt: target) { report(entry.path, problem) }
    return entry
  }

  func add(path: EntryPath, status: FileStatus, parent: Int32, name: [UInt8]) async throws {
    let previous = try await baseEntry(at: path)
    switch status.kind {
    case .file:
      statistics.files += 1
      statistics.bytes += status.size
      if let previous, previous.kind == .file, previous.isUnchanged(comparedTo: status) {
        progress?.filesDone.add(1, ordering: .relaxed)
        progress?.bytesDone.add(status.size, ordering: .relaxed)
        break
      }
      if let reused = await parentTree?.unchangedFile(at: path, status: status) {
        progress?.filesDone.add(1, ordering: .relaxed)
        progress?.bytesDone.add(status.size, ordering: .relaxed)
        window.append(.ready(reused))
        break
      }
      startReading(path: path, status: status, parent: parent, name: name, baseHadPath: previous != nil)
    case .directory:
      statistics.directories += 1
      if let previous, previous.isUnchanged(comparedTo: status) { break }
      window.append(.ready(described(ManifestEntry(path: path, status: status), parent: parent, name: name)))
    case .symlink:
      statistics.others += 1
      var entry = ManifestEntry(path: path, status: status)
      do {
        entry.symlinkTarget = try SystemCalls.readSymlink(name, relativeTo: parent)
      } catch {
        report(path, "symlink cannot be read (\(error))")
        if previous != nil { window.append(.ready(.removal(of: path))) }
        break
      }
      if let previous, previous.isUnchanged(comparedTo: status), previous.symlinkTarget == entry.symlinkTarget { break }
      window.append(.ready(described(entry, parent: parent, name: name)))
    case .fifo, .socket, .characterDevice, .blockDevice:
      statistics.others += 1
      if let previous, previous.isUnchanged(comparedTo: status) { break }
      window.append(.ready(described(ManifestEntry(path: path, status: status), parent: parent, name: name)))
    case .removed:
      report(path, "has a file type Cairn does not know; not backed up")
      if previous != nil { window.append(.ready(.removal(of: path))) }
    }
    try await drain(keeping: Backup.windowSize)
  }

  private func startReading(path: EntryPath, status: FileStatus, parent: Int32, name: [UInt8], baseHadPath: Bool) {
    let descriptor: Int32
    let opened: FileStatus
    do {
      descriptor = try SystemCalls.open(name, relativeTo: parent, flags: [.readOnly, .noFollow, .nonBlocking])
      opened = try SystemCalls.status(of: descriptor)
    } catch {
      report(path, "cannot be read (\(error)); not backed up")
      if baseHadPath { window.append(.ready(.removal(of: path))) }
      return
    }
    let file = OpenSourceFile(descriptor: descriptor)
    guard opened.kind == .file else {
      report(path, "was replaced by a \(opened.kind) during the backup; not backed up")
      if baseHadPath { window.append(.ready(.removal(of: path))) }
      return
    }
    var entry = ManifestEntry(path: path, status: opened)
    // Holes are neither read nor stored: only the data extents are.
    let extents = SparseMap.dataExtents(of: descriptor, size: opened.size)
    if extents == nil, writer.policy.isSmall(opened.size) {
      // Small dense files travel in bundles, read whole; a small file with
      // holes keeps them (blocks of its data extents, like a large one).
      startReadingSmall(entry, file: file, baseHadPath: baseHadPath)
      return
    }
    entry.setDataExtents(extents)
    window.append(
      .reading(entry, file, readTasks(file, size: opened.size, extents: extents), baseHadPath: baseHadPath))
  }

  /// Starts the tasks that read, hash and store the blocks of `file`'s
  /// first `size` bytes (only its data extents when it is sparse), one task
  /// per segment.
  private func readTasks(_ file: OpenSourceFile, size: UInt64, extents: [DataExtent]?)
    -> [Task<SegmentResult, any Error>]
  {
    if let extents { progress?.bytesDone.add(size - extents.reduce(0) { $0 + $1.length }, ordering: .relaxed) }
    let segmentLength = UInt64(max(chunker.blockSize, Backup.segmentBytes / chunker.blockSize * chunker.blockSize))
    var tasks: [Task<SegmentResult, any Error>] = []
    let store = self.store
    let chunker = self.chunker
    let progress = self.progress
    let stop = self.stop
    let published = self.published
    let segments = SparseMap.segments(
      of: extents ?? [DataExtent(offset: 0, length: size)], blockSize: chunker.blockSize,
      segmentLength: segmentLength)
    for pieces in segments {
      tasks.append(
        Task {
          var result = SegmentResult()
          for piece in pieces {
            let read = try await chunker.forEachBlock(of: file.descriptor, from: piece.offset, length: piece.length) {
              block in
              try stop.check()
              let stored = try await store.put(block)
              if let size = stored.storedSize {
                published.wrote(size)
                await CrashPoint.reachSuspending("backup.object")
                result.newObjects += 1
                result.newBytes += size
              }
              result.blocks.append(stored.id)
              progress?.bytesDone.add(UInt64(block.count), ordering: .relaxed)
              await CrashPoint.reachSuspending("backup.block")
            }
            result.bytes += read
            if read < piece.length { break }
          }
          return result
        })
    }
    return tasks
  }

  /// Reads a small file whole (one task; its bytes go into a bundle in order).
  private func startReadingSmall(_ entry: ManifestEntry, file: OpenSourceFile, baseHadPath: Bool) {
    let store = self.store
    let progress = self.progress
    let size = Int(entry.size)
    smallBytesInWindow += size
    let task = Task {
      try Task.checkCancellation()
      let content = try SmallFileContent.read(file.descriptor, size: size, store: store)
      progress?.bytesDone.add(UInt64(content.bytes.count), ordering: .relaxed)
      await CrashPoint.reachSuspending("backup.block")
      return content
    }
    window.append(.readingSmall(entry, file, task, baseHadPath: baseHadPath))
  }

  private func drain(keeping limit: Int) async throws {
    published.tick()
    while window.count - windowStart > limit
      || (smallBytesInWindow > Backup.smallBytesInWindow && windowStart < window.count)
    {
      let slot = window[windowStart]
      window[windowStart] = .done
      windowStart += 1
      try await complete(slot)
    }
    if windowStart > 4096 {
      window.removeFirst(windowStart)
      windowStart = 0
    }
  }

  private func complete(_ slot: Slot) async throws {
    switch slot {
    case .done:
      break
    case .ready(let entry):
      try await writer.append(entry)
    case .readingSmall(var entry, let file, let task, let baseHadPath):
      try await completeSmall(&entry, file: file, task: task, baseHadPath: baseHadPath)
    case .reading(var entry, let file, var tasks, let baseHadPath):
      progress?.filesDone.add(1, ordering: .relaxed)
      var rereads = 0
      var dataBytes: UInt64 = 0
      while true {
        var failure: Chunker.ReadFailure?
        let logicalSize = entry.size
        let extents = try? entry.dataExtents()
        entry.size = 0
        entry.blocks = []
        for task in tasks {
          do {
            let result = try await task.value
            entry.blocks += result.blocks
            entry.size += result.bytes
            statistics.newObjects += result.newObjects
            statistics.newBytes += result.newBytes
          } catch let error as Chunker.ReadFailure {
            failure = error
          }
        }
        if let failure {
          rereadTasks.removeAll()
          report(entry.path, "cannot be read (\(failure.errno)); not backed up")
          if baseHadPath { try await writer.append(.removal(of: entry.path)) }
          return
        }
        dataBytes = entry.size
        if let extents {
          entry.size = SparseMap.settle(&entry, extents: extents, dataBytes: entry.size, size: logicalSize)
        }
        // The same descriptor, so the same file: changed while it was read
        // when its size, mtime or ctime moved. Read it again, a few times.
        guard let after = try? SystemCalls.status(of: file.descriptor),
          after.size != entry.size || after.mtime != entry.mtime || after.ctime != entry.ctime
        else { break }
        if rereads == Backup.rereadLimit {
          markInconsistent(&entry, reads: rereads + 1)
          break
        }
        rereads += 1
        try stop.check()
        entry = ManifestEntry(path: entry.path, status: after)
        let rereadExtents = SparseMap.dataExtents(of: file.descriptor, size: after.size)
        entry.setDataExtents(rereadExtents)
        tasks = readTasks(file, size: after.size, extents: rereadExtents)
        rereadTasks += tasks
      }
      rereadTasks.removeAll()
      statistics.filesRead += 1
      statistics.bytesRead += dataBytes
      addAttributes(&entry, file: file)
      try await writer.append(entry)
    }
  }

  /// Marks a file that changed during every read: its copy may mix versions.
  private func markInconsistent(_ entry: inout ManifestEntry, reads: Int) {
    entry.isInconsistent = true
    report(
      entry.path,
      "kept changing while it was being read (\(reads) reads); stored marked inconsistent, "
        + "it may mix old and new bytes")
  }

  /// Reads the attributes after the content, from the same descriptor: a
  /// change of them meanwhile changes the ctime, which is reported, and the
  /// entry keeps the ctime from before the read, so the next backup reads
  /// the file again.
  private func addAttributes(_ entry: inout ManifestEntry, file: OpenSourceFile) {
    CrashPoint.reach("backup.attributes")
    if let problem = metadata.complete(&entry, attributesAt: .descriptor(file.descriptor)) {
      report(entry.path, problem)
    }
    if !entry.isInconsistent, let after = try? SystemCalls.status(of: file.descriptor), after.ctime != entry.ctime {
      report(entry.path, "changed while it was being read; the stored copy may be inconsistent")
    }
  }

  /// A small file read whole: read again (a few times) when it changed
  /// during the read, its attributes added, then its bytes go into a bundle.
  private func completeSmall(
    _ entry: inout ManifestEntry, file: OpenSourceFile, task: Task<SmallFileContent, any Error>, baseHadPath: Bool
  ) async throws {
    progress?.filesDone.add(1, ordering: .relaxed)
    smallBytesInWindow -= Int(entry.size)
    var content: SmallFileContent
    do {
      content = try await task.value
      var rereads = 0
      while let after = try? SystemCalls.status(of: file.descriptor),
        after.size != UInt64(content.bytes.count) || after.mtime != entry.mtime || after.ctime != entry.ctime
      {
        if rereads == Backup.rereadLimit || !writer.policy.isSmall(after.size) {
          markInconsistent(&entry, reads: rereads + 1)
          break
        }
        rereads += 1
        try stop.check()
        entry = ManifestEntry(path: entry.path, status: after)
        content = try SmallFileContent.read(file.descriptor, size: Int(after.size), store: store)
      }
    } catch let failure as Chunker.ReadFailure {
      report(entry.path, "cannot be read (\(failure.errno)); not backed up")
      if baseHadPath { try await writer.append(.removal(of: entry.path)) }
      return
    }
    entry.size = UInt64(content.bytes.count)
    statistics.filesRead += 1
    statistics.bytesRead += entry.size
    addAttributes(&entry, file: file)
    if content.bytes.isEmpty {
      // It shrank to nothing while it was read: an empty file, without objects.
      try await writer.append(entry)
    } else {
      try await writer.append(entry, file: content)
    }
  }

  /// Marks what is left of the base as removed, completes every slot and
  /// stores the manifest; returns its parts.
  func finish() async throws -> [ObjectID] {
    if base != nil {
      if !baseStarted {
        baseStarted = true
        baseHead = try await base!.next()
      }
      while let head = baseHead {
        window.append(.ready(.removal(of: head.path)))
        baseHead = try await base!.next()
      }
    }
    try await drain(keeping: 0)
    progress?.enter(.publishing)
    let parts = try await writer.finish()
    statistics.newObjects += writer.newObjects
    statistics.newBytes += writer.newBytes
    try await published.wait()
    return parts
  }

  /// Stops the reading tasks of a failed run.
  func cancel() {
    for slot in window[windowStart...] {
      switch slot {
      case .reading(_, _, let tasks, _): for task in tasks { task.cancel() }
      case .readingSmall(_, _, let task, _): task.cancel()
      case .ready, .done: break
      }
    }
    for task in rereadTasks { task.cancel() }
  }

  /// Waits until every reading task of this run has ended (after `cancel`),
  /// so that none writes an object after the run has cleaned up.
  func waitForReads() async {
    for slot in window {
      switch slot {
      case .reading(_, _, let tasks, _): for task in tasks { _ = try? await task.value }
      case .readingSmall(_, _, let task, _): _ = try? await task.value
      case .ready, .done: break
      }
    }
    for task in rereadTasks { _ = try? await task.value }
    await writer.cancel()
    try? await published.wait()
  }
}
