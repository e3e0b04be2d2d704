import ArgumentParser
import Cairn
import Foundation
import Logging

/// The log of a run: one line per operation and per problem, in the
/// repository (`backup.log`, sealed when the repository is encrypted) or in
/// the job's `log_file`. A run that cannot open its log still runs; it just
/// logs nowhere.
struct OperationLog {
  let logger: Logger?
  /// The repository's own log, when that is where lines go.
  private let repositoryLog: RepositoryLog?

  /// Opens `path` (a `log_file`) for appending; nil logger when its directory does not exist.
  init(path: String?) {
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
    var logger = Logger(label: "cairn") { _ in RunLogHandler(file: sink, clock: { Terminal.now }) }
    logger[metadataKey: "pid"] = "\(ProcessInfo.processInfo.processIdentifier)"
    logger[metadataKey: "run"] = "\(Self.runID)"
    return logger
  }

  /// The log kept in the repository at `location`.
  static func inRepository(_ location: String) -> OperationLog {
    OperationLog(repositoryLog: RepositoryLog(localRepository: location))
  }

  /// Lines are written for `repository` from now on (sealed when it is encrypted).
  func attach(_ repository: Repository) {
    repositoryLog?.attach(repository)
  }

  /// Stores lines that wait for a remote repository.
  func flush() async {
    await repositoryLog?.flush()
  }

  /// This process's run id: every line one run writes carries it, so
  /// `grep run=ID` gives one run's lines.
  static let runID: String = {
    let random = String(UInt64.random(in: 0...UInt64.max) & 0xFFFF_FFFF_FFFF, radix: 16)
    return String(repeating: "0", count: 12 - random.count) + random
  }()

  func info(_ message: Logger.Message, _ metadata: Logger.Metadata = [:]) {
    logger?.info(message, metadata: metadata)
  }

  func warning(_ message: Logger.Message, _ metadata: Logger.Metadata = [:]) {
    logger?.warning(message, metadata: metadata)
  }

  func error(_ message: Logger.Message, _ metadata: Logger.Metadata = [:]) {
    logger?.error(message, metadata: metadata)
  }

  /// Logs an operation that failed before it could start (a broken config,
  /// a repository that could not be created): the failure and the end line.
  func failedBeforeStart(_ name: String, _ metadata: Logger.Metadata, error: any Error) {
    self.error("\(name) failed", metadata.merging(["error": "\(error)"]) { _, new in new })
    info("\(name) finished", ["status": "1"])
  }

  /// Runs `body` between a start line and an end line carrying the exit
  /// status; a failure is logged with its message before it propagates.
  func operation<T>(_ name: String, _ metadata: Logger.Metadata = [:], _ body: () async throws -> T) async throws -> T {
    info("\(name) started", metadata)
    do {
      let value = try await body()
      info("\(name) finished", ["status": "0"])
      await flush()
      return value
    } catch let exit as ExitCode {
      info("\(name) finished", ["status": "\(exit.rawValue)"])
      await flush()
      throw exit
    } catch  where Interruption.signal != nil {
      let signal = Interruption.signal ?? 0
      Terminal.error("cairn: \(name) interrupted by \(Interruption.name(of: signal))")
      self.error("\(name) interrupted", ["signal": "\(Interruption.name(of: signal))"])
      let exit = Interruption.exitCode(for: signal)
      info("\(name) finished", ["status": "\(exit.rawValue)"])
      throw exit
    } catch {
      self.error("\(name) failed", ["error": "\(error)"])
      info("\(name) finished", ["status": "1"])
      await flush()
      throw error
    }
  }
}
