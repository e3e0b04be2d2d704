import Foundation
import Synchronization

#if canImport(Glibc)
  import Glibc
#endif

/// Named points in the write paths where the failure tests stop the process,
/// to prove that a crash at that instant loses nothing, or pause it, to line
/// up two processes.
///
/// Compiled only into test builds: the package defines `CAIRN_TEST_HOOKS` in
/// debug builds (what `swift test` spawns); in a release build every point is
/// an empty inline function, and the variables below do nothing.
///
/// - `CAIRN_CRASH_AT=NAME:N`: the N-th time the process reaches point NAME,
///   it sends itself SIGKILL (no cleanup runs, exactly like `kill -9`).
/// - `CAIRN_HOLD_AT=NAME:RELEASE_FILE`: at the first arrival at NAME the
///   process writes `cairn: holding at NAME` to stderr (the marker a test
///   waits for), then waits until RELEASE_FILE exists (at most
///   `holdTimeout`, a safety net), so a test decides when it goes on.
enum CrashPoint {
  #if CAIRN_TEST_HOOKS
    /// How long a hold waits for its release file before it goes on anyway.
    static let holdTimeout: Duration = .seconds(600)

    private static let hold: (name: String, releaseFile: String)? = {
      guard let value = ProcessInfo.processInfo.environment["CAIRN_HOLD_AT"],
        let colon = value.firstIndex(of: ":")
      else { return nil }
      let name = String(value[..<colon])
      let releaseFile = String(value[value.index(after: colon)...])
      return name.isEmpty || releaseFile.isEmpty ? nil : (name, releaseFile)
    }()

    private static let held = Mutex(false)

    private static let target: (name: String, count: Int)? = {
      guard let value = ProcessInfo.processInfo.environment["CAIRN_CRASH_AT"] else { return nil }
      let parts = value.split(separator: ":")
      guard parts.count == 2, let count = Int(parts[1]), count > 0 else { return nil }
      return (String(parts[0]), count)
    }()

    private static let reached = Mutex(0)

    /// Marks that the process passed point `name`. A hold blocks the calling
    /// thread (it is what is held) while a thread of its own polls for the
    /// release file.
    static func reach(_ name: StaticString) {
      if let releaseFile = takeHold(name) {
        let released = DispatchSemaphore(value: 0)
        let poller = Thread {
          waitForRelease(releaseFile)
          released.signal()
        }
        poller.start()
        released.wait()
      }
      crashIfTargeted(name)
    }

    /// `reach` for async code: a hold sleeps the task instead of blocking a thread.
    static func reachSuspending(_ name: StaticString) async {
      if let releaseFile = takeHold(name) {
        let clock = ContinuousClock()
        let deadline = clock.now + holdTimeout
        while !FileManager.default.fileExists(atPath: releaseFile) && clock.now < deadline {
          try? await Task.sleep(for: .milliseconds(20))
        }
        reportIfTimedOut(releaseFile)
      }
      crashIfTargeted(name)
    }

    /// The release file when this is the held point's first arrival (only one caller ever holds).
    private static func takeHold(_ name: StaticString) -> String? {
      guard let hold, hold.name == name.description else { return nil }
      let first = held.withLock { taken in
        defer { taken = true }
        return !taken
      }
      guard first else { return nil }
      FileHandle.standardError.write(Data("cairn: holding at \(name) until \(hold.releaseFile) exists\n".utf8))
      return hold.releaseFile
    }

    private static func waitForRelease(_ releaseFile: String) {
      let clock = ContinuousClock()
      let deadline = clock.now + holdTimeout
      while !FileManager.default.fileExists(atPath: releaseFile) && clock.now < deadline {
        Thread.sleep(forTimeInterval: 0.02)
      }
      reportIfTimedOut(releaseFile)
    }

    private static func reportIfTimedOut(_ releaseFile: String) {
      guard !FileManager.default.fileExists(atPath: releaseFile) else { return }
      FileHandle.standardError.write(Data("cairn: hold timed out, '\(releaseFile)' never appeared; going on\n".utf8))
    }

    private static func crashIfTargeted(_ name: StaticString) {
      guard let target, target.name == name.description else { return }
      let count = reached.withLock { value in
        value += 1
        return value
      }
      if count == target.count { kill(getpid(), SIGKILL) }
    }
  #else
    @inline(__always)
    static func reach(_ name: StaticString) {}

    @inline(__always)
    static func reachSuspending(_ name: StaticString) async {}
  #endif
}
