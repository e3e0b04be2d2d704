import Synchronization

/// The result of work started elsewhere (a `ReadQueue` job, a `BlockingPool`
/// job), awaited by the one task that started it.
final class PendingResult<T: Sendable>: Sendable {
  private struct State {
    var result: Result<T, any Error>?
    var waiter: CheckedContinuation<T, any Error>?
  }
  private let state = Mutex(State())

  func resolve(_ result: Result<T, any Error>) {
    let waiter = state.withLock { state in
      state.result = result
      defer { state.waiter = nil }
      return state.waiter
    }
    waiter?.resume(with: result)
  }

  var value: T {
    get async throws {
      try await withCheckedThrowingContinuation { continuation in
        let result = state.withLock { state in
          if state.result == nil { state.waiter = continuation }
          return state.result
        }
        if let result { continuation.resume(with: result) }
      }
    }
  }
}
