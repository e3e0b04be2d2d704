import Synchronization
import SystemPackage

/// A repository in a local (or mounted) folder.
///
/// Layout: `config`, `keys/<id>`, `objects/ab/<name>`, `snapshots/<id>`,
/// `backup.log` (the log kept in the repository), and `quarantine/<name>`
/// (made when `check --repair` first moves a damaged object there). The repository directory
/// itself is the lock (`flock` on it), so no lock file can be unlinked from
/// under a holder, and a reader on a read-only medium writes nothing.
///
/// Objects are written as pending files beside their names,
/// `objects/ab/.<name>.<suffix>.pending`, and stay pending until `commit()`:
/// one `syncfs` makes every pending file durable, then each is renamed to
/// its name (never replacing one), and a second `syncfs` makes the renames
/// durable. So a present object name always has durable bytes, even after a
/// power loss, and deduplication (which trusts a present name) can never
/// point a new snapshot at lost data. Other files are written whole:
/// temporary file, fsync, rename (or link, when they must not replace), fsync
/// of the directory.
public final class LocalStorage: RepositoryStorage {
  public let root: String
  public var location: String { root }
  private let rootDescriptor: Int32
  private let prefixDescriptors: [Int32]
  /// Objects this process is writing or wrote as pending files and has not yet published.
  private let pending = Mutex(Set<String>())
  /// Those of `pending` whose write has returned: what `commit()` publishes,
  /// so a commit may run while other objects are still being written.
  private let written = Mutex(Set<String>())
  /// Distinguishes this process's pending files from another writer's.
  private let pendingSuffix = String(UInt64.random(in: 0...UInt64.max), radix: 16)
  private let logDescriptor = Mutex<Int32?>(nil)

  static let logName = "backup.log"
  static let directories = ["keys", "objects", "snapshots"]
  static var prefixNames: [String] { StorageFile.objectPrefixes }
  static let pendingExtension = ".pending"

  /// Opens the repository folder at `root` (which must exist).
  public init(root: String) throws(CairnError) {
    self.root = root
    rootDescriptor = try Self.openDirectory(root, description: "repository")
    var prefixes: [Int32] = []
    for prefix in Self.prefixNames {
      do {
        prefixes.append(try Self.openDirectory("\(root)/objects/\(prefix)", description: "object directory"))
      } catch {
        for descriptor in prefixes { SystemCalls.close(descriptor) }
        SystemCalls.close(rootDescriptor)
        throw error
      }
    }
    prefixDescriptors = prefixes
  }

  deinit {
    for descriptor in prefixDescriptors { SystemCalls.close(descriptor) }
    if let descriptor = logDescriptor.withLock({ $0 }) { SystemCalls.close(descriptor) }
    SystemCalls.close(rootDescriptor)
  }

  /// Creates the folders of an empty repository under `root` (which exists and is empty).
  static func createLayout(at root: String) throws(CairnError) {
    for directory in directories { try makeDirectory("\(root)/\(directory)") }
    for prefix in prefixNames { try makeDirectory("\(root)/objects/\(prefix)") }
  }

  private static func makeDirectory(_ path: String) throws(CairnError) {
    do {
      try SystemCalls.makeDirectory(Array(path.utf8), mode: 0o755)
    } catch {
      if error != .fileExists { throw .system("mkdir", error, "could not create directory '\(path)'") }
    }
  }

  private static func openDirectory(_ path: String, description: String) throws(CairnError) -> Int32 {
    do {
      return try SystemCalls.open(path, flags: [.readOnly, .directory])
    } catch {
      if error == .noSuchFileOrDirectory {
        throw CairnError(.notARepository, "\(description) '\(path)' does not exist")
      }
      if error == .notDirectory {
        throw CairnError(.notARepository, "\(description) '\(path)' is not a directory")
      }
      throw .system("open", error, "could not open \(description) '\(path)'")
    }
  }

  // MARK: Names

  private func displayPath(_ file: StorageFile) -> String { "\(root)/\(localPath(file))" }

  private func localPath(_ file: StorageFile) -> String {
    file.kind == .log ? Self.logName : file.relativePath
  }

  /// The directory descriptor and name of a non-object file.
  private func directoryAndName(_ file: StorageFile) throws(CairnError) -> (
    directory: Int32, name: [UInt8], owned: Bool
  ) {
    guard Self.isPlainName(file.name) else {
      throw CairnError(.invalidArgument, "'\(file.name)' is not a valid name for a repository file")
    }
    switch file.kind {
    case .objects:
      guard let prefix = Self.objectPrefixIndex(file.name) else {
        throw CairnError(.invalidArgument, "'\(file.name)' is not a valid object name")
      }
      return (prefixDescriptors[prefix], Array(file.name.utf8), false)
    case .config:
      return (rootDescriptor, Array("config".utf8), false)
    case .log:
      return (rootDescriptor, Array(Self.logName.utf8), false)
    case .keys, .snapshots, .locks, .quarantine:
      let directory = try Self.openDirectory("\(root)/\(file.kind.rawValue)", description: "folder")
      return (directory, Array(file.name.utf8), true)
    }
  }

