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

  /// What a head start holds at most, estimated as `bytesPerEntry` plus
  /// each entry's path and name (`estimatedSize(of:)`). Measured on the
  /// benchmark corpus (62,110 entries, 20.9 MiB by this estimate), encrypted
  /// so that the whole key derivation is walked through: a first backup's
  /// peak RSS was 79 MB with 32,768 entries held, 92 MB with 65,536 and
  /// 94–96 MB with the whole walk (the bar is 100 MB), and an unchanged
  /// backup took 0.74, 0.69 and 0.62 s (medians of 3). A budget in bytes
  /// rather than entries also bounds trees of long paths.
  static let maximumBytes = 20 << 20
  /// The same for a remote repository (S3), where a backup's memory goes to
  /// objects in flight (8 MiB each, on 32 connections). A mutated backup of
  /// the corpus to the test gateway (the S3 scenario) peaked at 173–177 MB
  /// with 20 MiB, 152 with 10, 148–157 with 6 and 144–154 with 4 (the bar
  /// there is 150 MB; before the budget it was 147–153 with 32,768 entries).
  static let remoteMaximumBytes = 4 << 20
  /// An entry's event (144 bytes), its path's and name's array headers and
  /// the allocator's share, beyond the path and name bytes themselves.
  static let bytesPerEntry = 256

  static func estimatedSize(of event: TreeWalker.Event) -> Int {
    switch event {
    case .entry(let path, _, _, let name): bytesPerEntry + path.bytes.count + name.count
    case .problem(_, let message), .notice(_, let message): bytesPerEntry + message.utf8.count
    }
  }

  private let taken: StopFlag
  private let walked: PendingResult<Walked>

  /// Starts walking `walker` ahead on `pool`, entering at most
  /// `maximumDirectories` directories and holding about `maximumBytes`.
  init(
    _ walker: TreeWalker, maximumDirectories: Int, maximumBytes: Int = WalkHeadStart.maximumBytes,
    pool: BlockingPool = .shared
  ) {
    let taken = StopFlag()
    self.taken = taken
    walked = pool.start {
      var walker = walker
      var events: [TreeWalker.Event] = []
      // Reserved whole (pages are only touched as it fills): growing by
      // doubling would copy it and leave slack.
      events.reserveCapacity(maximumBytes / Self.bytesPerEntry + Backup.walkBatch)
      var held = 0
      var directories = 0
      while !taken.isSet, held < maximumBytes, directories < maximumDirectories {
        let batch = walker.next(upTo: Backup.walkBatch)
        events.append(contentsOf: batch)
        for event in batch {
          held += Self.estimatedSize(of: event)
          if case .entry(_, let status, _, _) = event, status.kind == .directory { directories += 1 }
        }
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
