import Foundation
import Logging
import Testing

@testable import Cairn

/// A small file with as many bytes allocated as it is long has no hole:
/// the backup reads it without looking for one (one `lseek` less per small
/// file). A small file with a hole still keeps it.
@Suite struct HoleSearchTests {
  private func backUp(_ source: String, into repository: Repository, calls: ForcedErrnoCalls) async throws
    -> BackupResult
  {
    let backup = Backup(repository: repository, logger: Logger(label: "test"), files: FileSystem(calls: calls))
    return try await backup.run(BackupRequest(sources: [source], kind: .full))
  }

  @Test func denseSmallFilesAreReadWithoutAHoleSearch() async throws {
    let work = try BackupWorkspace(blockSize: 1 << 20)
    let source = work.sub("src")
    try shell(
      """
      set -e
      mkdir -p '\(source)'
      for i in 1 2 3 4 5 6 7 8; do head -c $((i * 3000)) /dev/urandom > '\(source)/small-'$i; done
      sync
      """)
    let repository = try await Repository.open(at: work.repo)
    let calls = ForcedErrnoCalls()
    let result = try await backUp(source, into: repository, calls: calls)
    #expect(result.problems.isEmpty)
    #expect(calls.made(.seek) == 0, "a dense small file was searched for holes")

    let target = work.sub("restored")
    let restored = try await Restore(repository: repository, logger: Logger(label: "test")).run(
      RestoreRequest(snapshot: result.record, target: target))
    #expect(restored.problems.isEmpty)
    #expect(try TreeListing(target + source) == TreeListing(source))
  }

  @Test func aSmallFileWithAHoleIsSearchedAndKeepsIt() async throws {
    let work = try BackupWorkspace(blockSize: 1 << 20)
    let source = work.sub("src")
    // 4 KiB of data at the end of a 48 KiB file: 44 KiB of hole, under the
    // small-file limit of a 1 MiB-block repository (256 KiB).
    try shell(
      """
      set -e
      mkdir -p '\(source)'
      head -c 4096 /dev/urandom | dd of='\(source)/sparse' bs=4096 seek=11 conv=notrunc status=none
      sync
      """)
    let allocated = try shell("stat -c %b '\(source)/sparse'").trimmingCharacters(in: .whitespacesAndNewlines)
    try #require(Int(allocated).map { $0 * 512 < 48 * 1024 } == true, "this file system filled the hole")

    let repository = try await Repository.open(at: work.repo)
    let calls = ForcedErrnoCalls()
    let result = try await backUp(source, into: repository, calls: calls)
    #expect(result.problems.isEmpty)
    #expect(calls.made(.seek) > 0)

    let target = work.sub("restored")
    _ = try await Restore(repository: repository, logger: Logger(label: "test")).run(
      RestoreRequest(snapshot: result.record, target: target))
    let copy = target + source + "/sparse"
    #expect(FileManager.default.contents(atPath: copy) == FileManager.default.contents(atPath: source + "/sparse"))
    let restoredBlocks = try shell("stat -c %b '\(copy)'").trimmingCharacters(in: .whitespacesAndNewlines)
    #expect(Int(restoredBlocks).map { $0 * 512 < 48 * 1024 } == true, "the restored copy lost its hole")
  }
}
