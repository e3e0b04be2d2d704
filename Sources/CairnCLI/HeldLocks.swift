import Cairn
import Synchronization

/// The repository locks this process holds. A kernel lock ends with the
/// process, but a lock object on S3 stays until deleted: whatever way a
/// command ends (success, error, interruption), `main` releases them all.
enum HeldLocks {
  private static let locks = Mutex<[any StorageLock]>([])

  /// Remembers `lock` and returns it.
  static func hold(_ lock: any StorageLock) -> any StorageLock {
    locks.withLock { $0.append(lock) }
    return lock
  }

  /// Releases every lock taken (releasing twice is harmless).
  static func releaseAll() async {
    let held = locks.withLock { locks in
      defer { locks.removeAll() }
      return locks
    }
    for lock in held { await lock.release() }
  }
}
