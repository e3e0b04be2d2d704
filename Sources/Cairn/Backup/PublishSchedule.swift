import Foundation
import Synchronization

/// Publishes a backup's pending objects in batches while it runs: one
/// `store.commit()` (a `syncfs`, the renames, a `syncfs`) each time about
/// `batchBytes` of new objects were written or `interval` has passed.
///
/// So the storage's list of pending objects stays short (memory stays flat
/// whatever the tree), and a backup that is interrupted keeps every object
/// of the batches it already published: the next run finds them present and
/// does not write them again. Objects are published before any snapshot
/// references them, as at the end of a backup; until the record is written
/// they are garbage that gc may remove, never a snapshot pointing at
/// objects that are not durable.
///
/// Commits run in `run()`, a child task of the backup's task group, one at a
/// time while reading goes on; each publishes only objects whose write has
/// returned. A failed backup calls `close()`, and the group waits for the
/// commit in flight before the run cleans up.
final class PublishSchedule: Sendable {
  static let defaultBatchBytes: UInt64 = 256 << 20
  static let defaultInterval: Duration = .seconds(5)

  let batchBytes: UInt64
  let interval: Duration
  private let store: ObjectStore
  private let written = Atomic<UInt64>(0)
  private struct State {
    var committedAt: UInt64 = 0
    var lastCommit = ContinuousClock.now
    /// A commit asked for or running.
    var running = false
    var commits = 0
    var failure: (any Error)?
    var isClosed = false
    /// `run()` waiting for the next request.
    var idle: CheckedContinuation<Bool, Never>?
    /// Callers of `wait()` waiting for the commit in flight.
    var waiters: [CheckedContinuation<Void, Never>] = []
  }
  private let state = Mutex(State())

  init(
    store: ObjectStore, batchBytes: UInt64 = PublishSchedule.defaultBatchBytes,
    interval: Duration = PublishSchedule.defaultInterval
  ) {
    self.store = store
    self.batchBytes = batchBytes
    self.interval = interval
  }

  /// The schedule `CAIRN_PUBLISH_BYTES` asks for (tests use small batches),
  /// or the default one.
  static func fromEnvironment(store: ObjectStore) -> PublishSchedule {
    let environment = ProcessInfo.processInfo.environment
    let bytes = environment["CAIRN_PUBLISH_BYTES"].flatMap { UInt64($0) }.flatMap { $0 > 0 ? $0 : nil }
    return PublishSchedule(store: store, batchBytes: bytes ?? defaultBatchBytes)
  }

  /// Counts `bytes` of new objects written (from any thread).
  func wrote(_ bytes: UInt64) {
    written.add(bytes, ordering: .relaxed)
  }

  /// Commits published so far during the run.
  var commits: Int { state.withLock { $0.commits } }

  /// Asks `run()` for a commit when a batch is due and none is running. Returns at once.
  func tick() {
    let total = written.load(ordering: .relaxed)
    let idle = state.withLock { state -> CheckedContinuation<Bool, Never>? in
      // The previous commit has had a whole batch's time; it is waited for at the next tick.
      guard total > state.committedAt, !state.running, !state.isClosed, state.failure == nil else { return nil }
      let now = ContinuousClock.now
      guard total - state.committedAt >= batchBytes || now - state.lastCommit >= interval else { return nil }
      state.committedAt = total
      state.lastCommit = now
      state.commits += 1
      state.running = true
      defer { state.idle = nil }
      return state.idle
    }
    idle?.resume(returning: true)
  }

  /// Makes the commits asked for, one at a time, until `close()`.
  func run() async {
    while await nextRequest() {
      var failure: (any Error)?
      do {
        try await store.commit()
        CrashPoint.reach("backup.publish")
      } catch {
        failure = error
      }
      let waiters = state.withLock { state in
        state.running = false
        if state.failure == nil { state.failure = failure }
        defer { state.waiters.removeAll() }
        return state.waiters
      }
      for waiter in waiters { waiter.resume() }
    }
  }

  private func nextRequest() async -> Bool {
    await withCheckedContinuation { continuation in
      let answer = state.withLock { state -> Bool? in
        if state.running { return true }
        if state.isClosed { return false }
        state.idle = continuation
        return nil
      }
      if let answer { continuation.resume(returning: answer) }
    }
  }

  /// Ends `run()` after the commit in flight, if any.
  func close() {
    let idle = state.withLock { state in
      state.isClosed = true
      defer { state.idle = nil }
      return state.idle
    }
    idle?.resume(returning: false)
  }

  /// Waits for the commit in flight, if any; throws what it (or an earlier one) threw.
  func wait() async throws {
    await withCheckedContinuation { continuation in
      let done = state.withLock { state in
        if state.running {
          state.waiters.append(continuation)
          return false
        }
        return true
      }
      if done { continuation.resume() }
    }
    if let failure = state.withLock({ $0.failure }) { throw failure }
  }
}
