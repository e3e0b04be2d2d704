internal import CFileShims
import SystemPackage

#if canImport(Glibc)
  import Glibc
#endif

/// The C library's calls that are not on the `FileSystem` seam: extended
/// attributes and ACLs, hole search, `realpath`, the restore's symlinks,
/// device nodes, hard links and metadata set by name, user and group names.
/// File contents, directories, locks and the log go through `FileSystem`,
/// which tests can replace.
///
/// Every function is a thin wrapper over one system call: it retries EINTR,
/// takes paths and names as bytes (Linux paths need not be UTF-8) and throws
/// the call's `Errno`. Callers turn that into a `CairnError` with context.
enum SystemCalls {
  static let currentDirectory: Int32 = AT_FDCWD

  /// Runs `body` until it stops failing with EINTR.
  @inline(__always)
  static func retrying<T: BinaryInteger>(_ body: () -> T) throws(Errno) -> T {
    while true {
      let result = body()
      if result >= 0 { return result }
      let error = Errno(rawValue: errno)
      if error != .interrupted { throw error }
    }
  }

  static func withCString<T>(_ bytes: [UInt8], _ body: (UnsafePointer<CChar>) throws(Errno) -> T) throws(Errno)
    -> T
  {
    var terminated = bytes
    terminated.append(0)
    return try terminated.withUnsafeBufferPointer { buffer throws(Errno) -> T in
      try buffer.baseAddress!.withMemoryRebound(to: CChar.self, capacity: buffer.count) { pointer throws(Errno) -> T in
        try body(pointer)
      }
    }
  }

  // MARK: Opening and closing

  struct OpenFlags: OptionSet {
    let rawValue: Int32
    static let readOnly = OpenFlags(rawValue: O_RDONLY)
    static let writeOnly = OpenFlags(rawValue: O_WRONLY)
    static let readWrite = OpenFlags(rawValue: O_RDWR)
    static let create = OpenFlags(rawValue: O_CREAT)
    static let exclusive = OpenFlags(rawValue: O_EXCL)
    static let truncate = OpenFlags(rawValue: O_TRUNC)
    static let append = OpenFlags(rawValue: O_APPEND)
    static let directory = OpenFlags(rawValue: O_DIRECTORY)
    static let noFollow = OpenFlags(rawValue: O_NOFOLLOW)
    static let nonBlocking = OpenFlags(rawValue: O_NONBLOCK)
    static let closeOnExec = OpenFlags(rawValue: O_CLOEXEC)
  }

  // MARK: Status

  private static func status(from raw: stat) -> FileStatus { FileStatus(raw) }

  /// `fstatat(2)` with AT_SYMLINK_NOFOLLOW: symlinks are described, never followed.
  static func linkStatus(_ name: [UInt8], relativeTo directory: Int32 = AT_FDCWD) throws(Errno) -> FileStatus {
    var raw = stat()
    _ = try withCString(name) { path throws(Errno) in
      try retrying { fstatat(directory, path, &raw, AT_SYMLINK_NOFOLLOW) }
    }
    return status(from: raw)
  }

  // MARK: Reading and writing

  // MARK: Directories and names

  /// `symlinkat(2)`.
  static func makeSymlink(_ name: [UInt8], relativeTo directory: Int32, target: [UInt8]) throws(Errno) {
    _ = try withCString(target) { targetPath throws(Errno) in
      try withCString(name) { path throws(Errno) in try retrying { symlinkat(targetPath, directory, path) } }
    }
  }

  /// `mknodat(2)`, for FIFOs and device files.
  static func makeNode(
    _ name: [UInt8], relativeTo directory: Int32, kind: EntryKind, mode: UInt32, device: UInt64
  ) throws(Errno) {
    let type: mode_t =
      switch kind {
      case .fifo: S_IFIFO
      case .characterDevice: S_IFCHR
      case .blockDevice: S_IFBLK
      case .socket: S_IFSOCK
      default: S_IFREG
      }
    _ = try withCString(name) { path throws(Errno) in
      try retrying { mknodat(directory, path, type | mode_t(mode & 0o7777), dev_t(device)) }
    }
  }

