import Foundation
import Testing

/// Bad input gets a one-line error and exit status 1, and changes nothing in
/// the repository (compared as a full listing: every file, byte and time),
/// except that lines may be appended to its backup.log.
@Suite struct BadInputTests {
  /// A repository with one snapshot of `src`.
  private func repositoryWithSnapshot() throws -> (work: BackupWorkspace, source: String) {
    let work = try BackupWorkspace()
    let source = work.sub("src")
    try shell("mkdir -p \(source) && head -c 100000 /dev/urandom > \(source)/f && echo g > \(source)/g")
    try work.backup([source], now: "2026-01-01T00:00:00Z")
    return (work, source)
  }

  /// Status 1 and a single line on stderr that contains every one of `names`.
  private func expectOneLineError(_ result: CommandResult, naming names: [String]) {
    #expect(result.status == 1, "\(result.output)")
    let lines = trimmedLines(result.stderr)
    #expect(lines.count == 1, "expected a one-line error, got: \(result.stderr)")
    for name in names {
      #expect(result.stderr.contains(name), "the error does not name '\(name)': \(result.stderr)")
    }
  }

  @Test func everySourceMissingIsRefusedByName() throws {
    let (work, _) = try repositoryWithSnapshot()
    let before = try RepositoryState(work.repo)
    let missing = work.sub("no-such-directory")
    let other = work.sub("neither")

    let alone = try Cairn.run(["backup", "--repo", work.repo, missing])
    #expect(alone.status == 1)
    expectOneLineError(alone, naming: [missing])
    let both = try Cairn.run(["backup", "--repo", work.repo, missing, other])
    #expect(both.status == 1)
    expectOneLineError(both, naming: [missing, other])

    try RepositoryState(work.repo).expectUnchanged(since: before)
    #expect(try work.snapshots().count == 1)
  }

  @Test func aMissingSourceBesideAGoodOneIsAWarningAndExitThree() throws {
    let (work, source) = try repositoryWithSnapshot()
    let missing = work.sub("no-such-directory")
    let mixed = try Cairn.run(["backup", "--repo", work.repo, "--json", source, missing])
    #expect(mixed.status == 3, "\(mixed.output)")
    #expect(mixed.stderr.contains("warning: '\(missing)' does not exist"), "\(mixed.stderr)")
    let snapshot = try jsonObject(mixed.stdout)["snapshot"] as? [String: Any] ?? [:]
    // The missing source stays in the record, so the snapshot stays in its group.
    #expect((snapshot["sources"] as? [String])?.sorted() == [missing, source].sorted())
    let listing = try jsonArray(try Cairn.run(["ls", "--repo", work.repo, "latest", "--json"]).stdout)
    #expect(listing.contains { ($0["path"] as? String)?.hasPrefix(source + "/") == true })
    #expect(try work.snapshots().count == 2)
  }

  @Test func directoryThatIsNotARepositoryIsRefusedByName() throws {
    let (work, source) = try repositoryWithSnapshot()
    let plain = work.sub("plain")
    try shell("mkdir -p \(plain)/inner && echo data > \(plain)/file")
    let before = try TreeListing(plain)

    expectOneLineError(try Cairn.run(["backup", "--repo", plain, source]), naming: [plain])
    expectOneLineError(try Cairn.run(["snapshots", "--repo", plain]), naming: [plain])
    expectOneLineError(try Cairn.run(["restore", "--repo", plain, "latest", work.sub("out")]), naming: [plain])

    let after = try TreeListing(plain)
    #expect(after == before, "\(before.differences(from: after))")
  }

  @Test func missingRepositoryIsRefusedAndNotCreated() throws {
    let (work, source) = try repositoryWithSnapshot()
    let nowhere = work.sub("no-repository-here")
    expectOneLineError(try Cairn.run(["backup", "--repo", nowhere, source]), naming: [nowhere])
    expectOneLineError(try Cairn.run(["snapshots", "--repo", nowhere]), naming: [nowhere])
    #expect(!FileManager.default.fileExists(atPath: nowhere))
  }

