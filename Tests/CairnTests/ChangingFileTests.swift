import Foundation
import Testing

/// Promise "Bad input" (Docs/PROMISES.md): a file that keeps changing while
/// the backup reads it (read again three times, changed every time) is
/// stored marked inconsistent in its manifest entry. The backup names it and
/// exits 3; `ls` and `check` show the mark; restore writes the copy, warns
/// that it may not be a consistent version, and exits 3; the next backup
/// reads it again rather than trusting the marked copy.
@Suite struct ChangingFileTests {
  @Test func fileThatKeepsChangingIsStoredMarkedInconsistent() throws {
    let work = try BackupWorkspace(blockSize: 65536)
    let source = work.sub("src")
    let file = "\(source)/growing.log"
    try shell("mkdir -p '\(source)' && head -c 20000000 /dev/urandom > '\(file)' && echo still > '\(source)/still'")
    // An appender that changes the file's size every millisecond or so,
    // until the test creates `stop` (or 60 s pass).
    let stop = work.sub("stop")
    let appender = Process()
    appender.executableURL = URL(fileURLWithPath: "/bin/bash")
    appender.arguments = [
      "-c", "end=$((SECONDS + 60)); while [ ! -e '\(stop)' ] && [ $SECONDS -lt $end ]; do echo x >> '\(file)'; done",
    ]
    try appender.run()
    func stopAppender() {
      _ = FileManager.default.createFile(atPath: stop, contents: nil)
      appender.waitUntilExit()
    }
    defer { stopAppender() }
    Thread.sleep(forTimeInterval: 0.2)

    let backup = try Cairn.run(["backup", "--repo", work.repo, source])
    stopAppender()
    #expect(backup.status == 3, "\(backup.output)")
    #expect(backup.stderr.contains("growing.log") && backup.stderr.contains("inconsistent"), "\(backup.stderr)")
    let snapshot = try #require(try snapshotIDs(work.repo).last)

    let listing = try Cairn.run(["ls", "--repo", work.repo, snapshot])
    let line = listing.stdout.split(separator: "\n").first {
      $0.hasSuffix("(inconsistent copy: changed while it was read)")
    }
    #expect(line?.contains("growing.log") == true, "\(listing.stdout)")
    #expect(!listing.stdout.split(separator: "\n").contains { $0.contains("still") && $0.contains("inconsistent") })
    let json = try jsonArray(try Cairn.run(["ls", "--repo", work.repo, snapshot, "--json"]).stdout)
    #expect(json.filter { $0["inconsistent"] as? Bool == true }.compactMap { $0["path"] as? String } == [file])

    let check = try Cairn.run(["check", "--repo", work.repo, "--read-data"])
    #expect(check.status == 0, "\(check.output)")
    #expect(check.stderr.contains("warning") && check.stderr.contains("growing.log"), "\(check.stderr)")

    let target = work.sub("out")
    let restore = try work.restore(snapshot, to: target)
    #expect(restore.status == 3, "\(restore.output)")
    #expect(restore.stderr.contains("growing.log") && restore.stderr.contains("consistent"), "\(restore.stderr)")
    #expect(FileManager.default.contents(atPath: "\(target)\(source)/still") == Data("still\n".utf8))

    // Still now: the next differential reads it again and stores it consistent.
    let next = try Cairn.run(["backup", "--repo", work.repo, "--differential", source])
    #expect(next.status == 0, "\(next.output)")
    let relisted = try Cairn.run(["ls", "--repo", work.repo, "latest"])
    #expect(!relisted.stdout.contains("inconsistent"), "\(relisted.stdout)")
    let again = work.sub("again")
    #expect(try work.restore("latest", to: again).status == 0)
    #expect(
      FileManager.default.contents(atPath: "\(again)\(file)") == FileManager.default.contents(atPath: file))
  }
}
