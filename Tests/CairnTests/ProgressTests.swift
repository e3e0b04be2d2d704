import Foundation
import Testing

/// The progress line as a person at a terminal sees it: run under a
/// pseudo-terminal with util-linux `script`.
@Suite struct ProgressTests {
  static var hasScript: Bool { FileManager.default.isExecutableFile(atPath: "/usr/bin/script") }

  /// Runs `cairn ARGS` on a pseudo-terminal; returns what it drew there.
  static func onTerminal(_ arguments: [String]) throws -> CommandResult {
    let command = ([Cairn.binary] + arguments).map { "'\($0)'" }.joined(separator: " ")
    return try runProcess(
      "/usr/bin/script", ["-q", "-e", "-c", command, "/dev/null"],
      environment: ["CAIRN_PROGRESS_INTERVAL": "0.001", "TERM": "dumb"])
  }

  @Test(.enabled(if: hasScript, "util-linux 'script' is not installed"))
  func backupNamesThePublishingPhaseAndRestoreAndCheckShowProgress() throws {
    let dir = TemporaryDirectory("cairn-progress")
    let repo = dir.sub("repo")
    let source = dir.sub("src")
    try shell(
      """
      set -e
      mkdir -p \(source)/many
      head -c 4000000 /dev/urandom > \(source)/big
      for i in $(seq 1 800); do echo $i > \(source)/many/f$i; done
      """)
    #expect(try Cairn.run(["init", "--repo", repo]).status == 0)
    let backup = try Self.onTerminal(["backup", "--repo", repo, source])
    #expect(backup.status == 0, "\(backup.output)")
    #expect(backup.stdout.contains("reading files "), "\(backup.stdout)")
    #expect(backup.stdout.contains("/801"), "the total is estimated: \(backup.stdout)")
    #expect(backup.stdout.contains("publishing: 801 files"), "\(backup.stdout)")
    #expect(backup.stdout.contains("snapshot "), "the summary follows: \(backup.stdout)")

    let restore = try Self.onTerminal(["restore", "--repo", repo, "latest", dir.sub("out")])
    #expect(restore.status == 0, "\(restore.output)")
    #expect(restore.stdout.contains("restoring files "), "\(restore.stdout)")
    #expect(restore.stdout.contains("/801"), "\(restore.stdout)")
    #expect(restore.stdout.contains("restored snapshot"), "\(restore.stdout)")

    let check = try Self.onTerminal(["check", "--repo", repo, "--read-data"])
    #expect(check.status == 0, "\(check.output)")
    #expect(check.stdout.contains("verifying objects "), "\(check.stdout)")
    #expect(check.stdout.contains("no problems"), "\(check.stdout)")
  }
}
