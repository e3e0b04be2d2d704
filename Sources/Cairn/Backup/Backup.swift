import Foundation
public import Logging
import Synchronization
import SystemPackage

/// Backs up source trees into a repository as one snapshot.
///
/// Order of writes: data objects and manifest parts (no fsync each), one
/// `syncfs` over the repository, then the snapshot record (temporary file,
/// fsync, rename, fsync of the directory). A crash before the record leaves
/// only unreferenced objects, which gc removes.
public struct Backup: Sendable {
  public static var hostName: String { SystemCalls.hostName }

  /// Files at most this many blocks long are read by one task; longer files
  /// are split so that several readers hash one large file.
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
  /// The source side's system calls (tests force errors there).
  let files: FileSystem

  public init(
    repository: Repository, logger: Logger, progress: BackupProgress? = nil,
    onProblem: @escaping @Sendable (BackupProblem) -> Void = { _ in }
  ) {
    self.init(repository: repository, logger: logger, progress: progress, files: .linux, onProblem: onProblem)
  }

  init(
    repository: Repository, logger: Logger, progress: BackupProgress? = nil, files: FileSystem,
    onProblem: @escaping @Sendable (BackupProblem) -> Void = { _ in }
  ) {
    self.repository = repository
    self.logger = logger
    self.progress = progress
    self.files = files
    self.onProblem = onProblem
  }

  /// Backs up `request` as one new snapshot. When the task is cancelled
  /// (the CLI does so on SIGINT, SIGTERM, SIGHUP), the readers stop, the
  /// pending objects this run wrote are removed, no record is written, and
  /// it throws `CancellationError`; so does any other failure clean up.
  public func run(_ request: BackupRequest) async throws -> BackupResult {
    try await run(Self.begin(request, repositoryPath: isRemote ? nil : repository.path, files: files))
  }

  /// Whether the repository is behind a server (S3): each existence check
  /// and write is a request, so the run lists objects once, holds less in
  /// its head start and readers, and stores several bundles at once.
  private var isRemote: Bool { !repository.storage.checksExistenceCheaply }

  /// Runs a backup begun with `begin`: the walk it started is taken over.
  func run(_ start: BackupStart) async throws -> BackupResult {
    defer { start.headStart.abandon() }
    return try await StopFlag.whileRunning { stop in try await run(start, stop: stop) }
  }

  /// A backup begun before its repository is ready: its sources resolved,
  /// and their walk under way (`WalkHeadStart`).
  struct BackupStart: Sendable {
    let request: BackupRequest
    let roots: [EntryPath]
    let missing: [EntryPath]
    let started: ContinuousClock.Instant
    let headStart: WalkHeadStart
  }

  /// Resolves `request`'s sources and starts walking them. Needs no
  /// repository, only the folder of a local one (`repositoryPath`), which
  /// the walk leaves out: it is known by its resolved directory (device
  /// and inode), not by the path as given, so a repository reached through
  /// a symlink into a source is still left out. Without one (a remote
  /// repository), the head start holds less: memory goes to uploads there.
  static func begin(_ request: BackupRequest, repositoryPath: String?, files: FileSystem) throws -> BackupStart {
    let started = ContinuousClock.now
    let openFiles = SystemCalls.raiseOpenFileLimit()
    let (roots, missing) = try resolveSources(request.sources, allowingMissing: true)
    var excluded: Set<TreeWalker.FileIdentity> = []
    if let repositoryPath,
      let status = (try? SystemCalls.canonicalPath(Array(repositoryPath.utf8))).flatMap({ try? files.linkStatus($0) })
    {
      excluded.insert(TreeWalker.FileIdentity(device: status.device, inode: status.inode))
    }
    var walker = TreeWalker(
      roots: roots, excluding: excluded, excludes: ExcludeMatcher(request.exclude), files: files)
    walker.rules = request.excludeRules
    // A third of the descriptors: the rest is for the files being read and the repository.
    let headStart = WalkHeadStart(
      walker, maximumDirectories: max(16, openFiles / 3),
      maximumBytes: repositoryPath == nil ? WalkHeadStart.remoteMaximumBytes : WalkHeadStart.maximumBytes)
    return BackupStart(request: request, roots: roots, missing: missing, started: started, headStart: headStart)
  }

