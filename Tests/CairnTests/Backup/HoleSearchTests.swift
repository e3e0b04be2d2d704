import Foundation
import Logging
import Testing

@testable import Cairn

/// A small file with as many bytes allocated as it is long has no hole:
/// the backup reads it without looking for one (one `lseek` less per small
/// file). A small file with a hole still keeps it.
@Suite struct HoleSearchTests {
  /// A 1 MiB-block repository (small files up to 256 KiB) and a source
  /// made by `script` (run with `$SRC` set), backed up in full through a
  /// counting `ForcedErrnoCalls`.
  private func backUp(sourceMadeBy script: String) async throws
    -> (work: BackupWorkspace, source: String, repository: Repository, calls: ForcedErrnoCalls, result: BackupResult)
  {
    let work = try BackupWorkspace(blockSize: 1 << 20)
    let source = work.sub("src")
    try shell("set -e; SRC='\(source)'; mkdir -p \"$SRC\"\n\(script)\nsync")
    let repository = try await Repository.open(at: work.repo)
    let calls = ForcedErrnoCalls()
    let backup = Backup(repository: repository, logger: Logger(label: "test"), files: FileSystem(calls: calls))
    let result = try await backup.run(BackupRequest(sources: [source], kind: .full))
    return (work, source, repository, calls, result)
  }

  private func restore(_ result: BackupResult, from repository: Repository, to target: String) async throws
    -> RestoreResult
  {
    try await Restore(repository: repository, logger: Logger(label: "test")).run(
      RestoreRequest(snapshot: result.record, target: target))
  }

  /// Bytes the file system allocated for `path` (`st_blocks` x 512).
  private func allocatedBytes(_ path: String) throws -> Int? {
    Int(try shell("stat -c %b '\(path)'").trimmingCharacters(in: .whitespacesAndNewlines)).map { $0 * 512 }
  }

  @Test func denseSmallFilesAreReadWithoutAHoleSearch() async throws {
    let (work, source, repository, calls, result) = try await backUp(
      sourceMadeBy: #"for i in 1 2 3 4 5 6 7 8; do head -c $((i * 3000)) /dev/urandom > "$SRC/small-$i"; done"#)
    #expect(result.problems.isEmpty)
    #expect(calls.made(.seek) == 0, "a dense small file was searched for holes")

    let target = work.sub("restored")
    let restored = try await restore(result, from: repository, to: target)
    #expect(restored.problems.isEmpty)
    #expect(try TreeListing(target + source) == TreeListing(source))
  }

  @Test func aSmallFileWithAHoleIsSearchedAndKeepsIt() async throws {
    // 4 KiB of data at the end of a 48 KiB file: 44 KiB of hole, under the
    // small-file limit of a 1 MiB-block repository (256 KiB).
    let (work, source, repository, calls, result) = try await backUp(
      sourceMadeBy: #"head -c 4096 /dev/urandom | dd of="$SRC/sparse" bs=4096 seek=11 conv=notrunc status=none"#)
    let original = source + "/sparse"
    try #require(try allocatedBytes(original).map { $0 < 48 * 1024 } == true, "this file system filled the hole")
    #expect(result.problems.isEmpty)
    #expect(calls.made(.seek) > 0)

    let target = work.sub("restored")
    _ = try await restore(result, from: repository, to: target)
    let copy = target + original
    #expect(FileManager.default.contents(atPath: copy) == FileManager.default.contents(atPath: original))
    #expect(try allocatedBytes(copy).map { $0 < 48 * 1024 } == true, "the restored copy lost its hole")
  }
}
