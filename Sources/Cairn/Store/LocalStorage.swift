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
///
/// Every call runs on `BlockingPool` (one hop per operation), never on the
/// cooperative pool, and goes through `files`, which tests can replace.
public final class LocalStorage: RepositoryStorage {
  public let root: String
  public var location: String { root }
  let files: FileSystem
  private let pool: BlockingPool
  private let rootDescriptor: Descriptor
  /// The 256 object directories, each opened on first use: a command that
  /// reads a few records does not hold 256 descriptors (an in-process caller
  /// with many repositories open would run out of them).
  private let prefixDescriptors = Mutex<[Descriptor?]>(Array(repeating: nil, count: 256))
  /// Objects this process is writing or wrote as pending files and has not yet published.
  private let pending = Mutex(Set<String>())
  /// Those of `pending` whose write has returned: what `commit()` publishes,
  /// so a commit may run while other objects are still being written.
  private let written = Mutex(Set<String>())
  /// Distinguishes this process's pending files from another writer's.
  private let pendingSuffix = String(UInt64.random(in: 0...UInt64.max), radix: 16)
  private let logDescriptor = Mutex<Descriptor?>(nil)

  static let logName = "backup.log"
  static let directories = ["keys", "objects", "snapshots"]
  static var prefixNames: [String] { StorageFile.objectPrefixes }
  static let pendingExtension = ".pending"

  /// Opens the repository folder at `root` (which must exist).
  public convenience init(root: String) throws(CairnError) {
    try self.init(root: root, files: .linux)
  }

  /// Opens the repository folder at `root` through `files` (tests force errors there).
  init(root: String, files: FileSystem, pool: BlockingPool = .shared) throws(CairnError) {
    self.root = root
    self.files = files
    self.pool = pool
    rootDescriptor = try Self.openDirectory(root, description: "repository", files: files)
    // Every object directory must be there (a repository missing one is
    // refused now, not at its first object); each is opened again on use.
    for prefix in Self.prefixNames {
      _ = try Self.openDirectory("\(root)/objects/\(prefix)", description: "object directory", files: files)
    }
  }

  /// The object directory of prefix number `index`, opened on first use.
  private func prefixDirectory(_ index: Int) throws(CairnError) -> Descriptor {
    let path = "\(root)/objects/\(Self.prefixNames[index])"
    let files = self.files
    let result: Result<Descriptor, CairnError> = prefixDescriptors.withLock { descriptors in
      if let open = descriptors[index] { return .success(open) }
      do throws(CairnError) {
        let opened = try Self.openDirectory(path, description: "object directory", files: files)
        descriptors[index] = opened
        return .success(opened)
      } catch {
        return .failure(error)
      }
    }
    return try result.get()
  }

  /// Creates the folders of an empty repository under `root` (which exists and is empty).
  static func createLayout(at root: String, files: FileSystem = .linux) throws(CairnError) {
    for directory in directories { try makeDirectory("\(root)/\(directory)", files: files) }
    for prefix in prefixNames { try makeDirectory("\(root)/objects/\(prefix)", files: files) }
  }

  private static func makeDirectory(_ path: String, files: FileSystem) throws(CairnError) {
    do {
      try files.makeDirectory(Array(path.utf8), mode: 0o755)
    } catch {
      if error != .fileExists { throw .system("mkdir", error, "could not create directory '\(path)'") }
    }
  }