  /// Names never contain a slash, never start with a dot (pending and
  /// temporary files do), and are not empty.
  static func isPlainName(_ name: String) -> Bool {
    !name.isEmpty && !name.hasPrefix(".") && !name.utf8.contains(UInt8(ascii: "/")) && !name.utf8.contains(0)
  }

  /// The index of an object name's prefix directory, or nil when the name is
  /// not at least two lowercase hex digits.
  static func objectPrefixIndex(_ name: String) -> Int? {
    let utf8 = Array(name.utf8.prefix(2))
    guard utf8.count == 2, let high = Hex.nibble(utf8[0]), let low = Hex.nibble(utf8[1]) else { return nil }
    return Int(high) << 4 | Int(low)
  }

  private func pendingName(_ name: String) -> [UInt8] {
    Array(".\(name).\(pendingSuffix)\(Self.pendingExtension)".utf8)
  }

  // MARK: Writing

  @discardableResult
  public func write(_ file: StorageFile, _ bytes: [UInt8], ifAbsent: Bool) async throws -> Bool {
    if file.kind == .objects { return try writeObject(file, bytes) }
    // Local repositories lock with flock; a lock file is only ever written by
    // tools, so its folder is made when first needed.
    if file.kind == .locks || file.kind == .quarantine { try Self.makeDirectory("\(root)/\(file.kind.rawValue)") }
    let (directory, name, owned) = try directoryAndName(file)
    defer { if owned { SystemCalls.close(directory) } }
    let temporary = Array(".\(file.name).\(UInt32.random(in: 0...UInt32.max)).tmp".utf8)
    do throws(Errno) {
      let descriptor = try SystemCalls.open(
        temporary, relativeTo: directory, flags: [.writeOnly, .create, .exclusive], mode: 0o644)
      do throws(Errno) {
        try SystemCalls.write(descriptor, bytes)
        try SystemCalls.sync(descriptor)
      } catch {
        SystemCalls.close(descriptor)
        throw error
      }
      SystemCalls.close(descriptor)
      if ifAbsent {
        do {
          try SystemCalls.renameNoReplace(temporary, relativeTo: directory, to: name, relativeTo: directory)
        } catch {
          try? SystemCalls.remove(temporary, relativeTo: directory)
          if error == .fileExists { return false }
          throw error
        }
      } else {
        try SystemCalls.rename(temporary, relativeTo: directory, to: name, relativeTo: directory)
      }
      try SystemCalls.sync(directory)
      return true
    } catch {
      try? SystemCalls.remove(temporary, relativeTo: directory)
      throw CairnError.system("write", error, "could not write '\(displayPath(file))'")
    }
  }

  private func writeObject(_ file: StorageFile, _ bytes: [UInt8]) throws -> Bool {
    let (directory, name, _) = try directoryAndName(file)
    if pending.withLock({ $0.contains(file.name) }) { return false }
    if try size(of: name, in: directory, file: file) != nil { return false }
    // Claim the name first, so two tasks with the same object write it once.
    guard pending.withLock({ $0.insert(file.name).inserted }) else { return false }
    let temporary = pendingName(file.name)
    do throws(Errno) {
      let descriptor = try SystemCalls.open(
        temporary, relativeTo: directory, flags: [.writeOnly, .create, .exclusive], mode: 0o444)
      defer { SystemCalls.close(descriptor) }
      try SystemCalls.write(descriptor, bytes)
      written.withLock { _ = $0.insert(file.name) }
      return true
    } catch {
      try? SystemCalls.remove(temporary, relativeTo: directory)
      _ = pending.withLock { $0.remove(file.name) }
      throw CairnError.system("write", error, "could not write object '\(displayPath(file))'")
    }
  }

  // MARK: Reading

