/// A repository held in memory, for tests: files in a dictionary, objects
/// pending (invisible to `read` and `list`) until `commit()`, and in-process
/// shared and exclusive locks that wait for each other.
public actor MemoryStorage: RepositoryStorage {
  private var files: [StorageFile: [UInt8]] = [:]
  private var pending: [StorageFile: [UInt8]] = [:]
  private var sharedHolders = 0
  private var exclusiveHeld = false
  private var logLines: [[UInt8]] = []

  public nonisolated let location: String

  public init(name: String = "memory") {
    self.location = "memory:\(name)"
  }

  /// The lines given to `appendLog`, in order.
  public var log: [[UInt8]] { logLines }

  /// How many objects are pending (written, not committed).
  public var pendingCount: Int { pending.count }

  @discardableResult
  public func write(_ file: StorageFile, _ bytes: [UInt8], ifAbsent: Bool) async throws -> Bool {
    if ifAbsent && (files[file] != nil || pending[file] != nil) { return false }
    if file.kind == .objects {
      pending[file] = bytes
    } else {
      files[file] = bytes
    }
    return true
  }

  public func read(_ file: StorageFile, maximumSize: Int) async throws -> [UInt8] {
    guard let bytes = files[file] else {
      throw CairnError(.notFound, "'\(file.relativePath)' does not exist in \(location)")
    }
    if bytes.count > maximumSize {
      throw CairnError(
        .corrupted,
        "'\(file.relativePath)' in \(location) is \(bytes.count) bytes, more than the \(maximumSize) it may be: "
          + "refused as damaged")
    }
    return bytes
  }

  public func size(of file: StorageFile) async throws -> UInt64? {
    files[file].map { UInt64($0.count) }
  }

  public func list(_ kind: StorageKind, prefix: String) async throws -> [StorageEntry] {
    files.compactMap { file, bytes in
      guard file.kind == kind, file.name.hasPrefix(prefix) else { return nil }
      return StorageEntry(name: file.name, size: UInt64(bytes.count))
    }
  }

  public func delete(_ kind: StorageKind, _ names: [String]) async throws {
    for name in names {
      files[StorageFile(kind, name)] = nil
      pending[StorageFile(kind, name)] = nil
    }
  }

  public func commit() async throws {
    files.merge(pending) { _, new in new }
    pending.removeAll()
  }

  public func removeLeftovers(onlyOwn: Bool) async throws -> Leftovers {
    let result = Leftovers(files: pending.count, bytes: pending.values.reduce(UInt64(0)) { $0 + UInt64($1.count) })
    pending.removeAll()
    return result
  }

  public func lock(_ mode: StorageLockMode, wait: Duration, onWait: @Sendable (String) -> Void) async throws
    -> any StorageLock
  {
    let clock = ContinuousClock()
    let deadline = clock.now + wait
    var told = false
    while !canTake(mode) {
      if clock.now >= deadline {
        throw CairnError(
          .locked,
          "the repository \(location) is locked (\(exclusiveHeld ? "exclusive" : "shared")); a \(mode.rawValue) lock was wanted"
        )
      }
      if !told {
        told = true
        onWait("waiting for the \(exclusiveHeld ? "exclusive" : "shared") lock on \(location)")
      }
      try await Task.sleep(for: min(.milliseconds(5), deadline - clock.now))
    }
    switch mode {
    case .shared: sharedHolders += 1
    case .exclusive: exclusiveHeld = true
    }
    return MemoryLock(storage: self, mode: mode)
  }

  public func appendLog(_ line: [UInt8]) async {
    logLines.append(line)
  }

  private func canTake(_ mode: StorageLockMode) -> Bool {
    switch mode {
    case .shared: !exclusiveHeld
    case .exclusive: !exclusiveHeld && sharedHolders == 0
    }
  }

  fileprivate func unlock(_ mode: StorageLockMode) {
    switch mode {
    case .shared: sharedHolders -= 1
    case .exclusive: exclusiveHeld = false
    }
  }
}

/// A lock held on a `MemoryStorage`; releasing twice is harmless.
private actor MemoryLock: StorageLock {
  private let storage: MemoryStorage
  private let mode: StorageLockMode
  private var held = true

  init(storage: MemoryStorage, mode: StorageLockMode) {
    self.storage = storage
    self.mode = mode
  }

  func release() async {
    guard held else { return }
    held = false
    await storage.unlock(mode)
  }
}
