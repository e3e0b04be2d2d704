import ArgumentParser
import Cairn
import Foundation
import Logging

struct CheckCommand: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "check",
    abstract: "Verify that every snapshot can be restored.",
    discussion: """
      Without --read-data: every record and manifest parses, every differential's base exists, \
      and every referenced object exists with the size its file needs. With --read-data, every \
      referenced object is also read and its content checked against its name.

      With --read-data --repair, every damaged object found is moved out of objects/ into \
      the repository's quarantine/ folder (kept, not deleted), missing ones are named, and \
      the report says which snapshots and files each breaks. A backup of the unchanged \
      sources (backup --full) then writes those objects again and heals every snapshot; \
      run check --read-data afterwards. --repair takes the exclusive lock.
      """)

  @OptionGroup var repository: RepositoryOptions

  @Flag(help: "Read every referenced object and verify its SHA-256.")
  var readData = false

  @Flag(
    help: ArgumentHelp(
      "Move damaged objects into quarantine/ so that the next backup writes them again (needs --read-data)."))
  var repair = false

  func validate() throws {
    if repair && !readData {
      throw ValidationError("--repair needs --read-data: only reading every object finds the damaged ones")
    }
  }

  @OptionGroup var output: OutputOptions

  func run() async throws {
    let path = try repository.repositoryPath()
    let log = OperationLog.inRepository(path)
    try await log.operation("check", ["readData": "\(readData)", "repair": "\(repair)"]) {
      try await check(path, log: log)
    }
  }

  private func check(_ path: String, log: OperationLog) async throws {
    let repo = try await repository.open()
    log.attach(repo)
    // A repair moves objects: no gc (nor a backup deduplicating against them) may run meanwhile.
    let lock = try await repository.lock(repo, repair ? .exclusive : .shared)
    defer { withExtendedLifetime(lock) {} }
    let progress = readData && !output.quiet && !output.json && Terminal.isInteractive ? BackupProgress() : nil
    let display = progress.map { ProgressDisplay(progress: $0, verb: "verifying", unit: "objects") }
    var report: CheckReport
    let checker = Checker(repository: repo, progress: progress)
    do {
      report = try await checker.run(readData: readData, now: Date())
      display?.stop()
    } catch {
      display?.stop()
      throw error
    }
    if repair { await checker.repair(&report) }
    for problem in report.problems { log.error("check problem", ["problem": "\(problem)"]) }
    if let done = report.repair {
      for item in done.quarantined {
        log.warning("object quarantined", ["object": "\(item.object)", "file": "\(item.file)"])
      }
      for failure in done.failed { log.error("repair failed", ["reason": "\(failure)"]) }
    }
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
      if let done = report.repair { printRepair(done, ok: report.ok) }
    }
    if !report.ok { throw ExitCode.failure }
  }

  /// What the repair did and what to do next: printed whatever --quiet says,
  /// since the repository was changed.
  private func printRepair(_ done: CheckRepair, ok: Bool) {
    if done.quarantined.isEmpty && done.missing.isEmpty && done.failed.isEmpty && done.readableAgain.isEmpty {
      print(
        ok ? "repair: nothing to repair" : "repair: no damaged or missing object among these problems; nothing moved")
      return
    }
    if !done.quarantined.isEmpty {
      print("repair: moved \(done.quarantined.count) damaged object(s) to \(done.quarantine) (kept, not deleted):")
      for item in done.quarantined { print("  \(item.object) -> \(item.file)") }
    }
    if !done.missing.isEmpty {
      print("repair: \(done.missing.count) object(s) missing (nothing to move):")
      for name in done.missing { print("  \(name)") }
    }
    if !done.readableAgain.isEmpty {
      print("repair: \(done.readableAgain.count) object(s) read correctly on a second read and were left in place:")
      for name in done.readableAgain { print("  \(name)") }
    }
    for failure in done.failed { Terminal.error("error: \(failure)") }
    if !done.quarantined.isEmpty || !done.missing.isEmpty {
      print(
        "repair: a backup of the unchanged sources (cairn backup --full) writes these objects again and heals every "
          + "snapshot above; then run 'cairn check --read-data'. Content no longer on any source cannot be healed.")
    }
  }
}
