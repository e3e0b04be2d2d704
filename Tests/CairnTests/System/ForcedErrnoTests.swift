import Foundation
import Logging
import SystemPackage
import Testing

@testable import Cairn

/// System call failures forced in-process through `ForcedErrnoCalls`: no
/// root, no tmpfs, no broken disk. A backup into a local repository that
/// meets ENOSPC or EIO fails with a clear error and leaves a repository that
/// passes `check` and takes the next backup; a source file that cannot be
/// read is reported and the rest is backed up; a restore that meets them
/// stops with a clear error and no file under its real name is partial;
/// EINTR is retried.
@Suite struct ForcedErrnoTests {
  /// Three files of several 64 KiB blocks, a small file, a symlink.
  private func makeSources(in work: BackupWorkspace) throws -> String {
    let source = work.sub("src")
    try shell(
      """
      set -e
      mkdir -p '\(source)/sub'
      for i in 1 2 3; do head -c 300000 /dev/urandom > '\(source)/big-'$i; done
      echo small > '\(source)/sub/small'
      ln -s big-1 '\(source)/link'
      """)
    return source
  }

  private func open(_ path: String, through calls: ForcedErrnoCalls) async throws -> Repository {
    try await Repository.open(storage: try LocalStorage(root: path, files: FileSystem(calls: calls)))
  }

  private func backUp(_ source: String, into repository: Repository, files: FileSystem = .linux) async throws
    -> BackupResult
  {
    let backup = Backup(repository: repository, logger: Logger(label: "test"), files: files)
    return try await backup.run(BackupRequest(sources: [source], kind: .full))
  }

  /// Files under `repo` whose names say a write was left half done.
  private func leftovers(in repo: String) throws -> String {
    try shell("find '\(repo)' -name '*.pending' -o -name '*.tmp'")
  }

  private func expectRestoresExactly(_ work: BackupWorkspace, _ snapshot: String, _ source: String) throws {
    let target = work.sub("restored-\(snapshot)")
    let restore = try work.restore(snapshot, to: target)
    #expect(restore.status == 0, "\(restore.output)")
    #expect(try TreeListing(target + source) == TreeListing(source))
  }

  /// Where the repository side fails: the n-th object write (ENOSPC), the
  /// `syncfs` that makes objects durable, the fsync of the snapshot record.
  static let repositoryFailures: [(SystemCall, Int, Errno)] = [
    (.write, 3, .noSpace), (.syncFileSystem, 1, .ioError), (.sync, 1, .noSpace),
  ]

  @Test(arguments: repositoryFailures)
  func aFailingRepositoryCallFailsTheBackupCleanlyAndARetrySucceeds(call: SystemCall, nth: Int, errno: Errno)
    async throws
  {
    let work = try BackupWorkspace()
    let source = try makeSources(in: work)
    let calls = ForcedErrnoCalls()
    calls.fail(call, on: nth, with: errno)
    let repository = try await open(work.repo, through: calls)

    await #expect {
      try await backUp(source, into: repository)
    } throws: { error in
      guard let error = error as? CairnError else { return false }
      return error.code == (errno == .noSpace ? .noSpace : .io) && "\(error)".contains(errno.description)
        && error.message.contains(work.repo)
    }
    #expect(calls.forced(call) == 1, "the planned failure must have happened")
    // Every read and commit of the failed run has ended: nothing writes after it returned.
    let writes = calls.made(.write)
    try await Task.sleep(for: .milliseconds(300))
    #expect(calls.made(.write) == writes, "a task of the failed backup went on writing")
    #expect(try work.snapshots().isEmpty, "a failed backup writes no snapshot")
    #expect(try leftovers(in: work.repo).isEmpty, "a failed backup removes its pending files")
    let check = try Cairn.run(["check", "--repo", work.repo, "--read-data"])
    #expect(check.status == 0, "\(check.output)")

