import Cairn
import Foundation
import Testing

/// `forget` and `backup --keep-…` through the binary: groups, calendar rules,
/// tags, dry runs and the rule sets that are refused.
@Suite struct RetentionRulesTests {
  /// Two trees in one repository, each backed up (full) on days 1 to 3.
  struct TwoTrees {
    let dir = TemporaryDirectory("cairn-rules")
    var repo: String { dir.sub("repo") }
    var first: String { dir.sub("first") }
    var second: String { dir.sub("second") }

    init(days: ClosedRange<Int> = 1...3) throws {
      try shell("mkdir -p \(first) \(second) && echo 1 > \(first)/a && echo 2 > \(second)/b")
      #expect(try Cairn.run(["init", "--repo", repo, "--block-size", "65536"]).status == 0)
      for day in days {
        for source in [first, second] {
          let result = try Cairn.run(
            ["backup", "-r", repo, "--full", "--time", "2026-03-0\(day)T10:00:00Z", source])
          #expect(result.status == 0, "\(result.output)")
        }
      }
    }

    func records() async throws -> [SnapshotRecord] { try await RepositoryInspection(path: repo).records() }
  }

  @Test func forgetKeepsTheNewestOfEachTreeNotOfTheRepository() async throws {
    let trees = try TwoTrees()
    let result = try Cairn.run(["forget", "--repo", trees.repo, "--keep", "1"])
    #expect(result.status == 0, "\(result.output)")
    let remaining = try await trees.records()
    #expect(remaining.count == 2)
    #expect(Set(remaining.flatMap(\.sources)).count == 2, "one snapshot of each tree survives")
    #expect(remaining.allSatisfy { $0.time.hasPrefix("2026-03-03") })
    // Grouped as one, the repository keeps only its newest snapshot.
    let whole = try Cairn.run(["forget", "--repo", trees.repo, "--keep-last", "1", "--group-by", ""])
    #expect(whole.status == 0, "\(whole.output)")
    #expect(try await trees.records().count == 1)
  }

  @Test func dryRunPrintsEveryDecisionAndItsRuleWithoutATerminal() async throws {
    let trees = try TwoTrees()
    let before = try await trees.records()
    let dry = try Cairn.run(
      ["forget", "--repo", trees.repo, "--keep-daily", "2", "--dry-run"], environment: ["TZ": "UTC"])
    #expect(dry.status == 0, "\(dry.output)")
    #expect(try await trees.records().map(\.id) == before.map(\.id), "a dry run removes nothing")
    let lines = dry.stdout.split(separator: "\n").map(String.init)
    for record in before {
      let line = lines.first { $0.contains(record.id) } ?? ""
      if record.time.hasPrefix("2026-03-01") {
        #expect(line.contains("remove") && line.contains("no rule keeps it"), "\(line)")
      } else {
        #expect(line.contains("keep") && line.contains("daily"), "\(line)")
      }
      #expect(line.contains("+00:00"), "times carry their zone: \(line)")
    }
    #expect(lines.filter { $0.hasPrefix("group: ") }.count == 2)
    #expect(dry.stdout.contains("would remove 2 snapshot(s), kept 4"))
    let json = try jsonObject(
      try Cairn.run(["forget", "--repo", trees.repo, "--keep-daily", "2", "--dry-run", "--json"]).stdout)
    let decisions = json["snapshots"] as? [[String: Any]] ?? []
    #expect(decisions.count == 6)
    #expect(decisions.filter { $0["keep"] as? Bool == true }.allSatisfy { ($0["reasons"] as? [String]) == ["daily"] })
  }

  @Test(arguments: [
    ([], "at least one rule"),
    (["--keep", "-1"], "at least 1, not -1"),
    (["--keep-daily", "ten"], "whole number"),
    (["--keep-last", "0"], "at least 1, not 0"),
    (["--keep-within", "3x"], "'3x' is not a duration"),
    (["--keep-tag", "absent"], "--allow-empty"),
    (["--keep", "1", "--group-by", "colour"], "'colour'"),
  ])
  func badRulesExitOneAndTouchNothing(arguments: [String], message: String) throws {
    let trees = try TwoTrees(days: 1...2)
    let before = try TreeListing(trees.repo).withoutDirectoryTimes()
    let result = try Cairn.run(["forget", "--repo", trees.repo] + arguments)
    #expect(result.status == 1, "\(result.output)")
    #expect(result.stderr.contains(message), "\(result.stderr)")
    #expect(result.stderr.split(separator: "\n").count == 1, "one line: \(result.stderr)")
    var after = try TreeListing(trees.repo).withoutDirectoryTimes()
    after.items[Data("backup.log".utf8)] = before.items[Data("backup.log".utf8)]
    #expect(after == before)
  }

  @Test func allowEmptyRemovesAWholeGroup() async throws {
    let trees = try TwoTrees(days: 1...1)
    let result = try Cairn.run(["forget", "--repo", trees.repo, "--keep-tag", "absent", "--allow-empty"])
    #expect(result.status == 0, "\(result.output)")
    #expect(try await trees.records().isEmpty)
  }

