import Foundation
import Testing

/// Promise "Clock skew" (Docs/PROMISES.md): snapshots are ordered by when
/// their records were written, not by the date they carry, so a snapshot
/// dated in the future (a clock that was ahead, a dead RTC) can never hide
/// new data. A run never removes the snapshot it has just made; `latest`
/// is the newest written; `snapshots`, `forget` and `check` say which
/// snapshots are dated ahead of the clock.
@Suite struct ClockSkewTests {
  /// A full snapshot dated in 2031, then the clock is right again.
  private func repositoryWithFutureSnapshot() throws -> (work: BackupWorkspace, source: String, future: String) {
    let work = try BackupWorkspace()
    let source = work.sub("src")
    try shell("mkdir -p '\(source)' && echo 'old data' > '\(source)/file'")
    let future = try work.backup([source], now: "2031-01-01T00:00:00Z")
    try shell("echo 'new data' > '\(source)/file' && echo 'added later' > '\(source)/added'")
    return (work, source, future.id)
  }

  @Test func backupWithKeepNeverRemovesTheSnapshotItJustMade() throws {
    let (work, source, future) = try repositoryWithFutureSnapshot()

    let run = try Cairn.run(["backup", "--repo", work.repo, "--keep", "1", source])
    #expect(run.status == 0, "\(run.output)")
    #expect(run.stderr.contains("ahead"), "the future snapshot is not reported: \(run.stderr)")
    let left = try snapshotIDs(work.repo)
    #expect(left.count == 1 && left.first != future, "kept \(left), the future snapshot was \(future)")

    let target = work.sub("out")
    #expect(try work.restore("latest", to: target).status == 0)
    #expect(FileManager.default.contents(atPath: "\(target)\(source)/file") == Data("new data\n".utf8))
    #expect(FileManager.default.contents(atPath: "\(target)\(source)/added") == Data("added later\n".utf8))

    // The next runs keep working the same way.
    try shell("echo 'newer data' > '\(source)/file'")
    #expect(try Cairn.run(["backup", "--repo", work.repo, "--keep", "1", source]).status == 0)
    let again = work.sub("again")
    #expect(try work.restore("latest", to: again).status == 0)
    #expect(FileManager.default.contents(atPath: "\(again)\(source)/file") == Data("newer data\n".utf8))
  }

  @Test func latestIsTheNewestWrittenAndTheFutureOneIsReported() throws {
    let (work, source, future) = try repositoryWithFutureSnapshot()
    // Automatic kind: the newest full's age is unknown, so this one is full.
    let made = try work.backup([source])
    #expect(made.kind == "full")
    #expect(try snapshotIDs(work.repo) == [future, made.id], "snapshots are not in write order")

    let target = work.sub("out")
    #expect(try work.restore("latest", to: target).status == 0)
    #expect(FileManager.default.contents(atPath: "\(target)\(source)/file") == Data("new data\n".utf8))

    let listing = try Cairn.run(["snapshots", "--repo", work.repo])
    #expect(listing.stderr.contains(future) && listing.stderr.contains("ahead"), "\(listing.stderr)")
    let marked = listing.stdout.split(separator: "\n").filter { $0.contains("dated ahead of this clock") }
    #expect(marked.count == 1 && marked[0].contains(future), "\(listing.stdout)")

    let check = try Cairn.run(["check", "--repo", work.repo])
    #expect(check.status == 0, "\(check.output)")
    #expect(check.stderr.contains(future) && check.stderr.contains("ahead"), "\(check.stderr)")

    let forget = try Cairn.run(["forget", "--repo", work.repo, "--keep", "1", "--dry-run"])
    #expect(forget.status == 0, "\(forget.output)")
    #expect(forget.stderr.contains(future) && forget.stderr.contains("ahead"), "\(forget.stderr)")
  }
}
