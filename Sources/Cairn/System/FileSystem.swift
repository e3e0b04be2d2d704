import SystemPackage

/// The file operations of a backup and of `LocalStorage` over one
/// `FileSystemCalls`: EINTR is retried, reads and writes loop until done,
/// and opened files come back as `Descriptor`s that close themselves.
///
/// Every method blocks; async code calls them through `BlockingPool`.
struct FileSystem: Sendable {
  let calls: any FileSystemCalls

  /// The real file system.
  static let linux = FileSystem(calls: LinuxFileSystemCalls())

  /// Runs `body` until it stops failing with EINTR.
  @inline(__always)
  func retrying<T>(_ body: () throws(Errno) -> T) throws(Errno) -> T {
    while true {
      do {
        return try body()
      } catch {
        if error != .interrupted { throw error }
      }
    }
  }

  // MARK: Opening

  /// `openat(2)`; close-on-exec is always added.
  func open(
    _ name: [UInt8], relativeTo directory: Descriptor = .currentDirectory, flags: SystemCalls.OpenFlags,
    mode: UInt32 = 0o600
  ) throws(Errno) -> Descriptor {
    let raw = try retrying { () throws(Errno) in
      try calls.open(name, relativeTo: directory.raw, flags: flags.union(.closeOnExec).rawValue, mode: mode)
    }
    return Descriptor(owning: raw, calls: calls)
  }

  func open(_ path: String, flags: SystemCalls.OpenFlags, mode: UInt32 = 0o600) throws(Errno) -> Descriptor {
    try open(Array(path.utf8), flags: flags, mode: mode)
  }

  /// An unnamed regular file in `directory` (`O_TMPFILE`), open for
  /// writing; `linkUnnamed` names it. Fails (EOPNOTSUPP, EISDIR, EINVAL)
  /// where the file system or kernel has no unnamed files.
  func openUnnamed(in directory: Descriptor, mode: UInt32 = 0o600) throws(Errno) -> Descriptor {
    let raw = try retrying { () throws(Errno) in try calls.openUnnamed(in: directory.raw, mode: mode) }
    return Descriptor(owning: raw, calls: calls)
  }

  /// Names the unnamed file `descriptor` `name` in `directory`; throws
  /// `.fileExists` when the name is taken (never replaces).
  func linkUnnamed(_ descriptor: Descriptor, as name: [UInt8], in directory: Descriptor) throws(Errno) {
    try retrying { () throws(Errno) in try calls.linkUnnamed(descriptor.raw, as: name, in: directory.raw) }
  }

  // MARK: Status

  func status(of descriptor: Descriptor) throws(Errno) -> FileStatus {
    try retrying { () throws(Errno) in try calls.status(of: descriptor.raw) }
  }

  /// Describes `name` without following a final symlink.
  func linkStatus(_ name: [UInt8], relativeTo directory: Descriptor = .currentDirectory) throws(Errno) -> FileStatus {
    try retrying { () throws(Errno) in try calls.linkStatus(name, relativeTo: directory.raw) }
  }

  // MARK: Reading and writing

  /// `pread(2)` until `buffer` is full or the file ends; returns the bytes read.
  func read(_ descriptor: Descriptor, into buffer: UnsafeMutableRawBufferPointer, at offset: UInt64) throws(Errno)
    -> Int
  {
    var done = 0
    while done < buffer.count {
      let rest = UnsafeMutableRawBufferPointer(rebasing: buffer[done...])
      let count = try retrying { () throws(Errno) in
        try calls.read(descriptor.raw, into: rest, at: offset + UInt64(done))
      }
      if count == 0 { break }
      done += count
    }
    return done
  }

  /// Reads up to `count` bytes from `offset` into a new array (shorter if the file ends first).
  func readBytes(_ descriptor: Descriptor, count: Int, at offset: UInt64 = 0) throws(Errno) -> [UInt8] {
    var failure: Errno?
    let bytes = [UInt8](unsafeUninitializedCapacity: count) { buffer, initialized in
      HugePages.advise(buffer)
      do throws(Errno) {
        initialized = try read(descriptor, into: UnsafeMutableRawBufferPointer(buffer), at: offset)
      } catch {
        initialized = 0
        failure = error
      }
    }
    if let failure { throw failure }
    return bytes
  }

  /// `write(2)` until every byte is written.
  func write(_ descriptor: Descriptor, _ bytes: UnsafeRawBufferPointer) throws(Errno) {
    var done = 0
    while done < bytes.count {
      let rest = UnsafeRawBufferPointer(rebasing: bytes[done...])
      done += try retrying { () throws(Errno) in try calls.write(descriptor.raw, rest) }
    }
  }

  func write(_ descriptor: Descriptor, _ bytes: [UInt8]) throws(Errno) {
    let result = bytes.withUnsafeBytes { buffer in Result { () throws(Errno) in try write(descriptor, buffer) } }
    try result.get()
  }

