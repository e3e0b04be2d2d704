import Foundation
import Testing

#if canImport(Glibc)
  import Glibc
#endif

/// Issue 11, the storage side, through the real binary: a repository that
/// cannot be written, objects that are not what their name promises (a FIFO,
/// a huge sparse file), a write that fails mid-backup, the lock, debris in the
/// pending area, an interrupted `init`, and the messages for a bad `--keep`.
/// The cases that need root (setpriv, mount) have in-process counterparts
/// that need none in StorageFaultTests; these stay for the real errno and
/// the kernel lock on a read-only medium.
@Suite struct StorageFailureTests {
  // MARK: Helpers

  /// A source of `count` small files (one distinct block each) and a
  /// two-block file `victim`, backed up; returns the snapshot, the source,
  /// its listing, and the object holding the victim's second block.
  private func backedUpTree(_ work: BackupWorkspace, count: Int = 30) async throws -> (
    snapshot: String, source: String, original: TreeListing, victim: String
  ) {
    let source = work.sub("src")
    try shell(
      """
      set -e
      mkdir -p '\(source)/dir'
      for f in $(seq 1 \(count)); do echo "file $f" > '\(source)/dir/file-'$f; done
      chmod 0750 '\(source)/dir'
      head -c 100000 /dev/urandom > '\(source)/dir/victim'
      """)
    let snapshot = try work.backup([source])
    let original = try TreeListing(source)
    let victim = try await work.inspection.blockNames(ofFile: "\(source)/dir/victim")[1]
    return (snapshot.id, source, original, victim)
  }

  /// A listing of every entry of a tree with type, mode, owner, size, mtime
  /// and the SHA-256 of each file: equal listings mean nothing was changed,
  /// added or removed (backup.log included).
  private func checksumListing(_ root: String) throws -> String {
    try shell(
      """
      set -e
      cd '\(root)'
      find . -printf '%p %y %m %U:%G %s %T@\\n' | LC_ALL=C sort
      find . -type f -print0 | LC_ALL=C sort -z | xargs -0 -r sha256sum
      """)
  }

  /// Runs `program ARGS…` for at most `timeout` seconds (then kills it);
  /// returns whether it ended by itself, how, and its stderr.
  private func runBounded(_ program: String, _ arguments: [String], timeout: Double) throws -> (
    finished: Bool, status: Int32, signalled: Bool, stderr: String
  ) {
    let errors = TemporaryDirectory("cairn-bounded")
    let process = Process()
    process.executableURL = URL(fileURLWithPath: program)
    process.arguments = arguments
    var environment = ProcessInfo.processInfo.environment
    environment.removeValue(forKey: "CAIRN_REPO")
    process.environment = environment
    _ = FileManager.default.createFile(atPath: errors.sub("stderr"), contents: nil)
    process.standardOutput = FileHandle.nullDevice
    process.standardError = try FileHandle(forWritingTo: URL(fileURLWithPath: errors.sub("stderr")))
    try process.run()
    let finished = waitForExit(process, timeout: timeout)
    let stderr = String(decoding: FileManager.default.contents(atPath: errors.sub("stderr")) ?? Data(), as: UTF8.self)
    return (finished, process.terminationStatus, process.terminationReason == .uncaughtSignal, stderr)
  }

  /// Expects `target` to hold the source minus `dir/victim`, with its
  /// directories' own modes (a restore that aborts leaves them at 0700).
  private func expectRestoredWithoutVictim(
    _ target: String, source: String, original: TreeListing, sourceLocation: SourceLocation = #_sourceLocation
  ) throws {
    try expectNoWrongBytes(in: target + source, comparedTo: original, sourceLocation: sourceLocation)
    var expected = original
    expected.items.removeValue(forKey: Data("dir/victim".utf8))
    let restored = try TreeListing(target + source)
    #expect(restored == expected, "\(expected.differences(from: restored))", sourceLocation: sourceLocation)
  }

  // MARK: 1. Read-only repositories

