import Cairn
import Foundation
import Testing

#if canImport(Glibc)
  import Glibc
#endif

/// Promise "Signals" (Docs/PROMISES.md): SIGINT, SIGTERM and SIGHUP stop a
/// backup or a restore cleanly. The backup removes its own pending objects,
/// saves no snapshot, logs `interrupted` and exits 128 + the signal; the
/// repository passes `check` and the next backup works. A restore leaves no
/// temporary file, and every file under its real name is complete.
@Suite struct SignalTests {
  enum Stop: String, CaseIterable, Sendable {
    case interrupt
    case terminate
    case hangUp

    var signal: Int32 {
      switch self {
      case .interrupt: SIGINT
      case .terminate: SIGTERM
      case .hangUp: SIGHUP
      }
    }

    var expectedStatus: Int32 { 128 + signal }
  }

  /// Starts `cairn ARGS…` holding at `hold` (CAIRN_HOLD_AT), sends `signal`
  /// once it holds, and returns its exit status (nil if a signal killed it)
  /// and its stderr.
  private func interrupt(
    _ arguments: [String], holdingAt hold: String, with signal: Int32, in work: BackupWorkspace,
    environment: [String: String] = [:]
  ) throws -> (status: Int32?, stderr: String) {
    let stderrPath = work.sub("stderr-\(UUID().uuidString)")
    let point = HoldPoint(hold, in: work.directory.path)
    let process = try startCairn(
      arguments, environment: work.environment.merging(point.environment) { $1 }.merging(environment) { $1 },
      stderrPath: stderrPath)
    #expect(waitForText("holding at", in: stderrPath), "the command never reached \(hold)")
    kill(process.processIdentifier, signal)
    // Taken while the process is held; it stops once it goes on.
    #expect(waitForText("received; stopping", in: stderrPath), "the command did not acknowledge the signal")
    point.release()
    #expect(waitForExit(process, timeout: 60), "the command did not stop after the signal")
    let stderr = String(decoding: FileManager.default.contents(atPath: stderrPath) ?? Data(), as: UTF8.self)
    return (process.terminationReason == .exit ? process.terminationStatus : nil, stderr)
  }

  @Test(arguments: Stop.allCases, RepositoryKind.allCases)
  func signalDuringBackupStopsCleanly(stop: Stop, kind: RepositoryKind) async throws {
    let work = try BackupWorkspace(blockSize: 65536, kind: kind)
    let source = work.sub("src")
    try makeManySmallFilesTree(at: source, directories: 10, filesPerDirectory: 100, bigFileSizes: [2_000_000])
    let before = try snapshotIDs(work.repo, environment: work.environment)

    let result = try interrupt(
      ["backup", "--repo", work.repo, source], holdingAt: "backup.object", with: stop.signal, in: work)
    #expect(result.status == stop.expectedStatus, "\(result.stderr)")
    #expect(result.stderr.contains("interrupted"), "\(result.stderr)")
    // The log as the library reads it (sealed lines in an encrypted repository).
    let log = try await work.inspection.open().logLines().joined(separator: "\n")
    #expect(log.contains("backup interrupted"), "\(log)")
    #expect(log.contains("status=\(stop.expectedStatus)"), "\(log)")
    #expect(try RepositoryInspection(path: work.repo).leftovers().isEmpty, "pending files remain")
    #expect(
      try snapshotIDs(work.repo, environment: work.environment) == before, "an interrupted backup saved a snapshot")
    let check = try work.cairn(["check", "--repo", work.repo])
    #expect(check.status == 0, "\(check.output)")

