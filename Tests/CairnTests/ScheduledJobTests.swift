import Cairn
import Foundation
import Testing

/// The job a scheduler runs: `cairn backup --config FILE`, over simulated days.
@Suite struct ScheduledJobTests {
  struct Setup {
    let dir = TemporaryDirectory("cairn-job")
    var repo: String { dir.sub("repo") }
    var source: String { dir.sub("src") }
    var config: String { dir.sub("job.yaml") }
    var log: String { dir.sub("repo/backup.log") }

    init(keep: Int = 3, extra: String = "") throws {
      try shell(
        """
        set -e
        mkdir -p \(source)/docs \(source)/cache
        echo one > \(source)/docs/a
        echo cached > \(source)/cache/blob
        echo scratch > \(source)/docs/notes.tmp
        """)
      try """
      # Cairn job used by the tests
      repository: \(repo)
      create_repository: true
      sources:
        - \(source)
      exclude:
        - "*.tmp"
        - \(source)/cache
      keep: \(keep)
      full_every_days: 7
      backup_interval_hours: 20
      block_size: 65536
      \(extra)
      """.write(toFile: config, atomically: true, encoding: .utf8)
    }

    func run(day: Int, hour: Int = 2, _ extra: [String] = []) throws -> CommandResult {
      let now = String(format: "2026-03-%02dT%02d:00:00Z", day, hour)
      return try Cairn.run(["backup", "--config", config, "--time", now] + extra)
    }

    func logLines() throws -> [String] {
      try String(contentsOfFile: log, encoding: .utf8).split(separator: "\n").map(String.init)
    }
  }