  private func run(_ start: BackupStart, stop: StopFlag) async throws -> BackupResult {
    let (request, roots, missing, started) = (start.request, start.roots, start.missing, start.started)
    AllocatorTuning.apply()
    // A missing source stays in the record, so the snapshot stays in its group.
    let sourceNames = (roots + missing).sorted().map(\.description)
    let snapshots = try await repository.snapshots()
    if isRemote {
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
    var estimate: (sources: [EntryPath], exclude: [String])?
    if let progress {
      if let previous = snapshots.last(where: { $0.sources == sourceNames }) {
        progress.filesTotal.store(previous.statistics.files, ordering: .relaxed)
        progress.bytesTotal.store(previous.statistics.bytes, ordering: .relaxed)
      } else {
        estimate = (request.sources, request.exclude)
      }
    }
    logger.debug("backup planned", metadata: ["kind": "\(kind)", "base": "\(base?.id ?? "none")"])

    let reads = ReadQueue()
    // Bundles are stored on workers of their own, so an upload waiting for
    // the server does not hold a reader.
    let bundleStores = ReadQueue()
    let bundlesInFlight = isRemote ? BundleWriter.remoteStoresInFlight : 1
    let readers = Parallelism.backupReaders(remote: isRemote)
    let published = PublishSchedule.fromEnvironment(store: repository.store)
    let session = BackupSession(
      store: repository.store, blockSize: repository.config.blockSize,
      base: try base.map { ManifestReader(store: repository.store, parts: try $0.manifestObjects()) },
      files: files, reads: reads, bundleStores: bundleStores, bundlesInFlight: bundlesInFlight, published: published,
      progress: progress, stop: stop, onProblem: onProblem)
    for source in missing {
      session.report(source, "does not exist (is its drive mounted?); the snapshot holds the other sources")
    }
    session.parentTree = await ParentTree.open(
      for: base, host: request.host, sources: sourceNames, snapshots: snapshots, in: repository)
    var notes = note.map { [$0] } ?? []
    // Every task this run starts is a child of this group: the readers, the
    // bundle stores, the publisher and the estimate. On failure they are
    // stopped and awaited before the run removes what it left pending.
    return try await withThrowingTaskGroup(of: Void.self) { group in
      for _ in 0..<readers { group.addTask { await reads.work() } }
      for _ in 0..<bundlesInFlight { group.addTask { await bundleStores.work() } }
      group.addTask { await published.run() }
      let estimateStop = StopFlag()
      if let progress, let estimate {
        group.addTask {
          await BlockingPool.shared.run {
            progress.estimate(sources: estimate.sources, exclude: estimate.exclude, stop: estimateStop)
          }
        }
      }
      do {
        defer {
          estimateStop.set()
          reads.close()
          bundleStores.close()
          published.close()
        }
        try await walk(from: start.headStart, into: session, notes: &notes, stop: stop)
        let manifest = try await session.finish()
        try stop.check()
        try await repository.store.commit()
        await CrashPoint.reachSuspending("backup.record")
        try stop.check()
        var statistics = session.statistics
        statistics.durationSeconds = (ContinuousClock.now - started).seconds
        let record = try await writeRecord(
          request, kind: kind, base: base, sources: sourceNames, manifest: manifest, statistics: statistics)
        logger.debug("snapshot written", metadata: ["id": "\(record.id)"])
        return BackupResult(record: record, problems: session.problems, notes: notes, warnings: warnings)
      } catch {
        // Stop the readers and wait for every child, then remove what this
        // run left pending: the objects it published are unreferenced, for gc.
        stop.set()
        group.cancelAll()
        while (try? await group.next()) != nil {}
        await session.cancel()
        _ = try? await repository.storage.removeLeftovers(onlyOwn: true)
        throw error
      }
    }
  }

  /// Feeds the walk to `session`: first what the head start walked, then
  /// the rest, on `BlockingPool`, a batch of entries per hop, one batch
  /// ahead: the next batch is walked while the session takes the current
  /// one (an unchanged tree is then bound by the slower of the two, not by
  /// their sum).
  private func walk(
    from headStart: WalkHeadStart, into session: BackupSession, notes: inout [String], stop: StopFlag
  ) async throws {
    var walked = try await headStart.take()
    // Taken from the end so that each entry's memory (and its directory's
    // descriptor) goes as soon as the session has it.
    walked.events.reverse()
    while let event = walked.events.popLast() {
      try await take(event, into: session, notes: &notes, stop: stop)
    }
    // The emptied array keeps its capacity (a few MB) until released.
    walked.events = []
    if walked.finished { return }
    var next = Self.startBatch(of: walked.walker)
    while true {
      let (advanced, events) = try await next.value
      let isLast = events.count < Self.walkBatch
      if !isLast { next = Self.startBatch(of: advanced) }
      for event in events {
        try await take(event, into: session, notes: &notes, stop: stop)
      }
      if isLast { return }
    }
  }

  private func take(
    _ event: TreeWalker.Event, into session: BackupSession, notes: inout [String], stop: StopFlag
  ) async throws {
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

  /// Walks the next batch after `walker`'s position on `BlockingPool`; the
  /// result is the walker moved past it, and the batch. (Only reads: a
  /// batch nobody awaits, after a failure, ends on its own.)
  private static func startBatch(of walker: TreeWalker) -> PendingResult<(TreeWalker, [TreeWalker.Event])> {
    BlockingPool.shared.start {
      var walker = walker
      let events = walker.next(upTo: walkBatch)
      return (walker, events)
    }
  }

  /// Entries the walk describes per hop to `BlockingPool`.
  static let walkBatch = 64

  /// Writes the record of the new snapshot, after every record present now,
  /// whatever their dates say (the records are read again: another backup
  /// may have finished meanwhile).
  private func writeRecord(
    _ request: BackupRequest, kind: SnapshotKind, base: SnapshotRecord?, sources: [String], manifest: [ObjectID],
    statistics: SnapshotStatistics
  ) async throws -> SnapshotRecord {
    let present = try await repository.snapshots()
    let sequence = (present.map(\.sequence).max() ?? 0) + 1
    // Two snapshots never share a time either.
    var time = request.now
    while present.contains(where: { $0.time == Timestamps.format(time) }) { time += 0.001 }
    let record = SnapshotRecord(
      id: Timestamps.snapshotID(at: time), kind: kind, base: base?.id, time: Timestamps.format(time),
      host: request.host, sources: sources,
      blockSize: repository.config.blockSize, manifest: manifest, statistics: statistics, sequence: sequence,
      tags: request.tags)
    try await repository.writeSnapshot(record)
    return record
  }
}