  /// `pwrite(2)` until every byte is written at `offset`.
  func write(_ descriptor: Descriptor, _ bytes: UnsafeRawBufferPointer, at offset: UInt64) throws(Errno) {
    var done = 0
    while done < bytes.count {
      let rest = UnsafeRawBufferPointer(rebasing: bytes[done...])
      done += try retrying { () throws(Errno) in try calls.write(descriptor.raw, rest, at: offset + UInt64(done)) }
    }
  }

  /// `ftruncate(2)`.
  func truncate(_ descriptor: Descriptor, to size: UInt64) throws(Errno) {
    try retrying { () throws(Errno) in try calls.truncate(descriptor.raw, to: size) }
  }

  // MARK: Metadata

  /// `fchown(2)`.
  func changeOwner(_ descriptor: Descriptor, uid: UInt32, gid: UInt32) throws(Errno) {
    try retrying { () throws(Errno) in try calls.changeOwner(descriptor.raw, uid: uid, gid: gid) }
  }

  /// `fchmod(2)`.
  func changeMode(_ descriptor: Descriptor, to mode: UInt32) throws(Errno) {
    try retrying { () throws(Errno) in try calls.changeMode(descriptor.raw, to: mode) }
  }

  /// `futimens(2)`: access and modification times both set to `modification`.
  func setTimes(_ descriptor: Descriptor, modification: Timestamp) throws(Errno) {
    try retrying { () throws(Errno) in try calls.setTimes(descriptor.raw, modification: modification) }
  }

  /// `fchownat(2)` with AT_SYMLINK_NOFOLLOW.
  func changeOwner(_ name: [UInt8], relativeTo directory: Descriptor, uid: UInt32, gid: UInt32) throws(Errno) {
    try retrying { () throws(Errno) in try calls.changeOwner(name, relativeTo: directory.raw, uid: uid, gid: gid) }
  }

  /// `fchmodat(2)` (follows nothing: never call it on a symlink).
  func changeMode(_ name: [UInt8], relativeTo directory: Descriptor, to mode: UInt32) throws(Errno) {
    try retrying { () throws(Errno) in try calls.changeMode(name, relativeTo: directory.raw, to: mode) }
  }

  /// `utimensat(2)` with AT_SYMLINK_NOFOLLOW: access and modification times both `modification`.
  func setTimes(_ name: [UInt8], relativeTo directory: Descriptor, modification: Timestamp) throws(Errno) {
    try retrying { () throws(Errno) in
      try calls.setTimes(name, relativeTo: directory.raw, modification: modification)
    }
  }

  /// The names of an entry's extended attributes (those this process may
  /// see), each without its NUL.
  func attributeNames(_ target: AttributeTarget) throws(Errno) -> [[UInt8]] {
    let bytes = try growing(from: 1024) { buffer throws(Errno) in try calls.listAttributes(target, into: buffer) }
    return bytes.split(separator: 0).map(Array.init)
  }

  /// One extended attribute's value, byte for byte.
  func attributeValue(_ target: AttributeTarget, name: [UInt8]) throws(Errno) -> [UInt8] {
    try growing(from: 4096) { buffer throws(Errno) in try calls.attribute(target, name: name, into: buffer) }
  }

  /// Sets (creates or replaces) one extended attribute.
  func setAttribute(_ target: AttributeTarget, name: [UInt8], value: [UInt8]) throws(Errno) {
    let result = value.withUnsafeBytes { bytes in
      Result { () throws(Errno) in
        try retrying { () throws(Errno) in try calls.setAttribute(target, name: name, value: bytes) }
      }
    }
    try result.get()
  }

  /// Calls `read` with a buffer that grows fourfold (up to 64 MiB) while it
  /// answers ERANGE; returns the bytes it filled.
  private func growing(
    from initial: Int, _ read: (UnsafeMutableRawBufferPointer) throws(Errno) -> Int
  ) throws(Errno) -> [UInt8] {
    var capacity = initial
    while true {
      var buffer = [UInt8](repeating: 0, count: capacity)
      let result = buffer.withUnsafeMutableBytes { raw in
        Result { () throws(Errno) in try retrying { () throws(Errno) in try read(raw) } }
      }
      do throws(Errno) {
        let count = try result.get()
        buffer.removeLast(capacity - count)
        return buffer
      } catch {
        guard error == .outOfRange && capacity < 1 << 26 else { throw error }
        capacity *= 4
      }
    }
  }

  // MARK: Holes

  /// The first offset at or after `offset` that holds data, or nil when
  /// only a hole follows.
  func nextData(_ descriptor: Descriptor, from offset: UInt64) throws(Errno) -> UInt64? {
    try seek(descriptor, from: offset, toHole: false)
  }

  /// The first offset at or after `offset` in a hole (the end of the file
  /// counts as one), or nil past the end.
  func nextHole(_ descriptor: Descriptor, from offset: UInt64) throws(Errno) -> UInt64? {
    try seek(descriptor, from: offset, toHole: true)
  }

