import Synchronization
import SystemPackage

/// The state of one backup run: the in-order window between the walk and the
/// manifest writer, the base manifest being merged, and the statistics.
/// Used by one task only; its reads run on the backup's `ReadQueue`.
final class BackupSession {
  private enum Slot {
    case ready(ManifestEntry)
    case reading(ManifestEntry, Descriptor, [PendingResult<SegmentResult>], baseHadPath: Bool)
    /// A small file being read whole, for a bundle.
    case readingSmall(ManifestEntry, Descriptor, PendingResult<SmallFileContent>, baseHadPath: Bool)
    /// A file the walk found small, being opened and read in one job.
    case openingSmall(EntryPath, walkedSize: Int, PendingResult<SmallFileRead>, baseHadPath: Bool)
    /// Written to the manifest: what it held (a file's content, its descriptor) is let go.
    case done
  }

  private let store: ObjectStore
  private let chunker: Chunker
  private let writer: BundleWriter
  private let published: PublishSchedule
  /// Bytes of small files read (or being read) in the window.
  private var smallBytesInWindow = 0
  /// The base full's manifest, read alongside the walk (nil for a full).
  private var base: ManifestCursor<ManifestReader>?
  /// The newest snapshot of these sources, when it is not the base: files
  /// unchanged since it are not read again.
  var parentTree: ParentTree?
  private var window: [Slot] = []
  private var windowStart = 0
  private let onProblem: @Sendable (BackupProblem) -> Void
  private let progress: BackupProgress?
  private let stop: StopFlag
  private let files: FileSystem
  private let reads: ReadQueue
  private let metadata = EntryMetadataReader()
  private(set) var statistics = SnapshotStatistics()
  private(set) var problems: [BackupProblem] = []

  init(
    store: ObjectStore, blockSize: Int, base: ManifestReader?, files: FileSystem, reads: ReadQueue,
    bundleStores: ReadQueue, bundlesInFlight: Int, published: PublishSchedule, progress: BackupProgress?,
    stop: StopFlag,
    onProblem: @escaping @Sendable (BackupProblem) -> Void
  ) {
    self.stop = stop
    self.store = store
    self.files = files
    self.reads = reads
    self.chunker = Chunker(blockSize: blockSize, files: files, pool: .shared)
    self.published = published
    self.writer = BundleWriter(
      store: store, policy: BundlePolicy(blockSize: blockSize), queue: bundleStores, storesInFlight: bundlesInFlight,
      published: published)
    self.base = base.map { ManifestCursor($0) }
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
    try await base?.seek(path) { window.append(.ready(.removal(of: $0.path))) }
  }

  /// `entry` with its owner names and extended attributes, read by path on
  /// the pool.
  private func described(_ entry: ManifestEntry, parent: Descriptor, name: [UInt8]) async -> ManifestEntry {
    var entry = entry
    let files = self.files
    let target = AttributeTarget.entry(name, in: parent.raw, fullPath: entry.path.bytes)
    let attributes = await chunker.pool.run {
      withExtendedLifetime(parent) {
        Result { () throws(CairnError) in try EntryMetadataReader.attributes(of: target, files: files) }
      }
    }
    if let problem = metadata.complete(&entry, attributes: attributes) { report(entry.path, problem) }
    return entry
  }