    let retried = try await backUp(source, into: repository)
    #expect(retried.problems.isEmpty)
    try expectRestoresExactly(work, retried.record.id, source)
  }

  @Test func anUnreadableSourceFileIsReportedAndTheRestIsBackedUp() async throws {
    let work = try BackupWorkspace()
    let source = try makeSources(in: work)
    let calls = ForcedErrnoCalls()
    calls.fail(.read, on: 2, with: .ioError, onFileNamed: "big-2")
    let repository = try await Repository.open(at: work.repo)

    let result = try await backUp(source, into: repository, files: FileSystem(calls: calls))
    #expect(calls.forced(.read) == 1)
    #expect(result.problems.count == 1)
    let problem = try #require(result.problems.first)
    #expect(problem.path == "\(source)/big-2")
    #expect(problem.message.contains(Errno.ioError.description), "\(problem)")

    // Everything but the unreadable file is in the snapshot, exactly.
    let target = work.sub("restored")
    #expect(try work.restore(result.record.id, to: target).status == 0)
    try FileManager.default.removeItem(atPath: "\(source)/big-2")
    #expect(try TreeListing(target + source).withoutDirectoryTimes() == TreeListing(source).withoutDirectoryTimes())
  }

  @Test func unreadableExtendedAttributesAreReportedAndTheFileIsBackedUp() async throws {
    let work = try BackupWorkspace()
    let source = try makeSources(in: work)
    let calls = ForcedErrnoCalls()
    calls.fail(.listAttributes, on: 1, with: .ioError, onFileNamed: "big-2")
    let repository = try await Repository.open(at: work.repo)

    let result = try await backUp(source, into: repository, files: FileSystem(calls: calls))
    #expect(calls.forced(.listAttributes) == 1)
    let problem = try #require(result.problems.first)
    #expect(result.problems.count == 1, "\(result.problems)")
    #expect(problem.path == "\(source)/big-2")
    #expect(problem.message.contains("extended attributes cannot be listed"), "\(problem)")
    try expectRestoresExactly(work, result.record.id, source)
  }

  @Test func interruptedCallsAreRetried() async throws {
    let work = try BackupWorkspace()
    let source = try makeSources(in: work)
    let repositoryCalls = ForcedErrnoCalls()
    for call in [SystemCall.open, .write, .sync, .syncFileSystem, .rename, .linkStatus] {
      repositoryCalls.fail(call, on: 2, with: .interrupted, times: 3)
    }
    let sourceCalls = ForcedErrnoCalls()
    for call in [SystemCall.open, .read, .status, .linkStatus, .directoryNames, .readSymlink, .listAttributes, .seek] {
      sourceCalls.fail(call, on: 1, with: .interrupted, times: 2)
    }
    let repository = try await open(work.repo, through: repositoryCalls)

    let result = try await backUp(source, into: repository, files: FileSystem(calls: sourceCalls))
    #expect(result.problems.isEmpty, "\(result.problems)")
    for call in [SystemCall.open, .write, .sync, .syncFileSystem, .rename, .linkStatus] {
      #expect(repositoryCalls.forced(call) == 3, "\(call) was interrupted three times")
    }
    for call in [SystemCall.open, .read, .status, .linkStatus, .directoryNames, .readSymlink, .listAttributes, .seek] {
      #expect(sourceCalls.forced(call) == 2, "\(call) was interrupted twice")
    }
    try expectRestoresExactly(work, result.record.id, source)
  }

  // MARK: Restore

  private func restore(_ snapshot: SnapshotRecord, from repository: Repository, to target: String, files: FileSystem)
    async throws -> RestoreResult
  {
    let restore = Restore(repository: repository, logger: Logger(label: "test"), files: files)
    return try await restore.run(RestoreRequest(snapshot: snapshot, target: target))
  }

  /// Where a restore's writes fail: the n-th content write (ENOSPC), the
  /// creation of a file, the link that names a complete file, a directory.
  static let restoreFailures: [(SystemCall, Int, Errno)] = [
    (.write, 3, .noSpace), (.openUnnamed, 2, .noSpace), (.linkUnnamed, 2, .ioError), (.makeDirectory, 5, .noSpace),
  ]

  @Test(arguments: restoreFailures)
  func aFailingRestoreCallStopsTheRestoreAndLeavesNoPartialFile(call: SystemCall, nth: Int, errno: Errno)
    async throws
  {
    let work = try BackupWorkspace()
    let source = try makeSources(in: work)
    let repository = try await Repository.open(at: work.repo)
    let backup = try await backUp(source, into: repository)
    let calls = ForcedErrnoCalls()
    calls.fail(call, on: nth, with: errno)
    let target = work.sub("restored")

    await #expect {
      try await restore(backup.record, from: repository, to: target, files: FileSystem(calls: calls))
    } throws: { error in
      guard let error = error as? CairnError else { return false }
      return "\(error)".contains(errno.description) && error.message.contains(target)
    }
    #expect(calls.forced(call) == 1, "the planned failure must have happened")
    let writes = calls.made(.write)
    try await Task.sleep(for: .milliseconds(300))
    #expect(calls.made(.write) == writes, "a write of the failed restore went on")
    // What is under a real name is complete; nothing else is left behind.
    let restored = try shell("cd '\(target)' 2>/dev/null && find . -type f | sort || true")
    for path in restored.split(separator: "\n") {
      let copy = FileManager.default.contents(atPath: "\(target)/\(path)")
      let original = FileManager.default.contents(atPath: String(path.dropFirst()))
      #expect(copy == original, "'\(path)' is partial or wrong after the failed restore")
    }
    #expect(!restored.contains(".cairn-"), "a temporary file was left: \(restored)")

    let again = work.sub("restored-again")
    let result = try await restore(backup.record, from: repository, to: again, files: .linux)
    #expect(result.problems.isEmpty)
    #expect(try TreeListing(again + source) == TreeListing(source))
  }

  @Test func metadataThatCannotBeSetIsReportedAndTheContentKept() async throws {
    let work = try BackupWorkspace()
    let source = try makeSources(in: work)
    let repository = try await Repository.open(at: work.repo)
    let backup = try await backUp(source, into: repository)
    let calls = ForcedErrnoCalls()
    // The first times set, on whichever file or directory completes first
    // (an unnamed file has no name to pick it by until it is linked).
    calls.fail(.setTimes, on: 1, with: .notPermitted)
    let target = work.sub("restored")

    let result = try await restore(backup.record, from: repository, to: target, files: FileSystem(calls: calls))
    #expect(calls.forced(.setTimes) == 1)
    let problem = try #require(result.problems.first)
    #expect(result.problems.count == 1, "\(result.problems)")
    #expect(problem.message.contains("could not set the metadata"), "\(problem)")
    #expect(problem.message.contains(Errno.notPermitted.description), "\(problem)")
    let name = String(describing: problem.path).split(separator: "/").last.map(String.init) ?? ""
    #expect(
      try TreeListing(target + source).withoutTimes(of: name).withoutDirectoryTimes()
        == TreeListing(source).withoutTimes(of: name).withoutDirectoryTimes(),
      "everything is restored, '\(name)' without its time")
  }

  @Test func interruptedRestoreCallsAreRetried() async throws {
    let work = try BackupWorkspace()
    let source = try makeSources(in: work)
    let repository = try await Repository.open(at: work.repo)
    let backup = try await backUp(source, into: repository)
    let restoreCalls: [SystemCall] = [
      .open, .makeDirectory, .openUnnamed, .write, .linkUnnamed, .changeMode, .setTimes, .makeSymlink,
    ]
    let calls = ForcedErrnoCalls()
    // The tree has one symlink: its creation is the first and only call.
    for call in restoreCalls { calls.fail(call, on: call == .makeSymlink ? 1 : 2, with: .interrupted, times: 2) }
    let target = work.sub("restored")

    let result = try await restore(backup.record, from: repository, to: target, files: FileSystem(calls: calls))
    #expect(result.problems.isEmpty, "\(result.problems)")
    for call in restoreCalls { #expect(calls.forced(call) == 2, "\(call) was interrupted twice") }
    #expect(try TreeListing(target + source) == TreeListing(source))
  }
}
