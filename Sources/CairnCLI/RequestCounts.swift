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

  /// Logs one line with the counts and, with `--verbose`, prints it.
  static func report(_ counts: S3RequestCounts?, log: OperationLog, output: OutputOptions) {
    guard let counts else { return }
    log.info(
      "S3 requests",
      [
        "put": "\(counts.put)", "get": "\(counts.get)", "head": "\(counts.head)", "list": "\(counts.list)",
        "delete": "\(counts.delete)", "retries": "\(counts.retries)",
      ])
    if output.verbose && !output.json { print("S3 requests: \(counts)") }
  }
}
