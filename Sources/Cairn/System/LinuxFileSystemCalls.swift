internal import CFileShims
import SystemPackage

#if canImport(Glibc)
  import Glibc
#endif

/// `FileSystemCalls` as the Linux C library makes them.
struct LinuxFileSystemCalls: FileSystemCalls {
  /// The result of a call that returns -1 and sets `errno` on failure.
  @inline(__always)
  private func checked<T: BinaryInteger>(_ result: T) throws(Errno) -> T {
    if result < 0 { throw Errno(rawValue: errno) }
    return result
  }

  func open(_ name: [UInt8], relativeTo directory: Int32, flags: Int32, mode: UInt32) throws(Errno) -> Int32 {
    try SystemCalls.withCString(name) { path throws(Errno) in try checked(openat(directory, path, flags, mode_t(mode)))
    }
  }

  func close(_ descriptor: Int32) {
    _ = Glibc.close(descriptor)
  }

  func read(_ descriptor: Int32, into buffer: UnsafeMutableRawBufferPointer, at offset: UInt64) throws(Errno) -> Int {
    try checked(pread(descriptor, buffer.baseAddress, buffer.count, off_t(offset)))
  }

  func write(_ descriptor: Int32, _ bytes: UnsafeRawBufferPointer) throws(Errno) -> Int {
    try checked(Glibc.write(descriptor, bytes.baseAddress, bytes.count))
  }

  func sync(_ descriptor: Int32) throws(Errno) {
    _ = try checked(fsync(descriptor))
  }

  func syncFileSystem(_ descriptor: Int32) throws(Errno) {
    _ = try checked(cairn_syncfs(descriptor))
  }

  func status(of descriptor: Int32) throws(Errno) -> FileStatus {
    var raw = stat()
    _ = try checked(fstat(descriptor, &raw))
    return FileStatus(raw)
  }

  func linkStatus(_ name: [UInt8], relativeTo directory: Int32) throws(Errno) -> FileStatus {
    var raw = stat()
    _ = try SystemCalls.withCString(name) { path throws(Errno) in
      try checked(fstatat(directory, path, &raw, AT_SYMLINK_NOFOLLOW))
    }
    return FileStatus(raw)
  }

  func rename(
    _ old: [UInt8], relativeTo oldDirectory: Int32, to new: [UInt8], relativeTo newDirectory: Int32, replacing: Bool
  ) throws(Errno) {
    _ = try SystemCalls.withCString(old) { oldPath throws(Errno) in
      try SystemCalls.withCString(new) { newPath throws(Errno) in
        replacing
          ? try checked(renameat(oldDirectory, oldPath, newDirectory, newPath))
          : try checked(cairn_rename_noreplace(oldDirectory, oldPath, newDirectory, newPath))
      }
    }
  }

  func remove(_ name: [UInt8], relativeTo directory: Int32, isDirectory: Bool) throws(Errno) {
    _ = try SystemCalls.withCString(name) { path throws(Errno) in
      try checked(unlinkat(directory, path, isDirectory ? AT_REMOVEDIR : 0))
    }
  }

  func makeDirectory(_ name: [UInt8], relativeTo directory: Int32, mode: UInt32) throws(Errno) {
    _ = try SystemCalls.withCString(name) { path throws(Errno) in try checked(mkdirat(directory, path, mode_t(mode))) }
  }

  func directoryNames(_ descriptor: Int32) throws(Errno) -> [[UInt8]] {
    let copy = try checked(dup(descriptor))
    guard let stream = fdopendir(copy) else {
      let failure = Errno(rawValue: errno)
      Glibc.close(copy)
      throw failure
    }
    defer { closedir(stream) }
    rewinddir(stream)
    var names: [[UInt8]] = []
    while true {
      errno = 0
      guard let entry = readdir(stream) else {
        if errno != 0 { throw Errno(rawValue: errno) }
        break
      }
      let name = DirectoryRecord.name(of: entry)
      if name == [0x2E] || name == [0x2E, 0x2E] { continue }
      names.append(name)
    }
    return names
  }

