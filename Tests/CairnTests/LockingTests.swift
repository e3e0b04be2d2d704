import Foundation
import Synchronization
import Testing

/// Locks are flock(2) on REPO/lock, so util-linux's `flock` can stand in for
/// a cairn process holding one; the last test lines up two real cairn runs.
@Suite struct LockingTests {
  /// Holds the lock for `seconds`, or until the file `release` exists.
  private func holdLock(
    _ repo: String, exclusive: Bool, seconds: Int, ready: String, release: String = "/nonexistent/release"
  ) throws -> Process {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/bin/bash")
    // /bin/sh (flock's shell) may be dash: count 50 ms steps rather than read $SECONDS.
    let wait = "i=0; while [ ! -e \(release) ] && [ $i -lt \(seconds * 20) ]; do sleep 0.05; i=$((i + 1)); done"
    process.arguments = [
      "-c", "exec flock \(exclusive ? "-x" : "-s") \(repo) -c 'echo ready > \(ready); \(wait)'",
    ]
    try process.run()
    #expect(waitForText("ready", in: ready), "the lock holder did not start")
    return process
  }

  @Test func gcGivesUpClearlyWhileABackupHoldsTheLock() throws {
    let dir = TemporaryDirectory()
    #expect(try Cairn.run(["init", "--repo", dir.sub("repo")]).status == 0)
    let holder = try holdLock(dir.sub("repo"), exclusive: false, seconds: 5, ready: dir.sub("ready"))
    defer { holder.terminate() }
    let gc = try Cairn.run(["gc", "--repo", dir.sub("repo"), "--lock-wait", "1"])
    #expect(gc.status == 1)
    #expect(gc.stderr.contains("locked"), "\(gc.stderr)")
    #expect(gc.stderr.contains("backup"), "the error should name the kind of operation: \(gc.stderr)")
    #expect(gc.stderr.split(separator: "\n").count == 1, "one line: \(gc.stderr)")
  }

  @Test func backupWaitsForGcAndThenSucceeds() async throws {
    let dir = TemporaryDirectory()
    try shell("mkdir -p \(dir.sub("src")) && echo data > \(dir.sub("src/f"))")
    #expect(try Cairn.run(["init", "--repo", dir.sub("repo")]).status == 0)
    // Held until released after the waiting backup has started, however long the
    // steps before it take on a loaded machine.
    let release = dir.sub("release")
    let holder = try holdLock(
      dir.sub("repo"), exclusive: true, seconds: 120, ready: dir.sub("ready"), release: release)
    let refused = try Cairn.run(["backup", "--repo", dir.sub("repo"), "--lock-wait", "0", dir.sub("src")])
    #expect(refused.status == 1)
    #expect(refused.stderr.contains("forget or gc"), "\(refused.stderr)")
    #expect(try await RepositoryInspection(path: dir.sub("repo")).records().isEmpty)
    let started = Date()
    _ = try shell("(sleep 1.5; touch '\(release)') >/dev/null 2>&1 &")
    let waited = try Cairn.run(["backup", "--repo", dir.sub("repo"), "--lock-wait", "60", dir.sub("src")])
    holder.waitUntilExit()
    #expect(waited.status == 0, "\(waited.output)")
    #expect(Date().timeIntervalSince(started) > 0.5, "the backup should have waited for the lock")
    #expect(try await RepositoryInspection(path: dir.sub("repo")).records().count == 1)
  }

  @Test func gcStartedDuringABackupWaitsAndDeletesNothingItNeeds() throws {
    let dir = TemporaryDirectory()
    try shell(
      "mkdir -p \(dir.sub("src")) && head -c 2000000 /dev/urandom > \(dir.sub("src/big")) && echo x > \(dir.sub("src/small"))"
    )
    let repo = dir.sub("repo")
    #expect(try Cairn.run(["init", "--repo", repo, "--block-size", "65536"]).status == 0)
    // The backup pauses after its objects are durable and before its record
    // exists: the moment when its objects are referenced by nothing yet.
    let hold = HoldPoint("backup.record", in: dir.path)
    let backup = try startCairn(
      ["backup", "--repo", repo, dir.sub("src")], environment: hold.environment, stderrPath: dir.sub("backup.err"))
    #expect(waitForText("holding at backup.record", in: dir.sub("backup.err")))
    // gc starts while the backup holds, and is let go once it has logged its start.
    let gcDone = DispatchSemaphore(value: 0)
    let gcRun = CommandOutcome()
    Thread {
      gcRun.set(try? Cairn.run(["gc", "--repo", repo, "--lock-wait", "60", "--json"]))
      gcDone.signal()
    }.start()
    #expect(waitForText("msg=\"gc started\"", in: "\(repo)/backup.log"), "gc never started")
    hold.release()
    backup.waitUntilExit()
    gcDone.wait()
    let gc = try #require(gcRun.result)
    #expect(backup.terminationStatus == 0)
    #expect(gc.status == 0, "\(gc.output)")
    #expect((try jsonObject(gc.stdout))["objectsDeleted"] as? Int == 0)
    let check = try Cairn.run(["check", "--repo", repo, "--read-data"])
    #expect(check.status == 0, "\(check.output)")
    let restore = try Cairn.run(["restore", "--repo", repo, "latest", dir.sub("out")])
    #expect(restore.status == 0, "\(restore.output)")
    #expect(try TreeListing(dir.sub("src")) == TreeListing(dir.sub("out") + dir.sub("src")))
  }
}

/// The result of a command run on another thread.
private final class CommandOutcome: Sendable {
  private let value = Mutex<CommandResult?>(nil)

  func set(_ result: CommandResult?) { value.withLock { $0 = result } }

  var result: CommandResult? { value.withLock { $0 } }
}
