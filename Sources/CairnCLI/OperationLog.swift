import ArgumentParser
import Cairn
import Foundation
import Logging

/// The `backup.log` of a run: one line per operation and per problem. A run
/// that cannot open its log still runs; it just logs nowhere.
struct OperationLog {
  let logger: Logger?

  /// Opens `path` for appending; nil logger when its directory does not exist.
  init(path: String?) {
    guard let path, let file = try? RunLogFile(path: path) else {
      logger = nil
      return
    }
    var logger = Logger(label: "cairn") { _ in RunLogHandler(file: file, clock: { Terminal.now }) }
    logger[metadataKey: "pid"] = "\(ProcessInfo.processInfo.processIdentifier)"
    logger[metadataKey: "run"] = "\(Self.runID)"
    self.logger = logger
  }

  /// This process's run id: every line one run writes carries it, so
  /// `grep run=ID` gives one run's lines.
  static let runID: String = {
    let random = String(UInt64.random(in: 0...UInt64.max) & 0xFFFF_FFFF_FFFF, radix: 16)
    return String(repeating: "0", count: 12 - random.count) + random
  }()

  /// The log in a repository directory, if it is one.
  static func inRepository(_ path: String) -> OperationLog {
    let isRepository = FileManager.default.fileExists(atPath: "\(path)/config.json")
    return OperationLog(path: isRepository ? "\(path)/backup.log" : nil)
  }

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
      return value
    } catch let exit as ExitCode {
      info("\(name) finished", ["status": "\(exit.rawValue)"])
      throw exit
    } catch {
      self.error("\(name) failed", ["error": "\(error)"])
      info("\(name) finished", ["status": "1"])
      throw error
    }
  }
}
