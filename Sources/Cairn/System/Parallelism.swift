import Foundation

/// How many things Cairn does at once, derived from the processors this
/// process may use (never from an assumed core count).
enum Parallelism {
  /// The active processor count, at least one.
  static var processors: Int { max(1, ProcessInfo.processInfo.activeProcessorCount) }

  /// Threads of `BlockingPool`: two per processor, so a core has work while
  /// another call waits for the disk; at least 4, at most 64.
  static var blockingThreads: Int { bounded(processors * 2, 4...64) }

  /// Segment and small-file reads a backup keeps in flight: each holds one
  /// block buffer, so memory stays bounded; at least 2, at most 32.
  static var backupReaders: Int { bounded(processors * 2, 2...32) }

  static func bounded(_ value: Int, _ range: ClosedRange<Int>) -> Int {
    min(max(value, range.lowerBound), range.upperBound)
  }
}
