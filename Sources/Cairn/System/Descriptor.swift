#if canImport(Glibc)
  import Glibc
#endif

/// An open file descriptor that closes itself when the last reference to it
/// goes: no path can leak one, and tasks that share a file (the segments of
/// one source file) share the value. Every call that uses it takes the
/// `Descriptor`, not the number, so it stays open for the whole call.
final class Descriptor: Sendable {
  let raw: Int32
  private let calls: (any FileSystemCalls)?

  /// Takes ownership of `raw`, which `calls` closes.
  init(owning raw: Int32, calls: any FileSystemCalls) {
    self.raw = raw
    self.calls = calls
  }

  private init(borrowing raw: Int32) {
    self.raw = raw
    self.calls = nil
  }

  /// The current directory (`AT_FDCWD`), for paths that are absolute or
  /// relative to it; never closed.
  static let currentDirectory = Descriptor(borrowing: AT_FDCWD)

  deinit { calls?.close(raw) }
}