  @Test func unknownOrAmbiguousSnapshotIsRefused() throws {
    let (work, source) = try repositoryWithSnapshot()
    try work.backup([source], now: "2026-01-01T00:00:01Z")
    let before = try RepositoryState(work.repo)

    let unknown = "20991231T000000Z-deadbeef"
    let target = work.sub("out")
    expectOneLineError(try work.restore(unknown, to: target), naming: [unknown])
    // "2026" is a prefix of both snapshots' ids.
    expectOneLineError(try work.restore("2026", to: target), naming: ["2026"])

    try RepositoryState(work.repo).expectUnchanged(since: before)
    // Nothing was restored anywhere.
    let restored = (try? FileManager.default.contentsOfDirectory(atPath: target)) ?? []
    #expect(restored.isEmpty)
  }

  @Test func nonEmptyTargetIsRefusedWithoutOverwrite() throws {
    let (work, _) = try repositoryWithSnapshot()
    let target = work.sub("out")
    // Nothing in the target is in the snapshot's way: only the refusal can stop the restore.
    try shell("mkdir -p \(target) && echo mine > \(target)/keep-me")
    let repositoryBefore = try RepositoryState(work.repo)
    let targetBefore = try TreeListing(target)

    expectOneLineError(try work.restore("latest", to: target), naming: [target])

    let targetAfter = try TreeListing(target)
    #expect(targetAfter == targetBefore, "\(targetBefore.differences(from: targetAfter))")
    try RepositoryState(work.repo).expectUnchanged(since: repositoryBefore)
  }

  @Test func targetThatIsAFileIsRefused() throws {
    let (work, _) = try repositoryWithSnapshot()
    let target = work.sub("a-file")
    try shell("echo precious > \(target)")
    let before = try RepositoryState(work.repo)
    expectOneLineError(try work.restore("latest", to: target), naming: [target])
    #expect(try String(contentsOfFile: target, encoding: .utf8) == "precious\n")
    try RepositoryState(work.repo).expectUnchanged(since: before)
  }

  @Test func nestedSourcesAreRefused() throws {
    let (work, source) = try repositoryWithSnapshot()
    try shell("mkdir -p \(source)/inner")
    let before = try RepositoryState(work.repo)
    expectOneLineError(
      try Cairn.run(["backup", "--repo", work.repo, source, "\(source)/inner"]), naming: ["\(source)/inner"])
    try RepositoryState(work.repo).expectUnchanged(since: before)
    #expect(try work.snapshots().count == 1)
  }

  @Test func includeOfAPathNotInTheSnapshotIsReported() throws {
    let (work, source) = try repositoryWithSnapshot()
    let before = try RepositoryState(work.repo)
    let result = try work.restore("latest", to: work.sub("out"), ["--include", "\(source)/not-there"])
    #expect(result.status == 1, "\(result.output)")
    #expect(result.stderr.contains("\(source)/not-there"), "\(result.stderr)")
    try RepositoryState(work.repo).expectUnchanged(since: before)
  }

  @Test func latestOfAnEmptyRepositoryIsRefused() throws {
    let work = try BackupWorkspace()
    let before = try RepositoryState(work.repo)
    expectOneLineError(try work.restore("latest", to: work.sub("out")), naming: [work.repo])
    try RepositoryState(work.repo).expectUnchanged(since: before)
  }

  @Test func initOnExistingRepositoryIsRefused() throws {
    let (work, _) = try repositoryWithSnapshot()
    let before = try RepositoryState(work.repo)

    expectOneLineError(try Cairn.run(["init", "--repo", work.repo]), naming: [work.repo])
    expectOneLineError(try Cairn.run(["init", "--repo", work.repo, "--block-size", "131072"]), naming: [work.repo])

    try RepositoryState(work.repo).expectUnchanged(since: before)
    #expect(try work.snapshots().count == 1)
  }

  @Test func initOnNonEmptyDirectoryIsRefused() throws {
    let work = try BackupWorkspace(initialize: false)
    let occupied = work.sub("occupied")
    try shell("mkdir -p \(occupied) && echo precious > \(occupied)/precious")
    let before = try TreeListing(occupied)
    expectOneLineError(try Cairn.run(["init", "--repo", occupied]), naming: [occupied])
    let after = try TreeListing(occupied)
    #expect(after == before, "\(before.differences(from: after))")
  }

  @Test(arguments: ["65535", "16777217", "0"])
  func blockSizeOutOfRangeIsRefused(blockSize: String) throws {
    let work = try BackupWorkspace(initialize: false)
    let result = try Cairn.run(["init", "--repo", work.repo, "--block-size", blockSize])
    expectOneLineError(result, naming: [blockSize])
    #expect(!FileManager.default.fileExists(atPath: "\(work.repo)/config"))
  }
}