    let next = try work.backup([source])
    let target = work.sub("out")
    #expect(try work.restore(next.id, to: target).status == 0)
    let restored = try TreeListing(target + source)
    let expected = try TreeListing(source)
    #expect(restored == expected, "\(expected.differences(from: restored))")
  }

  @Test(arguments: Stop.allCases, RepositoryKind.allCases)
  func signalDuringRestoreLeavesOnlyCompleteFiles(stop: Stop, kind: RepositoryKind) async throws {
    let work = try BackupWorkspace(blockSize: 65536, kind: kind)
    let source = work.sub("src")
    try makeManySmallFilesTree(
      at: source, directories: 4, filesPerDirectory: 50, bigFileSizes: [3_000_000, 2_000_000, 1_000_000])
    let snapshot = try work.backup([source])
    let original = try TreeListing(source)

    let target = work.sub("out")
    let result = try interrupt(
      ["restore", "--repo", work.repo, snapshot.id, target], holdingAt: "restore.block", with: stop.signal, in: work)
    #expect(result.status == stop.expectedStatus, "\(result.stderr)")
    let log = try await work.inspection.open().logLines().joined(separator: "\n")
    #expect(log.contains("restore interrupted"), "\(log)")
    try expectNoWrongBytes(in: target + source, comparedTo: original)
    let temporary = try shell("find '\(target)' -name '.cairn-*'")
    #expect(temporary.isEmpty, "temporary files remain: \(temporary)")
  }

  /// Where the kernel refuses `linkat(AT_EMPTY_PATH)` (before Linux 6.10,
  /// without privileges), unnamed files are linked through /proc/self/fd
  /// (forced here): the tree restores exactly.
  @Test func restoreLinksThroughProcWhereTheKernelRefusesEmptyPaths() throws {
    let work = try BackupWorkspace(blockSize: 65536)
    let source = work.sub("src")
    try makeManySmallFilesTree(at: source, directories: 3, filesPerDirectory: 40, bigFileSizes: [300_000])
    let snapshot = try work.backup([source])
    let target = work.sub("out")
    let restore = try Cairn.run(
      ["restore", "--repo", work.repo, snapshot.id, target],
      environment: work.environment.merging(["CAIRN_TEST_LINK_THROUGH_PROC": "1"]) { $1 })
    #expect(restore.status == 0, "\(restore.output)")
    let restored = try TreeListing(target + source)
    let original = try TreeListing(source)
    #expect(restored == original, "\(original.differences(from: restored))")
  }

  /// Where files cannot be unnamed (forced here, as on a file system
  /// without O_TMPFILE), restore writes under temporary names: a restore
  /// stopped while they exist removes them, and an uninterrupted one
  /// restores exactly.
  @Test func restoreUnderTemporaryNamesRemovesThemWhenStopped() async throws {
    let work = try BackupWorkspace(blockSize: 65536)
    let source = work.sub("src")
    try makeManySmallFilesTree(
      at: source, directories: 4, filesPerDirectory: 50, bigFileSizes: [3_000_000, 2_000_000, 1_000_000])
    let snapshot = try work.backup([source])
    let original = try TreeListing(source)
    let named = ["CAIRN_TEST_RESTORE_NAMED": "1"]

    let target = work.sub("out")
    let stderrPath = work.sub("stderr-named")
    let point = HoldPoint("restore.block", in: work.directory.path)
    let process = try startCairn(
      ["restore", "--repo", work.repo, snapshot.id, target],
      environment: work.environment.merging(point.environment) { $1 }.merging(named) { $1 }, stderrPath: stderrPath)
    #expect(waitForText("holding at", in: stderrPath), "the restore never reached restore.block")
    let whileHeld = try shell("find '\(target)' -name '.cairn-*.part'")
    #expect(!whileHeld.isEmpty, "a file being written has no temporary name")
    kill(process.processIdentifier, SIGINT)
    #expect(waitForText("received; stopping", in: stderrPath), "the restore did not acknowledge the signal")
    point.release()
    #expect(waitForExit(process, timeout: 60), "the restore did not stop after the signal")
    #expect(process.terminationStatus == 130)
    try expectNoWrongBytes(in: target + source, comparedTo: original)
    let temporary = try shell("find '\(target)' -name '.cairn-*'")
    #expect(temporary.isEmpty, "temporary files remain: \(temporary)")

    let complete = work.sub("complete")
    let restore = try Cairn.run(
      ["restore", "--repo", work.repo, snapshot.id, complete], environment: work.environment.merging(named) { $1 })
    #expect(restore.status == 0, "\(restore.output)")
    let restored = try TreeListing(complete + source)
    #expect(restored == original, "\(original.differences(from: restored))")
  }
}
