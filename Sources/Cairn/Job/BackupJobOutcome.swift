extension BackupJob {
  /// What happens while the job runs, for a caller that shows it.
  public enum Event: Sendable {
    case fileSkipped(BackupProblem)
    /// The repository is locked by another process; the job waits.
    case waitingForLock(String)
    /// The snapshot is saved; retention and gc may follow.
    case snapshotSaved(BackupResult)
    /// An `on_failure` hook failed (a failing `before` or `after` hook is thrown instead).
    case hookFailed(JobHooks.Failure)
  }

  /// What a run did.
  public enum Outcome: Sendable {
    /// `ifDue`, and the newest snapshot of these sources is younger than the interval.
    case notDue(newest: SnapshotRecord, intervalHours: Double)
    case saved(SavedRun)

    /// 0, or 3 when the snapshot was saved without some files.
    public var exitStatus: Int32 {
      guard case .saved(let run) = self, !run.backup.problems.isEmpty else { return 0 }
      return 3
    }
  }

  /// A run that saved a snapshot.
  public struct SavedRun: Sendable {
    public let backup: BackupResult
    /// The repository the job used, for what its storage can report (S3 request counts).
    public let repository: Repository
    public var retention: RetentionRun?
  }

  /// Retention and gc after the backup.
  public struct RetentionRun: Sendable {
    public let plan: RetentionPlan
    public let collected: GarbageCollectionReport
    /// Snapshots dated ahead of the job's clock that retention looked at.
    public let clockWarnings: [String]
  }

  /// The signal that stopped a run, as the caller that handles signals knows it.
  public struct Stop: Sendable {
    public let signalName: String
    public let exitStatus: Int32

    public init(signalName: String, exitStatus: Int32) {
      self.signalName = signalName
      self.exitStatus = exitStatus
    }
  }
}
