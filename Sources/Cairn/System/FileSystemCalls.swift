import SystemPackage

/// The system calls that a backup and `LocalStorage` make, one method per
/// call, each making exactly one attempt: a failure, EINTR included, is
/// thrown as its `Errno`. `FileSystem` adds the retries and the loops.
///
/// `LinuxFileSystemCalls` is the real one. Tests put a double in its place
/// that forces an errno on the n-th call of an operation (ENOSPC on a write,
/// EIO on a read, EINTR anywhere), so failures are tested in-process without
/// root, a full disk or a broken one.
protocol FileSystemCalls: Sendable {
  func open(_ name: [UInt8], relativeTo directory: Int32, flags: Int32, mode: UInt32) throws(Errno) -> Int32
  /// Errors are ignored: the descriptor is gone either way.
  func close(_ descriptor: Int32)
  /// `pread(2)`: returns the bytes read, 0 at the end of the file.
  func read(_ descriptor: Int32, into buffer: UnsafeMutableRawBufferPointer, at offset: UInt64) throws(Errno) -> Int
  /// `write(2)`: returns the bytes written, which may be fewer than given.
  func write(_ descriptor: Int32, _ bytes: UnsafeRawBufferPointer) throws(Errno) -> Int
  func sync(_ descriptor: Int32) throws(Errno)
  /// `syncfs(2)`.
  func syncFileSystem(_ descriptor: Int32) throws(Errno)
  /// `fstat(2)`.
  func status(of descriptor: Int32) throws(Errno) -> FileStatus
  /// `fstatat(2)` without following a final symlink.
  func linkStatus(_ name: [UInt8], relativeTo directory: Int32) throws(Errno) -> FileStatus
  /// `renameat2(2)`; with `replacing: false`, RENAME_NOREPLACE.
  func rename(
    _ old: [UInt8], relativeTo oldDirectory: Int32, to new: [UInt8], relativeTo newDirectory: Int32, replacing: Bool
  ) throws(Errno)
  /// `unlinkat(2)`.
  func remove(_ name: [UInt8], relativeTo directory: Int32, isDirectory: Bool) throws(Errno)
  /// `mkdirat(2)`.
  func makeDirectory(_ name: [UInt8], relativeTo directory: Int32, mode: UInt32) throws(Errno)
  /// `getdents(2)` through `readdir(3)`: every name but `.` and `..`. The descriptor stays usable.
  func directoryNames(_ descriptor: Int32) throws(Errno) -> [[UInt8]]
  /// `readlinkat(2)`: at most `buffer.count` bytes of a symlink's target; returns how many.
  func readSymlink(_ name: [UInt8], relativeTo directory: Int32, into buffer: UnsafeMutableRawBufferPointer)
    throws(Errno) -> Int
  /// `flock(2)` with LOCK_NB; `exclusive: nil` unlocks.
  func lock(_ descriptor: Int32, exclusive: Bool?) throws(Errno)

  // The restore's file writes.

  /// `openat(2)` with `O_TMPFILE`: an unnamed regular file in `directory`,
  /// open for writing. Fails (EOPNOTSUPP, EISDIR, EINVAL) where the file
  /// system or kernel has no unnamed files.
  func openUnnamed(in directory: Int32, mode: UInt32) throws(Errno) -> Int32
  /// `linkat(2)` of an unnamed file (`AT_EMPTY_PATH`, else through
  /// /proc/self/fd): gives it `name`
  /// in `directory`; EEXIST when the name is taken (never replaces).
  func linkUnnamed(_ descriptor: Int32, as name: [UInt8], in directory: Int32) throws(Errno)
  /// `pwrite(2)`: returns the bytes written, which may be fewer than given.
  func write(_ descriptor: Int32, _ bytes: UnsafeRawBufferPointer, at offset: UInt64) throws(Errno) -> Int
  /// `ftruncate(2)`.
  func truncate(_ descriptor: Int32, to size: UInt64) throws(Errno)
  /// `fchown(2)`.
  func changeOwner(_ descriptor: Int32, uid: UInt32, gid: UInt32) throws(Errno)
  /// `fchmod(2)`.
  func changeMode(_ descriptor: Int32, to mode: UInt32) throws(Errno)
  /// `futimens(2)`: access and modification times both set to `modification`.
  func setTimes(_ descriptor: Int32, modification: Timestamp) throws(Errno)

