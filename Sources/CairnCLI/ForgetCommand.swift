import ArgumentParser
import Cairn
import Foundation
import Logging

struct ForgetCommand: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "forget",
    abstract: "Remove the snapshots that no keep rule keeps (space comes back with 'cairn gc').",
    discussion: """
      Snapshots are grouped by host and sources (see --group-by), and every rule counts within \
      a group, so one machine's or one tree's rules never remove another's snapshots. A snapshot \
      is kept when any rule keeps it. The calendar rules work as restic's do: --keep-daily 7 \
      keeps the newest snapshot of each of the last 7 days that have a snapshot, in local time. \
      Every full snapshot that a kept differential is based on is kept too, so that every kept \
      snapshot still restores.

      Give at least one rule. A rule set that would remove every snapshot of a group is refused \
      unless --allow-empty is given. --dry-run prints, for every snapshot, whether it would be \
      kept and which rules decided.
      """)

  @OptionGroup var repository: RepositoryOptions

  @OptionGroup var retention: RetentionOptions

  @Flag(help: "Show what would be kept and removed, and why, without removing anything.")
  var dryRun = false

  @OptionGroup var output: OutputOptions

  func validate() throws {
    guard retention.hasRules else {
      throw CairnError(
        .invalidArgument,
        "forget needs at least one rule, such as --keep-last 7 or --keep-daily 7; see 'cairn forget --help'")
    }
    _ = try retention.policy()
    _ = try retention.grouping()
  }

  func run() async throws {
    let policy = try retention.policy()!
    let grouping = try retention.grouping()
    let path = try repository.repositoryPath()
    let log = OperationLog.inRepository(path)
    var metadata: Logger.Metadata = ["rules": "\(policy.description)", "groupBy": "\(grouping)", "dryRun": "\(dryRun)"]
    if policy.last > 0 { metadata["keep"] = "\(policy.last)" }
    try await log.operation("forget", metadata) {
      let repo = try await repository.open()
      log.attach(repo)
      let lock = try await repository.lock(repo, .exclusive)
      defer { withExtendedLifetime(lock) {} }
      let plan = RetentionPlan(snapshots: try await repo.snapshots(), policy: policy, grouping: grouping)
      let now = Date()
      for ahead in plan.keptByCount + plan.keptAsBase + plan.removed where ahead.isDatedAhead(of: now) {
        let warning = ahead.aheadOfClockWarning(now: now)
        Terminal.error("warning: \(warning)")
        log.warning("snapshot dated ahead of the clock", ["warning": "\(warning)"])
      }
      if !plan.emptiedGroups.isEmpty && !retention.allowEmpty {
        let groups = plan.emptiedGroups.map { "'\($0)'" }.joined(separator: ", ")
        throw CairnError(
          .invalidArgument,
          "these rules would remove every snapshot of \(groups); nothing was removed (pass --allow-empty to do it)")
      }
      if !dryRun {
        try await Forget(repository: repo).run(plan)
        log.info(
          "retention applied",
          [
            "kept": "\(plan.keptByCount.count)", "keptAsBase": "\(plan.keptAsBase.count)",
            "removed": "\(plan.removed.map(\.id).joined(separator: ","))",
          ])
      }
      if output.json {
        print(try Terminal.json(ForgetOutput(plan: plan, dryRun: dryRun)))
      } else if !output.quiet && (dryRun || output.showsSummary) {
        // A dry run exists for its output: printed whether or not stdout is a terminal.
        print(Summary.retention(plan, dryRun: dryRun))
      }
    }
  }
}

/// The JSON shape of a forget result.
struct ForgetOutput: Encodable {
  struct Decision: Encodable {
    let id: String
    let kind: String
    let time: String
    let group: SnapshotGroupKey
    let keep: Bool
    let reasons: [String]
  }

  let kept: [String]
  let keptAsBase: [String]
  let removed: [String]
  let snapshots: [Decision]
  let dryRun: Bool

  init(plan: RetentionPlan, dryRun: Bool) {
    kept = plan.keptByCount.map(\.id)
    keptAsBase = plan.keptAsBase.map(\.id)
    removed = plan.removed.map(\.id)
    snapshots = plan.decisions.map {
      Decision(
        id: $0.record.id, kind: $0.record.kind.rawValue, time: $0.record.time, group: $0.group, keep: $0.keep,
        reasons: $0.reasons)
    }
    self.dryRun = dryRun
  }
}

extension Summary {
  static func retention(_ plan: RetentionPlan, dryRun: Bool) -> String {
    var lines: [String] = []
    var groups: [SnapshotGroupKey] = []
    for decision in plan.decisions where !groups.contains(decision.group) { groups.append(decision.group) }
    for group in groups {
      lines.append("group: \(group)")
      for decision in plan.decisions where decision.group == group {
        let record = decision.record
        let action = decision.keep ? "keep  " : (dryRun ? "remove" : "removed")
        let kind = record.kind.rawValue.padding(toLength: 12, withPad: " ", startingAt: 0)
        let why = decision.keep ? decision.reasons.joined(separator: ", ") : "no rule keeps it"
        lines.append("  \(action)  \(record.id)  \(kind)  \(Terminal.localTime(record.date))  \(why)")
      }
    }
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
