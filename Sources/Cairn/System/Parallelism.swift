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

  /// The same for a backup to a remote repository: one per processor and
  /// one more. There a reader holds its block and the block's sealed copy
  /// (8 MiB each with S3's blocks) until the upload ends, and bundles upload
  /// alongside on workers of their own. On two cores, against the gateway:
  /// four readers peaked at 135–154 MB in the S3 scenario, three at 117–132,
  /// and with four bundles in flight instead of three a first backup was no
  /// slower (6.79 s against 7.07, medians of 3).
  static func backupReaders(remote: Bool) -> Int {
    remote ? bounded(processors + 1, 2...32) : backupReaders
  }

  static func bounded(_ value: Int, _ range: ClosedRange<Int>) -> Int {
    min(max(value, range.lowerBound), range.upperBound)
  }
}
