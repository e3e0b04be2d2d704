/// The first part of a backup's walk, made while the backup is not yet ready
/// to take it: while the repository opens (deriving an encrypted
/// repository's key takes about 0.4 s of one core), the lock is taken, and
/// the snapshots and the base manifest are read, a `BlockingPool` thread
/// walks the sources ahead on the other core.
///
/// It walks until the backup takes what it has, the walk ends, or a limit
/// is reached: entries held (memory) and directories entered (each walked
/// entry keeps its directory's descriptor open until the backup has used it).
final class WalkHeadStart: Sendable {
  struct Walked: Sendable {
    /// The walker where the head start stopped: the backup walks on from here.
    var walker: TreeWalker
    /// What it walked, in walk order.
    var events: [TreeWalker.Event]
    /// True when that was the whole walk.
    var finished: Bool
  }

  /// Entries a head start holds at most: about 10 MB. Measured on the
  /// benchmark corpus (encrypted, so the whole key derivation is walked
  /// through): 65,536 raised a first backup's peak RSS from 64–70 MB to
  /// 102 MB, 32,768 to 92 MB.
  static let maximumEntries = 32_768

  private let taken: StopFlag
  private let walked: PendingResult<Walked>

  /// Starts walking `walker` ahead on `pool`, entering at most
  /// `maximumDirectories` directories.
  init(_ walker: TreeWalker, maximumDirectories: Int, pool: BlockingPool = .shared) {
    let taken = StopFlag()
    self.taken = taken
    walked = pool.start {
      var walker = walker
      var events: [TreeWalker.Event] = []
      var directories = 0
      while !taken.isSet, events.count < Self.maximumEntries, directories < maximumDirectories {
        let batch = walker.next(upTo: Backup.walkBatch)
        events.append(contentsOf: batch)
        for case .entry(_, let status, _, _) in batch where status.kind == .directory { directories += 1 }
        if batch.count < Backup.walkBatch { return Walked(walker: walker, events: events, finished: true) }
      }
      return Walked(walker: walker, events: events, finished: false)
    }
  }

  /// Stops walking ahead (within one batch) and returns what was walked.
  func take() async throws -> Walked {
    taken.set()
    return try await walked.value
  }

  /// What it walked once it stopped by itself, at a limit or at the end
  /// (tests use it; a backup calls `take()`).
  func stoppedByItself() async throws -> Walked {
    try await walked.value
  }

  /// Stops walking ahead; for a backup that will not take it.
  func abandon() { taken.set() }
}
