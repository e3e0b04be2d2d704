import Synchronization

/// Prints an S3 request's retries as warnings on stderr, so that a run
/// waiting on a failing server says why. With 32 requests in flight an
/// outage fails them all at once: the first notice is printed, and later
/// ones at most every `interval`, each saying how many were left out since.
final class RetryNotices: Sendable {
  static let shared = RetryNotices()

  private static let interval = Duration.seconds(10)

  private struct State {
    var lastPrinted: ContinuousClock.Instant?
    var leftOut = 0
  }

  private let state = Mutex(State())

  func notice(_ line: String) {
    let now = ContinuousClock.now
    let printed: String? = state.withLock { state in
      if let last = state.lastPrinted, now - last < Self.interval {
        state.leftOut += 1
        return nil
      }
      let more = state.leftOut == 0 ? "" : " (\(state.leftOut) more retries since the last warning)"
      state.lastPrinted = now
      state.leftOut = 0
      return "warning: \(line)\(more)"
    }
    if let printed { Terminal.error(printed) }
  }
}
