import Foundation
import Testing

/// The `cairn` binary against a real S3 server (Ceph's RADOS Gateway, started
/// by Tests/S3/start-ceph.sh): what a user does with an off-site repository,
/// and what happens when the network or the process fails.
@Suite(.serialized) struct S3CommandTests {
  /// A fresh repository prefix in the test bucket, a password and a source tree.
  struct Fixture {
    let work = TemporaryDirectory("cairn-s3")
    let endpoint: String
    let repo: String
    var source: String { work.sub("src") }
    var environment: [String: String] { ["CAIRN_PASSWORD_FILE": work.sub("password")] }

    init(endpoint: String? = nil) throws {
      let real = try S3TestServer.requireEndpoint()
      self.endpoint = endpoint ?? real
      repo = "s3:\(self.endpoint)/\(S3TestServer.bucket)/cli-\(UInt32.random(in: 0...UInt32.max))"
      try shell(
        """
        set -e
        mkdir -p '\(work.sub("src/sub"))'
        printf 'pw\\n' > '\(work.sub("password"))'
        head -c 2500000 /dev/urandom > '\(work.sub("src/big"))'
        for i in $(seq 1 40); do echo "small file $i" > '\(work.sub("src/sub"))'/f$i; done
        """)
    }

    /// `cairn ARGS` with the repository's password (and any extra environment).
    func run(_ arguments: [String], _ extra: [String: String] = [:]) throws -> CommandResult {
      try Cairn.run(arguments, environment: environment.merging(extra) { _, new in new })
    }

    func initialize() throws {
      let created = try run(["init", "--repo", repo, "--kdf-cost", "10"])
      try #require(created.status == 0, "\(created.output)")
    }

    func backup(_ options: [String] = []) throws -> String {
      let result = try run(["backup", "--repo", repo, "--json"] + options + [source])
      try #require(result.status == 0, "\(result.output)")
      return (try jsonObject(result.stdout)["snapshot"] as? [String: Any])?["id"] as? String ?? ""
    }

    func expectRestores(_ snapshot: String, sourceLocation: SourceLocation = #_sourceLocation) throws {
      let target = work.sub("restore-\(UInt32.random(in: 0...UInt32.max))")
      let restore = try run(["restore", "--repo", repo, snapshot, target])
      #expect(restore.status == 0, "\(restore.output)", sourceLocation: sourceLocation)
      #expect(try TreeListing(source) == TreeListing(target + source), sourceLocation: sourceLocation)
    }

    func expectCheckPasses(sourceLocation: SourceLocation = #_sourceLocation) throws {
      let check = try run(["check", "--repo", repo, "--read-data"])
      #expect(check.status == 0, "\(check.output)", sourceLocation: sourceLocation)
    }
  }

  @Test func initBackupRestoreAndEveryCommandWork() throws {
    let fixture = try Fixture()
    try fixture.initialize()
    let full = try fixture.backup()
    try shell("echo changed >> '\(fixture.source)/sub/f3' && echo new > '\(fixture.source)/sub/new'")
    let differential = try fixture.backup()
    try fixture.expectRestores(differential)
    for command in [
      ["ls", "--repo", fixture.repo, differential], ["diff", "--repo", fixture.repo, full, differential],
      ["stats", "--repo", fixture.repo], ["snapshots", "--repo", fixture.repo, "--json"],
    ] {
      let result = try fixture.run(command)
      #expect(result.status == 0, "\(command[0]): \(result.output)")
    }
    let diff = try fixture.run(["diff", "--repo", fixture.repo, full, differential])
    #expect(diff.stdout.contains("sub/new") && diff.stdout.contains("sub/f3"), "\(diff.stdout)")
    let snapshots = try jsonArray(try fixture.run(["snapshots", "--repo", fixture.repo, "--json"]).stdout)
    #expect(snapshots.map { $0["kind"] as? String } == ["full", "differential"])
    let forget = try fixture.run(["forget", "--repo", fixture.repo, "--keep-last", "1"])
    #expect(forget.status == 0, "\(forget.output)")
    let gc = try fixture.run(["gc", "--repo", fixture.repo, "--json"])
    #expect(gc.status == 0, "\(gc.output)")
    try fixture.expectCheckPasses()
    try fixture.expectRestores("latest")
    // An S3 repository is encrypted unless told otherwise: nothing readable is stored.
    let wrong = try fixture.run(["snapshots", "--repo", fixture.repo], ["CAIRN_PASSWORD_FILE": "/dev/null"])
    #expect(wrong.status == 1, "\(wrong.output)")
  }

