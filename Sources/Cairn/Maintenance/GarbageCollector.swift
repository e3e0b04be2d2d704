public import Logging

/// What a garbage collection found and did.
public struct GarbageCollectionReport: Codable, Sendable, Equatable {
  public var snapshots = 0
  public var objectsScanned = 0
  public var bytesScanned: UInt64 = 0
  public var objectsReferenced = 0
  public var bytesReferenced: UInt64 = 0
  public var objectsDeleted = 0
  public var bytesFreed: UInt64 = 0
  /// Referenced objects that are not in the store (check reports what they break).
  public var objectsMissing = 0
  public var temporaryFilesRemoved = 0
  /// Things under a leftover's name that are not files: left alone, named here.
  public var leftoversSkipped: [String] = []
  public var dryRun = false

  public init() {}
}

/// Reference counting over the live snapshots: every object (data blocks and
/// manifest parts) gets the number of snapshots that reference it, and
/// objects whose count is zero are deleted.
///
/// Cost: one pass over every live snapshot's own manifest (a differential
/// counts only its own changes; its base is live, so the base's objects are
/// counted through the base), then one listing of the store. Memory is one
/// table entry per distinct referenced object (about 50 bytes), whatever the
/// number of snapshots: a million objects need about 50 MB.
///
/// Safety: it refuses to run when any snapshot record or manifest cannot be
/// read, because it could not know what that snapshot references. The caller
/// holds the exclusive lock, so no backup adds references while it counts.
/// A crash mid-way leaves only fewer unreferenced objects; the next run
/// finishes the job.
public struct GarbageCollector: Sendable {
  let repository: Repository
  let logger: Logger

  public init(repository: Repository, logger: Logger) {
    self.repository = repository
    self.logger = logger
  }

  struct ReferenceCount {
    var count: UInt32
    /// The last snapshot (by index) that counted this object, so a snapshot
    /// that uses a block many times counts once.
    var lastSnapshot: UInt32
  }

  /// Counts the references of every live snapshot.
  func countReferences(_ records: [SnapshotRecord]) async throws -> [ObjectID: ReferenceCount] {
    var counts: [ObjectID: ReferenceCount] = [:]
    func add(_ id: ObjectID, snapshot: UInt32) {
      if var existing = counts[id] {
        if existing.lastSnapshot != snapshot {
          existing.count += 1
          existing.lastSnapshot = snapshot
          counts[id] = existing
        }
      } else {
        counts[id] = ReferenceCount(count: 1, lastSnapshot: snapshot)
      }
    }
    for (index, record) in records.enumerated() {
      let snapshot = UInt32(index)
      let parts = try record.manifestObjects()
      for part in parts { add(part, snapshot: snapshot) }
      var reader = ManifestReader(store: repository.store, parts: parts)
      do {
        while let entry = try await reader.next() {
          for block in entry.blocks { add(block, snapshot: snapshot) }
        }
      } catch {
        throw CairnError(
          .corrupted,
          "gc stopped without deleting anything: the manifest of snapshot '\(record.id)' cannot be read (\(error)); "
            + "run 'cairn check' and forget or repair that snapshot first")
      }
    }
    return counts
  }

  public func run(dryRun: Bool) async throws -> GarbageCollectionReport {
    var report = GarbageCollectionReport()
    report.dryRun = dryRun
    let (records, damaged) = try await repository.loadSnapshots()
    if let first = damaged.first {
      throw CairnError(
        .corrupted,
        "gc stopped without deleting anything: \(first); move the record aside or remove it, then run gc again")
    }
    report.snapshots = records.count
    let counts = try await countReferences(records)
    logger.debug("references counted", metadata: ["objects": "\(counts.count)"])
    var present = 0
    var unreferenced: [ObjectID] = []
    try await repository.store.forEachObject { id, size in
      report.objectsScanned += 1
      report.bytesScanned += size
      if counts[id] != nil {
        present += 1
        report.objectsReferenced += 1
        report.bytesReferenced += size
        return
      }
      report.objectsDeleted += 1
      report.bytesFreed += size
      unreferenced.append(id)
    }
    report.objectsMissing = counts.count - present
    if !dryRun {
      // Batches of 1000: one DeleteObjects request on S3, a bounded loss of progress on a crash.
      var start = 0
      while start < unreferenced.count {
        let batch = Array(unreferenced[start..<min(start + 1000, unreferenced.count)])
        try await repository.store.delete(batch)
        for _ in batch { await CrashPoint.reachSuspending("gc.delete") }
        start += batch.count
      }
      let leftovers = try await repository.storage.removeLeftovers(onlyOwn: false)
      report.temporaryFilesRemoved = leftovers.files
      report.leftoversSkipped = leftovers.skipped
    }
    return report
  }
}
