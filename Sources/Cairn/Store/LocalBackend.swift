import Dispatch
import Synchronization
import SystemPackage

/// Objects as files on a local (or mounted) file system:
/// `objects/ab/abcdef…`.
///
/// A new object is written as a pending file beside its final name,
/// `objects/ab/.abcdef….<suffix>.pending`, and stays pending until
/// `makeDurable()`: one `syncfs` makes every pending file durable, then each
/// is renamed to its object name (never replacing an existing one), and a
/// second `syncfs` makes the renames durable. So an object name always has
/// durable bytes, even after a power loss, and deduplication (which trusts a
/// present name) can never point a new snapshot at lost data. Pending files
/// live in the prefix directories, not in one shared folder, so that two
/// writers do not queue on one directory's lock and each rename stays inside
/// one directory. What a crash leaves pending is removed by gc.
///
/// Directory descriptors for `objects/`, its 256 prefix directories and
/// `tmp/` are opened once, so every object operation is a single `*at` call.
public final class LocalBackend: ObjectBackend {
  private let repositoryDescriptor: Int32
  private let temporaryDescriptor: Int32
  private let prefixDescriptors: [Int32]
  private let root: String
  /// Objects written by this process as pending files and not yet renamed into place.
  private let pending = Mutex(Set<ObjectID>())
  /// Distinguishes this process's temporary files from another backup's.
  private let temporarySuffix = String(UInt64.random(in: 0...UInt64.max), radix: 16)

  static let prefixNames: [[UInt8]] = (0..<256).map { value in
    let digits = Array("0123456789abcdef".utf8)
    return [digits[value >> 4], digits[value & 0xF]]
  }

  /// Creates `objects/00` … `objects/ff` and `tmp/` under `root`.
  static func createLayout(at root: String) throws(CairnError) {
    for directory in ["\(root)/objects", "\(root)/tmp"] {
      try makeDirectory(Array(directory.utf8))
    }
    for prefix in prefixNames {
      try makeDirectory(Array("\(root)/objects/".utf8) + prefix)
    }
  }

  private static func makeDirectory(_ path: [UInt8]) throws(CairnError) {
    do {
      try SystemCalls.makeDirectory(path, mode: 0o755)
    } catch {
      if error != .fileExists {
        throw .system("mkdir", error, "could not create directory '\(EntryPath.printable(path))'")
      }
    }
  }

  /// Opens the layout under `root` (a repository directory).
  public init(root: String) throws(CairnError) {
    self.root = root
    func openDirectory(_ path: String) throws(CairnError) -> Int32 {
      do {
        return try SystemCalls.open(path, flags: [.readOnly, .directory])
      } catch {
        throw .system("open", error, "could not open directory '\(path)'")
      }
    }
    repositoryDescriptor = try openDirectory(root)
    temporaryDescriptor = try openDirectory("\(root)/tmp")
    var prefixes: [Int32] = []
    for prefix in Self.prefixNames {
      prefixes.append(try openDirectory("\(root)/objects/\(String(decoding: prefix, as: UTF8.self))"))
    }
    prefixDescriptors = prefixes
  }

  deinit {
    for descriptor in prefixDescriptors { SystemCalls.close(descriptor) }
    SystemCalls.close(temporaryDescriptor)
    SystemCalls.close(repositoryDescriptor)
  }

  private func directory(for id: ObjectID) -> Int32 { prefixDescriptors[Int(id.w0 >> 56)] }

  private func name(of id: ObjectID) -> [UInt8] { Array(id.hex.utf8) }

  private func displayPath(_ id: ObjectID) -> String { "\(root)/objects/\(id.prefix)/\(id.hex)" }

  static let pendingExtension = Array(".pending".utf8)

  private func temporaryName(of id: ObjectID) -> [UInt8] {
    Array(".\(id.hex).\(temporarySuffix)".utf8) + Self.pendingExtension
  }

  static func isPendingName(_ name: [UInt8]) -> Bool {
    name.first == UInt8(ascii: ".") && name.count > pendingExtension.count
      && name.suffix(pendingExtension.count).elementsEqual(pendingExtension)
  }

  public func putIfAbsent(_ id: ObjectID, _ bytes: UnsafeRawBufferPointer) throws -> Bool {
    if pending.withLock({ $0.contains(id) }) { return false }
    if try size(of: id) != nil { return false }
    // Claim the name first, so two tasks with the same block write it once.
    guard pending.withLock({ $0.insert(id).inserted }) else { return false }
    let temporaryName = temporaryName(of: id)
    let descriptor: Int32
    do {
      descriptor = try SystemCalls.open(
        temporaryName, relativeTo: directory(for: id), flags: [.writeOnly, .create, .exclusive], mode: 0o444)
    } catch {
      _ = pending.withLock { $0.remove(id) }
      throw CairnError.system("open", error, "could not create a pending file in '\(root)/objects/\(id.prefix)'")
    }
    do {
      do {
        try SystemCalls.write(descriptor, bytes)
      } catch {
        SystemCalls.close(descriptor)
        throw CairnError.system("write", error, "could not write object '\(displayPath(id))'")
      }
      SystemCalls.close(descriptor)
      return true
    } catch {
      try? SystemCalls.remove(temporaryName, relativeTo: directory(for: id))
      _ = pending.withLock { $0.remove(id) }
      throw error
    }
  }

