import ArgumentParser
import Cairn

/// The keep rules shared by `forget` and `backup`: `--keep-last N` and the
/// calendar rules, `--keep-within`, `--keep-tag`, `--group-by`.
///
/// Counts are taken as text and checked here, so that `--keep -1` and
/// `--keep ten` say what is wrong (exit 1) instead of "missing value".
struct RetentionOptions: ParsableArguments {
  @Option(
    name: .customLong("keep"), parsing: .unconditional,
    help: ArgumentHelp("Same as --keep-last.", valueName: "n"))
  var keep: String?

  @Option(parsing: .unconditional, help: ArgumentHelp("Keep the newest N snapshots of each group.", valueName: "n"))
  var keepLast: String?

  @Option(
    parsing: .unconditional,
    help: ArgumentHelp("Keep the newest snapshot of each of the last N hours that have one.", valueName: "n"))
  var keepHourly: String?

  @Option(
    parsing: .unconditional,
    help: ArgumentHelp("Keep the newest snapshot of each of the last N days that have one.", valueName: "n"))
  var keepDaily: String?

  @Option(
    parsing: .unconditional,
    help: ArgumentHelp("Keep the newest snapshot of each of the last N ISO weeks that have one.", valueName: "n"))
  var keepWeekly: String?

  @Option(
    parsing: .unconditional,
    help: ArgumentHelp("Keep the newest snapshot of each of the last N months that have one.", valueName: "n"))
  var keepMonthly: String?

  @Option(
    parsing: .unconditional,
    help: ArgumentHelp("Keep the newest snapshot of each of the last N years that have one.", valueName: "n"))
  var keepYearly: String?

  @Option(
    help: ArgumentHelp(
      "Keep every snapshot this close to the group's newest: 30d, 2w, 1y2m, 12h (y m w d h).",
      valueName: "duration"))
  var keepWithin: String?

  @Option(help: ArgumentHelp("Keep every snapshot with this tag (repeatable).", valueName: "tag"))
  var keepTag: [String] = []

  @Option(
    help: ArgumentHelp(
      "Apply the rules within groups of snapshots that share these: any of host, paths, tags, comma-separated;"
        + " '' for the whole repository.", valueName: "fields"))
  var groupBy: String = "host,paths"

  @Flag(help: "Allow rules that would remove every snapshot of a group.")
  var allowEmpty = false

  /// True when at least one keep rule is given.
  var hasRules: Bool {
    [keep, keepLast, keepHourly, keepDaily, keepWeekly, keepMonthly, keepYearly, keepWithin].contains { $0 != nil }
      || !keepTag.isEmpty
  }

  /// The rules given, checked; nil when none is.
  func policy() throws(CairnError) -> RetentionPolicy? {
    guard hasRules else { return nil }
    if keep != nil && keepLast != nil {
      throw CairnError(.invalidArgument, "--keep is another name for --keep-last; give one of them")
    }
    var policy = RetentionPolicy()
    func count(_ text: String?, _ option: String) throws(CairnError) -> Int {
      guard let text else { return 0 }
      return try RetentionPolicy.count(text, option: option)
    }
    policy.last = keep != nil ? try count(keep, "--keep") : try count(keepLast, "--keep-last")
    policy.hourly = try count(keepHourly, "--keep-hourly")
    policy.daily = try count(keepDaily, "--keep-daily")
    policy.weekly = try count(keepWeekly, "--keep-weekly")
    policy.monthly = try count(keepMonthly, "--keep-monthly")
    policy.yearly = try count(keepYearly, "--keep-yearly")
    if let keepWithin {
      do {
        policy.within = try RetentionDuration(parsing: keepWithin)
      } catch {
        throw CairnError(.invalidArgument, "--keep-within: \(error.message)")
      }
    }
    for tag in keepTag where tag.isEmpty { throw CairnError(.invalidArgument, "--keep-tag needs a tag name") }
    policy.tags = keepTag
    return policy
  }

  func grouping() throws(CairnError) -> SnapshotGrouping { try SnapshotGrouping(parsing: groupBy) }
}