  /// `unlinkat(2)`; `directory: true` removes an empty directory.
  static func remove(_ name: [UInt8], relativeTo directory: Int32 = AT_FDCWD, isDirectory: Bool = false) throws(Errno) {
    _ = try withCString(name) { path throws(Errno) in
      try retrying { unlinkat(directory, path, isDirectory ? AT_REMOVEDIR : 0) }
    }
  }

  /// `linkat(2)`: a hard link; symlinks at `existing` are not followed.
  static func makeHardLink(
    _ existing: [UInt8], relativeTo existingDirectory: Int32, as name: [UInt8], relativeTo directory: Int32
  ) throws(Errno) {
    _ = try withCString(existing) { oldPath throws(Errno) in
      try withCString(name) { newPath throws(Errno) in
        try retrying { linkat(existingDirectory, oldPath, directory, newPath, 0) }
      }
    }
  }

  // MARK: Metadata

  /// `fchmodat(2)` (follows nothing: never call it on a symlink).
  static func changeMode(_ name: [UInt8], relativeTo directory: Int32, to mode: UInt32) throws(Errno) {
    _ = try withCString(name) { path throws(Errno) in try retrying { fchmodat(directory, path, mode_t(mode), 0) } }
  }

  /// `fchownat(2)` with AT_SYMLINK_NOFOLLOW.
  static func changeOwner(_ name: [UInt8], relativeTo directory: Int32, uid: UInt32, gid: UInt32) throws(Errno) {
    _ = try withCString(name) { path throws(Errno) in
      try retrying { fchownat(directory, path, uid, gid, AT_SYMLINK_NOFOLLOW) }
    }
  }

  private static func timespecs(access: Timestamp, modification: Timestamp) -> [timespec] {
    [
      timespec(tv_sec: time_t(access.seconds), tv_nsec: Int(access.nanoseconds)),
      timespec(tv_sec: time_t(modification.seconds), tv_nsec: Int(modification.nanoseconds)),
    ]
  }

  /// `utimensat(2)` with AT_SYMLINK_NOFOLLOW: sets access and modification times.
  static func setTimes(_ name: [UInt8], relativeTo directory: Int32, modification: Timestamp) throws(Errno) {
    let times = timespecs(access: modification, modification: modification)
    _ = try withCString(name) { path throws(Errno) in
      try retrying { utimensat(directory, path, times, AT_SYMLINK_NOFOLLOW) }
    }
  }

  // MARK: Process facts

  static var effectiveUserID: UInt32 { geteuid() }

  /// Whether `path` exists for this process (`access(2)`, F_OK).
  static func exists(_ path: String) -> Bool { access(path, F_OK) == 0 }

  static var hostName: String {
    var buffer = [CChar](repeating: 0, count: 256)
    guard gethostname(&buffer, buffer.count) == 0 else { return "unknown" }
    return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
  }

  /// `realpath(3)`: an absolute path with no symlinks, `.` or `..`.
  static func canonicalPath(_ path: [UInt8]) throws(Errno) -> [UInt8] {
    let resolved = try withCString(path) { pointer throws(Errno) -> UnsafeMutablePointer<CChar> in
      guard let resolved = realpath(pointer, nil) else { throw Errno(rawValue: errno) }
      return resolved
    }
    defer { free(resolved) }
    return Array(UnsafeBufferPointer(start: resolved, count: strlen(resolved)).map { UInt8(bitPattern: $0) })
  }

  /// Raises the soft limit on open files to the hard limit: deep trees keep a
  /// descriptor per directory level open.
  static func raiseOpenFileLimit() {
    var limit = rlimit()
    guard getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0 else { return }
    limit.rlim_cur = limit.rlim_max
    _ = setrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit)
  }
}