  public func read(_ file: StorageFile, maximumSize: Int) async throws -> [UInt8] {
    let (directory, name, owned) = try directoryAndName(file)
    defer { if owned { SystemCalls.close(directory) } }
    let descriptor: Int32
    do {
      // O_NONBLOCK: a FIFO or device planted under the name cannot block the open or the read.
      descriptor = try SystemCalls.open(name, relativeTo: directory, flags: [.readOnly, .noFollow, .nonBlocking])
    } catch {
      if error == .noSuchFileOrDirectory {
        throw CairnError(.notFound, "'\(displayPath(file))' is missing from the repository")
      }
      if error == .tooManySymbolicLinkLevels {
        throw CairnError(.corrupted, "'\(displayPath(file))' is a symlink, not a repository file")
      }
      throw CairnError.system("open", error, "could not open '\(displayPath(file))'")
    }
    defer { SystemCalls.close(descriptor) }
    let status: FileStatus
    do {
      status = try SystemCalls.status(of: descriptor)
    } catch {
      throw CairnError.system("fstat", error, "could not read '\(displayPath(file))'")
    }
    guard status.kind == .file else {
      throw CairnError(.corrupted, "'\(displayPath(file))' is a \(status.kind), not a regular file")
    }
    guard status.size <= UInt64(maximumSize) else {
      throw CairnError(
        .corrupted,
        "'\(displayPath(file))' holds \(status.size) bytes, more than any valid file of its kind (\(maximumSize))")
    }
    let bytes: [UInt8]
    do {
      bytes = try SystemCalls.readBytes(descriptor, count: Int(status.size))
    } catch {
      throw CairnError.system("read", error, "could not read '\(displayPath(file))'")
    }
    guard bytes.count == Int(status.size) else {
      throw CairnError(
        .corrupted, "'\(displayPath(file))' gave \(bytes.count) bytes where it holds \(status.size) (short read)")
    }
    return bytes
  }

  public func size(of file: StorageFile) async throws -> UInt64? {
    let (directory, name, owned) = try directoryAndName(file)
    defer { if owned { SystemCalls.close(directory) } }
    return try size(of: name, in: directory, file: file)
  }

  private func size(of name: [UInt8], in directory: Int32, file: StorageFile) throws(CairnError) -> UInt64? {
    do {
      return try SystemCalls.linkStatus(name, relativeTo: directory).size
    } catch {
      if error == .noSuchFileOrDirectory { return nil }
      throw .system("fstatat", error, "could not look up '\(displayPath(file))'")
    }
  }

  public func list(_ kind: StorageKind, prefix: String) async throws -> [StorageEntry] {
    switch kind {
    case .objects:
      if prefix.isEmpty {
        var all: [StorageEntry] = []
        for prefix in Self.prefixNames { all += try await list(.objects, prefix: prefix) }
        return all
      }
      guard prefix.utf8.count == 2, let index = Self.objectPrefixIndex(prefix) else {
        throw CairnError(.invalidArgument, "objects are listed by a two-hex-digit prefix, not '\(prefix)'")
      }
      return try entries(in: prefixDescriptors[index], display: "\(root)/objects/\(prefix)", prefix: prefix)
    case .config, .log:
      let file = StorageFile(kind, kind == .config ? "config" : Self.logName)
      guard let size = try await size(of: file) else { return [] }
      return [StorageEntry(name: file.name, size: size)]
    case .keys, .snapshots, .locks, .quarantine:
      let path = "\(root)/\(kind.rawValue)"
      let directory: Int32
      do {
        directory = try SystemCalls.open(path, flags: [.readOnly, .directory])
      } catch {
        if error == .noSuchFileOrDirectory { return [] }
        throw CairnError.system("open", error, "could not open '\(path)'")
      }
      defer { SystemCalls.close(directory) }
      return try entries(in: directory, display: path, prefix: prefix)
    }
  }

  private func entries(in directory: Int32, display: String, prefix: String) throws(CairnError) -> [StorageEntry] {
    let names: [[UInt8]]
    do {
      names = try SystemCalls.directoryNames(directory)
    } catch {
      throw .system("readdir", error, "could not list '\(display)'")
    }
    var result: [StorageEntry] = []
    result.reserveCapacity(names.count)
    for raw in names {
      let name = String(decoding: raw, as: UTF8.self)
      guard Self.isPlainName(name), name.hasPrefix(prefix) else { continue }
      guard let status = try? SystemCalls.linkStatus(raw, relativeTo: directory) else { continue }
      result.append(StorageEntry(name: name, size: status.size))
    }
    return result
  }

  // MARK: Moving, deleting, committing, cleaning up