  // The restore's other entries, and metadata by name (never following a final symlink).

  /// `symlinkat(2)`.
  func makeSymlink(_ name: [UInt8], relativeTo directory: Int32, target: [UInt8]) throws(Errno)
  /// `mknodat(2)`, for FIFOs, sockets and device files.
  func makeNode(_ name: [UInt8], relativeTo directory: Int32, kind: EntryKind, mode: UInt32, device: UInt64)
    throws(Errno)
  /// `linkat(2)`: a hard link; a symlink at `existing` is not followed.
  func makeHardLink(
    _ existing: [UInt8], relativeTo existingDirectory: Int32, as name: [UInt8], relativeTo directory: Int32
  ) throws(Errno)
  /// `fchownat(2)` with AT_SYMLINK_NOFOLLOW.
  func changeOwner(_ name: [UInt8], relativeTo directory: Int32, uid: UInt32, gid: UInt32) throws(Errno)
  /// `fchmodat(2)` (follows nothing: never call it on a symlink).
  func changeMode(_ name: [UInt8], relativeTo directory: Int32, to mode: UInt32) throws(Errno)
  /// `utimensat(2)` with AT_SYMLINK_NOFOLLOW.
  func setTimes(_ name: [UInt8], relativeTo directory: Int32, modification: Timestamp) throws(Errno)

  // Extended attributes (POSIX ACLs among them) and holes.

  /// `flistxattr(2)` or `llistxattr(2)`: the NUL-separated names, at most
  /// `buffer.count` bytes (ERANGE when they do not fit); returns how many.
  func listAttributes(_ target: AttributeTarget, into buffer: UnsafeMutableRawBufferPointer) throws(Errno) -> Int
  /// `fgetxattr(2)` or `lgetxattr(2)`: at most `buffer.count` bytes of one
  /// value (ERANGE when it does not fit); returns how many.
  func attribute(_ target: AttributeTarget, name: [UInt8], into buffer: UnsafeMutableRawBufferPointer)
    throws(Errno) -> Int
  /// `fsetxattr(2)` or `lsetxattr(2)` (flags 0: create or replace).
  func setAttribute(_ target: AttributeTarget, name: [UInt8], value: UnsafeRawBufferPointer) throws(Errno)
  /// `lseek(2)` with SEEK_HOLE (`hole`) or SEEK_DATA: the first offset at or
  /// after `offset` in a hole or in data; ENXIO when there is none.
  func seek(_ descriptor: Int32, from offset: UInt64, toHole hole: Bool) throws(Errno) -> UInt64
}

/// Where an entry's extended attributes are read or written: through an
/// open descriptor, or by path without following a final symlink.
enum AttributeTarget: Sendable {
  case descriptor(Int32)
  case path([UInt8])

  /// The entry `name` in the directory `directory`, by a path that needs no
  /// PATH_MAX-long name: `/proc/self/fd/N/name`, or `name` itself when it
  /// is relative to the current directory (or absolute). Without /proc (a
  /// bare chroot), `fullPath`, the entry's whole path.
  static func entry(_ name: [UInt8], in directory: Int32, fullPath: @autoclosure () -> [UInt8]) -> AttributeTarget {
    if directory == SystemCalls.currentDirectory { return .path(name) }
    guard hasProcFileDescriptors else { return .path(fullPath()) }
    return .path(Array("/proc/self/fd/\(directory)/".utf8) + name)
  }

  private static let hasProcFileDescriptors = SystemCalls.exists("/proc/self/fd")
}

/// The operations of `FileSystemCalls`, by name: what a test double counts
/// and fails.
enum SystemCall: String, Sendable, CaseIterable {
  case open, close, read, write, sync, syncFileSystem, status, linkStatus, rename, remove, makeDirectory
  case directoryNames, readSymlink, lock
  case openUnnamed, linkUnnamed, truncate, changeOwner, changeMode, setTimes
  case makeSymlink, makeNode, makeHardLink, listAttributes, attribute, setAttribute, seek
}
