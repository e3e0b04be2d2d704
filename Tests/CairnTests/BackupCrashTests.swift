import Foundation
import Testing

extension HeavyCrashTests {
  /// A backup killed with SIGKILL at points spread over its whole run: while
  /// blocks are stored, while pending objects are renamed to their names,
  /// just before the record, while the walk enters directories. After each
  /// crash `check --read-data` passes, no new snapshot is listed, every earlier
  /// snapshot still restores, and the next backup works and restores byte for
  /// byte. Every case runs on a plain and on a compressed, encrypted
  /// repository (`RepositoryKind`).
  @Suite struct BackupCrashTests {
    static let blockSize = 65536

    /// A source tree of a few thousand small files and a few multi-block
    /// files, a prepared repository to copy for each crash, and how many times
    /// a clean backup of the tree reaches each crash point.
    final class Fixture {
      let directory = TemporaryDirectory("cairn-crash")
      let source: String
      let prepared: String
      /// Arrivals at backup.block (one per block read, new or not).
      let blocks: Int
      /// Arrivals at store.publish and backup.object (one per new object).
      let newObjects: Int
      /// Arrivals at walk.enter (one per directory).
      let directories: Int
      /// For a differential fixture: the earlier snapshot and a copy of the tree it holds.
      let earlier: (id: String, copy: String)?
      /// Options of every backup run on this fixture.
      let options: [String]
      /// What every command on the repository needs (the password file).
      let environment: [String: String]
      /// The source tree as the crashing backup sees it, and the earlier snapshot's tree.
      let expected: TreeListing
      let expectedEarlier: TreeListing?

      /// Without `differential`, the prepared repository is empty and the
      /// crashing backup is the first, full one. With it, the repository holds
      /// a full snapshot of the tree, the tree is then changed (appends, new
      /// files, a deletion, a rewritten big file), and the crashing backup is
      /// a differential.
      init(differential: Bool, kind: RepositoryKind) throws {
        source = directory.sub("src")
        prepared = directory.sub("prepared")
        environment = try kind.prepare(in: directory)
        try makeManySmallFilesTree(
          at: source, directories: 20, filesPerDirectory: 100, bigFileSizes: [300_000, 450_000, 524_288])
        let created = try Cairn.run(
          ["init", "--repo", prepared, "--block-size", String(BackupCrashTests.blockSize)] + kind.initOptions,
          environment: environment)
        guard created.status == 0 else { throw CairnFailure(arguments: ["init"], result: created) }
        var changed = try TreeListing(source)
        if differential {
          options = ["--differential"]
          let first = try Cairn.run(["backup", "--repo", prepared, "--full", source], environment: environment)
          guard first.status == 0 else { throw CairnFailure(arguments: ["backup", "--full"], result: first) }
          let copy = directory.sub("copy-earlier")
          try shell("cp -a '\(source)' '\(copy)'")
          earlier = (try snapshotIDs(prepared, environment: environment)[0], copy)
          let before = changed
          try shell(
            """
            set -e
            cd '\(source)'
            for f in $(seq -w 1 60); do echo appended >> dir-05/file-0$f; done
            mkdir new-dir
            for f in $(seq 1 150); do printf 'new file %s\\n' "$f" > new-dir/file-$f; done
            rm dir-07/file-001 dir-07/file-002
            head -c 400000 /dev/urandom > big-1
            """)
          let after = try TreeListing(source)
          // The files a differential reads: new ones and those whose size or mtime changed.
          var read = after
          read.items = after.items.filter { path, item in
            guard item.content != nil, let old = before.items[path] else { return item.content != nil }
            return old.size != item.size || old.mtime != item.mtime
          }
          changed = read
        } else {
          options = ["--full"]
          earlier = nil
        }
        expected = try TreeListing(source)
        expectedEarlier = try earlier.map { try TreeListing($0.copy) }
        blocks = blockCount(of: changed, blockSize: BackupCrashTests.blockSize)

        // A clean run on a copy says how many new objects the backup makes.
        let reference = directory.sub("reference")
        try shell("cp -a '\(prepared)' '\(reference)'")
        let clean = try Cairn.run(
          ["backup", "--repo", reference, "--json"] + options + [source], environment: environment)
        guard clean.status == 0 else { throw CairnFailure(arguments: ["backup"], result: clean) }
        let statistics = (try jsonObject(clean.stdout)["snapshot"] as? [String: Any])?["statistics"] as? [String: Any]
        newObjects = statistics?["newObjects"] as? Int ?? 0
        directories = (statistics?["directories"] as? Int) ?? 0
        try shell("rm -rf '\(reference)'")
      }

      /// Copies the prepared repository, kills a backup at `point` (NAME:N),
      /// and checks everything the crash must not break.
      func crash(at point: String) async throws {
        let label = point.replacingOccurrences(of: ":", with: "-")
        let repo = directory.sub("repo-\(label)")
        try shell("rm -rf '\(repo)' && cp -a '\(prepared)' '\(repo)'")
        let before = try snapshotIDs(repo, environment: environment)

        let crashed = try runCairnAllowingCrash(
          ["backup", "--repo", repo] + options + [source],
          environment: environment.merging(["CAIRN_CRASH_AT": point]) { $1 })
        #expect(
          crashed.killedBySignal && crashed.status == SIGKILL,
          "the backup was not killed at \(point) (status \(crashed.status)); the point is never reached")

        let check = try cairn(["check", "--repo", repo, "--read-data"])
        #expect(check.status == 0, "check after a crash at \(point): \(check.output)")
        #expect(try snapshotIDs(repo, environment: environment) == before, "a crash at \(point) left a new snapshot")