  /// A rename (never replacing the destination), made durable in both
  /// folders; a copy when the two are on different file systems.
  public func move(_ file: StorageFile, to destination: StorageFile) async throws -> Bool {
    if destination.kind == .locks || destination.kind == .quarantine {
      try Self.makeDirectory("\(root)/\(destination.kind.rawValue)")
    }
    let (from, fromName, ownsFrom) = try directoryAndName(file)
    defer { if ownsFrom { SystemCalls.close(from) } }
    let (to, toName, ownsTo) = try directoryAndName(destination)
    defer { if ownsTo { SystemCalls.close(to) } }
    do {
      try SystemCalls.renameNoReplace(fromName, relativeTo: from, to: toName, relativeTo: to)
    } catch {
      switch error {
      case .fileExists: return false
      case .noSuchFileOrDirectory:
        throw CairnError(.notFound, "'\(displayPath(file))' is missing from the repository")
      case .improperLink, .invalidArgument:
        return try await copyingMove(file, to: destination)
      default:
        throw CairnError.system(
          "renameat2", error, "could not move '\(displayPath(file))' to '\(displayPath(destination))'")
      }
    }
    do {
      try SystemCalls.sync(to)
      try SystemCalls.sync(from)
    } catch {
      throw CairnError.system("fsync", error, "could not make the move to '\(displayPath(destination))' durable")
    }
    return true
  }

  public func delete(_ kind: StorageKind, _ names: [String]) async throws {
    var touched = Set<Int32>()
    var owned: [Int32] = []
    defer { for descriptor in owned { SystemCalls.close(descriptor) } }
    for name in names {
      let file = StorageFile(kind, name)
      let (directory, raw, isOwned) = try directoryAndName(file)
      if isOwned { owned.append(directory) }
      do {
        try SystemCalls.remove(raw, relativeTo: directory)
        touched.insert(directory)
      } catch {
        if error == .noSuchFileOrDirectory { continue }
        throw CairnError.system("unlink", error, "could not delete '\(displayPath(file))'")
      }
    }
    guard kind != .objects else { return }
    // Removals of records and keys are durable when the call returns.
    for directory in touched {
      do {
        try SystemCalls.sync(directory)
      } catch {
        throw CairnError.system("fsync", error, "could not make removals in '\(root)/\(kind.rawValue)' durable")
      }
    }
  }

  public func commit() async throws {
    let names = written.withLock { $0 }
    guard !names.isEmpty else { return }
    try syncFileSystem()
    for name in names {
      try publish(name)
      _ = written.withLock { $0.remove(name) }
      _ = pending.withLock { $0.remove(name) }
    }
    try syncFileSystem()
  }

  /// Renames one durable pending object to its name.
  private func publish(_ name: String) throws {
    let file = StorageFile(.objects, name)
    let (directory, raw, _) = try directoryAndName(file)
    let temporary = pendingName(name)
    do {
      try SystemCalls.renameNoReplace(temporary, relativeTo: directory, to: raw, relativeTo: directory)
    } catch {
      guard error == .fileExists else {
        throw CairnError.system("renameat2", error, "could not move object '\(displayPath(file))' into place")
      }
      // Another writer stored the same object meanwhile: keep that one.
      try? SystemCalls.remove(temporary, relativeTo: directory)
    }
    CrashPoint.reach("store.publish")
  }

  private func syncFileSystem() throws(CairnError) {
    do {
      try SystemCalls.syncFileSystem(rootDescriptor)
    } catch {
      throw .system("syncfs", error, "could not make the objects in '\(root)' durable")
    }
  }

  public func removeLeftovers(onlyOwn: Bool) async throws -> Leftovers {
    var files = 0
    var bytes: UInt64 = 0
    var skipped: [String] = []
    let ownSuffix = Array("\(pendingSuffix)\(Self.pendingExtension)".utf8)
    let isLeftover: ([UInt8]) -> Bool = { name in
      guard name.first == UInt8(ascii: ".") else { return false }
      if onlyOwn { return name.count > ownSuffix.count && name.suffix(ownSuffix.count).elementsEqual(ownSuffix) }
      return name.count > Self.pendingExtension.utf8.count
        && (name.suffix(8).elementsEqual(Self.pendingExtension.utf8) || name.suffix(4).elementsEqual(".tmp".utf8))
    }
    var places = zip(prefixDescriptors, Self.prefixNames).map { ($0, "\(root)/objects/\($1)", false) }
    var owned: [Int32] = []
    defer { for descriptor in owned { SystemCalls.close(descriptor) } }
    if !onlyOwn {
      for directory in ["keys", "snapshots", "quarantine"] {
        if let descriptor = try? SystemCalls.open("\(root)/\(directory)", flags: [.readOnly, .directory]) {
          owned.append(descriptor)
          places.append((descriptor, "\(root)/\(directory)", true))
        }
      }
      places.append((rootDescriptor, root, true))
    }
    for (directory, display, _) in places {
      let names: [[UInt8]]
      do {
        names = try SystemCalls.directoryNames(directory)
      } catch {
        throw CairnError.system("readdir", error, "could not list '\(display)'")
      }
      for name in names where isLeftover(name) {
        guard let status = try? SystemCalls.linkStatus(name, relativeTo: directory) else { continue }
        // Only files are leftovers; anything else under such a name is not ours to remove.
        guard status.kind == .file else {
          skipped.append("\(display)/\(EntryPath.printable(name))")
          continue
        }
        do {
          try SystemCalls.remove(name, relativeTo: directory)
          files += 1
          bytes += status.size
        } catch {
          if error == .noSuchFileOrDirectory { continue }
          throw CairnError.system("unlink", error, "could not remove '\(display)/\(EntryPath.printable(name))'")
        }
      }
    }
    if onlyOwn {
      pending.withLock { $0.removeAll() }
      written.withLock { $0.removeAll() }
    }
    return Leftovers(files: files, bytes: bytes, skipped: skipped)
  }