  private func seek(_ descriptor: Descriptor, from offset: UInt64, toHole hole: Bool) throws(Errno) -> UInt64? {
    do throws(Errno) {
      return try retrying { () throws(Errno) in try calls.seek(descriptor.raw, from: offset, toHole: hole) }
    } catch {
      if error == .noSuchAddressOrDevice { return nil }
      throw error
    }
  }

  // MARK: Durability

  /// `fsync(2)`.
  func sync(_ descriptor: Descriptor) throws(Errno) {
    try retrying { () throws(Errno) in try calls.sync(descriptor.raw) }
  }

  /// `syncfs(2)`: one pass that makes everything on the file system durable.
  func syncFileSystem(_ descriptor: Descriptor) throws(Errno) {
    try retrying { () throws(Errno) in try calls.syncFileSystem(descriptor.raw) }
  }

  // MARK: Names

  /// Every name in a directory except `.` and `..`, in no particular order.
  func directoryNames(_ descriptor: Descriptor) throws(Errno) -> [[UInt8]] {
    try retrying { () throws(Errno) in try calls.directoryNames(descriptor.raw) }
  }

  func makeDirectory(_ name: [UInt8], relativeTo directory: Descriptor = .currentDirectory, mode: UInt32)
    throws(Errno)
  {
    try retrying { () throws(Errno) in try calls.makeDirectory(name, relativeTo: directory.raw, mode: mode) }
  }

  /// `renameat2(2)` with RENAME_NOREPLACE: throws `.fileExists` when the new name is taken.
  func renameNoReplace(
    _ old: [UInt8], relativeTo oldDirectory: Descriptor, to new: [UInt8], relativeTo newDirectory: Descriptor
  ) throws(Errno) {
    try retrying { () throws(Errno) in
      try calls.rename(old, relativeTo: oldDirectory.raw, to: new, relativeTo: newDirectory.raw, replacing: false)
    }
  }

  /// `symlinkat(2)`.
  func makeSymlink(_ name: [UInt8], relativeTo directory: Descriptor, target: [UInt8]) throws(Errno) {
    try retrying { () throws(Errno) in try calls.makeSymlink(name, relativeTo: directory.raw, target: target) }
  }

  /// `mknodat(2)`, for FIFOs, sockets and device files.
  func makeNode(_ name: [UInt8], relativeTo directory: Descriptor, kind: EntryKind, mode: UInt32, device: UInt64)
    throws(Errno)
  {
    try retrying { () throws(Errno) in
      try calls.makeNode(name, relativeTo: directory.raw, kind: kind, mode: mode, device: device)
    }
  }

  /// `linkat(2)`: a hard link; a symlink at `existing` is not followed.
  func makeHardLink(
    _ existing: [UInt8], relativeTo existingDirectory: Descriptor, as name: [UInt8], relativeTo directory: Descriptor
  ) throws(Errno) {
    try retrying { () throws(Errno) in
      try calls.makeHardLink(existing, relativeTo: existingDirectory.raw, as: name, relativeTo: directory.raw)
    }
  }

  /// `renameat(2)`: replaces the new name atomically.
  func rename(
    _ old: [UInt8], relativeTo oldDirectory: Descriptor, to new: [UInt8], relativeTo newDirectory: Descriptor
  ) throws(Errno) {
    try retrying { () throws(Errno) in
      try calls.rename(old, relativeTo: oldDirectory.raw, to: new, relativeTo: newDirectory.raw, replacing: true)
    }
  }

  /// `unlinkat(2)`; `isDirectory: true` removes an empty directory.
  func remove(_ name: [UInt8], relativeTo directory: Descriptor = .currentDirectory, isDirectory: Bool = false)
    throws(Errno)
  {
    try retrying { () throws(Errno) in try calls.remove(name, relativeTo: directory.raw, isDirectory: isDirectory) }
  }

  /// A symlink's target, as bytes.
  func readSymlink(_ name: [UInt8], relativeTo directory: Descriptor) throws(Errno) -> [UInt8] {
    var capacity = 256
    while true {
      var buffer = [UInt8](repeating: 0, count: capacity)
      let result = buffer.withUnsafeMutableBytes { raw in
        Result { () throws(Errno) in
          try retrying { () throws(Errno) in try calls.readSymlink(name, relativeTo: directory.raw, into: raw) }
        }
      }
      let count = try result.get()
      if count < capacity { return Array(buffer.prefix(count)) }
      capacity *= 4
    }
  }

  // MARK: Locks

  /// `flock(2)` without waiting: false when another process holds a conflicting lock.
  func tryLock(_ descriptor: Descriptor, exclusive: Bool) throws(Errno) -> Bool {
    do throws(Errno) {
      try retrying { () throws(Errno) in try calls.lock(descriptor.raw, exclusive: exclusive) }
      return true
    } catch {
      if error == .wouldBlock { return false }
      throw error
    }
  }

  func unlock(_ descriptor: Descriptor) {
    try? calls.lock(descriptor.raw, exclusive: nil)
  }
}
