/// Which snapshots `forget --keep N` keeps and removes.
public struct RetentionPlan: Sendable {
  /// Kept because they are among the newest N.
  public var keptByCount: [SnapshotRecord] = []
  /// Kept beyond the count because a kept differential is based on them.
  public var keptAsBase: [SnapshotRecord] = []
  public var removed: [SnapshotRecord] = []

  /// Keeps the newest `keep` snapshots, and every full that a kept
  /// differential depends on: a differential never loses its base.
  /// `snapshots` must be oldest first, as `Repository.snapshots()` returns them.
  public init(snapshots: [SnapshotRecord], keep: Int) {
    precondition(keep > 0, "retention keeps at least one snapshot")
    let newest = snapshots.suffix(keep)
    let keptIDs = Set(newest.map(\.id))
    let neededBases = Set(newest.compactMap { $0.kind == .differential ? $0.base : nil })
    for record in snapshots {
      if keptIDs.contains(record.id) {
        keptByCount.append(record)
      } else if neededBases.contains(record.id) {
        keptAsBase.append(record)
      } else {
        removed.append(record)
      }
    }
  }
}

/// Removes snapshot records; their space comes back with gc.
public struct Forget: Sendable {
  let repository: Repository

  public init(repository: Repository) { self.repository = repository }

  /// Applies `plan`, each removal durable before the next. Differentials go first, before any
  /// full, so a crash in between never leaves a differential
  /// without its base.
  public func apply(_ plan: RetentionPlan) async throws {
    let differentials = plan.removed.filter { $0.kind == .differential }
    let fulls = plan.removed.filter { $0.kind == .full }
    for batch in [differentials, fulls] where !batch.isEmpty {
      for record in batch {
        try await repository.deleteSnapshots([record.id])
        CrashPoint.reach("forget.delete")
      }
    }
  }
}
