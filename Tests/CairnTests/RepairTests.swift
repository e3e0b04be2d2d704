import Foundation
import Testing

/// `check --read-data --repair` end to end through the binary: a damaged
/// object is moved into quarantine/ (bytes kept), a missing one is named,
/// the report says which snapshots and files they break, and one backup of
/// the unchanged source then makes every snapshot, old ones too, restore
/// byte for byte and `check --read-data` pass.
@Suite struct RepairTests {
  enum Damage: String, CaseIterable, Sendable {
    case flippedByte
    case deletedObject
  }

  /// A source with a multi-block `victim`, backed up twice (a full, then a
  /// differential after a file was added), with the listing at each time.
  private struct History {
    let work: BackupWorkspace
    let source: String
    var snapshots: [(id: String, listing: TreeListing)] = []

    init(kind: RepositoryKind) throws {
      work = try BackupWorkspace(blockSize: 65536, kind: kind)
      source = work.sub("src")
      try shell(
        """
        set -e
        mkdir -p '\(source)/docs'
        head -c 200000 /dev/urandom > '\(source)/victim'
        head -c 70000 /dev/urandom > '\(source)/docs/other'
        echo 'a note' > '\(source)/docs/note'
        """)
      let full = try work.backup([source], ["--full"], now: "2026-03-01T10:00:00Z")
      snapshots.append((full.id, try TreeListing(source)))
      try shell("echo 'added later' > '\(source)/docs/added'")
      let differential = try work.backup([source], [], now: "2026-03-02T10:00:00Z")
      #expect(differential.kind == "differential")
      snapshots.append((differential.id, try TreeListing(source)))
    }

