import Foundation
import Synchronization

#if canImport(Glibc)
  import Glibc
#endif

/// Named points in the write paths where the failure tests can kill the
/// process with SIGKILL, to prove that a crash at that instant loses nothing.
///
/// Off unless the environment holds `CAIRN_CRASH_AT=NAME:N`: the N-th time
/// the process reaches point NAME, it sends itself SIGKILL (no cleanup runs,
/// exactly like `kill -9`). `CAIRN_HOLD_AT=NAME:SECONDS` instead pauses at the
/// first arrival, so that tests can line up two processes deterministically.
enum CrashPoint {
  private static let hold: (name: String, seconds: Double)? = {
    guard let value = ProcessInfo.processInfo.environment["CAIRN_HOLD_AT"] else { return nil }
    let parts = value.split(separator: ":")
    guard parts.count == 2, let seconds = Double(parts[1]), seconds > 0 else { return nil }
    return (String(parts[0]), seconds)
  }()

  private static let held = Mutex(false)

  private static let target: (name: String, count: Int)? = {
    guard let value = ProcessInfo.processInfo.environment["CAIRN_CRASH_AT"] else { return nil }
    let parts = value.split(separator: ":")
    guard parts.count == 2, let count = Int(parts[1]), count > 0 else { return nil }
    return (String(parts[0]), count)
  }()

  private static let reached = Mutex(0)

  /// Marks that the process passed point `name`.
  @inline(__always)
  static func reach(_ name: StaticString) {
    if let hold, hold.name == name.description, !held.withLock({ $0 }) {
      held.withLock { $0 = true }
      FileHandle.standardError.write(Data("cairn: holding at \(name) for \(hold.seconds) s\n".utf8))
      Thread.sleep(forTimeInterval: hold.seconds)
    }
    guard let target, target.name == name.description else { return }
    let count = reached.withLock { value in
      value += 1
      return value
    }
    if count == target.count { kill(getpid(), SIGKILL) }
  }
}
