import Foundation
import Logging
import Testing

@testable import Cairn

/// A backup whose task is cancelled (the CLI cancels it on SIGINT) stops its
/// readers and its commits, waits for them, and leaves nothing behind: no
/// snapshot, no pending file, and no write after `run` has returned.
@Suite struct BackupCancellationTests {
  @Test func aCancelledBackupEndsAllItsWorkBeforeItReturns() async throws {
    let work = try BackupWorkspace()
    let source = work.sub("src")
    try shell(
      """
      set -e
      mkdir -p '\(source)'
      for i in $(seq 1 8); do head -c 4000000 /dev/urandom > '\(source)/file-'$i; done
      """)
    let calls = ForcedErrnoCalls()
    let repository = try await Repository.open(
      storage: try LocalStorage(root: work.repo, files: FileSystem(calls: calls)))
    let backup = Backup(repository: repository, logger: Logger(label: "test"))
    let running = Task { try await backup.run(BackupRequest(sources: [source], kind: .full)) }
    // Cancelled once objects are being written, well before the 32 MB are read.
    let deadline = ContinuousClock.now + .seconds(60)
    while calls.made(.write) < 5 && ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(5)) }
    running.cancel()

    await #expect(throws: CancellationError.self) { _ = try await running.value }
    let writes = calls.made(.write)
    #expect(writes >= 5)
    try await Task.sleep(for: .milliseconds(300))
    #expect(calls.made(.write) == writes, "a task of the cancelled backup went on writing")
    #expect(try work.snapshots().isEmpty)
    #expect(try shell("find '\(work.repo)' -name '*.pending'").isEmpty, "pending files were left behind")
    let check = try Cairn.run(["check", "--repo", work.repo])
    #expect(check.status == 0, "\(check.output)")
  }
}
