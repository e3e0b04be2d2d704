import Synchronization

/// Counters a running backup updates and a progress display reads, from
/// any thread.
public final class BackupProgress: Sendable {
  /// The counters at one moment.
  public struct Reading: Sendable {
    public let filesDone: Int
    public let bytesDone: UInt64
    /// Estimated totals; zero while unknown.
    public let filesTotal: Int
    public let bytesTotal: UInt64
  }

  let filesDone = Atomic<Int>(0)
  let bytesDone = Atomic<UInt64>(0)
  /// Estimated totals (from the previous snapshot of the same sources, or a
  /// counting walk).
  let filesTotal = Atomic<Int>(0)
  let bytesTotal = Atomic<UInt64>(0)

  public init() {}

  public func read() -> Reading {
    Reading(
      filesDone: filesDone.load(ordering: .relaxed), bytesDone: bytesDone.load(ordering: .relaxed),
      filesTotal: filesTotal.load(ordering: .relaxed), bytesTotal: bytesTotal.load(ordering: .relaxed))
  }

  /// Counts files and bytes under `roots` without reading files, for an
  /// estimate when no earlier snapshot gives one.
  func estimate(sources: [EntryPath], exclude: [String]) {
    guard let roots = try? Backup.resolveSources(sources) else { return }
    var walker = TreeWalker(roots: roots, excludes: ExcludeMatcher(exclude))
    defer { walker.closeAll() }
    var files = 0
    var bytes: UInt64 = 0
    while let event = walker.next() {
      if case .entry(_, let status, _, _) = event, status.kind == .file {
        files += 1
        bytes += status.size
      }
    }
    filesTotal.store(files, ordering: .relaxed)
    bytesTotal.store(bytes, ordering: .relaxed)
  }
}
