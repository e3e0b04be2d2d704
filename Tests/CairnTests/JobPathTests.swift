import Foundation
import Testing

/// Promise "Bad input" (Docs/PROMISES.md): paths in a job config are taken
/// relative to the config file's directory, never to the directory a
/// scheduler happens to start in; a `log_file` whose directory does not
/// exist is an error naming it, not a run that logs nowhere.
@Suite struct JobPathTests {
  @Test func relativePathsInTheConfigAreResolvedAgainstItsDirectory() throws {
    let dir = TemporaryDirectory("cairn-job-paths")
    let elsewhere = dir.sub("elsewhere")
    try shell(
      "mkdir -p '\(dir.sub("job/src"))' '\(dir.sub("job/logs"))' '\(elsewhere)' && echo data > '\(dir.sub("job/src/file"))'"
    )
    try """
    repository: backups/../repo
    create_repository: true
    sources:
      - src
    log_file: logs/cairn.log
    """.write(toFile: dir.sub("job/job.yaml"), atomically: true, encoding: .utf8)

    // Started from another directory, with the config named relative to it.
    let run = try runProcess(
      "/bin/bash", ["-c", "cd '\(elsewhere)' && exec '\(Cairn.binary)' backup --config ../job/job.yaml"])
    #expect(run.status == 0, "\(run.output)")
    #expect(directoryContents(elsewhere).isEmpty, "something was created in the current directory")
    let ids = try snapshotIDs(dir.sub("job/repo"))
    #expect(ids.count == 1)
    let entries = try snapshotEntries(dir.sub("job/repo"), ids[0]).map(\.path)
    #expect(entries.contains(dir.sub("job/src/file")), "\(entries)")
    let log = String(
      decoding: FileManager.default.contents(atPath: dir.sub("job/logs/cairn.log")) ?? Data(), as: UTF8.self)
    #expect(log.contains("backup finished"), "\(log)")
  }

  @Test func logFileInAMissingDirectoryIsAnError() throws {
    let dir = TemporaryDirectory("cairn-job-paths")
    try shell("mkdir -p '\(dir.sub("src"))' && echo data > '\(dir.sub("src/file"))'")
    let missing = dir.sub("no-such-dir/cairn.log")
    try """
    repository: \(dir.sub("repo"))
    create_repository: true
    sources:
      - \(dir.sub("src"))
    log_file: \(missing)
    """.write(toFile: dir.sub("job.yaml"), atomically: true, encoding: .utf8)
    let run = try Cairn.run(["backup", "--config", dir.sub("job.yaml")])
    #expect(run.status == 1, "\(run.output)")
    #expect(run.stderr.contains(missing) && run.stderr.contains("line 5"), "\(run.stderr)")
    #expect(trimmedLines(run.stderr).count == 1, "\(run.stderr)")
    #expect(!FileManager.default.fileExists(atPath: dir.sub("repo")), "the run went ahead")
  }
}