  func add(path: EntryPath, status: FileStatus, parent: Descriptor, name: [UInt8]) async throws {
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
      if writer.policy.isSmall(status.size) {
        startOpeningSmall(path: path, size: status.size, parent: parent, name: name, baseHadPath: previous != nil)
      } else {
        await startReading(path: path, status: status, parent: parent, name: name, baseHadPath: previous != nil)
      }
    case .directory:
      statistics.directories += 1
      if let previous, previous.isUnchanged(comparedTo: status) { break }
      window.append(.ready(await described(ManifestEntry(path: path, status: status), parent: parent, name: name)))
    case .symlink:
      statistics.others += 1
      var entry = ManifestEntry(path: path, status: status)
      do {
        entry.symlinkTarget = try files.readSymlink(name, relativeTo: parent)
      } catch {
        report(path, "symlink cannot be read (\(error))")
        if previous != nil { window.append(.ready(.removal(of: path))) }
        break
      }
      if let previous, previous.isUnchanged(comparedTo: status), previous.symlinkTarget == entry.symlinkTarget { break }
      window.append(.ready(await described(entry, parent: parent, name: name)))
    case .fifo, .socket, .characterDevice, .blockDevice:
      statistics.others += 1
      if let previous, previous.isUnchanged(comparedTo: status) { break }
      window.append(.ready(await described(ManifestEntry(path: path, status: status), parent: parent, name: name)))
    case .removed:
      report(path, "has a file type Cairn does not know; not backed up")
      if previous != nil { window.append(.ready(.removal(of: path))) }
    }
    try await drain(keeping: Backup.windowSize)
  }

  /// Opens the file (`SourceFile.open`, one hop to `BlockingPool`) and
  /// queues its reads.
  private func startReading(
    path: EntryPath, status: FileStatus, parent: Descriptor, name: [UInt8], baseHadPath: Bool
  ) async {
    let files = self.files
    let opening = await BlockingPool.shared.run { () -> Result<SourceFile, Errno> in
      Result { () throws(Errno) in try SourceFile.open(name, in: parent, files: files) }
    }
    let source: SourceFile
    do {
      source = try opening.get()
    } catch {
      report(path, "cannot be read (\(error)); not backed up")
      if baseHadPath { window.append(.ready(.removal(of: path))) }
      return
    }
    let (file, opened, extents) = (source.file, source.status, source.extents)
    guard opened.kind == .file else {
      report(path, "was replaced by a \(opened.kind) during the backup; not backed up")
      if baseHadPath { window.append(.ready(.removal(of: path))) }
      return
    }
    var entry = ManifestEntry(path: path, status: opened)
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

  /// Queues the reads that read, hash and store the blocks of `file`'s
  /// first `size` bytes (only its data extents when it is sparse), one read
  /// per segment.
  private func readTasks(_ file: Descriptor, size: UInt64, extents: [DataExtent]?) -> [PendingResult<SegmentResult>] {
    if let extents { progress?.bytesDone.add(size - extents.reduce(0) { $0 + $1.length }, ordering: .relaxed) }
    let segmentLength = UInt64(max(chunker.blockSize, Backup.segmentBytes / chunker.blockSize * chunker.blockSize))
    var tasks: [PendingResult<SegmentResult>] = []
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
        reads.submit {
          var result = SegmentResult()
          for piece in pieces {
            let read = try await chunker.forEachBlock(of: file, from: piece.offset, length: piece.length) {
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

  /// Starts opening and reading a file the walk found small, without
  /// waiting: the window keeps many in flight on `BlockingPool`.
  private func startOpeningSmall(path: EntryPath, size: UInt64, parent: Descriptor, name: [UInt8], baseHadPath: Bool) {
    smallBytesInWindow += Int(size)
    let task = SmallFileRead.start(
      name, in: parent, policy: writer.policy, files: files, store: store, pool: chunker.pool)
    window.append(.openingSmall(path, walkedSize: Int(size), task, baseHadPath: baseHadPath))
  }

  /// Reads a small file whole (one task; its bytes go into a bundle in order).
  private func startReadingSmall(_ entry: ManifestEntry, file: Descriptor, baseHadPath: Bool) {
    let store = self.store
    let chunker = self.chunker
    let progress = self.progress
    let size = Int(entry.size)
    smallBytesInWindow += size
    let task = reads.submit {
      let content = try await SmallFileContent.read(file, size: size, chunker: chunker, store: store)
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
      smallBytesInWindow -= Int(entry.size)
      let content: SmallFileContent
      do {
        content = try await task.value
      } catch let failure as Chunker.ReadFailure {
        progress?.filesDone.add(1, ordering: .relaxed)
        try await leaveOut(entry.path, "cannot be read (\(failure.errno)); not backed up", baseHadPath: baseHadPath)
        return
      }
      try await completeSmall(&entry, file: file, content: content, baseHadPath: baseHadPath)
    case .openingSmall(let path, let walkedSize, let task, let baseHadPath):
      smallBytesInWindow -= walkedSize
      try await completeOpenedSmall(path: path, task: task, baseHadPath: baseHadPath)
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
          try await leaveOut(entry.path, "cannot be read (\(failure.errno)); not backed up", baseHadPath: baseHadPath)
          return
        }
        dataBytes = entry.size
        if let extents {
          entry.size = SparseMap.settle(&entry, extents: extents, dataBytes: entry.size, size: logicalSize)
        }
        // The same descriptor, so the same file: changed while it was read
        // when its size, mtime or ctime moved. Read it again, a few times.
        guard let after = try? files.status(of: file),
          after.size != entry.size || after.mtime != entry.mtime || after.ctime != entry.ctime
        else { break }
        if rereads == Backup.rereadLimit {
          markInconsistent(&entry, reads: rereads + 1)
          break
        }
        rereads += 1
        try stop.check()
        entry = ManifestEntry(path: entry.path, status: after)
        let rereadExtents = SparseMap.dataExtents(of: file, size: after.size, files: files)
        entry.setDataExtents(rereadExtents)
        tasks = readTasks(file, size: after.size, extents: rereadExtents)
      }
      statistics.filesRead += 1
      statistics.bytesRead += dataBytes
      await addAttributes(&entry, file: file)
      try await writer.append(entry)
    }
  }

  /// Leaves out a file found unreadable when its slot completes: reported,
  /// and marked removed when the base had it.
  private func leaveOut(_ path: EntryPath, _ message: String, baseHadPath: Bool) async throws {
    report(path, message)
    if baseHadPath { try await writer.append(.removal(of: path)) }
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
  private func addAttributes(_ entry: inout ManifestEntry, file: Descriptor) async {
    await CrashPoint.reachSuspending("backup.attributes")
    let files = self.files
    let (attributes, after) = await chunker.pool.run {
      let attributes = Result { () throws(CairnError) in
        try EntryMetadataReader.attributes(of: .descriptor(file.raw), files: files)
      }
      return (attributes, try? files.status(of: file))
    }
    if let problem = metadata.complete(&entry, attributes: attributes) { report(entry.path, problem) }
    if !entry.isInconsistent, let after, after.ctime != entry.ctime {
      report(entry.path, "changed while it was being read; the stored copy may be inconsistent")
    }
  }

  /// A file the walk found small, opened and read by `SmallFileRead`: when
  /// it did not change meanwhile, its entry is complete; otherwise it takes
  /// the path of any other file read (reread, or read in blocks).
  private func completeOpenedSmall(path: EntryPath, task: PendingResult<SmallFileRead>, baseHadPath: Bool) async throws
  {
    let read: SmallFileRead
    do {
      read = try await task.value
    } catch {
      let errno = (error as? Chunker.ReadFailure)?.errno ?? (error as? Errno)
      guard let errno else { throw error }
      progress?.filesDone.add(1, ordering: .relaxed)
      try await leaveOut(path, "cannot be read (\(errno)); not backed up", baseHadPath: baseHadPath)
      return
    }
    var entry = ManifestEntry(path: path, status: read.opened)
    switch read.outcome {
    case .notFile:
      try await leaveOut(
        path, "was replaced by a \(read.opened.kind) during the backup; not backed up", baseHadPath: baseHadPath)
    case .notSmall(let extents):
      entry.setDataExtents(extents)
      let tasks = readTasks(read.file, size: read.opened.size, extents: extents)
      try await complete(.reading(entry, read.file, tasks, baseHadPath: baseHadPath))
    case .content(let content, let attributes, let after):
      progress?.bytesDone.add(UInt64(content.bytes.count), ordering: .relaxed)
      guard let after, after.size == UInt64(content.bytes.count), after.mtime == entry.mtime else {
        // The content changed while it was read: read again, as any file.
        try await completeSmall(&entry, file: read.file, content: content, baseHadPath: baseHadPath)
        return
      }
      progress?.filesDone.add(1, ordering: .relaxed)
      statistics.filesRead += 1
      statistics.bytesRead += entry.size
      if let problem = metadata.complete(&entry, attributes: attributes) { report(path, problem) }
      // Only the metadata changed meanwhile (an attribute, the mode): as in
      // `addAttributes`, reported, and the entry keeps the ctime from before
      // the read, so the next backup reads the file again.
      if after.ctime != entry.ctime {
        report(path, "changed while it was being read; the stored copy may be inconsistent")
      }
      if content.bytes.isEmpty {
        try await writer.append(entry)
      } else {
        try await writer.append(entry, file: content)
      }
    }
  }

  /// A small file read whole: read again (a few times) when it changed
  /// during the read, its attributes added, then its bytes go into a bundle.
  private func completeSmall(
    _ entry: inout ManifestEntry, file: Descriptor, content first: SmallFileContent, baseHadPath: Bool
  ) async throws {
    progress?.filesDone.add(1, ordering: .relaxed)
    var content = first
    do {
      var rereads = 0
      while let after = try? files.status(of: file),
        after.size != UInt64(content.bytes.count) || after.mtime != entry.mtime || after.ctime != entry.ctime
      {
        if rereads == Backup.rereadLimit || !writer.policy.isSmall(after.size) {
          markInconsistent(&entry, reads: rereads + 1)
          break
        }
        rereads += 1
        try stop.check()
        entry = ManifestEntry(path: entry.path, status: after)
        content = try await SmallFileContent.read(file, size: Int(after.size), chunker: chunker, store: store)
      }
    } catch let failure as Chunker.ReadFailure {
      try await leaveOut(entry.path, "cannot be read (\(failure.errno)); not backed up", baseHadPath: baseHadPath)
      return
    }
    entry.size = UInt64(content.bytes.count)
    statistics.filesRead += 1
    statistics.bytesRead += entry.size
    await addAttributes(&entry, file: file)
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
    try await base?.finish { window.append(.ready(.removal(of: $0.path))) }
    try await drain(keeping: 0)
    progress?.enter(.publishing)
    let parts = try await writer.finish()
    statistics.newObjects += writer.newObjects
    statistics.newBytes += writer.newBytes
    try await published.wait()
    return parts
  }

  /// After a failed run, whose reads have ended: waits for the bundle
  /// being stored and the commit in flight, so nothing writes after the run
  /// cleans up.
  func cancel() async {
    await writer.cancel()
    try? await published.wait()
  }
}
