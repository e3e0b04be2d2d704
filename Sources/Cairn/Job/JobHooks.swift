import Foundation

/// Shell commands the scheduled job runs around a backup: `before` (a
/// failure aborts the run), `after` (when the run succeeded) and
/// `on_failure` (when it did not, also for exit status 3). Each command runs
/// with `/bin/sh -c`, inherits stdout and stderr, and sees the run in its
/// environment: CAIRN_HOOK, CAIRN_EXIT_STATUS, CAIRN_SNAPSHOT_ID,
/// CAIRN_LOG_FILE, CAIRN_REPOSITORY, CAIRN_CONFIG and CAIRN_RUN_ID.
public struct JobHooks: Sendable, Equatable {
  public enum Stage: String, Sendable {
    case before
    case after
    case onFailure = "on_failure"
  }

  public var before: [String] = []
  public var after: [String] = []
  public var onFailure: [String] = []

  public init() {}

  public var isEmpty: Bool { before.isEmpty && after.isEmpty && onFailure.isEmpty }

  public func commands(_ stage: Stage) -> [String] {
    switch stage {
    case .before: before
    case .after: after
    case .onFailure: onFailure
    }
  }

  /// The outcome of one stage's commands.
  public struct Failure: Error, Sendable, CustomStringConvertible {
    public let stage: Stage
    public let command: String
    public let status: Int32
    public var description: String {
      "\(stage.rawValue) hook '\(command)' failed with exit status \(status)"
    }
  }

  /// Runs `stage`'s commands in order with `environment` added to this
  /// process's; stops at the first that fails, and returns that failure.
  public func run(_ stage: Stage, environment: [String: String]) -> Failure? {
    for command in commands(stage) {
      let process = Process()
      process.executableURL = URL(fileURLWithPath: "/bin/sh")
      process.arguments = ["-c", command]
      var merged = ProcessInfo.processInfo.environment
      merged["CAIRN_HOOK"] = stage.rawValue
      for (key, value) in environment { merged[key] = value }
      process.environment = merged
      process.standardInput = FileHandle.nullDevice
      do {
        try process.run()
      } catch {
        return Failure(stage: stage, command: command, status: 127)
      }
      process.waitUntilExit()
      let status =
        process.terminationReason == .uncaughtSignal ? 128 + process.terminationStatus : process.terminationStatus
      if status != 0 { return Failure(stage: stage, command: command, status: status) }
    }
    return nil
  }
}
