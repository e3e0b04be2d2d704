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
/// A commit runs in the background, one at a time, while reading goes on;
/// it publishes only objects whose write has returned.
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
    var task: Task<Void, any Error>?
    var running = false
    var commits = 0
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

  /// Starts a commit when a batch is due and none is running. Returns at once.
  func tick() {
    let total = written.load(ordering: .relaxed)
    let store = self.store
    state.withLock { state in
      // The previous commit has had a whole batch's time; it is waited for at the next tick.
      guard total > state.committedAt, !state.running else { return }
      let now = ContinuousClock.now
      guard total - state.committedAt >= batchBytes || now - state.lastCommit >= interval else { return }
      state.committedAt = total
      state.lastCommit = now
      state.commits += 1
      state.running = true
      let previous = state.task
      state.task = Task.detached {
        defer { self.state.withLock { $0.running = false } }
        // A failure of the previous commit is thrown here too, and by the final wait.
        if let previous { try await previous.value }
        try await store.commit()
        CrashPoint.reach("backup.publish")
      }
    }
  }

  /// Waits for the commit in flight, if any; throws what it (or an earlier one) threw.
  func wait() async throws {
    let task = state.withLock { $0.task }
    try await task?.value
  }
}
