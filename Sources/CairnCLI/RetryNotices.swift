import Synchronization

/// Prints an S3 request's retries as warnings on stderr, so that a run
/// waiting on a failing server says why. With 32 requests in flight an
/// outage fails them all at once: the first notice is printed, and later
/// ones at most every `interval`, each saying how many were left out since.
final class RetryNotices: Sendable {
  static let shared = RetryNotices()

  private struct State {
    var lastPrinted: ContinuousClock.Instant?
    var leftOut = 0
  }

  private let interval: Duration
  private let print: @Sendable (String) -> Void
  private let state = Mutex(State())

  init(interval: Duration = .seconds(10), print: @escaping @Sendable (String) -> Void = { Terminal.error($0) }) {
    self.interval = interval
    self.print = print
  }

  func notice(_ line: String) {
    let now = ContinuousClock.now
    let printed: String? = state.withLock { state in
      if let last = state.lastPrinted, now - last < interval {
        state.leftOut += 1
        return nil
      }
      let more = state.leftOut == 0 ? "" : " (\(state.leftOut) more retries since the last warning)"
      state.lastPrinted = now
      state.leftOut = 0
      return "warning: \(line)\(more)"
    }
    if let printed { print(printed) }
  }
}
