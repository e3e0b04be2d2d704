internal import CFileShims
import SystemPackage

#if canImport(Glibc)
  import Glibc
#endif

/// What is not a file-system call, and so not on the `FileSystem` seam:
/// `realpath(3)` (a library walk of many calls), user and group names, the
/// process's facts and limits, and the helpers the seam's Linux calls share.
/// Every file-system call goes through `FileSystem`, which tests can replace.
/// Paths and names are bytes (Linux paths need not be UTF-8).
enum SystemCalls {
  static let currentDirectory: Int32 = AT_FDCWD

  /// Calls `body` with `bytes` as a NUL-terminated C string.
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

  // MARK: Open flags (`FileSystem.open` takes them)

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
  /// descriptor per directory level open. Returns the limit now in force.
  @discardableResult
  static func raiseOpenFileLimit() -> Int {
    var limit = rlimit()
    guard getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0 else { return 1024 }
    let before = limit.rlim_cur
    limit.rlim_cur = limit.rlim_max
    let now = setrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0 ? limit.rlim_max : before
    return Int(clamping: now)
  }
}
