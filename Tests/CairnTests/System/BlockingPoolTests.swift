import Foundation
import Testing

@testable import Cairn

/// Blocking work runs on Cairn's own threads, so it never holds the
/// cooperative pool's threads (one per core) back; the local lock wait is a
/// cancellable sleep, not a blocked thread.
@Suite struct BlockingPoolTests {
  /// More blocking calls than the cooperative pool has threads (one per
  /// processor) run all at once. Timed from inside the calls: the test
  /// process's cooperative threads may be busy with other suites.
  @Test func moreBlockingCallsThanCoresRunAllAtOnce() async throws {
    let calls = Parallelism.processors + 2
    let pool = BlockingPool(threads: calls)
    let spans = try await withThrowingTaskGroup(of: (ContinuousClock.Instant, ContinuousClock.Instant).self) {
      group in
      for _ in 0..<calls {
        group.addTask {
          await pool.run {
            let start = ContinuousClock.now
            usleep(1_000_000)
            return (start, ContinuousClock.now)
          }
        }
      }
      return try await group.reduce(into: []) { $0.append($1) }
    }
    let lastStart = spans.map(\.0).max()!
    let firstEnd = spans.map(\.1).min()!
    #expect(lastStart < firstEnd, "the \(calls) calls did not all run at once")
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
    // Far below the 300 s asked for; generous, as the test process's
    // cooperative threads may be busy with other suites.
    #expect(ContinuousClock.now - cancelled < .seconds(30))
    await lock.release()
  }
  /// What a job captured is released once the job has run, even while
  /// other jobs are still queued behind it: a closed repository's
  /// descriptors must not stay open until the pool is next idle.
  @Test func aJobIsReleasedOnceItHasRunWhileOthersAreQueued() async throws {
    final class Token: Sendable {}
    let pool = BlockingPool(threads: 1)
    let occupy = DispatchSemaphore(value: 0)
    let hold = DispatchSemaphore(value: 0)
    let holding = DispatchSemaphore(value: 0)
    weak var released: Token?
    // The one thread waits in the first job, so the next three queue behind it.
    let first = pool.start { occupy.wait() }
    let captured: PendingResult<Void> = {
      let token = Token()
      released = token
      return pool.start { _ = token }
    }()
    let third = pool.start {
      holding.signal()
      hold.wait()
    }
    let fourth = pool.start {}
    occupy.signal()
    // The thread has run the token's job and now waits in the third; the
    // fourth is still queued, so the queue has not drained.
    await BlockingPool.shared.run { holding.wait() }
    #expect(released == nil, "a job that has run is still held by the pool")
    hold.signal()
    for pending in [first, captured, third, fourth] { try await pending.value }
  }
}
