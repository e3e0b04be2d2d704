import Foundation
import Testing

/// `before`, `after` and `on_failure` in the job YAML.
@Suite struct JobHooksTests {
  struct Setup {
    let dir = TemporaryDirectory("cairn-hooks")
    var repo: String { dir.sub("repo") }
    var source: String { dir.sub("src") }
    var config: String { dir.sub("job.yaml") }
    var marks: String { dir.sub("marks") }

    init(sources extra: [String] = [], hooks: String) throws {
      try shell("mkdir -p \(source) \(marks) && echo a > \(source)/a")
      #expect(try Cairn.run(["init", "--repo", repo, "--block-size", "65536"]).status == 0)
      try """
      repository: \(repo)
      sources:
        - \(source)
      \(extra.map { "  - \($0)" }.joined(separator: "\n"))
      \(hooks)
      """.write(toFile: config, atomically: true, encoding: .utf8)
    }

    func run() throws -> CommandResult {
      try Cairn.run(["backup", "--config", config, "--json", "--time", "2026-03-01T02:00:00Z"])
    }

    func mark(_ name: String) -> [String: String]? {
      guard let text = try? String(contentsOfFile: "\(marks)/\(name)", encoding: .utf8) else { return nil }
      var result: [String: String] = [:]
      for line in text.split(separator: "\n") {
        let parts = line.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
        if parts.count == 2 { result[String(parts[0])] = String(parts[1]) }
      }
      return result
    }
  }

  static func hooks(before: String = "true") -> String {
    """
    before: \(before)
    after:
      - env | grep ^CAIRN_ > $CAIRN_REPOSITORY/../marks/after
    on_failure: env | grep ^CAIRN_ > $CAIRN_REPOSITORY/../marks/failure
    """
  }

  @Test func afterSeesTheSnapshotAndTheRun() throws {
    let setup = try Setup(hooks: Self.hooks(before: "env | grep ^CAIRN_ > $CAIRN_REPOSITORY/../marks/before"))
    let result = try setup.run()
    #expect(result.status == 0, "\(result.output)")
    let id = (try jsonObject(result.stdout)["snapshot"] as? [String: Any])?["id"] as? String
    let before = try #require(setup.mark("before"))
    let after = try #require(setup.mark("after"))
    #expect(before["CAIRN_HOOK"] == "before" && before["CAIRN_SNAPSHOT_ID"] == "")
    #expect(after["CAIRN_HOOK"] == "after")
    #expect(after["CAIRN_SNAPSHOT_ID"] == id && after["CAIRN_EXIT_STATUS"] == "0")
    #expect(after["CAIRN_LOG_FILE"] == setup.repo + "/backup.log")
    #expect(after["CAIRN_CONFIG"] == setup.config)
    let log = try String(contentsOfFile: setup.repo + "/backup.log", encoding: .utf8)
    #expect(log.contains("run=\(after["CAIRN_RUN_ID"] ?? "?")"), "the run id is the log's")
    #expect(setup.mark("failure") == nil, "on_failure does not run after success")
  }

  @Test func aFailingBeforeAbortsTheRunAndRunsOnFailure() async throws {
    let setup = try Setup(hooks: Self.hooks(before: "echo no drive >&2; exit 2"))
    let result = try setup.run()
    #expect(result.status == 1)
    #expect(
      result.stderr.contains("before hook 'echo no drive >&2; exit 2' failed with exit status 2"), "\(result.stderr)")
    #expect(try await RepositoryInspection(path: setup.repo).records().isEmpty, "no backup ran")
    let failure = try #require(setup.mark("failure"))
    #expect(failure["CAIRN_HOOK"] == "on_failure" && failure["CAIRN_EXIT_STATUS"] == "1")
    #expect(setup.mark("after") == nil)
    let log = try String(contentsOfFile: setup.repo + "/backup.log", encoding: .utf8)
    #expect(log.contains("msg=\"hook failed\"") && log.contains("hook=before"), "\(log)")
  }

  @Test func exitThreeRunsOnFailureWithTheSnapshot() throws {
    let setup = try Setup(sources: ["/nonexistent/cairn-hooks"], hooks: Self.hooks())
    let result = try setup.run()
    #expect(result.status == 3, "\(result.output)")
    let id = (try jsonObject(result.stdout)["snapshot"] as? [String: Any])?["id"] as? String
    let failure = try #require(setup.mark("failure"))
    #expect(failure["CAIRN_EXIT_STATUS"] == "3" && failure["CAIRN_SNAPSHOT_ID"] == id)
    #expect(setup.mark("after") == nil)
  }

  @Test func aFailingAfterFailsTheRun() async throws {
    let setup = try Setup(
      hooks: """
        after: "false"
        on_failure: env | grep ^CAIRN_ > $CAIRN_REPOSITORY/../marks/failure
        """)
    let result = try setup.run()
    #expect(result.status == 1)
    #expect(result.stderr.contains("after hook 'false' failed"), "\(result.stderr)")
    #expect(try await RepositoryInspection(path: setup.repo).records().count == 1, "the snapshot is kept")
    #expect(setup.mark("failure")?["CAIRN_EXIT_STATUS"] == "1")
  }
}
