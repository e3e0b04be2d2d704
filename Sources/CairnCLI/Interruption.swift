import ArgumentParser
import Dispatch
import Foundation
import Synchronization

#if canImport(Glibc)
  import Glibc
#endif

/// SIGINT, SIGTERM and SIGHUP during a backup or restore: the first one
/// cancels the operation's task, which stops its workers, removes its own
/// temporary and pending files and ends with `CancellationError`; the
/// operation log then records `interrupted`, and the process exits with
/// 128 + the signal number (130, 143, 129), as shells expect. A second
/// signal ends the process at once.
enum Interruption {
  /// The signal that interrupted this process, or 0.
  private static let received = Atomic<Int32>(0)

  static let handled: [Int32] = [SIGINT, SIGTERM, SIGHUP]

  /// The signal received so far, if any.
  static var signal: Int32? {
    let value = received.load(ordering: .relaxed)
    return value == 0 ? nil : value
  }

  static func name(of signal: Int32) -> String {
    switch signal {
    case SIGINT: "SIGINT"
    case SIGTERM: "SIGTERM"
    case SIGHUP: "SIGHUP"
    default: "signal \(signal)"
    }
  }

  /// The exit status for an operation stopped by `signal`.
  static func exitCode(for signal: Int32) -> ExitCode { ExitCode(128 + signal) }

  /// Runs `body` in a task that the handled signals cancel.
  static func run(_ body: @escaping @Sendable () async throws -> Void) async throws {
    let task = Task { try await body() }
    let sources = handled.map { number in
      Glibc.signal(number, SIG_IGN)
      let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
      source.setEventHandler {
        if received.compareExchange(expected: 0, desired: number, ordering: .relaxed).exchanged {
          FileHandle.standardError.write(
            Data("cairn: \(name(of: number)) received; stopping (send it again to stop at once)\n".utf8))
          task.cancel()
        } else {
          _exit(128 + number)
        }
      }
      source.resume()
      return source
    }
    defer { for source in sources { source.cancel() } }
    do {
      try await task.value
    } catch {
      if let signal, !(error is ExitCode) { throw exitCode(for: signal) }
      throw error
    }
  }
}
