import Dispatch
import Foundation
import Synchronization

/// Threads of Cairn's own for calls that block: file reads and writes,
/// `fsync`, `syncfs`, directory listings.
///
/// Swift's cooperative pool has one thread per core; a blocking call there
/// holds a core's worth of tasks back until it returns. A task that calls
/// `run` instead suspends, one of these threads makes the call, and the task
/// resumes with its result. The threads are started on first use and live as
/// long as the process.
public final class BlockingPool: Sendable {
  /// The pool every part of Cairn shares.
  public static let shared = BlockingPool(threads: Parallelism.blockingThreads)

  private typealias Job = @Sendable () -> Void

  /// Queued jobs; those before `start` are taken and cleared, so that what a
  /// job captured (a storage and its descriptors, a block) is released once
  /// it has run, not when the queue next drains (the array is reset then).
  private let queue = Mutex<(jobs: [Job?], start: Int)>(([], 0))
  /// Counts queued jobs; a thread waits on it for the next one.
  private let available = DispatchSemaphore(value: 0)
  let threadCount: Int

  init(threads: Int) {
    threadCount = max(1, threads)
    for _ in 0..<threadCount {
      Thread { [self] in work() }.start()
    }
  }

  /// Runs `body` on a pool thread and returns what it returns, or throws what
  /// it throws. The calling task is suspended meanwhile, not blocked.
  /// `body` is not interrupted by cancellation: it is one bounded call.
  public func run<T: Sendable, E: Error>(_ body: @escaping @Sendable () throws(E) -> T) async throws(E) -> T {
    let result: Result<T, E> = await withCheckedContinuation { continuation in
      submit { continuation.resume(returning: Result { () throws(E) -> T in try body() }) }
    }
    return try result.get()
  }

  /// Starts `body` on a pool thread and returns at once; the result is
  /// awaited later through the returned value. For work that only reads
  /// (nothing to undo if the caller gives up on it), so that a task can keep
  /// several calls in flight without a hop of its own for each.
  func start<T: Sendable>(_ body: @escaping @Sendable () throws -> T) -> PendingResult<T> {
    let pending = PendingResult<T>()
    submit { pending.resolve(Result { try body() }) }
    return pending
  }

  private func submit(_ job: @escaping Job) {
    queue.withLock { $0.jobs.append(job) }
    available.signal()
  }

  private func work() {
    while true {
      available.wait()
      let job = queue.withLock { queue in
        let job = queue.jobs[queue.start]!
        queue.jobs[queue.start] = nil
        queue.start += 1
        if queue.start == queue.jobs.count {
          queue.jobs.removeAll(keepingCapacity: true)
          queue.start = 0
        }
        return job
      }
      job()
    }
  }
}
