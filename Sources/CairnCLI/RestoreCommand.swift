import ArgumentParser
import Cairn
import CairnS3
import Logging

struct RestoreCommand: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "restore",
    abstract: "Restore a snapshot into a target directory.",
    discussion: """
      Files land at TARGET/<absolute source path>/…; every block is verified as it is read. \
      SNAPSHOT is an id, a unique prefix of one, or 'latest'.
      """)

  @OptionGroup var repository: RepositoryOptions

  @Argument(help: "The snapshot: an id, a unique id prefix, or 'latest'.")
  var snapshot: String

  @Argument(help: "The directory to restore into (created if missing; must be empty unless --overwrite).")
  var target: String

  @Option(name: .customLong("include"), help: "Restore only this absolute path and what lies below it (repeatable).")
  var includes: [String] = []

  @Flag(help: "Restore into a non-empty target, replacing files in the way.")
  var overwrite = false

  @Flag(help: "As root, set owners by the stored numeric ids only, not by the stored user and group names.")
  var numericOwner = false

  @OptionGroup var output: OutputOptions

  func run() async throws {
    let path = try repository.repositoryPath()
    let log = OperationLog.inRepository(path)
    try await Interruption.run { [self] in
      try await log.operation("restore", ["snapshot": "\(snapshot)", "target": "\(target)"]) {
        try await restore(path, log: log)
      }
    }
  }

  private func restore(_ path: String, log: OperationLog) async throws {
    let repo = try await repository.open()
    log.attach(repo)
    let lock = try await repository.lock(repo, .shared)
    defer { withExtendedLifetime(lock) {} }
    let record = try await repo.resolveSnapshot(snapshot)
    let progress = !output.quiet && !output.json && Terminal.isInteractive ? BackupProgress() : nil
    let display = progress.map { ProgressDisplay(progress: $0, verb: "restoring") }
    defer { display?.stop() }
    let restore = Restore(repository: repo, logger: Logger(label: "cairn.restore"), progress: progress) { problem in
      display?.clear()
      Terminal.error("error: \(problem)")
      log.error("restore problem", ["problem": "\(problem)"])
    } onWarning: { warning in
      Terminal.error("warning: \(warning)")
      log.warning("restore warning", ["warning": "\(warning)"])
    }
    var request =
      RestoreRequest(
        snapshot: record, targetPath: RawArguments.path(target), overwrite: overwrite,
        includes: includes.map { include in
          let bytes = RawArguments.bytes(of: include)
          let slash = UInt8(ascii: "/")
          return EntryPath(bytes: bytes.first == slash ? bytes : [slash] + bytes)
        })
    request.numericOwner = numericOwner
    let result = try await restore.run(request)
    display?.stop()
    let requests = RequestCounts.report(repo, log: log, output: output)
    if output.json {
      print(try Terminal.json(RestoreOutput(snapshot: record.id, target: target, result: result, requests: requests)))
    }
    if output.showsSummary {
      print(
        "restored snapshot \(record.id) to '\(target)': \(result.files) files, \(result.directories) directories, "
          + "\(result.others) other entries, \(Terminal.bytes(result.bytes))")
    }
    if !result.problems.isEmpty {
      Terminal.error("error: \(result.problems.count) problem(s) during restore; see above")
      throw ExitCode.failure
    }
    if !result.warnings.isEmpty {
      Terminal.error("warning: \(result.warnings.count) file(s) restored from inconsistent copies; see above")
      throw ExitCode(3)
    }
  }
}

/// The JSON shape of a restore result.
struct RestoreOutput: Encodable {
  let snapshot: String
  let target: String
  let files: Int
  let directories: Int
  let others: Int
  let bytes: UInt64
  let problems: [String]
  let warnings: [String]
  /// Objects read from the repository (a bundle once for all of its files).
  let objectsRead: Int
  /// Requests sent to an S3 repository (absent for a local one).
  let requests: S3RequestCounts?

  init(snapshot: String, target: String, result: RestoreResult, requests: S3RequestCounts?) {
    self.snapshot = snapshot
    self.target = target
    files = result.files
    directories = result.directories
    others = result.others
    bytes = result.bytes
    problems = result.problems.map(\.description)
    warnings = result.warnings
    objectsRead = result.objectsRead
    self.requests = requests
  }
}
