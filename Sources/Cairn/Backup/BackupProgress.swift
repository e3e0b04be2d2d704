import Synchronization

/// Counters a running backup (or restore) updates and a progress display
/// reads, from any thread.
public final class BackupProgress: Sendable {
  /// What the run is doing.
  public enum Phase: Int, Sendable {
    /// Reading (or, for a restore, writing) files: the counters move.
    case transferring = 0
    /// Every file is read; manifest, durability and record are being written.
    case publishing = 1
  }

  /// The counters at one moment.
  public struct Reading: Sendable {
    public let filesDone: Int
    public let bytesDone: UInt64
    /// Estimated totals; zero while unknown.
    public let filesTotal: Int
    public let bytesTotal: UInt64
    public let phase: Phase
  }

  let filesDone = Atomic<Int>(0)
  let bytesDone = Atomic<UInt64>(0)
  /// Estimated totals (from the previous snapshot of the same sources, or a
  /// counting walk).
  let filesTotal = Atomic<Int>(0)
  let bytesTotal = Atomic<UInt64>(0)
  let phaseValue = Atomic<Int>(Phase.transferring.rawValue)

  public init() {}

  func enter(_ phase: Phase) { phaseValue.store(phase.rawValue, ordering: .relaxed) }

  /// Sets the estimated totals.
  func expect(files: Int, bytes: UInt64) {
    filesTotal.store(files, ordering: .relaxed)
    bytesTotal.store(bytes, ordering: .relaxed)
  }

  /// Counts one file of `size` bytes as done.
  func fileDone(bytes size: UInt64) {
    filesDone.add(1, ordering: .relaxed)
    bytesDone.add(size, ordering: .relaxed)
  }

  public func read() -> Reading {
    Reading(
      filesDone: filesDone.load(ordering: .relaxed), bytesDone: bytesDone.load(ordering: .relaxed),
      filesTotal: filesTotal.load(ordering: .relaxed), bytesTotal: bytesTotal.load(ordering: .relaxed),
      phase: Phase(rawValue: phaseValue.load(ordering: .relaxed)) ?? .transferring)
  }

  /// Counts files and bytes under `roots` without reading files, for an
  /// estimate when no earlier snapshot gives one. Blocks (run it on
  /// `BlockingPool`); gives up when `stop` is set.
  func estimate(sources: [EntryPath], exclude: [String], stop: StopFlag) {
    guard let roots = try? Backup.resolveSources(sources) else { return }
    var walker = TreeWalker(roots: roots, excludes: ExcludeMatcher(exclude))
    var files = 0
    var bytes: UInt64 = 0
    while !stop.isSet, let event = walker.next() {
      if case .entry(_, let status, _, _) = event, status.kind == .file {
        files += 1
        bytes += status.size
      }
    }
    guard !stop.isSet else { return }
    filesTotal.store(files, ordering: .relaxed)
    bytesTotal.store(bytes, ordering: .relaxed)
  }
}