  private static func openDirectory(_ path: String, description: String, files: FileSystem) throws(CairnError)
    -> Descriptor
  {
    do {
      return try files.open(path, flags: [.readOnly, .directory])
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
  private func directoryAndName(_ file: StorageFile) throws(CairnError) -> (directory: Descriptor, name: [UInt8]) {
    guard Self.isPlainName(file.name) else {
      throw CairnError(.invalidArgument, "'\(file.name)' is not a valid name for a repository file")
    }
    switch file.kind {
    case .objects:
      guard let prefix = Self.objectPrefixIndex(file.name) else {
        throw CairnError(.invalidArgument, "'\(file.name)' is not a valid object name")
      }
      return (try prefixDirectory(prefix), Array(file.name.utf8))
    case .config:
      return (rootDescriptor, Array("config".utf8))
    case .log:
      return (rootDescriptor, Array(Self.logName.utf8))
    case .keys, .snapshots, .locks, .quarantine:
      let directory = try Self.openDirectory("\(root)/\(file.kind.rawValue)", description: "folder", files: files)
      return (directory, Array(file.name.utf8))
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
    try await pool.run { () throws(CairnError) in
      file.kind == .objects ? try self.writeObject(file, bytes) : try self.writeWhole(file, bytes, ifAbsent: ifAbsent)
    }
  }

  /// Temporary file, write, fsync, rename (never replacing when `ifAbsent`), fsync of the directory.
  private func writeWhole(_ file: StorageFile, _ bytes: [UInt8], ifAbsent: Bool) throws(CairnError) -> Bool {
    // Local repositories lock with flock; a lock file is only ever written by
    // tools, so its folder is made when first needed.
    if file.kind == .locks || file.kind == .quarantine {
      try Self.makeDirectory("\(root)/\(file.kind.rawValue)", files: files)
    }
    let (directory, name) = try directoryAndName(file)
    let temporary = Array(".\(file.name).\(UInt32.random(in: 0...UInt32.max)).tmp".utf8)
    do throws(Errno) {
      do {
        let descriptor = try files.open(
          temporary, relativeTo: directory, flags: [.writeOnly, .create, .exclusive], mode: 0o644)
        try files.write(descriptor, bytes)
        try files.sync(descriptor)
      }
      if ifAbsent {
        do {
          try files.renameNoReplace(temporary, relativeTo: directory, to: name, relativeTo: directory)
        } catch {
          try? files.remove(temporary, relativeTo: directory)
          if error == .fileExists { return false }
          throw error
        }
      } else {
        try files.rename(temporary, relativeTo: directory, to: name, relativeTo: directory)
      }
      try files.sync(directory)
      return true
    } catch {
      try? files.remove(temporary, relativeTo: directory)
      throw .system("write", error, "could not write '\(displayPath(file))'")
    }
  }

  private func writeObject(_ file: StorageFile, _ bytes: [UInt8]) throws(CairnError) -> Bool {
    let (directory, name) = try directoryAndName(file)
    if pending.withLock({ $0.contains(file.name) }) { return false }
    if try size(of: name, in: directory, file: file) != nil { return false }
    // Claim the name first, so two tasks with the same object write it once.
    guard pending.withLock({ $0.insert(file.name).inserted }) else { return false }
    let temporary = pendingName(file.name)
    do throws(Errno) {
      let descriptor = try files.open(
        temporary, relativeTo: directory, flags: [.writeOnly, .create, .exclusive], mode: 0o444)
      try files.write(descriptor, bytes)
      written.withLock { _ = $0.insert(file.name) }
      return true
    } catch {
      try? files.remove(temporary, relativeTo: directory)
      _ = pending.withLock { $0.remove(file.name) }
      throw .system("write", error, "could not write object '\(displayPath(file))'")
    }
  }

  // MARK: Reading

  public func read(_ file: StorageFile, maximumSize: Int) async throws -> [UInt8] {
    try await pool.run { () throws(CairnError) in try self.readNow(file, maximumSize: maximumSize) }
  }

  private func readNow(_ file: StorageFile, maximumSize: Int) throws(CairnError) -> [UInt8] {
    let (directory, name) = try directoryAndName(file)
    let descriptor: Descriptor
    do {
      // O_NONBLOCK: a FIFO or device planted under the name cannot block the open or the read.
      descriptor = try files.open(name, relativeTo: directory, flags: [.readOnly, .noFollow, .nonBlocking])
    } catch {
      if error == .noSuchFileOrDirectory {
        throw CairnError(.notFound, "'\(displayPath(file))' is missing from the repository")
      }
      if error == .tooManySymbolicLinkLevels {
        throw CairnError(.corrupted, "'\(displayPath(file))' is a symlink, not a repository file")
      }
      throw CairnError.system("open", error, "could not open '\(displayPath(file))'")
    }
    let status: FileStatus
    do {
      status = try files.status(of: descriptor)
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
      bytes = try files.readBytes(descriptor, count: Int(status.size))
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
    try await pool.run { () throws(CairnError) in
      let (directory, name) = try self.directoryAndName(file)
      return try self.size(of: name, in: directory, file: file)
    }
  }

  private func size(of name: [UInt8], in directory: Descriptor, file: StorageFile) throws(CairnError) -> UInt64? {
    do {
      return try files.linkStatus(name, relativeTo: directory).size
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
      return try await pool.run { () throws(CairnError) in
        try self.entries(in: try self.prefixDirectory(index), display: "\(self.root)/objects/\(prefix)", prefix: prefix)
      }
    case .config, .log:
      let file = StorageFile(kind, kind == .config ? "config" : Self.logName)
      guard let size = try await size(of: file) else { return [] }
      return [StorageEntry(name: file.name, size: size)]
    case .keys, .snapshots, .locks, .quarantine:
      let path = "\(root)/\(kind.rawValue)"
      return try await pool.run { () throws(CairnError) in
        let directory: Descriptor
        do throws(Errno) {
          directory = try self.files.open(path, flags: [.readOnly, .directory])
        } catch {
          if error == .noSuchFileOrDirectory { return [] }
          throw .system("open", error, "could not open '\(path)'")
        }
        return try self.entries(in: directory, display: path, prefix: prefix)
      }
    }
  }

  private func entries(in directory: Descriptor, display: String, prefix: String) throws(CairnError)
    -> [StorageEntry]
  {
    let names: [[UInt8]]
    do {
      names = try files.directoryNames(directory)
    } catch {
      throw .system("readdir", error, "could not list '\(display)'")
    }
    var result: [StorageEntry] = []
    result.reserveCapacity(names.count)
    for raw in names {
      let name = String(decoding: raw, as: UTF8.self)
      guard Self.isPlainName(name), name.hasPrefix(prefix) else { continue }
      guard let status = try? files.linkStatus(raw, relativeTo: directory) else { continue }
      result.append(StorageEntry(name: name, size: status.size))
    }
    return result
  }

  // MARK: Moving, deleting, committing, cleaning up

  /// A rename (never replacing the destination), made durable in both
  /// folders; a copy when the two are on different file systems.
  public func move(_ file: StorageFile, to destination: StorageFile) async throws -> Bool {
    let moved = try await pool.run { () throws(CairnError) in try self.moveNow(file, to: destination) }
    guard let moved else { return try await copyingMove(file, to: destination) }
    return moved
  }

  /// Whether the rename happened; nil when it cannot be a rename (another file system).
  private func moveNow(_ file: StorageFile, to destination: StorageFile) throws(CairnError) -> Bool? {
    if destination.kind == .locks || destination.kind == .quarantine {
      try Self.makeDirectory("\(root)/\(destination.kind.rawValue)", files: files)
    }
    let (from, fromName) = try directoryAndName(file)
    let (to, toName) = try directoryAndName(destination)
    do {
      try files.renameNoReplace(fromName, relativeTo: from, to: toName, relativeTo: to)
    } catch {
      switch error {
      case .fileExists: return false
      case .noSuchFileOrDirectory:
        throw CairnError(.notFound, "'\(displayPath(file))' is missing from the repository")
      case .improperLink, .invalidArgument:
        return nil
      default:
        throw .system("renameat2", error, "could not move '\(displayPath(file))' to '\(displayPath(destination))'")
      }
    }
    do {
      try files.sync(to)
      try files.sync(from)
    } catch {
      throw .system("fsync", error, "could not make the move to '\(displayPath(destination))' durable")
    }
    return true
  }

  public func delete(_ kind: StorageKind, _ names: [String]) async throws {
    try await pool.run { () throws(CairnError) in try self.deleteNow(kind, names) }
  }

  private func deleteNow(_ kind: StorageKind, _ names: [String]) throws(CairnError) {
    var touched: [ObjectIdentifier: Descriptor] = [:]
    for name in names {
      let file = StorageFile(kind, name)
      let (directory, raw) = try directoryAndName(file)
      do {
        try files.remove(raw, relativeTo: directory)
        touched[ObjectIdentifier(directory)] = directory
      } catch {
        if error == .noSuchFileOrDirectory { continue }
        throw .system("unlink", error, "could not delete '\(displayPath(file))'")
      }
    }
    guard kind != .objects else { return }
    // Removals of records and keys are durable when the call returns.
    for directory in touched.values {
      do {
        try files.sync(directory)
      } catch {
        throw .system("fsync", error, "could not make removals in '\(root)/\(kind.rawValue)' durable")
      }
    }
  }

  public func commit() async throws {
    try await pool.run { () throws(CairnError) in try self.commitNow() }
  }

  private func commitNow() throws(CairnError) {
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
  private func publish(_ name: String) throws(CairnError) {
    let file = StorageFile(.objects, name)
    let (directory, raw) = try directoryAndName(file)
    let temporary = pendingName(name)
    do {
      try files.renameNoReplace(temporary, relativeTo: directory, to: raw, relativeTo: directory)
    } catch {
      guard error == .fileExists else {
        throw .system("renameat2", error, "could not move object '\(displayPath(file))' into place")
      }
      // Another writer stored the same object meanwhile: keep that one.
      try? files.remove(temporary, relativeTo: directory)
    }
    CrashPoint.reach("store.publish")
  }

  private func syncFileSystem() throws(CairnError) {
    do {
      try files.syncFileSystem(rootDescriptor)
    } catch {
      throw .system("syncfs", error, "could not make the objects in '\(root)' durable")
    }
  }

  public func removeLeftovers(onlyOwn: Bool) async throws -> Leftovers {
    try await pool.run { () throws(CairnError) in try self.removeLeftoversNow(onlyOwn: onlyOwn) }
  }

  private func removeLeftoversNow(onlyOwn: Bool) throws(CairnError) -> Leftovers {
    var leftovers = Leftovers()
    let ownSuffix = Array("\(pendingSuffix)\(Self.pendingExtension)".utf8)
    let isLeftover: ([UInt8]) -> Bool = { name in
      guard name.first == UInt8(ascii: ".") else { return false }
      if onlyOwn { return name.count > ownSuffix.count && name.suffix(ownSuffix.count).elementsEqual(ownSuffix) }
      return name.count > Self.pendingExtension.utf8.count
        && (name.suffix(8).elementsEqual(Self.pendingExtension.utf8) || name.suffix(4).elementsEqual(".tmp".utf8))
    }
    var places = try Self.prefixNames.indices.map { index throws(CairnError) in
      (try prefixDirectory(index), "\(root)/objects/\(Self.prefixNames[index])")
    }
    if !onlyOwn {
      for directory in ["keys", "snapshots", "quarantine"] {
        if let descriptor = try? files.open("\(root)/\(directory)", flags: [.readOnly, .directory]) {
          places.append((descriptor, "\(root)/\(directory)"))
        }
      }
      places.append((rootDescriptor, root))
    }
    for (directory, display) in places {
      let names: [[UInt8]]
      do {
        names = try files.directoryNames(directory)
      } catch {
        throw .system("readdir", error, "could not list '\(display)'")
      }
      for name in names where isLeftover(name) {
        guard let status = try? files.linkStatus(name, relativeTo: directory) else { continue }
        // Only files are leftovers; anything else under such a name is not ours to remove.
        guard status.kind == .file else {
          leftovers.skipped.append("\(display)/\(EntryPath.printable(name))")
          continue
        }
        do {
          try files.remove(name, relativeTo: directory)
          leftovers.files += 1
          leftovers.bytes += status.size
        } catch {
          if error == .noSuchFileOrDirectory { continue }
          throw .system("unlink", error, "could not remove '\(display)/\(EntryPath.printable(name))'")
        }
      }
    }
    if onlyOwn {
      pending.withLock { $0.removeAll() }
      written.withLock { $0.removeAll() }
    }
    return leftovers
  }

  // MARK: Locks and the log

  public func lock(_ mode: StorageLockMode, wait: Duration, onWait: @Sendable (String) -> Void) async throws
    -> any StorageLock
  {
    try await LocalStorageLock.acquire(root: root, mode: mode, wait: wait, files: files, pool: pool, onWait: onWait)
  }

  public func appendLog(_ line: [UInt8]) async {
    var bytes = line
    bytes.removeAll { $0 == 0x0A || $0 == 0x0D }
    bytes.append(0x0A)
    let line = bytes
    await pool.run { () -> Void in
      let descriptor: Descriptor? = self.logDescriptor.withLock { descriptor in
        if descriptor == nil {
          descriptor = try? self.files.open(
            Array(Self.logName.utf8), relativeTo: self.rootDescriptor, flags: [.writeOnly, .create, .append],
            mode: 0o640)
        }
        return descriptor
      }
      guard let descriptor else { return }
      try? self.files.write(descriptor, line)
    }
  }
}

/// `flock` on the repository directory: shared for backup, restore and
/// check, exclusive for forget and gc. The kernel drops it when the process
/// exits or dies, so there is never a stale lock to remove by hand.
final class LocalStorageLock: StorageLock {
  private let descriptor: Descriptor
  private let files: FileSystem
  private let released = Mutex(false)

  private init(descriptor: Descriptor, files: FileSystem) {
    self.descriptor = descriptor
    self.files = files
  }

  /// Tries the lock every 50 ms until `wait` has passed. The wait is a
  /// `Task.sleep`: it holds no thread and ends at once when the task is cancelled.
  static func acquire(
    root: String, mode: StorageLockMode, wait: Duration, files: FileSystem, pool: BlockingPool,
    onWait: @Sendable (String) -> Void
  ) async throws -> LocalStorageLock {
    let descriptor: Descriptor
    do {
      descriptor = try await pool.run { () throws(Errno) in try files.open(root, flags: [.readOnly, .directory]) }
    } catch {
      throw CairnError.system("open", error, "could not open repository '\(root)' to lock it")
    }
    let deadline = ContinuousClock.now.advanced(by: wait)
    var told = false
    while true {
      let acquired: Bool
      do {
        acquired = try files.tryLock(descriptor, exclusive: mode == .exclusive)
      } catch {
        // A medium without locks (some network file systems) cannot hold a
        // reader back: readers go on without one; writers must not.
        if mode == .shared { return LocalStorageLock(descriptor: descriptor, files: files) }
        throw CairnError.system("flock", error, "could not lock repository '\(root)'")
      }
      if acquired { return LocalStorageLock(descriptor: descriptor, files: files) }
      let holder = describeHolder(descriptor, wanted: mode, files: files)
      if ContinuousClock.now >= deadline {
        throw CairnError(
          .locked,
          "repository '\(root)' is locked by another cairn process running \(holder); "
            + "gave up after \(wait.components.seconds) s (raise --lock-wait, or try again later)")
      }
      if !told {
        onWait("repository '\(root)' is locked by another cairn process running \(holder); waiting")
        told = true
      }
      try await Task.sleep(for: .milliseconds(50))
    }
  }

  /// Which kind of operation holds the lock, told by probing: if a shared
  /// lock is free, only shared holders (backup, restore, check) are there.
  private static func describeHolder(_ descriptor: Descriptor, wanted: StorageLockMode, files: FileSystem) -> String {
    if wanted == .exclusive, (try? files.tryLock(descriptor, exclusive: false)) == true {
      files.unlock(descriptor)
      return "a backup, restore or check (shared lock)"
    }
    return "forget or gc (exclusive lock)"
  }

  func release() async { close() }

  /// Unlocks at once; the descriptor closes when the last reference goes.
  private func close() {
    let wasReleased = released.withLock { value in
      defer { value = true }
      return value
    }
    guard !wasReleased else { return }
    files.unlock(descriptor)
  }

  deinit { close() }
}