  /// Issue 11, failure 1. A reader with read rights only (repository owned
  /// by root, every write bit removed, cairn run as nobody) restores and
  /// checks, exit 0, and changes nothing, backup.log included. Before, the
  /// shared lock opened `REPO/lock` for writing: `Permission denied`, exit 1.
  @Test(.enabled(if: setprivWorks, "skipped: needs root and setpriv to run cairn as nobody"))
  func readOnlyRepositoryRestoresAndChecksForAReaderWithoutWriteRights() async throws {
    let work = try BackupWorkspace()
    let (snapshot, source, original, _) = try await backedUpTree(work)
    let target = work.sub("out")
    try shell(
      """
      set -e
      chmod 0755 '\(work.directory.path)'
      chmod -R a-w,a+rX '\(work.repo)' '\(source)'
      mkdir '\(target)' && chown 65534:65534 '\(target)'
      """)
    let before = try checksumListing(work.repo)
    let restore = try runCairnAsNobody(["restore", "--repo", work.repo, snapshot, target])
    #expect(restore.status == 0, "\(restore.output)")
    let check = try runCairnAsNobody(["check", "--repo", work.repo, "--read-data"])
    #expect(check.status == 0, "\(check.output)")
    #expect(try checksumListing(work.repo) == before, "a reader changed the repository")
    let restored = try TreeListing(target + source)
    #expect(Set(restored.items.keys) == Set(original.items.keys))
    for (path, item) in original.items where item.content != nil {
      #expect(restored.items[path]?.content == item.content, "\(String(decoding: path, as: UTF8.self))")
    }
  }

  /// Issue 11, failure 1, on a read-only mount (EROFS, which root cannot
  /// override): restore and `check --read-data` exit 0 and the repository
  /// is unchanged. Before: `could not open the lock file … Read-only file system`.
  @Test(.enabled(if: tmpfsMountWorks, "skipped: needs root and permission to mount (bind, remount read-only)"))
  func readOnlyMountedRepositoryRestoresAndChecks() async throws {
    let work = try BackupWorkspace()
    let (snapshot, source, original, _) = try await backedUpTree(work)
    let mount = work.sub("ro")
    try shell("mkdir '\(mount)' && mount --bind '\(work.repo)' '\(mount)' && mount -o remount,ro,bind '\(mount)'")
    defer { _ = try? shell("umount '\(mount)' || umount -l '\(mount)'") }
    // Really read-only, even for root.
    #expect((try? shell("touch '\(mount)/probe'")) == nil, "the bind mount is writable")
    let before = try checksumListing(mount)
    let target = work.sub("out")
    let restore = try Cairn.run(["restore", "--repo", mount, snapshot, target])
    #expect(restore.status == 0, "\(restore.output)")
    let check = try Cairn.run(["check", "--repo", mount, "--read-data"])
    #expect(check.status == 0, "\(check.output)")
    #expect(try checksumListing(mount) == before, "a reader changed the repository")
    let restored = try TreeListing(target + source)
    #expect(restored == original, "\(original.differences(from: restored))")
  }

  // MARK: 2. A FIFO under an object's name

  /// Issue 11, failure 3. A FIFO at an object's name: `check --read-data`
  /// and restore end by themselves (bounded at 60 s), name the object as
  /// damaged, restore every other file, exit 1. Before, the object was
  /// opened without O_NONBLOCK, so open(2) waited forever for a writer and
  /// the bounded run had to be killed.
  @Test func fifoAtAnObjectNameIsDamagedAndDoesNotBlock() async throws {
    let work = try BackupWorkspace()
    let (snapshot, source, original, victim) = try await backedUpTree(work)
    let stored = work.inspection.storedFile(of: victim)
    try shell("rm -f '\(stored)' && mkfifo '\(stored)'")

    let check = try runCairnBounded(["check", "--repo", work.repo, "--read-data"], timeout: 60)
    #expect(check.finished, "check --read-data blocked on the FIFO")
    #expect(check.status == 1, "\(check.stderr)")
    #expect(check.stderr.contains(victim), "the object is not named: \(check.stderr)")

    let target = work.sub("out")
    let restore = try runCairnBounded(["restore", "--repo", work.repo, snapshot, target], timeout: 60)
    #expect(restore.finished, "restore blocked on the FIFO")
    #expect(restore.status == 1, "\(restore.stderr)")
    #expect(restore.stderr.contains("dir/victim") && restore.stderr.contains(victim), "\(restore.stderr)")
    try expectRestoredWithoutVictim(target, source: source, original: original)
  }