  /// backup, restore and gc report their requests in --json; a backup of an
  /// unchanged tree checks its few objects one by one instead of listing
  /// the 256 object groups, and a restore reads ahead with a GET per object.
  @Test func requestCountsShowAndAnUnchangedBackupListsNoObjects() throws {
    let fixture = try Fixture()
    // 64 KiB blocks: the 2.5 MB file alone makes 39 objects, more than are checked one by one.
    let created = try fixture.run(["init", "--repo", fixture.repo, "--kdf-cost", "10", "--block-size", "65536"])
    try #require(created.status == 0, "\(created.output)")
    func requests(_ arguments: [String]) throws -> [String: Int] {
      let result = try fixture.run(arguments + ["--json"])
      try #require(result.status == 0, "\(result.output)")
      return try #require(try jsonObject(result.stdout)["requests"] as? [String: Int], "\(result.stdout)")
    }
    let backup = ["backup", "--repo", fixture.repo, fixture.source]
    let first = try requests(backup)
    #expect(first["put"]! > 39 && first["list"]! >= 256, "a first backup stores and lists: \(first)")
    let unchanged = try requests(backup)
    // The lock and the snapshot records are listed; no object group is.
    #expect(unchanged["list"]! < 10, "\(unchanged)")
    #expect(unchanged["head"]! <= 32, "\(unchanged)")
    let target = fixture.work.sub("out")
    let restore = try requests(["restore", "--repo", fixture.repo, "latest", target])
    #expect(restore["get"]! >= 40 && restore["put"]! <= 3, "a GET per object, no upload: \(restore)")
    #expect(try TreeListing(fixture.source) == TreeListing(target + fixture.source))
    let gc = try requests(["gc", "--repo", fixture.repo])
    #expect(gc["list"]! >= 256, "gc lists every object group: \(gc)")
    // Each run also writes its counts to the repository's log, a backup's
    // before its `backup finished` line.
    let log = try fixture.run(["log", "--repo", fixture.repo])
    try #require(log.status == 0, "\(log.output)")
    let logLines = log.stdout.split(separator: "\n")
    let lines = logLines.filter { $0.contains("msg=\"S3 requests\"") }
    #expect(lines.count == 4, "two backups, a restore and a gc: \(log.stdout)")
    #expect(lines.first?.contains("list=\(first["list"]!)") == true, "the first backup's LISTs: \(lines)")
    let firstCounts = try #require(logLines.firstIndex { $0.contains("msg=\"S3 requests\"") })
    let firstFinished = try #require(logLines.firstIndex { $0.contains("msg=\"backup finished\"") })
    #expect(firstCounts < firstFinished, "\(log.stdout)")
  }