  @Test func dailyRunsOverTwoWeeksMakeTheRightKindsAndApplyRetention() async throws {
    let setup = try Setup(keep: 3)
    var kinds: [String] = []
    for day in 1...15 {
      try shell("echo day \(day) >> \(setup.source)/docs/a")
      let result = try setup.run(day: day, ["--json"])
      #expect(result.status == 0, "day \(day): \(result.output)")
      let output = try jsonObject(result.stdout)
      kinds.append((output["snapshot"] as? [String: Any])?["kind"] as? String ?? "?")
    }
    // Full on day 1, differentials until the full is 7 days old, then full again.
    #expect(
      kinds == ["full"] + Array(repeating: "differential", count: 6) + ["full"]
        + Array(repeating: "differential", count: 6) + ["full"])
    // Retention: the newest 3 (day 13 and 14 differentials are based on day 8's full,
    // which is gone by day 15? No: day 15 is itself full, so 13, 14, 15 + base of 13/14).
    let records = try await RepositoryInspection(path: setup.repo).records()
    #expect(records.count == 4)
    #expect(records.map(\.kind.rawValue) == ["full", "differential", "differential", "full"])
    #expect(records[1].base == records[0].id && records[2].base == records[0].id)
    // Excludes held: the tmp file and the cache directory were never backed up.
    let listing = try Cairn.run(["ls", "--repo", setup.repo, "latest", "--json"])
    let paths = try jsonArray(listing.stdout).compactMap { $0["path"] as? String }
    #expect(paths.contains(setup.source + "/docs/a"))
    #expect(!paths.contains { $0.hasSuffix(".tmp") || $0.contains("/cache") })
    let check = try Cairn.run(["check", "--repo", setup.repo, "--read-data"])
    #expect(check.status == 0, "\(check.output)")
  }

  @Test func theLogHasALineForEveryStep() throws {
    let setup = try Setup(keep: 1)
    #expect(try setup.run(day: 1).status == 0)
    try shell("echo more >> \(setup.source)/docs/a")
    #expect(try setup.run(day: 9).status == 0)
    let lines = try setup.logLines()
    // Strict logfmt: time, level, quoted message, run id, then key=value pairs.
    let pattern =
      #/^time=\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z level=(info|warning|error) msg="(?<msg>[^"\\]*)" run=(?<run>[0-9a-f]{12})( [A-Za-z]+=("([^"\\]|\\.)*"|[^ "=]+))*$/#
    let matches = lines.compactMap { $0.wholeMatch(of: pattern) }
    #expect(matches.count == lines.count, "every line is strict logfmt: \(lines)")
    let messages = matches.map { String($0.output.msg) }
    // One run id per run, the same on all of its lines.
    let runs = matches.map { String($0.output.run) }
    #expect(Set(runs).count == 2, "\(runs)")
    #expect(runs.firstIndex(of: runs.last!)! == messages.lastIndex(of: "backup started")!)
    #expect(messages.filter { $0 == "backup started" }.count == 2)
    #expect(messages.filter { $0 == "snapshot saved" }.count == 2)
    #expect(messages.contains("retention applied"))
    #expect(messages.contains("gc finished"))
    #expect(lines.last?.contains("backup finished") == true && lines.last?.contains("status=0") == true)
    let saved = lines.first { $0.contains("snapshot saved") }!
    for field in ["id=", "kind=full", "base=none", "files=", "bytes=", "newBytes=", "duration="] {
      #expect(saved.contains(field), "missing \(field) in \(saved)")
    }
  }

  @Test func notDueRunOnlyLogsAndAMachineThatWasOffCatchesUp() async throws {
    let setup = try Setup()
    #expect(try setup.run(day: 1, hour: 2, ["--if-due"]).status == 0)
    let early = try setup.run(day: 1, hour: 8, ["--if-due"])
    #expect(early.status == 0)
    #expect(early.output.isEmpty, "a run that is not due prints nothing under cron: \(early.output)")
    #expect(try await RepositoryInspection(path: setup.repo).records().count == 1)
    #expect(try setup.logLines().contains { $0.contains("backup not due") })
    // Off for four days: the next hourly call backs up at once.
    #expect(try setup.run(day: 5, hour: 9, ["--if-due"]).status == 0)
    #expect(try await RepositoryInspection(path: setup.repo).records().count == 2)
  }

  @Test(arguments: [
    ("keeep: 3\n", "line 13", "keeep"),
    ("keep: three\n", "line 9", "keep"),
    ("lock_wait_seconds: -1\n", "line 13", "lock_wait_seconds"),
  ])
  func aBrokenConfigNamesTheKeyAndLineAndTouchesNothing(extra: String, line: String, key: String) throws {
    let setup = try Setup()
    #expect(try setup.run(day: 1).status == 0)
    let before = try TreeListing(setup.repo).withoutDirectoryTimes()
    var text = try String(contentsOfFile: setup.config, encoding: .utf8)
    if extra.hasPrefix("keep:") {
      text = text.replacingOccurrences(of: "keep: 3", with: extra.trimmingCharacters(in: .newlines))
    } else {
      text += extra
    }
    try text.write(toFile: setup.config, atomically: true, encoding: .utf8)
    let result = try setup.run(day: 2)
    #expect(result.status == 1)
    #expect(result.stderr.contains("'\(key)'"), "\(result.stderr)")
    #expect(result.stderr.contains(line), "\(result.stderr)")
    #expect(result.stderr.split(separator: "\n").count == 1, "one line: \(result.stderr)")
    // The repository is untouched, except for the log line saying why the run failed.
    var after = try TreeListing(setup.repo).withoutDirectoryTimes()
    after.items[Data("backup.log".utf8)] = before.items[Data("backup.log".utf8)]
    #expect(after == before)
    #expect(try setup.logLines().suffix(2).first?.contains("level=error msg=\"backup failed\"") == true)
  }

  @Test func aMissingSourceIsAWarningAndTheOthersAreSaved() async throws {
    let setup = try Setup(extra: "")
    let text = try String(contentsOfFile: setup.config, encoding: .utf8)
      .replacingOccurrences(of: "  - \(setup.source)\n", with: "  - \(setup.source)\n  - /nonexistent/cairn-src\n")
    try text.write(toFile: setup.config, atomically: true, encoding: .utf8)
    let result = try setup.run(day: 1)
    #expect(result.status == 3, "\(result.output)")
    #expect(result.stderr.contains("warning: '/nonexistent/cairn-src' does not exist"), "\(result.stderr)")
    let records = try await RepositoryInspection(path: setup.repo).records()
    #expect(records.count == 1)
    #expect(records.first?.sources == ["/nonexistent/cairn-src", setup.source])
    #expect(try setup.logLines().contains { $0.contains("/nonexistent/cairn-src") })
  }

  @Test func everySourceMissingIsExitOneAndNoSnapshot() async throws {
    let setup = try Setup(extra: "")
    #expect(try setup.run(day: 1).status == 0)
    try shell("mv \(setup.source) \(setup.source)-away")
    let result = try setup.run(day: 2)
    #expect(result.status == 1, "\(result.output)")
    #expect(result.stderr.contains("source '\(setup.source)' does not exist"), "\(result.stderr)")
    #expect(try await RepositoryInspection(path: setup.repo).records().count == 1)
  }

  @Test func anUnmountedDriveIsExitOneAndLoggedOutsideTheRepository() throws {
    let setup = try Setup()
    let mountPoint = setup.dir.sub("mnt")
    let logFile = setup.dir.sub("cairn.log")
    try shell("mkdir -p \(mountPoint)")
    let text = try String(contentsOfFile: setup.config, encoding: .utf8)
      .replacingOccurrences(of: "repository: \(setup.repo)", with: "repository: \(mountPoint)/cairn")
      .replacingOccurrences(of: "create_repository: true", with: "log_file: \(logFile)")
    try text.write(toFile: setup.config, atomically: true, encoding: .utf8)
    let result = try setup.run(day: 1)
    #expect(result.status == 1)
    let message = "repository not found at '\(mountPoint)/cairn' (is the drive mounted?)"
    #expect(result.stderr.contains(message), "\(result.stderr)")
    #expect(try directoryEntries(mountPoint).isEmpty, "nothing is created on the mount point")
    let log = try String(contentsOfFile: logFile, encoding: .utf8)
    #expect(log.contains("is the drive mounted?") && log.contains("status=1"), "\(log)")
    // The mount point itself empty: still not a repository, and no backup.log is left in it.
    let direct = text.replacingOccurrences(of: "repository: \(mountPoint)/cairn", with: "repository: \(mountPoint)")
      .replacingOccurrences(of: "log_file: \(logFile)\n", with: "")
    try direct.write(toFile: setup.config, atomically: true, encoding: .utf8)
    #expect(try setup.run(day: 1).status == 1)
    #expect(try directoryEntries(mountPoint).isEmpty)
  }

  @Test func theSeedScriptsNamesAreAccepted() async throws {
    let setup = try Setup()
    try """
    destination: \(setup.repo)
    create_repository: true
    source_directories:
      - \(setup.source)
    retention_count: 2
    full_backup_interval_days: 3
    """.write(toFile: setup.config, atomically: true, encoding: .utf8)
    var kinds: [String] = []
    for day in 1...5 {
      let result = try setup.run(day: day, ["--json"])
      #expect(result.status == 0, "day \(day): \(result.output)")
      kinds.append((try jsonObject(result.stdout)["snapshot"] as? [String: Any])?["kind"] as? String ?? "?")
    }
    #expect(kinds == ["full", "differential", "differential", "full", "differential"])
    #expect(try await RepositoryInspection(path: setup.repo).records().count == 2)
    // An alias beside its own name is refused, naming both.
    try "\(try String(contentsOfFile: setup.config, encoding: .utf8))\nkeep: 3\n"
      .write(toFile: setup.config, atomically: true, encoding: .utf8)
    let both = try setup.run(day: 6)
    #expect(both.status == 1)
    #expect(both.stderr.contains("'retention_count' and 'keep' are the same setting"), "\(both.stderr)")
  }

  @Test func quietSuccessPrintsNothingAndJsonParses() throws {
    let setup = try Setup()
    let quiet = try setup.run(day: 1, ["--quiet"])
    #expect(quiet.status == 0)
    #expect(quiet.stdout.isEmpty && quiet.stderr.isEmpty, "\(quiet.output)")
    let plain = try Cairn.run(["backup", "--repo", setup.repo, setup.source])
    #expect(plain.status == 0)
    #expect(plain.output.isEmpty, "no terminal, no output: \(plain.output)")
    let json = try setup.run(day: 2, ["--json"])
    let document = try jsonObject(json.stdout)
    let snapshot = document["snapshot"] as? [String: Any] ?? [:]
    for key in ["id", "kind", "base", "time", "sources", "statistics"] {
      #expect(snapshot[key] != nil, "backup --json lacks \(key)")
    }
    let snapshots = try jsonArray(try Cairn.run(["snapshots", "--repo", setup.repo, "--json"]).stdout)
    #expect(snapshots.count == 3)
    #expect(snapshots.allSatisfy { $0["id"] is String && $0["kind"] is String && $0.keys.contains("base") })
    #expect(snapshots[0]["base"] is NSNull)
    let gc = try jsonObject(try Cairn.run(["gc", "--repo", setup.repo, "--json"]).stdout)
    #expect(gc["objectsScanned"] is Int && gc["bytesFreed"] is Int)
    let forget = try jsonObject(try Cairn.run(["forget", "--repo", setup.repo, "--keep", "5", "--json"]).stdout)
    #expect(forget["removed"] as? [String] == [])
    let check = try jsonObject(try Cairn.run(["check", "--repo", setup.repo, "--json"]).stdout)
    #expect(check["ok"] as? Bool == true)
    let stats = try jsonObject(try Cairn.run(["stats", "--repo", setup.repo, "--json"]).stdout)
    #expect(stats["snapshots"] as? Int == 3)
  }
}

private func directoryEntries(_ path: String) throws -> [String] {
  try FileManager.default.contentsOfDirectory(atPath: path)
}