  func readSymlink(_ name: [UInt8], relativeTo directory: Int32, into buffer: UnsafeMutableRawBufferPointer)
    throws(Errno) -> Int
  {
    try SystemCalls.withCString(name) { path throws(Errno) in
      try checked(readlinkat(directory, path, buffer.baseAddress!.assumingMemoryBound(to: CChar.self), buffer.count))
    }
  }

  func lock(_ descriptor: Int32, exclusive: Bool?) throws(Errno) {
    let operation =
      switch exclusive {
      case nil: LOCK_UN
      case true?: LOCK_EX | LOCK_NB
      case false?: LOCK_SH | LOCK_NB
      }
    _ = try checked(flock(descriptor, operation))
  }

  func openUnnamed(in directory: Int32, mode: UInt32) throws(Errno) -> Int32 {
    try checked(cairn_open_unnamed(directory, mode))
  }

  /// Links unnamed files through /proc/self/fd from now on (`TestSwitches.linkUnnamedThroughProc`).
  static func linkUnnamedThroughProc() { cairn_link_unnamed_through_proc() }

  func linkUnnamed(_ descriptor: Int32, as name: [UInt8], in directory: Int32) throws(Errno) {
    _ = try SystemCalls.withCString(name) { path throws(Errno) in
      try checked(cairn_link_unnamed(descriptor, directory, path))
    }
  }

  func write(_ descriptor: Int32, _ bytes: UnsafeRawBufferPointer, at offset: UInt64) throws(Errno) -> Int {
    try checked(pwrite(descriptor, bytes.baseAddress, bytes.count, off_t(offset)))
  }

  func truncate(_ descriptor: Int32, to size: UInt64) throws(Errno) {
    _ = try checked(ftruncate(descriptor, off_t(size)))
  }

  func changeOwner(_ descriptor: Int32, uid: UInt32, gid: UInt32) throws(Errno) {
    _ = try checked(fchown(descriptor, uid, gid))
  }

  func changeMode(_ descriptor: Int32, to mode: UInt32) throws(Errno) {
    _ = try checked(fchmod(descriptor, mode_t(mode)))
  }

  func setTimes(_ descriptor: Int32, modification: Timestamp) throws(Errno) {
    let time = timespec(tv_sec: time_t(modification.seconds), tv_nsec: Int(modification.nanoseconds))
    _ = try checked(futimens(descriptor, [time, time]))
  }

  func makeSymlink(_ name: [UInt8], relativeTo directory: Int32, target: [UInt8]) throws(Errno) {
    _ = try SystemCalls.withCString(target) { targetPath throws(Errno) in
      try SystemCalls.withCString(name) { path throws(Errno) in try checked(symlinkat(targetPath, directory, path)) }
    }
  }

  func makeNode(_ name: [UInt8], relativeTo directory: Int32, kind: EntryKind, mode: UInt32, device: UInt64)
    throws(Errno)
  {
    let type: mode_t =
      switch kind {
      case .fifo: S_IFIFO
      case .characterDevice: S_IFCHR
      case .blockDevice: S_IFBLK
      case .socket: S_IFSOCK
      default: S_IFREG
      }
    _ = try SystemCalls.withCString(name) { path throws(Errno) in
      try checked(mknodat(directory, path, type | mode_t(mode & 0o7777), dev_t(device)))
    }
  }

  func makeHardLink(
    _ existing: [UInt8], relativeTo existingDirectory: Int32, as name: [UInt8], relativeTo directory: Int32
  ) throws(Errno) {
    _ = try SystemCalls.withCString(existing) { oldPath throws(Errno) in
      try SystemCalls.withCString(name) { newPath throws(Errno) in
        try checked(linkat(existingDirectory, oldPath, directory, newPath, 0))
      }
    }
  }

  func changeOwner(_ name: [UInt8], relativeTo directory: Int32, uid: UInt32, gid: UInt32) throws(Errno) {
    _ = try SystemCalls.withCString(name) { path throws(Errno) in
      try checked(fchownat(directory, path, uid, gid, AT_SYMLINK_NOFOLLOW))
    }
  }