  @Test func theScheduledJobRunsFromYAMLWithCredentialsFromFiles() throws {
    let fixture = try Fixture()
    let environment = ProcessInfo.processInfo.environment
    try shell(
      """
      printf '%s\\n' '\(environment["AWS_ACCESS_KEY_ID"] ?? "")' > '\(fixture.work.sub("key-id"))'
      printf '%s\\n' '\(environment["AWS_SECRET_ACCESS_KEY"] ?? "")' > '\(fixture.work.sub("secret"))'
      """)
    let config = """
      repository: \(fixture.repo)
      create_repository: true
      sources:
        - \(fixture.source)
      password_file: password
      s3_access_key_id_file: key-id
      s3_secret_access_key_file: secret
      keep_last: 2
      """
    try config.write(toFile: fixture.work.sub("job.yaml"), atomically: true, encoding: .utf8)
    // No AWS_* variables: the job's files are the only credentials.
    let clean = ["AWS_ACCESS_KEY_ID": "", "AWS_SECRET_ACCESS_KEY": "", "CAIRN_PASSWORD_FILE": ""]
    for _ in 0..<3 {
      let run = try Cairn.run(["backup", "--config", fixture.work.sub("job.yaml")], environment: clean)
      #expect(run.status == 0, "\(run.output)")
    }
    // Created by the job on S3, the repository is encrypted, as `cairn init` makes one there.
    let withoutPassword = try Cairn.run(
      ["snapshots", "--repo", fixture.repo], environment: ["CAIRN_PASSWORD_FILE": ""])
    #expect(withoutPassword.status != 0, "\(withoutPassword.output)")
    #expect(withoutPassword.output.contains("password"), "\(withoutPassword.output)")
    // keep_last 2 keeps the two newest (differentials) and the full they are based on.
    let snapshots = try jsonArray(try fixture.run(["snapshots", "--repo", fixture.repo, "--json"]).stdout)
    #expect(snapshots.map { $0["kind"] as? String } == ["full", "differential", "differential"], "\(snapshots)")
    let log = try fixture.run(["log", "--repo", fixture.repo])
    #expect(log.stdout.contains("msg=\"retention applied\""), "\(log.stdout)")
    #expect(log.stdout.contains("keptAsBase=1"), "\(log.stdout)")
  }

  @Test func killedDuringUploadAndDuringGCNothingIsLost() throws {
    let fixture = try Fixture()
    try fixture.initialize()
    let first = try fixture.backup()
    // Three of the S3 default's 8 MiB blocks: the kill falls between two uploads.
    try shell("head -c 20000000 /dev/urandom > '\(fixture.source)/more'")
    let killed = try runCairnAllowingCrash(
      ["backup", "--repo", fixture.repo, fixture.source],
      environment: fixture.environment.merging(["CAIRN_CRASH_AT": "backup.object:2"]) { _, new in new })
    #expect(killed.killedBySignal, "the backup was not killed")
    // A killed process leaves its lock object; unlock --force clears it (the user knows no cairn runs).
    #expect(try fixture.run(["unlock", "--repo", fixture.repo, "--force"]).status == 0)
    try fixture.expectCheckPasses()
    let second = try fixture.backup(["--full"])
    try fixture.expectRestores(second)
    // gc killed after its first deletion: the kept snapshots still restore.
    #expect(try fixture.run(["forget", "--repo", fixture.repo, "--keep-last", "1"]).status == 0)
    let gcKilled = try runCairnAllowingCrash(
      ["gc", "--repo", fixture.repo],
      environment: fixture.environment.merging(["CAIRN_CRASH_AT": "gc.delete:1"]) { _, new in new })
    #expect(gcKilled.killedBySignal, "gc was not killed")
    #expect(try fixture.run(["unlock", "--repo", fixture.repo, "--force"]).status == 0)
    try fixture.expectCheckPasses()
    try fixture.expectRestores(second)
    #expect(try fixture.run(["gc", "--repo", fixture.repo]).status == 0)
    try fixture.expectCheckPasses()
    _ = first
  }

