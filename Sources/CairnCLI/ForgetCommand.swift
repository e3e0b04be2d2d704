import ArgumentParser
import Cairn
import Logging

struct ForgetCommand: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "forget",
    abstract: "Remove all but the newest snapshots (space comes back with 'cairn gc').",
    discussion: """
      Keeps the newest N snapshots, and also every full snapshot that a kept differential \
      is based on, so that every kept snapshot still restores.
      """)

  @OptionGroup var repository: RepositoryOptions

  @Option(help: "How many of the newest snapshots to keep (at least 1).")
  var keep: Int

  @Flag(help: "Show what would be removed without removing anything.")
  var dryRun = false

  @OptionGroup var output: OutputOptions

  func validate() throws {
    guard keep > 0 else { throw ValidationError("--keep must be at least 1; forget never removes every snapshot") }
  }

  func run() async throws {
    let path = try repository.repositoryPath()
    let log = OperationLog.inRepository(path)
    try await log.operation("forget", ["keep": "\(keep)", "dryRun": "\(dryRun)"]) {
      let repo = try await Repository.open(at: path, password: repository.password)
      log.attach(repo)
      let lock = try await repository.lock(repo, .exclusive)
      defer { withExtendedLifetime(lock) {} }
      let plan = RetentionPlan(snapshots: try await repo.snapshots(), keep: keep)
      for ahead in plan.keptByCount + plan.keptAsBase + plan.removed where ahead.isDatedAhead(of: Terminal.now) {
        let warning = ahead.aheadOfClockWarning(now: Terminal.now)
        Terminal.error("warning: \(warning)")
        log.warning("snapshot dated ahead of the clock", ["warning": "\(warning)"])
      }
      if !dryRun {
        try await Forget(repository: repo).apply(plan)
        log.info(
          "retention applied",
          [
            "kept": "\(plan.keptByCount.count)", "keptAsBase": "\(plan.keptAsBase.count)",
            "removed": "\(plan.removed.map(\.id).joined(separator: ","))",
          ])
      }
      if output.json { print(try Terminal.json(ForgetOutput(plan: plan, dryRun: dryRun))) }
      if output.showsSummary { print(Summary.retention(plan, dryRun: dryRun)) }
    }
  }
}

/// The JSON shape of a forget result.
struct ForgetOutput: Encodable {
  let kept: [String]
  let keptAsBase: [String]
  let removed: [String]
  let dryRun: Bool

  init(plan: RetentionPlan, dryRun: Bool) {
    kept = plan.keptByCount.map(\.id)
    keptAsBase = plan.keptAsBase.map(\.id)
    removed = plan.removed.map(\.id)
    self.dryRun = dryRun
  }
}

extension Summary {
  static func retention(_ plan: RetentionPlan, dryRun: Bool) -> String {
    var lines: [String] = []
    for record in plan.keptByCount { lines.append("keep    \(record.id)  \(record.kind)") }
    for record in plan.keptAsBase {
      lines.append("keep    \(record.id)  \(record.kind)  (base of a kept differential)")
    }
    for record in plan.removed { lines.append("\(dryRun ? "would remove" : "remove ")  \(record.id)  \(record.kind)") }
    let verb = dryRun ? "would remove" : "removed"
    lines.append(
      "\(verb) \(plan.removed.count) snapshot(s), kept \(plan.keptByCount.count + plan.keptAsBase.count)"
        + (dryRun || plan.removed.isEmpty ? "" : "; run 'cairn gc' to reclaim their space"))
    return lines.joined(separator: "\n")
  }

  static func garbageCollection(_ report: GarbageCollectionReport) -> String {
    let verb = report.dryRun ? "would delete" : "deleted"
    var text =
      "scanned \(report.objectsScanned) objects (\(Terminal.bytes(report.bytesScanned))) for \(report.snapshots) snapshot(s); "
      + "\(report.objectsReferenced) referenced (\(Terminal.bytes(report.bytesReferenced))); "
      + "\(verb) \(report.objectsDeleted) (\(Terminal.bytes(report.bytesFreed)) freed)"
    if report.temporaryFilesRemoved > 0 { text += "; removed \(report.temporaryFilesRemoved) temporary file(s)" }
    if report.objectsMissing > 0 {
      text += "\nwarning: \(report.objectsMissing) referenced object(s) are missing; run 'cairn check'"
    }
    return text
  }
}