    func expectEverySnapshotRestores(sourceLocation: SourceLocation = #_sourceLocation) throws {
      for (index, snapshot) in snapshots.enumerated() {
        let target = work.sub("restore-\(index)-\(UInt32.random(in: 0...UInt32.max))")
        let restore = try work.restore(snapshot.id, to: target)
        #expect(restore.status == 0, "restore of \(snapshot.id): \(restore.output)", sourceLocation: sourceLocation)
        let restored = try TreeListing(target + source)
        #expect(
          restored == snapshot.listing, "\(snapshot.listing.differences(from: restored))",
          sourceLocation: sourceLocation)
      }
    }
  }

  @Test(arguments: Damage.allCases, RepositoryKind.allCases)
  func repairThenBackupHealsEverySnapshot(damage: Damage, kind: RepositoryKind) async throws {
    let history = try History(kind: kind)
    let work = history.work
    let repo = work.repo
    let block = try await work.inspection.blockNames(ofFile: "\(history.source)/victim")[1]
    let objectPath = work.inspection.storedFile(of: block)
    switch damage {
    case .flippedByte: try work.inspection.damage(block, .flipByte(at: 1234))
    case .deletedObject: try work.inspection.damage(block, .delete)
    }
    let damagedBytes = FileManager.default.contents(atPath: objectPath)
    let ids = history.snapshots.map(\.id)

    // check --read-data exits 1 naming the object, the snapshots and the file.
    let check = try work.cairn(["check", "--repo", repo, "--read-data"])
    #expect(check.status == 1, "\(check.output)")
    for text in [block, "victim"] + ids {
      #expect(check.output.contains(text), "check does not name \(text): \(check.output)")
    }

    // The repair: text for one damage, JSON for the other.
    let json = damage == .deletedObject
    let repair = try work.cairn(["check", "--repo", repo, "--read-data", "--repair"] + (json ? ["--json"] : []))
    #expect(repair.status == 1, "\(repair.output)")
    let quarantined = "\(repo)/quarantine/\(block)"
    if json {
      let report = try jsonObject(repair.stdout)
      let done = try #require(report["repair"] as? [String: Any], "\(repair.stdout)")
      #expect(done["missing"] as? [String] == [block], "\(done)")
      #expect((done["quarantined"] as? [Any])?.isEmpty == true, "\(done)")
      let problem = try #require(
        (report["problems"] as? [[String: Any]])?.first { $0["object"] as? String == block }, "\(repair.stdout)")
      #expect(Set(problem["snapshots"] as? [String] ?? []) == Set(ids), "\(problem)")
      #expect((problem["paths"] as? [String] ?? []).contains { $0.hasSuffix("/victim") }, "\(problem)")
    } else {
      for text in [block, "victim", "quarantine", "backup --full"] + ids {
        #expect(repair.output.contains(text), "the repair does not say \(text): \(repair.output)")
      }
    }
    switch damage {
    case .flippedByte:
      // Moved, not deleted: the quarantined file holds the damaged bytes exactly.
      #expect(!FileManager.default.fileExists(atPath: objectPath))
      #expect(FileManager.default.contents(atPath: quarantined) == damagedBytes)
    case .deletedObject:
      #expect(!FileManager.default.fileExists(atPath: quarantined))
      #expect(repair.output.contains("missing"), "\(repair.output)")
    }

    // gc never deletes the quarantine.
    #expect(try work.cairn(["gc", "--repo", repo]).status == 0)
    if damage == .flippedByte { #expect(FileManager.default.contents(atPath: quarantined) == damagedBytes) }

    // A full backup of the unchanged source writes the object again…
    try work.backup([history.source], ["--full"], now: "2026-03-03T10:00:00Z")
    #expect(FileManager.default.fileExists(atPath: objectPath))
    // …and then every snapshot passes and restores exactly.
    let after = try work.cairn(["check", "--repo", repo, "--read-data"])
    #expect(after.status == 0, "\(after.output)")
    try history.expectEverySnapshotRestores()
    // A second repair has nothing left to do.
    let again = try work.cairn(["check", "--repo", repo, "--read-data", "--repair"])
    #expect(again.status == 0, "\(again.output)")
  }

  @Test func repairOfAnEncryptedRepository() async throws {
    let work = TemporaryDirectory("cairn-repair-encrypted")
    let repo = work.sub("repo")
    let source = work.sub("src")
    let environment = ["CAIRN_PASSWORD_FILE": work.sub("password")]
    try shell(
      """
      set -e
      mkdir -p '\(source)'
      printf '%s\\n' '\(RepositoryKind.password)' > '\(work.sub("password"))'
      head -c 200000 /dev/urandom > '\(source)/victim'
      """)
    func cairn(_ arguments: [String]) throws -> CommandResult { try Cairn.run(arguments, environment: environment) }
    let created = try cairn([
      "init", "--repo", repo, "--encryption", "aes-256-gcm", "--kdf-cost", "10", "--block-size", "65536",
    ])
    try #require(created.status == 0, "\(created.output)")
    try #require(try cairn(["backup", "--repo", repo, source]).status == 0)
    let listing = try TreeListing(source)
    let snapshots = try jsonArray(try cairn(["snapshots", "--repo", repo, "--json"]).stdout)
    // Object names are keyed: the library names the victim's blocks.
    let inspection = RepositoryInspection(path: repo)
    let block = try await inspection.blockNames(ofFile: "\(source)/victim")[0]
    #expect(try await inspection.dataObjectNames().contains(block))
    let path = inspection.storedFile(of: block)
    try shell("chmod u+w '\(path)' && printf '\\x00\\x01' | dd of='\(path)' bs=1 seek=100 conv=notrunc status=none")
    let damaged = FileManager.default.contents(atPath: path)

    let repair = try cairn(["check", "--repo", repo, "--read-data", "--repair", "--json"])
    #expect(repair.status == 1, "\(repair.output)")
    let done = try #require(try jsonObject(repair.stdout)["repair"] as? [String: Any], "\(repair.output)")
    let moved = done["quarantined"] as? [[String: Any]] ?? []
    #expect(moved.map { $0["object"] as? String } == [block], "\(done)")
    #expect(FileManager.default.contents(atPath: "\(repo)/quarantine/\(block)") == damaged)
    #expect(repair.stdout.contains("victim"), "\(repair.stdout)")

    try #require(try cairn(["backup", "--repo", repo, "--full", source]).status == 0)
    let check = try cairn(["check", "--repo", repo, "--read-data"])
    #expect(check.status == 0, "\(check.output)")
    for (index, id) in snapshots.compactMap({ $0["id"] as? String }).enumerated() {
      let target = work.sub("out-\(index)")
      let restore = try cairn(["restore", "--repo", repo, id, target])
      #expect(restore.status == 0, "\(restore.output)")
      #expect(try TreeListing(target + source) == listing)
    }
  }

  @Test func repairWithNothingToRepair() throws {
    let work = try BackupWorkspace(blockSize: 65536)
    let source = work.sub("src")
    try shell("mkdir -p '\(source)' && head -c 100000 /dev/urandom > '\(source)/file'")
    try work.backup([source])
    let before = try RepositoryState(work.repo)
    let repair = try Cairn.run(["check", "--repo", work.repo, "--read-data", "--repair"])
    #expect(repair.status == 0, "\(repair.output)")
    #expect(repair.stdout.contains("nothing to repair"), "\(repair.stdout)")
    #expect(!FileManager.default.fileExists(atPath: "\(work.repo)/quarantine"))
    try RepositoryState(work.repo).expectUnchanged(since: before)
  }

  @Test func repairWithoutReadDataIsAUsageError() throws {
    let work = try BackupWorkspace(blockSize: 65536)
    let result = try Cairn.run(["check", "--repo", work.repo, "--repair"])
    #expect(result.status == 64, "\(result.output)")
    #expect(result.stderr.contains("--repair needs --read-data"), "\(result.stderr)")
  }
}
