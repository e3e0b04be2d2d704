import Synchronization

/// Set once when the task running an operation is cancelled (the CLI cancels
/// it on SIGINT, SIGTERM or SIGHUP). Workers of that operation run in tasks of
/// their own, which the cancellation does not reach, so they check this flag
/// between blocks and stop with `CancellationError`.
final class StopFlag: Sendable {
  private let value = Atomic(false)

  var isSet: Bool { value.load(ordering: .relaxed) }

  func set() { value.store(true, ordering: .relaxed) }

  /// Throws `CancellationError` once the flag is set.
  func check() throws(CancellationError) {
    if isSet { throw CancellationError() }
  }

  /// Runs `body` with a flag that is set when the current task is cancelled.
  static func whileRunning<T>(_ body: (StopFlag) async throws -> T) async throws -> T {
    let flag = StopFlag()
    return try await withTaskCancellationHandler {
      try await body(flag)
    } onCancel: {
      flag.set()
    }
  }
}