  @Test func tagsAreStoredShownAndKeep() async throws {
    let trees = try TwoTrees(days: 1...1)
    let tagged = try Cairn.run(
      [
        "backup", "--repo", trees.repo, "--full", "--tag", "monthly", "--tag", "before-upgrade", "--json", "--time",
        "2026-03-04T10:00:00Z", trees.first,
      ])
    #expect(tagged.status == 0, "\(tagged.output)")
    let id = (try jsonObject(tagged.stdout)["snapshot"] as? [String: Any])?["id"] as? String ?? ""
    #expect(try await trees.records().first { $0.id == id }?.tags == ["monthly", "before-upgrade"])
    let table = try Cairn.run(["snapshots", "--repo", trees.repo])
    #expect(table.stdout.split(separator: "\n").first { $0.contains(id) }?.contains("monthly,before-upgrade") == true)
    // A newer untagged snapshot of the same tree: keep-last 1 and keep-tag keep both.
    #expect(
      try Cairn.run(
        ["backup", "--repo", trees.repo, "--full", "--time", "2026-03-05T10:00:00Z", trees.first]).status == 0)
    let forget = try Cairn.run(
      ["forget", "--repo", trees.repo, "--keep-last", "1", "--keep-tag", "monthly", "--json"])
    #expect(forget.status == 0, "\(forget.output)")
    let remaining = try await trees.records().filter { $0.sources == [trees.first] }
    #expect(remaining.map(\.time) == ["2026-03-04T10:00:00.000Z", "2026-03-05T10:00:00.000Z"])
  }

  @Test func backupRulesTouchOnlyItsOwnGroupAndNeverTheNewSnapshot() async throws {
    let trees = try TwoTrees()
    let result = try Cairn.run(
      [
        "backup", "--repo", trees.repo, "--full", "--keep-tag", "absent", "--json", "--time", "2026-03-04T10:00:00Z",
        trees.first,
      ])
    #expect(result.status == 0, "\(result.output)")
    let records = try await trees.records()
    #expect(records.filter { $0.sources == [trees.first] }.map(\.time) == ["2026-03-04T10:00:00.000Z"])
    #expect(records.filter { $0.sources == [trees.second] }.count == 3, "the other tree is not touched")
  }

  @Test func theJobAppliesCalendarRulesToItsOwnGroup() async throws {
    let trees = try TwoTrees(days: 1...2)
    let config = trees.dir.sub("job.yaml")
    try """
    repository: \(trees.repo)
    sources:
      - \(trees.first)
    keep_daily: 2
    keep_within: 1d
    full_every_days: 3
    tags: [nightly]
    """.write(toFile: config, atomically: true, encoding: .utf8)
    for (day, hour) in [(3, 1), (3, 13), (4, 1), (5, 1), (5, 13), (6, 1)] {
      try shell("echo \(day)-\(hour) >> \(trees.first)/a")
      let now = String(format: "2026-03-%02dT%02d:00:00Z", day, hour)
      let run = try Cairn.run(["backup", "--config", config, "--time", now], environment: ["TZ": "UTC"])
      #expect(run.status == 0, "\(run.output)")
    }
    let mine = try await trees.records().filter { $0.sources == [trees.first] }
    // Daily: 6 March 01:00 and 5 March 13:00; within a day of the newest (6 March 01:00): 5 March 01:00 too.
    // Every kept differential keeps its full.
    let kept = Set(mine.map(\.time))
    #expect(kept.isSuperset(of: ["2026-03-06T01:00:00.000Z", "2026-03-05T13:00:00.000Z", "2026-03-05T01:00:00.000Z"]))
    #expect(!kept.contains("2026-03-03T13:00:00.000Z") && !kept.contains("2026-03-04T01:00:00.000Z"))
    for record in mine where record.kind == .differential {
      #expect(mine.contains { $0.id == record.base }, "differential \(record.id) lost its base")
    }
    #expect(mine.filter { $0.time.hasPrefix("2026-03-0") && $0.tags == ["nightly"] }.count >= 3)
    #expect(
      try await trees.records().filter { $0.sources == [trees.second] }.count == 2, "the other tree is not touched")
  }

  @Test func gcDryRunAndCheckPrintTheirResultsWithoutATerminal() throws {
    let trees = try TwoTrees(days: 1...2)
    #expect(try Cairn.run(["forget", "--repo", trees.repo, "--keep", "1"]).status == 0)
    let dry = try Cairn.run(["gc", "--repo", trees.repo, "--dry-run"])
    #expect(dry.status == 0 && dry.stdout.contains("would delete"), "\(dry.output)")
    let check = try Cairn.run(["check", "--repo", trees.repo])
    #expect(check.status == 0 && check.stdout.contains("no problems"), "\(check.output)")
    let gc = try Cairn.run(["gc", "--repo", trees.repo])
    #expect(gc.status == 0 && gc.output.isEmpty, "a real gc stays silent under cron: \(gc.output)")
  }
}
