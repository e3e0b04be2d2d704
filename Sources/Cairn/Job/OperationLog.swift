import Foundation
public import Logging

/// The log of a run: one line per operation and per problem, in the
/// repository (`backup.log`, sealed when the repository is encrypted) or in
/// the job's `log_file`. A run that cannot open its log still runs; it just
/// logs nowhere.
public struct OperationLog: Sendable {
  public let logger: Logger?
  /// The repository's own log, when that is where lines go.
  private let repositoryLog: RepositoryLog?

  /// Opens `path` (a `log_file`) for appending; nil logger when its directory does not exist.
  public init(path: String?) {
    repositoryLog = nil
    guard let path, let file = try? RunLogFile(path: path) else {
      logger = nil
      return
    }
    logger = Self.logger(writingTo: file)
  }

  private init(repositoryLog: RepositoryLog) {
    self.repositoryLog = repositoryLog
    logger = Self.logger(writingTo: repositoryLog)
  }

  private static func logger(writingTo sink: any RunLogSink) -> Logger {
    var logger = Logger(label: "cairn") { _ in RunLogHandler(file: sink) }
    logger[metadataKey: "pid"] = "\(ProcessInfo.processInfo.processIdentifier)"
    logger[metadataKey: "run"] = "\(Self.runID)"
    return logger
  }

  /// The log kept in the repository: the local folder's `backup.log` when
  /// `localPath` is a repository, else lines wait for `attach`.
  public static func inRepository(_ localPath: String?) -> OperationLog {
    OperationLog(repositoryLog: RepositoryLog(localRepository: localPath))
  }

  /// Where a local repository keeps its log.
  public static func defaultFile(inRepository localPath: String) -> String {
    "\(localPath)/\(LocalStorage.logName)"
  }

  /// Lines are written for `repository` from now on (sealed when it is encrypted).
  public func attach(_ repository: Repository) {
    repositoryLog?.attach(repository)
  }

  /// Stores lines that wait for a remote repository.
  public func flush() async {
    await repositoryLog?.flush()
  }

  /// This process's run id: every line one run writes carries it, so
  /// `grep run=ID` gives one run's lines.
  public static let runID: String = {
    let random = String(UInt64.random(in: 0...UInt64.max) & 0xFFFF_FFFF_FFFF, radix: 16)
    return String(repeating: "0", count: 12 - random.count) + random
  }()

  /// Logs the requests `repository`'s storage has sent so far (an
  /// `S3 requests` line), when it sends any.
  public func requests(of repository: Repository) {
    guard let report = repository.storage.requestReport else { return }
    info("\(report.message)", report.fields.mapValues { "\($0)" })
  }

  public func info(_ message: Logger.Message, _ metadata: Logger.Metadata = [:]) {
    logger?.info(message, metadata: metadata)
  }

  public func warning(_ message: Logger.Message, _ metadata: Logger.Metadata = [:]) {
    logger?.warning(message, metadata: metadata)
  }

  public func error(_ message: Logger.Message, _ metadata: Logger.Metadata = [:]) {
    logger?.error(message, metadata: metadata)
  }

  /// Logs an operation that failed before it could start (a broken config,
  /// a repository that could not be created): the failure and the end line.
  public func failedBeforeStart(_ name: String, _ metadata: Logger.Metadata, error: any Error) {
    self.error("\(name) failed", metadata.merging(["error": "\(error)"]) { _, new in new })
    info("\(name) finished", ["status": "1"])
  }
}