  // MARK: Locks and the log

  public func lock(_ mode: StorageLockMode, wait: Duration, onWait: @Sendable (String) -> Void) async throws
    -> any StorageLock
  {
    try await LocalStorageLock.acquire(root: root, mode: mode, wait: wait, onWait: onWait)
  }

  public func appendLog(_ line: [UInt8]) async {
    let descriptor: Int32? = logDescriptor.withLock { descriptor in
      if descriptor == nil {
        descriptor = try? SystemCalls.open(
          Array(Self.logName.utf8), relativeTo: rootDescriptor, flags: [.writeOnly, .create, .append], mode: 0o640)
      }
      return descriptor
    }
    guard let descriptor else { return }
    var bytes = line
    bytes.removeAll { $0 == 0x0A || $0 == 0x0D }
    bytes.append(0x0A)
    try? SystemCalls.write(descriptor, bytes)
  }
}

/// `flock` on the repository directory: shared for backup, restore and
/// check, exclusive for forget and gc. The kernel drops it when the process
/// exits or dies, so there is never a stale lock to remove by hand.
final class LocalStorageLock: StorageLock {
  private let descriptor: Int32
  private let released = Mutex(false)

  private init(descriptor: Int32) { self.descriptor = descriptor }

  static func acquire(root: String, mode: StorageLockMode, wait: Duration, onWait: @Sendable (String) -> Void)
    async throws -> LocalStorageLock
  {
    let descriptor: Int32
    do {
      descriptor = try SystemCalls.open(root, flags: [.readOnly, .directory])
    } catch {
      throw CairnError.system("open", error, "could not open repository '\(root)' to lock it")
    }
    let deadline = ContinuousClock.now.advanced(by: wait)
    var told = false
    while true {
      let acquired: Bool
      do {
        acquired = try SystemCalls.lock(descriptor, exclusive: mode == .exclusive, wait: false)
      } catch {
        // A medium without locks (some network file systems) cannot hold a
        // reader back: readers go on without one; writers must not.
        if mode == .shared { return LocalStorageLock(descriptor: descriptor) }
        SystemCalls.close(descriptor)
        throw CairnError.system("flock", error, "could not lock repository '\(root)'")
      }
      if acquired { return LocalStorageLock(descriptor: descriptor) }
      let holder = describeHolder(descriptor, wanted: mode)
      if ContinuousClock.now >= deadline {
        SystemCalls.close(descriptor)
        throw CairnError(
          .locked,
          "repository '\(root)' is locked by another cairn process running \(holder); "
            + "gave up after \(wait.components.seconds) s (raise --lock-wait, or try again later)")
      }
      if !told {
        onWait("repository '\(root)' is locked by another cairn process running \(holder); waiting")
        told = true
      }
      do {
        try await Task.sleep(for: .milliseconds(50))
      } catch {
        SystemCalls.close(descriptor)
        throw error
      }
    }
  }

  /// Which kind of operation holds the lock, told by probing: if a shared
  /// lock is free, only shared holders (backup, restore, check) are there.
  private static func describeHolder(_ descriptor: Int32, wanted: StorageLockMode) -> String {
    if wanted == .exclusive, (try? SystemCalls.lock(descriptor, exclusive: false, wait: false)) == true {
      SystemCalls.unlock(descriptor)
      return "a backup, restore or check (shared lock)"
    }
    return "forget or gc (exclusive lock)"
  }

  func release() async { close() }

  private func close() {
    let wasReleased = released.withLock { value in
      defer { value = true }
      return value
    }
    guard !wasReleased else { return }
    SystemCalls.unlock(descriptor)
    SystemCalls.close(descriptor)
  }

  deinit { close() }
}
