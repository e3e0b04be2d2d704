import Cairn
import CairnS3
import Logging

/// The HTTP requests a command sent to an S3 repository so far, by kind, for
/// `--json` (`requests`), the run's log and `--verbose`; benchmarks record
/// them per scenario. A local repository sends none: no report.
enum RequestCounts {
  /// The counts of `repository`'s storage, or nil when it is not S3.
  static func of(_ repository: Repository) -> S3RequestCounts? {
    (repository.storage as? S3Storage)?.requestCounts
  }

  /// Logs one line with `repository`'s counts and, with `--verbose`,
  /// prints it; returns the counts.
  static func report(_ repository: Repository, log: OperationLog, output: OutputOptions) -> S3RequestCounts? {
    log.requests(of: repository)
    let counts = of(repository)
    if let counts, output.verbose && !output.json { print("S3 requests: \(counts)") }
    return counts
  }
}
