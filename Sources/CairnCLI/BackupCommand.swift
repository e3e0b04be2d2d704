import ArgumentParser
import Cairn
import Foundation
import Logging

struct BackupCommand: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "backup",
    abstract: "Back up directories as a new snapshot.",
    discussion: """
      Takes a full snapshot when told to (--full), when the repository has none of these sources, \
      or when the newest full is older than --full-every days; otherwise a differential snapshot \
      holding the changes since that full.
      """)

  @OptionGroup var repository: RepositoryOptions

  @Flag(help: "Take a full snapshot: read and hash every file.")
  var full = false

  @Flag(help: "Take a differential snapshot against the newest full.")
  var differential = false

  @Option(help: "Days after which the next backup is full.")
  var fullEvery: Double = 14

  @Option(help: "After the backup, keep only this many of the newest snapshots and collect garbage.")
  var keep: Int?

  @Flag(help: "Print the snapshot as JSON.")
  var json = false

  @Flag(name: .shortAndLong, help: "Print nothing but errors.")
  var quiet = false

  @Argument(help: "Directories (or files) to back up.")
  var sources: [String] = []

  func validate() throws {
    if full && differential { throw ValidationError("--full and --differential exclude each other") }
    if sources.isEmpty { throw ValidationError("name at least one source directory") }
    if !(fullEvery > 0) { throw ValidationError("--full-every must be a positive number of days") }
    if let keep, keep < 1 { throw ValidationError("--keep must be at least 1") }
  }

  func run() async throws {
    let repo = try repository.open()
    var lock: RepositoryLock? = try repository.lock(repo, .shared)
    let kind: BackupRequest.Kind = full ? .full : differential ? .differential : .automatic(fullEvery: fullEvery)
    let quiet = self.quiet
    let backup = Backup(repository: repo, logger: Logger(label: "cairn.backup")) { problem in
      Terminal.error("warning: \(problem)")
    }
    let result = try await backup.run(BackupRequest(sources: sources, kind: kind, now: Terminal.now))
    if let note = result.note, !quiet { Terminal.error("note: \(note)") }
    var output = BackupOutput(snapshot: result.record, problems: result.problems.map(\.description))
    if !json && !quiet { print(Summary.backup(result.record)) }
    if let keep {
      // Retention needs the exclusive lock: let go of the shared one first.
      lock = nil
      lock = try repository.lock(repo, .exclusive)
      let plan = RetentionPlan(snapshots: try repo.snapshots(), keep: keep)
      try Forget(repository: repo).apply(plan)
      let collected = try GarbageCollector(repository: repo, logger: Logger(label: "cairn.gc")).run(dryRun: false)
      output.forget = ForgetOutput(plan: plan, dryRun: false)
      output.gc = collected
      if !json && !quiet {
        print(Summary.retention(plan, dryRun: false))
        print(Summary.garbageCollection(collected))
      }
    }
    withExtendedLifetime(lock) {}
    if json { print(try Terminal.json(output)) }
    if !result.problems.isEmpty {
      Terminal.error("warning: \(result.problems.count) file(s) could not be backed up; see the warnings above")
      throw ExitCode(3)
    }
  }
}

/// The JSON shape of a backup result.
struct BackupOutput: Encodable {
  let snapshot: SnapshotRecord
  let problems: [String]
  var forget: ForgetOutput?
  var gc: GarbageCollectionReport?
}

/// Human-readable summaries of results.
enum Summary {
  static func backup(_ record: SnapshotRecord) -> String {
    let stats = record.statistics
    var lines = ["snapshot \(record.id) saved (\(record.kind)\(record.base.map { ", base \($0)" } ?? ""))"]
    lines.append(
      "  \(stats.files) files, \(stats.directories) directories, \(stats.others) other entries, "
        + Terminal.bytes(stats.bytes))
    lines.append(
      "  read \(stats.filesRead) files (\(Terminal.bytes(stats.bytesRead))), added \(stats.newObjects) objects "
        + "(\(Terminal.bytes(stats.newBytes))) in \(String(format: "%.2f", stats.durationSeconds)) s")
    return lines.joined(separator: "\n")
  }
}
