import Synchronization

/// The reads of one backup (file segments, small files whole), run by a
/// fixed number of worker tasks that are children of the backup's task
/// group: a failed or cancelled backup closes the queue, and the group
/// cancels the workers and waits for them before the run cleans up, so no
/// read writes an object afterwards. The number of workers bounds the reads
/// (and block buffers) in flight, whatever the cooperative pool's size.
final class ReadQueue: Sendable {
  typealias Job = @Sendable () async -> Void

  private struct State {
    var jobs: [Job] = []
    var start = 0
    var idle: [CheckedContinuation<Job?, Never>] = []
    var isClosed = false
  }
  private let state = Mutex(State())

  /// Queues `work`; its result or error arrives through the returned value.
  /// After `close`, the work is not run and the result is `CancellationError`.
  func submit<T: Sendable>(_ work: @escaping @Sendable () async throws -> T) -> PendingResult<T> {
    let pending = PendingResult<T>()
    let job: Job = {
      do {
        try Task.checkCancellation()
        pending.resolve(.success(try await work()))
      } catch {
        pending.resolve(.failure(error))
      }
    }
    let waiter = state.withLock { state -> CheckedContinuation<Job?, Never>? in
      if state.isClosed { return nil }
      if !state.idle.isEmpty { return state.idle.removeFirst() }
      state.jobs.append(job)
      return nil
    }
    if let waiter {
      waiter.resume(returning: job)
    } else if state.withLock({ $0.isClosed }) {
      pending.resolve(.failure(CancellationError()))
    }
    return pending
  }

  /// One worker: runs jobs in the order they came until the queue is closed.
  func work() async {
    while let job = await nextJob() { await job() }
  }

  private func nextJob() async -> Job? {
    await withCheckedContinuation { continuation in
      let job = state.withLock { state -> Job?? in
        if state.start < state.jobs.count {
          defer {
            state.start += 1
            if state.start == state.jobs.count {
              state.jobs.removeAll(keepingCapacity: true)
              state.start = 0
            }
          }
          return .some(state.jobs[state.start])
        }
        if state.isClosed { return .some(nil) }
        state.idle.append(continuation)
        return nil
      }
      if let job { continuation.resume(returning: job) }
    }
  }

  /// Ends the workers once the queued jobs have run (a cancelled worker runs
  /// them fast: each fails with `CancellationError` at its first check).
  func close() {
    let idle = state.withLock { state in
      state.isClosed = true
      defer { state.idle.removeAll() }
      return state.idle
    }
    for worker in idle { worker.resume(returning: nil) }
  }
}
