import ArgumentParser
import Cairn
import Logging

struct CheckCommand: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "check",
    abstract: "Verify that every snapshot can be restored.",
    discussion: """
      Without --read-data: every record and manifest parses, every differential's base exists, \
      and every referenced object exists with the size its file needs. With --read-data, every \
      referenced object is also read and its content checked against its name.
      """)

  @OptionGroup var repository: RepositoryOptions

  @Flag(help: "Read every referenced object and verify its SHA-256.")
  var readData = false

  @OptionGroup var output: OutputOptions

  func run() async throws {
    let path = try repository.repositoryPath()
    let log = OperationLog.inRepository(path)
    try await log.operation("check", ["readData": "\(readData)"]) {
      try await check(path, log: log)
    }
  }

  private func check(_ path: String, log: OperationLog) async throws {
    let repo = try await repository.open()
    log.attach(repo)
    let lock = try await repository.lock(repo, .shared)
    defer { withExtendedLifetime(lock) {} }
    let progress = readData && !output.quiet && !output.json && Terminal.isInteractive ? BackupProgress() : nil
    let display = progress.map { ProgressDisplay(progress: $0, verb: "verifying", unit: "objects") }
    let report: CheckReport
    do {
      report = try await Checker(repository: repo, progress: progress).run(readData: readData, now: Terminal.now)
      display?.stop()
    } catch {
      display?.stop()
      throw error
    }
    for problem in report.problems { log.error("check problem", ["problem": "\(problem)"]) }
    for warning in report.warnings { log.warning("check warning", ["warning": "\(warning)"]) }
    if output.json {
      print(try Terminal.json(report))
    } else {
      for problem in report.problems { Terminal.error("error: \(problem)") }
      for warning in report.warnings { Terminal.error("warning: \(warning)") }
      // The verdict is what check is run for: printed whether or not stdout is a terminal.
      if !output.quiet {
        print(
          "checked \(report.snapshots) snapshot(s), \(report.objectsChecked) objects"
            + (readData ? " (\(Terminal.bytes(report.bytesRead)) read and verified)" : "") + ": "
            + (report.ok ? "no problems" : "\(report.problems.count) problem(s)"))
      }
    }
    if !report.ok { throw ExitCode.failure }
  }
}