        if let earlier, let original = expectedEarlier {
          let target = directory.sub("earlier-\(label)")
          let restore = try cairn(["restore", "--repo", repo, earlier.id, target])
          #expect(restore.status == 0, "the earlier snapshot after a crash at \(point): \(restore.output)")
          let restored = try TreeListing(target + source)
          #expect(restored == original, "crash at \(point): \(original.differences(from: restored))")
          try shell("rm -rf '\(target)'")
        }

        // The next backup works and restores byte for byte.
        let next = try cairn(["backup", "--repo", repo] + options + [source])
        #expect(next.status == 0, "the backup after a crash at \(point): \(next.output)")
        let after = try snapshotIDs(repo, environment: environment)
        #expect(after.count == before.count + 1, "the backup after a crash at \(point) saved no snapshot")
        if let id = after.last, after.count == before.count + 1 {
          let target = directory.sub("restore-\(label)")
          let restore = try cairn(["restore", "--repo", repo, id, target])
          #expect(restore.status == 0, "restore after a crash at \(point): \(restore.output)")
          let restored = try TreeListing(target + source)
          #expect(restored == expected, "crash at \(point): \(expected.differences(from: restored))")
          try shell("rm -rf '\(target)'")
        }

        // What the crash left behind is garbage: gc removes it and every snapshot stays whole.
        let gc = try cairn(["gc", "--repo", repo])
        #expect(gc.status == 0, "gc after a crash at \(point): \(gc.output)")
        #expect(
          try RepositoryInspection(path: repo).leftovers().isEmpty, "gc left pending files after a crash at \(point)")
        let recheck = try cairn(["check", "--repo", repo, "--read-data"])
        #expect(recheck.status == 0, "check after gc, crash at \(point): \(recheck.output)")
        try shell("rm -rf '\(repo)'")
      }

      private func cairn(_ arguments: [String]) throws -> CommandResult {
        try Cairn.run(arguments, environment: environment)
      }
    }

    /// The fixture really has what the points below assume.
    private func expectSizes(_ fixture: Fixture, blocks: Int) {
      #expect(fixture.blocks >= blocks, "the fixture has only \(fixture.blocks) blocks")
      // The small files travel in a few bundles: fewer objects than blocks, but some.
      #expect(fixture.newObjects >= 3, "the clean backup made only \(fixture.newObjects) objects")
      #expect(fixture.directories >= 2)
    }

    /// Always on: the first backup of a fresh repository killed halfway
    /// through its blocks, halfway through publishing, before its record and
    /// halfway through the walk.
    @Test(arguments: RepositoryKind.allCases)
    func firstBackupKilledAtSpreadPoints(kind: RepositoryKind) async throws {
      let fixture = try Fixture(differential: false, kind: kind)
      expectSizes(fixture, blocks: 2000)
      for point in [
        "backup.block:\(fixture.blocks / 2)", "store.publish:\(fixture.newObjects / 2)", "backup.record:1",
        "walk.enter:\(fixture.directories / 2)",
      ] {
        try await fixture.crash(at: point)
      }
    }

    /// Always on: a differential on top of a full, killed halfway through its
    /// blocks; the full still restores.
    @Test(arguments: RepositoryKind.allCases)
    func differentialBackupKilledKeepsEarlierSnapshot(kind: RepositoryKind) async throws {
      let fixture = try Fixture(differential: true, kind: kind)
      expectSizes(fixture, blocks: 200)
      try await fixture.crash(at: "backup.block:\(fixture.blocks / 2)")
    }

    /// CI: many more points over the first backup, first to last. Both
    /// kinds run every point: measured on two loaded cores, the encrypted
    /// variants of both long cases together take under 5 minutes, the whole
    /// long matrix under 10, so no subset is needed.
    @Test(
      .enabled(if: longTestsEnabled, "set CAIRN_LONG_TESTS=1 for the full crash matrix"),
      arguments: RepositoryKind.allCases)
    func firstBackupKilledAtManyPoints(kind: RepositoryKind) async throws {
      let fixture = try Fixture(differential: false, kind: kind)
      expectSizes(fixture, blocks: 2000)
      let blocks = fixture.blocks
      let objects = fixture.newObjects
      let points =
        [1, 2, 7, blocks / 10, blocks / 4, blocks * 3 / 4, blocks - 1, blocks].map { "backup.block:\($0)" }
        + [1, objects / 3, objects - 1].map { "backup.object:\($0)" }
        + [1, 2, objects / 5, objects * 4 / 5, objects - 1, objects].map { "store.publish:\($0)" }
        + [1, 2, fixture.directories].map { "walk.enter:\($0)" }
      for point in points { try await fixture.crash(at: point) }
    }

    /// CI: many more points over a differential backup.
    @Test(
      .enabled(if: longTestsEnabled, "set CAIRN_LONG_TESTS=1 for the full crash matrix"),
      arguments: RepositoryKind.allCases)
    func differentialBackupKilledAtManyPoints(kind: RepositoryKind) async throws {
      let fixture = try Fixture(differential: true, kind: kind)
      expectSizes(fixture, blocks: 200)
      let points = [
        "backup.block:1", "backup.block:\(fixture.blocks / 5)", "backup.block:\(fixture.blocks)",
        "backup.object:\(fixture.newObjects / 2)", "store.publish:1", "store.publish:\(fixture.newObjects / 2)",
        "store.publish:\(fixture.newObjects)", "backup.record:1", "walk.enter:1",
        "walk.enter:\(fixture.directories / 2)",
      ]
      for point in points { try await fixture.crash(at: point) }
    }
  }
}