  func changeMode(_ name: [UInt8], relativeTo directory: Int32, to mode: UInt32) throws(Errno) {
    _ = try SystemCalls.withCString(name) { path throws(Errno) in
      try checked(fchmodat(directory, path, mode_t(mode), 0))
    }
  }

  func setTimes(_ name: [UInt8], relativeTo directory: Int32, modification: Timestamp) throws(Errno) {
    let time = timespec(tv_sec: time_t(modification.seconds), tv_nsec: Int(modification.nanoseconds))
    _ = try SystemCalls.withCString(name) { path throws(Errno) in
      try checked(utimensat(directory, path, [time, time], AT_SYMLINK_NOFOLLOW))
    }
  }

  func listAttributes(_ target: AttributeTarget, into buffer: UnsafeMutableRawBufferPointer) throws(Errno) -> Int {
    let pointer = buffer.baseAddress!.assumingMemoryBound(to: CChar.self)
    switch target {
    case .descriptor(let descriptor):
      return try checked(cairn_flistxattr(descriptor, pointer, UInt(buffer.count)))
    case .path(let path):
      return try SystemCalls.withCString(path) { name throws(Errno) in
        try checked(cairn_llistxattr(name, pointer, UInt(buffer.count)))
      }
    }
  }

  func attribute(_ target: AttributeTarget, name: [UInt8], into buffer: UnsafeMutableRawBufferPointer)
    throws(Errno) -> Int
  {
    try SystemCalls.withCString(name) { attribute throws(Errno) -> Int in
      switch target {
      case .descriptor(let descriptor):
        return try checked(cairn_fgetxattr(descriptor, attribute, buffer.baseAddress!, UInt(buffer.count)))
      case .path(let path):
        return try SystemCalls.withCString(path) { file throws(Errno) in
          try checked(cairn_lgetxattr(file, attribute, buffer.baseAddress!, UInt(buffer.count)))
        }
      }
    }
  }

  func setAttribute(_ target: AttributeTarget, name: [UInt8], value: UnsafeRawBufferPointer) throws(Errno) {
    // A non-null pointer even for an empty value.
    let bytes = value.baseAddress ?? UnsafeRawPointer(bitPattern: 1)!
    _ = try SystemCalls.withCString(name) { attribute throws(Errno) -> Int32 in
      switch target {
      case .descriptor(let descriptor):
        return try checked(cairn_fsetxattr(descriptor, attribute, bytes, UInt(value.count)))
      case .path(let path):
        return try SystemCalls.withCString(path) { file throws(Errno) in
          try checked(cairn_lsetxattr(file, attribute, bytes, UInt(value.count)))
        }
      }
    }
  }

  func seek(_ descriptor: Int32, from offset: UInt64, toHole hole: Bool) throws(Errno) -> UInt64 {
    UInt64(try checked(cairn_seek_data_or_hole(descriptor, Int64(offset), hole ? 1 : 0)))
  }
}

extension FileStatus {
  /// The status `stat(2)` filled in.
  init(_ raw: stat) {
    let kind: EntryKind =
      switch raw.st_mode & S_IFMT {
      case S_IFREG: .file
      case S_IFDIR: .directory
      case S_IFLNK: .symlink
      case S_IFIFO: .fifo
      case S_IFSOCK: .socket
      case S_IFCHR: .characterDevice
      case S_IFBLK: .blockDevice
      default: .removed
      }
    self.init(
      kind: kind,
      mode: UInt32(raw.st_mode & 0o7777),
      uid: raw.st_uid,
      gid: raw.st_gid,
      size: UInt64(max(raw.st_size, 0)),
      mtime: Timestamp(seconds: Int64(raw.st_mtim.tv_sec), nanoseconds: UInt32(raw.st_mtim.tv_nsec)),
      ctime: Timestamp(seconds: Int64(raw.st_ctim.tv_sec), nanoseconds: UInt32(raw.st_ctim.tv_nsec)),
      inode: UInt64(raw.st_ino),
      device: UInt64(raw.st_dev),
      linkCount: UInt64(raw.st_nlink),
      rdev: UInt64(raw.st_rdev)
    )
    allocatedBytes = UInt64(max(raw.st_blocks, 0)) * 512
  }
}
