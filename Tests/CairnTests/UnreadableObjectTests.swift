import Foundation
import Testing

/// Promise "Integrity" (Docs/PROMISES.md): an object that cannot be read or
/// verified, whatever the reason, damages the files that use it and nothing
/// else. Restore reports those files, restores all the others, still sets
/// every directory's metadata, and exits 1. (The same promise for a read
/// that fails, flips a bit or comes back short, in process and without root:
/// StorageFaultTests.oneBadObjectDamagesOnlyItsFile.)
@Suite struct UnreadableObjectTests {
  /// Ways to make an object file unreadable while its name is present.
  enum Unreadable: String, CaseIterable, Sendable {
    /// A directory at the object's name: open works, read gives EISDIR.
    case directory
    /// A symlink loop at the object's name: open gives ELOOP.
    case symlinkLoop
    /// Mode 000 and another owner, read by nobody: open gives EACCES.
    case permissionDenied

    var needsNobody: Bool { self == .permissionDenied }
  }

  @Test(arguments: Unreadable.allCases, RepositoryKind.allCases)
  func unreadableObjectDamagesOnlyItsFileAndRestoreGoesOn(kind: Unreadable, repository: RepositoryKind) async throws {
    if kind.needsNobody && !setprivWorks { return }
    let work = try BackupWorkspace(blockSize: 65536, kind: repository)
    let source = work.sub("src")
    // Many files in directories with modes other than the 0700 a restore
    // starts them with: an aborted restore leaves them at 0700.
    try shell(
      """
      set -e
      mkdir -p '\(source)'
      for d in 1 2 3 4 5 6; do
        mkdir '\(source)/dir-'$d
        for f in $(seq 1 40); do echo "file $d/$f" > '\(source)/dir-'$d/file-$f; done
        chmod 0750 '\(source)/dir-'$d
      done
      head -c 150000 /dev/urandom > '\(source)/dir-1/victim'
      """)
    let snapshot = try work.backup([source])
    let original = try TreeListing(source)
    let victim = try await work.inspection.blockNames(ofFile: "\(source)/dir-1/victim")[1]
    let path = work.inspection.storedFile(of: victim)
    switch kind {
    case .directory:
      try shell("rm -f '\(path)' && mkdir '\(path)'")
    case .symlinkLoop:
      try shell("rm -f '\(path)' && ln -s '\(victim)' '\(path)'")
    case .permissionDenied:
      try shell("chown -R 65534:65534 '\(work.repo)' && chown 0:0 '\(path)' && chmod 000 '\(path)'")
    }

    let target = work.sub("out")
    let restore: CommandResult
    if kind.needsNobody {
      try shell("mkdir '\(target)' && chown 65534:65534 '\(target)' && chmod 0755 '\(work.directory.path)'")
      restore = try runCairnAsNobody(
        ["restore", "--repo", work.repo, snapshot.id, target], environment: work.environment)
    } else {
      restore = try work.restore(snapshot.id, to: target)
    }
    #expect(restore.status == 1, "\(restore.output)")
    #expect(restore.stderr.contains("dir-1/victim"), "\(restore.stderr)")
    #expect(restore.stderr.contains(victim), "the object is not named: \(restore.stderr)")
    #expect(!FileManager.default.fileExists(atPath: "\(target)\(source)/dir-1/victim"))
    try expectNoWrongBytes(in: target + source, comparedTo: original)

    // Everything else is there, directories with their own mode and times
    // (the removal of the damaged file included).
    var expected = original
    expected.items.removeValue(forKey: Data("dir-1/victim".utf8))
    if kind.needsNobody {
      for key in expected.items.keys {
        expected.items[key]?.uid = 65534
        expected.items[key]?.gid = 65534
      }
    }
    let restored = try TreeListing(target + source)
    #expect(restored == expected, "\(expected.differences(from: restored))")
  }
}
