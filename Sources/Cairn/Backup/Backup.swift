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

  public init(
    sources: [String], kind: Kind, now: Date = Date(), host: String = Backup.hostName, exclude: [String] = []
  ) {
    self.init(sourcePaths: sources.map(EntryPath.init), kind: kind, now: now, host: host, exclude: exclude)
  }

  public init(
    sourcePaths: [EntryPath], kind: Kind, now: Date = Date(), host: String = Backup.hostName, exclude: [String] = []
  ) {
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

  public func run(_ request: BackupRequest) async throws -> BackupResult {
    let started = ContinuousClock.now
    SystemCalls.raiseOpenFileLimit()
    AllocatorTuning.apply()
    let roots = try Self.resolveSources(request.sources)
    let sourceNames = roots.map(\.description)
    let snapshots = try await repository.snapshots()
    let (kind, base, note) = Self.plan(request, sources: sourceNames, snapshots: snapshots)
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

    let repositoryStatus = try? SystemCalls.linkStatus(Array(repository.path.utf8))
    var excluded: Set<TreeWalker.FileIdentity> = []
    if let repositoryStatus {
      excluded.insert(TreeWalker.FileIdentity(device: repositoryStatus.device, inode: repositoryStatus.inode))
    }
    let session = BackupSession(
      store: repository.store, blockSize: repository.config.blockSize,
      base: try base.map { ManifestReader(store: repository.store, parts: try $0.manifestObjects()) },
      progress: progress, onProblem: onProblem)
    var walker = TreeWalker(roots: roots, excluding: excluded, excludes: ExcludeMatcher(request.exclude))
    var notes = note.map { [$0] } ?? []
    defer { walker.closeAll() }
    do {
      while let event = walker.next() {
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
      try await repository.store.commit()
      CrashPoint.reach("backup.record")
      var statistics = session.statistics
      statistics.durationSeconds = (ContinuousClock.now - started).seconds
      // Two snapshots never share a time, so "newest" is never a coin toss.
      var time = request.now
      while snapshots.contains(where: { $0.time == Timestamps.format(time) }) { time += 0.001 }
      let record = SnapshotRecord(
        id: Timestamps.snapshotID(at: time), kind: kind, base: base?.id, time: Timestamps.format(time),
        host: request.host, sources: sourceNames,
        blockSize: repository.config.blockSize, manifest: manifest, statistics: statistics)
      try await repository.writeSnapshot(record)
      logger.debug("snapshot written", metadata: ["id": "\(record.id)"])
      return BackupResult(record: record, problems: session.problems, notes: notes)
    } catch {
      // Stop the reads in flight, wait for them, and take back what this run
      // wrote but never published: a failed run leaves no debris.
      await session.cancel()
      _ = try? await repository.storage.removeLeftovers(onlyOwn: true)
      throw error
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
  private var window: [Slot] = []
  private var windowStart = 0
  private let onProblem: @Sendable (BackupProblem) -> Void
  private let progress: BackupProgress?
  private(set) var statistics = SnapshotStatistics()
  private(set) var problems: [BackupProblem] = []

  init(
    store: ObjectStore, blockSize: Int, base: ManifestReader?, progress: BackupProgress?,
    onProblem: @escaping @Sendable (BackupProblem) -> Void
  ) {
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
      startReading(path: path, status: status, parent: parent, name: name, baseHadPath: previous != nil)
    case .directory:
      statistics.directories += 1
      if let previous, previous.isUnchanged(comparedTo: status) { break }
      window.append(.ready(ManifestEntry(path: path, status: status)))
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
      window.append(.ready(entry))
    case .fifo, .socket, .characterDevice, .blockDevice:
      statistics.others += 1
      if let previous, previous.isUnchanged(comparedTo: status) { break }
      window.append(.ready(ManifestEntry(path: path, status: status)))
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
    let entry = ManifestEntry(path: path, status: opened)
    if writer.policy.isSmall(opened.size) {
      startReadingSmall(entry, file: file, baseHadPath: baseHadPath)
      return
    }
    let segmentLength = UInt64(max(chunker.blockSize, Backup.segmentBytes / chunker.blockSize * chunker.blockSize))
    var tasks: [Task<SegmentResult, any Error>] = []
    var offset: UInt64 = 0
    let store = self.store
    let chunker = self.chunker
    let progress = self.progress
    let published = self.published
    while offset < opened.size {
      let start = offset
      let length = min(segmentLength, opened.size - offset)
      tasks.append(
        Task {
          var result = SegmentResult()
          result.bytes = try await chunker.forEachBlock(of: file.descriptor, from: start, length: length) { block in
            let stored = try await store.put(block)
            if let size = stored.storedSize {
              published.wrote(size)
              CrashPoint.reach("backup.object")
              result.newObjects += 1
              result.newBytes += size
            }
            result.blocks.append(stored.id)
            progress?.bytesDone.add(UInt64(block.count), ordering: .relaxed)
            CrashPoint.reach("backup.block")
          }
          return result
        })
      offset += length
    }
    window.append(.reading(entry, file, tasks, baseHadPath: baseHadPath))
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
      CrashPoint.reach("backup.block")
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
    case .reading(var entry, let file, let tasks, let baseHadPath):
      progress?.filesDone.add(1, ordering: .relaxed)
      var failure: Chunker.ReadFailure?
      entry.size = 0
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
        report(entry.path, "cannot be read (\(failure.errno)); not backed up")
        if baseHadPath { try await writer.append(.removal(of: entry.path)) }
        return
      }
      statistics.filesRead += 1
      statistics.bytesRead += entry.size
      if let after = try? SystemCalls.status(of: file.descriptor),
        after.size != entry.size || after.mtime != entry.mtime || after.ctime != entry.ctime
      {
        report(entry.path, "changed while it was being read; the stored copy may be inconsistent")
      }
      try await writer.append(entry)
    case .readingSmall(var entry, let file, let task, let baseHadPath):
      progress?.filesDone.add(1, ordering: .relaxed)
      smallBytesInWindow -= Int(entry.size)
      let content: SmallFileContent
      do {
        content = try await task.value
      } catch let failure as Chunker.ReadFailure {
        report(entry.path, "cannot be read (\(failure.errno)); not backed up")
        if baseHadPath { try await writer.append(.removal(of: entry.path)) }
        return
      }
      entry.size = UInt64(content.bytes.count)
      statistics.filesRead += 1
      statistics.bytesRead += entry.size
      if let after = try? SystemCalls.status(of: file.descriptor),
        after.size != entry.size || after.mtime != entry.mtime || after.ctime != entry.ctime
      {
        report(entry.path, "changed while it was being read; the stored copy may be inconsistent")
      }
      if content.bytes.isEmpty {
        // It shrank to nothing while it was read: an empty file, without objects.
        try await writer.append(entry)
      } else {
        try await writer.append(entry, file: content)
      }
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
    let parts = try await writer.finish()
    statistics.newObjects += writer.newObjects
    statistics.newBytes += writer.newBytes
    try await published.wait()
    return parts
  }

  /// Stops the reading tasks of a failed run and waits until they have.
  func cancel() async {
    for slot in window[windowStart...] {
      switch slot {
      case .reading(_, _, let tasks, _): for task in tasks { task.cancel() }
      case .readingSmall(_, _, let task, _): task.cancel()
      case .ready, .done: break
      }
    }
    for slot in window[windowStart...] {
      switch slot {
      case .reading(_, _, let tasks, _): for task in tasks { _ = try? await task.value }
      case .readingSmall(_, _, let task, _): _ = try? await task.value
      case .ready, .done: break
      }
    }
    await writer.cancel()
    try? await published.wait()
  }
}