  @Test func twoBackupsAndAGCAtOnceLoseNothing() throws {
    let fixture = try Fixture()
    try fixture.initialize()
    _ = try fixture.backup()
    let other = fixture.work.sub("other")
    try shell("mkdir -p '\(other)' && head -c 1500000 /dev/urandom > '\(other)/x' && echo y > '\(other)/y'")
    #expect(try fixture.run(["forget", "--repo", fixture.repo, "--keep-last", "1"]).status == 0)
    let errors = TemporaryDirectory("cairn-s3-concurrent")
    let processes = try [
      ["backup", "--repo", fixture.repo, "--full", fixture.source],
      ["backup", "--repo", fixture.repo, other],
      ["gc", "--repo", fixture.repo],
    ].enumerated().map { index, arguments in
      try startCairn(arguments, environment: fixture.environment, stderrPath: errors.sub("\(index)"))
    }
    for (index, process) in processes.enumerated() {
      #expect(waitForExit(process, timeout: 240), "process \(index) did not finish")
      let stderr = (try? String(contentsOfFile: errors.sub("\(index)"), encoding: .utf8)) ?? ""
      #expect(process.terminationStatus == 0, "process \(index): \(stderr)")
    }
    try fixture.expectCheckPasses()
    let snapshots = try jsonArray(try fixture.run(["snapshots", "--repo", fixture.repo, "--json"]).stdout)
    #expect(snapshots.count == 3, "\(snapshots)")
    // The newest snapshot of the first tree restores it exactly.
    let newestOfSource = snapshots.last { ($0["sources"] as? [String]) == [fixture.source] }?["id"] as? String
    try fixture.expectRestores(try #require(newestOfSource))
  }

  @Test func aWrongSecretKeyAndAMissingBucketAreNamed() throws {
    let fixture = try Fixture()
    try fixture.initialize()
    let wrong = try fixture.run(["snapshots", "--repo", fixture.repo], ["AWS_SECRET_ACCESS_KEY": "not-the-secret"])
    #expect(wrong.status == 1, "\(wrong.output)")
    #expect(wrong.stderr.lowercased().contains("credentials"), "\(wrong.stderr)")
    #expect(trimmedLines(wrong.stderr).count == 1, "\(wrong.stderr)")
    let missing = "s3:\(fixture.endpoint)/no-such-bucket-\(UInt32.random(in: 0...UInt32.max))/x"
    let created = try fixture.run(["init", "--repo", missing, "--kdf-cost", "10"])
    #expect(created.status == 1, "\(created.output)")
    #expect(created.stderr.contains("does not exist"), "\(created.stderr)")
    #expect(trimmedLines(created.stderr).count == 1, "\(created.stderr)")
  }

  /// Through a proxy that drops every connection for a while: the retries win
  /// over a short outage; a long one fails cleanly, and the next run works.
  @Test func aServerThatGoesAwayAndComesBack() async throws {
    let real = try S3TestServer.requireEndpoint()
    let proxy = try await FaultProxy(upstream: real)
    let fixture = try Fixture(endpoint: "http://127.0.0.1:\(proxy.port)")
    try fixture.initialize()
    let first = try fixture.backup()
    try shell("head -c 3000000 /dev/urandom > '\(fixture.source)/during-outage'")

    // A short outage in the middle of a backup.
    let errors = TemporaryDirectory("cairn-s3-outage")
    let process = try startCairn(
      ["backup", "--repo", fixture.repo, fixture.source], environment: fixture.environment,
      stderrPath: errors.sub("stderr"))
    try await Task.sleep(for: .milliseconds(300))
    proxy.always(.drop)
    try await Task.sleep(for: .seconds(2))
    proxy.always(nil)
    #expect(waitForExit(process, timeout: 120))
    let stderr = (try? String(contentsOfFile: errors.sub("stderr"), encoding: .utf8)) ?? ""
    #expect(process.terminationStatus == 0, "a short outage was not retried over: \(stderr)")

    // A long outage: the run fails with one clear line and records nothing.
    let before = try jsonArray(try fixture.run(["snapshots", "--repo", fixture.repo, "--json"]).stdout).count
    try shell("head -c 100000 /dev/urandom > '\(fixture.source)/second'")
    proxy.always(.drop)
    let failed = try fixture.run(["backup", "--repo", fixture.repo, "--lock-wait", "0", fixture.source])
    proxy.always(nil)
    #expect(failed.status == 1, "\(failed.output)")
    // The error is the last line; before it, the retries were told as
    // warnings, a few at most (one per 10 s while all requests fail).
    let lines = trimmedLines(failed.stderr)
    let warnings = lines.dropLast()
    #expect(lines.last?.hasPrefix("Error: ") == true && lines.last?.contains("attempts") == true, "\(failed.stderr)")
    #expect((1...3).contains(warnings.count), "\(failed.stderr)")
    #expect(
      warnings.allSatisfy { $0.hasPrefix("warning: S3 ") && $0.contains(" failed (") && $0.contains("; attempt ") },
      "\(failed.stderr)")
    _ = try fixture.run(["unlock", "--repo", fixture.repo, "--force"])
    #expect(try jsonArray(try fixture.run(["snapshots", "--repo", fixture.repo, "--json"]).stdout).count == before)
    try fixture.expectCheckPasses()
    _ = try fixture.backup()
    try fixture.expectRestores("latest")
    #expect(!first.isEmpty)
    await proxy.shutdown()
  }
}
