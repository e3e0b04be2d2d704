import Cairn
internal import Foundation
import Synchronization

/// What a lock object under `locks/` holds (JSON).
struct S3LockRecord: Codable, Sendable, Equatable {
  var host: String
  var pid: Int32
  /// The mode: `shared` or `exclusive`.
  var mode: String
  /// When the lock was taken, in seconds since 1970.
  var created: Double
  /// When the lock was last refreshed, in seconds since 1970; a lock older
  /// than the stale age is ignored.
  var time: Double

  func encoded() -> [UInt8] {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys]
    return Array((try? encoder.encode(self)) ?? Data())
  }

  static func decode(_ bytes: [UInt8]) -> S3LockRecord? {
    try? JSONDecoder().decode(S3LockRecord.self, from: Data(bytes))
  }

  var isExclusive: Bool { mode == StorageLockMode.exclusive.rawValue }

  var summary: String {
    let date = Date(timeIntervalSince1970: created)
    return "\(mode) lock of \(host) (pid \(pid)) since \(date)"
  }
}

/// A lock held on an S3 repository: its object is refreshed in the
/// background until `release()`.
final class S3HeldLock: StorageLock {
  private let storage: S3Storage
  let name: String
  private let refresher: Task<Void, Never>
  private let released = Mutex(false)

  init(storage: S3Storage, name: String, refresher: Task<Void, Never>) {
    self.storage = storage
    self.name = name
    self.refresher = refresher
  }

  func release() async {
    let first = released.withLock { done in
      defer { done = true }
      return !done
    }
    guard first else { return }
    refresher.cancel()
    await refresher.value  // so that no refresh can write the lock again after it is gone
    try? await storage.delete(.locks, [name])
  }
}

extension S3Storage {
  /// Object storage has no kernel locks. A lock is an object under `locks/`,
  /// created with `If-None-Match: *`, holding host, pid, mode and time, and
  /// refreshed every `lockRefreshInterval` while held. To take one: write
  /// ours, list the others, and if one conflicts (exclusive against
  /// anything) remove ours, wait a random, growing while, and try again
  /// until `wait` runs out. Locks not refreshed for `staleLockAge` are ignored.
  func takeLock(_ mode: StorageLockMode, wait: Duration, onWait: @Sendable (String) -> Void) async throws
    -> any StorageLock
  {
    let clock = ContinuousClock()
    let deadline = clock.now + wait
    var told = false
    var delay = Duration.milliseconds(100)
    while true {
      let name = Self.randomHex(bytes: 16)
      let now = Date().timeIntervalSince1970
      let record = S3LockRecord(host: hostName, pid: processID, mode: mode.rawValue, created: now, time: now)
      try await createLock(name: name, record: record)
      let conflict: S3LockRecord?
      do {
        conflict = try await conflictingLock(for: mode, ownName: name)
      } catch {
        try? await delete(.locks, [name])
        throw error
      }
      guard let conflict else {
        let refresher = startRefreshing(name: name, record: record)
        return S3HeldLock(storage: self, name: name, refresher: refresher)
      }
      try? await delete(.locks, [name])
      if wait > .zero && !told {
        told = true
        onWait("waiting for the \(conflict.summary) in \(location)")
      }
      let remaining = deadline - clock.now
      if remaining <= .zero {
        throw CairnError(
          .locked, "the repository \(location) is locked: \(conflict.summary) (a \(mode.rawValue) lock was wanted)")
      }
      let jittered = Duration.nanoseconds(Int64.random(in: 0...max(1, delay.wholeNanoseconds)))
      try await Task.sleep(for: min(remaining, delay + jittered))
      delay = min(delay * 2, options.lockRetryMaxDelay)
    }
  }

  /// Removes stale locks (not refreshed for `staleLockAge`, or unreadable),
  /// or every lock with `all`; returns how many. For `cairn unlock`.
  @discardableResult
  public func removeStaleLocks(all: Bool) async throws -> Int {
    let names = try await list(.locks, prefix: "").map(\.name)
    var doomed: [String] = []
    for name in names {
      if all {
        doomed.append(name)
        continue
      }
      guard let bytes = try? await read(StorageFile(.locks, name), maximumSize: 64 << 10) else { continue }
      guard let record = S3LockRecord.decode(bytes) else {
        doomed.append(name)
        continue
      }
      if isStale(record) { doomed.append(name) }
    }
    try await delete(.locks, doomed)
    return doomed.count
  }

  /// The locks that are not stale, for messages and tests; but for
  /// `excluding`, one's own (its content is known: reading it is a request
  /// for nothing).
  func liveLocks(excluding: String? = nil) async throws -> [(name: String, record: S3LockRecord)] {
    var out: [(name: String, record: S3LockRecord)] = []
    for entry in try await list(.locks, prefix: "") where entry.name != excluding {
      guard let bytes = try? await read(StorageFile(.locks, entry.name), maximumSize: 64 << 10) else { continue }
      let record =
        S3LockRecord.decode(bytes)
        ?? S3LockRecord(host: "?", pid: 0, mode: "exclusive", created: 0, time: .greatestFiniteMagnitude)
      if !isStale(record) { out.append((entry.name, record)) }
    }
    return out
  }

  private func isStale(_ record: S3LockRecord) -> Bool {
    let age = Date().timeIntervalSince1970 - record.time
    return age > Double(options.staleLockAge.wholeNanoseconds) / 1e9
  }

  private func createLock(name: String, record: S3LockRecord) async throws {
    let bytes = record.encoded()
    let created = try await write(StorageFile(.locks, name), bytes, ifAbsent: true)
    if !created {
      throw CairnError(.io, "a lock named '\(name)' already exists in \(location); try again")
    }
  }

  private func conflictingLock(for mode: StorageLockMode, ownName: String) async throws -> S3LockRecord? {
    for (_, record) in try await liveLocks(excluding: ownName) {
      if mode == .exclusive || record.isExclusive { return record }
    }
    return nil
  }

  private func startRefreshing(name: String, record: S3LockRecord) -> Task<Void, Never> {
    let interval = options.lockRefreshInterval
    return Task { [self] in
      var record = record
      while !Task.isCancelled {
        do {
          try await Task.sleep(for: interval)
        } catch {
          return
        }
        record.time = Date().timeIntervalSince1970
        _ = try? await write(StorageFile(.locks, name), record.encoded(), ifAbsent: false)
      }
    }
  }
}