  // MARK: 3. A huge file under an object's name

  /// Issue 11, failure 4. A 3 GiB sparse file at an object's name, under a
  /// 2 GB address-space limit: `check --read-data` and restore report it as
  /// damaged from its size, without reading it, and exit 1. Before, the
  /// whole file was read into memory: the allocation failed under the limit
  /// and cairn aborted (status 134, SIGABRT).
  @Test(.enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/prlimit"), "skipped: needs prlimit"))
  func hugeSparseFileAtAnObjectNameIsRefusedBeforeReading() async throws {
    let work = try BackupWorkspace()
    let (snapshot, source, original, victim) = try await backedUpTree(work)
    let stored = work.inspection.storedFile(of: victim)
    try shell("rm -f '\(stored)' && truncate -s 3G '\(stored)'")
    let limited = ["--as=2000000000", Cairn.binary]

    let check = try runBounded(
      "/usr/bin/prlimit", limited + ["check", "--repo", work.repo, "--read-data"], timeout: 120)
    #expect(check.finished, "check --read-data did not end")
    #expect(!check.signalled && check.status == 1, "status \(check.status): \(check.stderr)")
    #expect(check.stderr.contains(victim), "the object is not named: \(check.stderr)")

    let target = work.sub("out")
    let restore = try runBounded(
      "/usr/bin/prlimit", limited + ["restore", "--repo", work.repo, snapshot, target], timeout: 120)
    #expect(restore.finished, "restore did not end")
    #expect(!restore.signalled && restore.status == 1, "status \(restore.status): \(restore.stderr)")
    #expect(restore.stderr.contains("dir/victim") && restore.stderr.contains(victim), "\(restore.stderr)")
    try expectRestoredWithoutVictim(target, source: source, original: original)
    // Still a hole: nothing wrote to it either.
    let allocated = try shell("stat -c %b '\(stored)'").trimmingCharacters(in: .whitespacesAndNewlines)
    #expect(allocated == "0", "\(allocated) blocks allocated")
  }

  // MARK: 4. A write that fails mid-backup

  /// Issue 11, failure 5, without root's tmpfs: a backup run by nobody, into
  /// a repository nobody owns, whose writes fail in one read-only prefix
  /// directory. It fails (exit 1, no snapshot) and removes the pending files
  /// it wrote elsewhere; once the directory is writable the next backup
  /// works. Before, the failed run left its `.pending` files for gc (the
  /// debris that filled a full disk).
  @Test(.enabled(if: setprivWorks, "skipped: needs root and setpriv to run cairn as nobody"))
  func failedBackupRemovesItsOwnPendingFiles() async throws {
    let work = try BackupWorkspace()
    let source = work.sub("src")
    // 40 files of one block each (20 KB: above the small-file limit of a
    // 64 KiB block, so not bundled), then `zz-last` whose block's prefix
    // directory no other file uses: when its write fails, the other blocks
    // (walked first) are pending files already.
    try shell(
      """
      set -e
      mkdir -p '\(source)'
      for f in $(seq -w 1 40); do head -c 20000 /dev/urandom > '\(source)/file-'$f; done
      """)
    var others = Set<String>()
    for file in try FileManager.default.contentsOfDirectory(atPath: source) {
      others.insert(String(try await work.inspection.blockNames(ofFile: "\(source)/\(file)")[0].prefix(2)))
    }
    var prefix = ""
    for _ in 0..<1000 {
      try shell("head -c 20000 /dev/urandom > '\(source)/zz-last'")
      prefix = String(try await work.inspection.blockNames(ofFile: "\(source)/zz-last")[0].prefix(2))
      if !others.contains(prefix) { break }
    }
    #expect(!others.contains(prefix))
    try shell(
      """
      set -e
      chmod 0755 '\(work.directory.path)'
      chown -R 65534:65534 '\(work.repo)'
      chmod 0555 '\(work.repo)/objects/\(prefix)'
      """)

    let failed = try runCairnAsNobody(["backup", "--repo", work.repo, source])
    #expect(failed.status == 1, "\(failed.output)")
    #expect(failed.stderr.contains("objects/\(prefix)/"), "the error does not name the object: \(failed.stderr)")
    #expect(try snapshotIDs(work.repo).isEmpty, "a snapshot was recorded")
    #expect(try RepositoryInspection(path: work.repo).leftovers() == [], "the failed backup left pending files")
    let check = try Cairn.run(["check", "--repo", work.repo, "--read-data"])
    #expect(check.status == 0, "\(check.output)")

    try shell("chmod 0755 '\(work.repo)/objects/\(prefix)'")
    let retry = try runCairnAsNobody(["backup", "--repo", work.repo, source])
    #expect(retry.status == 0, "\(retry.output)")
    let restore = try work.restore("latest", to: work.sub("out"))
    #expect(restore.status == 0, "\(restore.output)")
    let original = try TreeListing(source)
    let restored = try TreeListing(work.sub("out") + source)
    #expect(restored == original, "\(original.differences(from: restored))")
  }

  // MARK: 5. The lock

  /// Issue 11, locks. While a real backup is held between publishing its
  /// objects and writing its record, gc is refused (`locked`), and removing
  /// whatever a user could take for the lock (`REPO/lock`, `REPO/locks`)
  /// does not let it in; the backup then completes and restores. Before,
  /// the lock was `flock` on `REPO/lock`: after `rm REPO/lock` a gc locked
  /// a new file and deleted the objects the backup was about to reference.
  @Test func lockCannotBeRemovedFromUnderAHolder() throws {
    let work = try BackupWorkspace()
    let source = work.sub("src")
    try shell("mkdir -p '\(source)' && head -c 1000000 /dev/urandom > '\(source)/big' && echo x > '\(source)/small'")
    let hold = HoldPoint("backup.record", in: work.directory.path)
    let backup = try startCairn(
      ["backup", "--repo", work.repo, source], environment: hold.environment, stderrPath: work.sub("backup.err"))
    #expect(waitForText("holding at backup.record", in: work.sub("backup.err")))

    let gc = try Cairn.run(["gc", "--repo", work.repo, "--lock-wait", "0"])
    #expect(gc.status == 1, "\(gc.output)")
    #expect(gc.stderr.contains("locked"), "\(gc.stderr)")
    try shell("rm -rf '\(work.repo)/lock' '\(work.repo)/locks'")
    let again = try Cairn.run(["gc", "--repo", work.repo, "--lock-wait", "0"])
    #expect(again.status == 1, "gc got in after the lock file was removed: \(again.output)")
    #expect(again.stderr.contains("locked"), "\(again.stderr)")

    hold.release()
    #expect(waitForExit(backup, timeout: 120), "the backup did not finish")
    #expect(backup.terminationStatus == 0)
    let check = try Cairn.run(["check", "--repo", work.repo, "--read-data"])
    #expect(check.status == 0, "\(check.output)")
    let restore = try work.restore("latest", to: work.sub("out"))
    #expect(restore.status == 0, "\(restore.output)")
    #expect(try TreeListing(source) == TreeListing(work.sub("out") + source))
  }

  // MARK: 6. A directory in the pending area

  /// Issue 11, leftovers. A directory named like a pending file
  /// (`objects/ab/.x.pending/`) next to a real leftover: gc exits 0, removes
  /// the pending file and the unreferenced objects, and leaves the
  /// directory alone. Before, gc deleted objects, then failed on unlink of
  /// the directory (EISDIR), exit 1, every run.
  @Test func directoryInThePendingAreaDoesNotMakeGcFail() throws {
    let work = try BackupWorkspace()
    let source = work.sub("src")
    try shell("mkdir -p '\(source)' && head -c 300000 /dev/urandom > '\(source)/first'")
    try work.backup([source])
    try shell("rm '\(source)/first' && head -c 300000 /dev/urandom > '\(source)/second'")
    try work.backup([source], ["--full"])
    try work.run(["forget", "--repo", work.repo, "--keep-last", "1"])
    let strange = "\(work.repo)/objects/ab/.x.pending"
    let leftover = "\(work.repo)/objects/cd/.y.0123.pending"
    try shell("mkdir '\(strange)' && echo debris > '\(strange)/inside' && echo debris > '\(leftover)'")

    let gc = try Cairn.run(["gc", "--repo", work.repo, "--json"])
    #expect(gc.status == 0, "\(gc.output)")
    let report = try jsonObject(gc.stdout)
    #expect((report["objectsDeleted"] as? Int ?? 0) >= 5, "\(gc.stdout)")
    #expect(report["temporaryFilesRemoved"] as? Int == 1, "\(gc.stdout)")
    #expect(!FileManager.default.fileExists(atPath: leftover))
    #expect(directoryContents(strange) == ["inside"], "gc touched a directory that is not its own")
    // ... and says so: it is named in the report and on stderr.
    let skipped = report["leftoversSkipped"] as? [String] ?? []
    #expect(skipped.contains { $0.hasSuffix("objects/ab/.x.pending") }, "\(gc.stdout)")
    #expect(gc.stderr.contains(".x.pending") && gc.stderr.contains("not a file"), "\(gc.stderr)")
    // A second gc is just as happy.
    let second = try Cairn.run(["gc", "--repo", work.repo, "--json"])
    #expect(second.status == 0, "\(second.output)")
    let check = try Cairn.run(["check", "--repo", work.repo, "--read-data"])
    #expect(check.status == 0, "\(check.output)")
  }

  // MARK: 7. An interrupted init

  /// Issue 11, `init`. A folder holding what an interrupted init leaves
  /// (keys/, objects/ with some prefixes, snapshots/, no config) is taken
  /// over by the next `init`, which gives a working repository. Before,
  /// init refused it as "not empty" and the user had to clean up by hand.
  @Test func initResumesAnInterruptedInit() throws {
    let work = try BackupWorkspace(initialize: false)
    try shell(
      "mkdir -p '\(work.repo)/keys' '\(work.repo)/objects/00' '\(work.repo)/objects/7f' '\(work.repo)/snapshots'")
    let initialize = try Cairn.run(["init", "--repo", work.repo, "--block-size", "65536"])
    #expect(initialize.status == 0, "\(initialize.output)")
    let source = work.sub("src")
    try shell("mkdir -p '\(source)' && head -c 200000 /dev/urandom > '\(source)/file'")
    try work.backup([source])
    #expect(try Cairn.run(["check", "--repo", work.repo, "--read-data"]).status == 0)
    let restore = try work.restore("latest", to: work.sub("out"))
    #expect(restore.status == 0, "\(restore.output)")
    #expect(try TreeListing(source) == TreeListing(work.sub("out") + source))
  }

  /// The other side of resuming: a folder with anything else in it is still
  /// refused, with one line saying so, and nothing is added to it.
  @Test func initStillRefusesAFolderWithForeignFiles() throws {
    let work = try BackupWorkspace(initialize: false)
    try shell("mkdir -p '\(work.repo)/keys' '\(work.repo)/objects' && echo mine > '\(work.repo)/notes.txt'")
    let before = try checksumListing(work.repo)
    let result = try Cairn.run(["init", "--repo", work.repo])
    #expect(result.status == 1, "\(result.output)")
    #expect(result.stderr.contains("'\(work.repo)' is not empty"), "\(result.stderr)")
    #expect(trimmedLines(result.stderr).count == 1, "\(result.stderr)")
    #expect(try checksumListing(work.repo) == before, "a refused init changed the folder")
  }

  // MARK: 8. Messages

  /// Issue 11, messages. `backup --keep-last -1` (and `--keep -1`) say what
  /// is wrong in one line and record nothing. Before, the parser said
  /// `Missing value`. (`--repo FILE` and `init --repo FILE/x` are covered by
  /// RepositoryPathTests; forget's refusals by RetentionRulesTests.)
  @Test(arguments: ["--keep-last", "--keep"])
  func backupWithANegativeKeepSaysWhatIsWrong(option: String) throws {
    let work = try BackupWorkspace()
    let source = work.sub("src")
    try shell("mkdir -p '\(source)' && echo data > '\(source)/file'")
    let result = try Cairn.run(["backup", "--repo", work.repo, option, "-1", source])
    #expect(result.status == 1, "\(result.output)")
    #expect(result.stderr.contains("at least 1, not -1"), "\(result.stderr)")
    #expect(!result.stderr.contains("Missing value"), "\(result.stderr)")
    #expect(trimmedLines(result.stderr).count == 1, "\(result.stderr)")
    #expect(try snapshotIDs(work.repo).isEmpty)
  }
}
