import Foundation
import Testing

@testable import Cairn

/// Blocking work runs on Cairn's own threads, so it never holds the
/// cooperative pool's threads (one per core) back; the local lock wait is a
/// cancellable sleep, not a blocked thread.
@Suite struct BlockingPoolTests {
  @Test func blockingCallsLeaveTheCooperativePoolFree() async throws {
    let sleepers = Parallelism.processors + 2
    let pool = BlockingPool(threads: sleepers)
    let started = ContinuousClock.now
    try await withThrowingTaskGroup(of: Void.self) { group in
      for _ in 0..<sleepers {
        group.addTask { await pool.run { _ = usleep(1_500_000) } }
      }
      // More blocked calls than cores are in flight: this task and a new one
      // still run long before the calls end (had they blocked the
      // cooperative threads, nothing would run for 1.5 s).
      try await Task.sleep(for: .milliseconds(100))
      let answered = await Task { ContinuousClock.now }.value
      #expect(answered - started < .milliseconds(900), "the cooperative pool was blocked")
      try await group.waitForAll()
    }
    #expect(ContinuousClock.now - started >= .milliseconds(1500))
  }

  @Test func errorsComeBackTyped() async {
    let pool = BlockingPool(threads: 1)
    await #expect(throws: CairnError.self) {
      try await pool.run { () throws(CairnError) in throw CairnError(.io, "forced") }
    }
  }

  @Test func aLockWaitEndsAtOnceWhenItsTaskIsCancelled() async throws {
    let directory = TemporaryDirectory("cairn-lock-wait")
    try RepositoryFolder.prepareForInit(directory.sub("repo"))
    let holder = try LocalStorage(root: directory.sub("repo"))
    let lock = try await holder.lock(.exclusive, wait: .zero, onWait: { _ in })
    let waiter = try LocalStorage(root: directory.sub("repo"))
    let waiting = Task { try await waiter.lock(.shared, wait: .seconds(300), onWait: { _ in }) }
    try await Task.sleep(for: .milliseconds(200))
    let cancelled = ContinuousClock.now
    waiting.cancel()
    await #expect(throws: CancellationError.self) { _ = try await waiting.value }
    #expect(ContinuousClock.now - cancelled < .seconds(2))
    await lock.release()
  }
}