  public func get(_ id: ObjectID) throws -> [UInt8] {
    let descriptor: Int32
    do {
      descriptor = try SystemCalls.open(name(of: id), relativeTo: directory(for: id), flags: [.readOnly, .noFollow])
    } catch {
      if error == .noSuchFileOrDirectory {
        throw CairnError(.notFound, "object '\(id)' is missing from the repository ('\(displayPath(id))')")
      }
      throw CairnError.system("open", error, "could not open object '\(displayPath(id))'")
    }
    defer { SystemCalls.close(descriptor) }
    do {
      let status = try SystemCalls.status(of: descriptor)
      return try SystemCalls.readBytes(descriptor, count: Int(status.size))
    } catch {
      throw CairnError.system("read", error, "could not read object '\(displayPath(id))'")
    }
  }

  public func size(of id: ObjectID) throws -> UInt64? {
    do {
      return try SystemCalls.linkStatus(name(of: id), relativeTo: directory(for: id)).size
    } catch {
      if error == .noSuchFileOrDirectory { return nil }
      throw CairnError.system("fstatat", error, "could not look up object '\(displayPath(id))'")
    }
  }

  public func forEachObject(_ visit: (ObjectID, UInt64) throws -> Void) throws {
    for (index, descriptor) in prefixDescriptors.enumerated() {
      let names: [[UInt8]]
      do {
        names = try SystemCalls.directoryNames(descriptor)
      } catch {
        let prefix = String(decoding: Self.prefixNames[index], as: UTF8.self)
        throw CairnError.system("readdir", error, "could not list '\(root)/objects/\(prefix)'")
      }
      for name in names {
        // Anything that is not a 64-digit name is not an object; check reports it.
        guard let id = ObjectID(hex: String(decoding: name, as: UTF8.self)) else { continue }
        guard let size = try size(of: id) else { continue }
        try visit(id, size)
      }
    }
  }

  public func delete(_ id: ObjectID) throws {
    do {
      try SystemCalls.remove(name(of: id), relativeTo: directory(for: id))
    } catch {
      if error == .noSuchFileOrDirectory { return }
      throw CairnError.system("unlink", error, "could not delete object '\(displayPath(id))'")
    }
  }

  public func makeDurable() throws {
    let objects = Array(pending.withLock { $0 })
    try syncFileSystem()
    guard !objects.isEmpty else { return }
    // Renames are kernel work on two cores: split the objects in two halves.
    let failure = Mutex<(any Error)?>(nil)
    let workers = min(2, objects.count)
    DispatchQueue.concurrentPerform(iterations: workers) { worker in
      for index in stride(from: worker, to: objects.count, by: workers) {
        do {
          try publish(objects[index])
        } catch {
          failure.withLock { $0 = $0 ?? error }
          return
        }
      }
    }
    if let error = failure.withLock({ $0 }) { throw error }
    pending.withLock { $0.removeAll() }
    try syncFileSystem()
  }

  public func discardPending() {
    let objects = pending.withLock { set in
      defer { set.removeAll() }
      return Array(set)
    }
    for id in objects { try? SystemCalls.remove(temporaryName(of: id), relativeTo: directory(for: id)) }
  }

  /// Renames one durable pending object to its object name.
  private func publish(_ id: ObjectID) throws {
    let temporaryName = temporaryName(of: id)
    let directory = directory(for: id)
    do {
      try SystemCalls.renameNoReplace(temporaryName, relativeTo: directory, to: name(of: id), relativeTo: directory)
    } catch {
      guard error == .fileExists else {
        throw CairnError.system("renameat2", error, "could not move object '\(displayPath(id))' into place")
      }
      // Another backup stored the same object meanwhile: keep that one.
      try? SystemCalls.remove(temporaryName, relativeTo: directory)
    }
    CrashPoint.reach("store.publish")
  }

  private func syncFileSystem() throws {
    do {
      try SystemCalls.syncFileSystem(repositoryDescriptor)
    } catch {
      throw CairnError.system("syncfs", error, "could not make the objects in '\(root)' durable")
    }
  }

  public func removeLeftovers() throws -> (files: Int, bytes: UInt64) {
    var files = 0
    var bytes: UInt64 = 0
    let places =
      [(temporaryDescriptor, "\(root)/tmp", { (_: [UInt8]) in true })]
      + zip(prefixDescriptors, Self.prefixNames).map { descriptor, prefix in
        (descriptor, "\(root)/objects/\(String(decoding: prefix, as: UTF8.self))", Self.isPendingName)
      }
    for (descriptor, display, isLeftover) in places {
      let names: [[UInt8]]
      do {
        names = try SystemCalls.directoryNames(descriptor)
      } catch {
        throw CairnError.system("readdir", error, "could not list '\(display)'")
      }
      for name in names where isLeftover(name) {
        let size = (try? SystemCalls.linkStatus(name, relativeTo: descriptor).size) ?? 0
        do {
          try SystemCalls.remove(name, relativeTo: descriptor)
          files += 1
          bytes += size
        } catch {
          if error == .noSuchFileOrDirectory { continue }
          throw CairnError.system("unlink", error, "could not remove '\(display)/\(EntryPath.printable(name))'")
        }
      }
    }
    return (files, bytes)
  }
}
