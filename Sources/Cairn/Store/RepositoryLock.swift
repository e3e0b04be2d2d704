import Foundation

/// An advisory lock on `REPO/lock` (flock), shared for backup, restore and
/// check, exclusive for forget and gc. The kernel drops it when the process
/// exits or dies, so there is never a stale lock to remove by hand.
public final class RepositoryLock: Sendable {
  public enum Mode: Sendable {
    case shared
    case exclusive
  }

  private let descriptor: Int32

  /// Takes the lock, polling until `wait` runs out. `onWait` is called once
  /// when the lock is busy (the CLI prints a message on a terminal).
  public init(
    repository path: String, mode: Mode, wait: Duration, onWait: (String) -> Void = { _ in }
  ) throws(CairnError) {
    let lockPath = "\(path)/lock"
    let descriptor: Int32
    do {
      descriptor = try SystemCalls.open(lockPath, flags: [.readWrite, .create], mode: 0o644)
    } catch {
      throw .system("open", error, "could not open the lock file '\(lockPath)'")
    }
    let deadline = ContinuousClock.now.advanced(by: wait)
    var told = false
    while true {
      let acquired: Bool
      do {
        acquired = try SystemCalls.lock(descriptor, exclusive: mode == .exclusive, wait: false)
      } catch {
        SystemCalls.close(descriptor)
        throw .system("flock", error, "could not lock '\(lockPath)'")
      }
      if acquired { break }
      let holder = Self.describeHolder(descriptor, wanted: mode)
      if ContinuousClock.now >= deadline {
        SystemCalls.close(descriptor)
        throw CairnError(
          .locked,
          "repository '\(path)' is locked by another cairn process running \(holder); "
            + "gave up after \(wait.components.seconds) s (raise --lock-wait, or try again later)")
      }
      if !told {
        onWait("repository '\(path)' is locked by another cairn process running \(holder); waiting")
        told = true
      }
      Thread.sleep(forTimeInterval: 0.05)
    }
    self.descriptor = descriptor
  }

  /// Which kind of operation holds the lock, told by probing: if a shared
  /// lock is free, only shared holders (backup, restore, check) are there.
  private static func describeHolder(_ descriptor: Int32, wanted: Mode) -> String {
    if wanted == .exclusive, (try? SystemCalls.lock(descriptor, exclusive: false, wait: false)) == true {
      SystemCalls.unlock(descriptor)
      return "a backup, restore or check (shared lock)"
    }
    return "forget or gc (exclusive lock)"
  }

  deinit {
    SystemCalls.unlock(descriptor)
    SystemCalls.close(descriptor)
  }
}
