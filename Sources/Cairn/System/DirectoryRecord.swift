#if canImport(Glibc)
  import Glibc
#endif

/// The name in one `readdir(3)` record, read where it lies.
///
/// A record in the buffer `readdir` fills is only as long as its name needs
/// (`d_reclen`), not `MemoryLayout<dirent>.size` (280 bytes). Copying the
/// whole struct (`entry.pointee`) reads past the record, and past the end of
/// the buffer when the record is the last one: a crash (SIGSEGV) whenever
/// the next page is not mapped. So nothing here copies a `dirent`.
enum DirectoryRecord {
  /// The bytes of the record's name, without its terminating NUL.
  static func name(of entry: UnsafePointer<dirent>) -> [UInt8] {
    let offset = MemoryLayout<dirent>.offset(of: \dirent.d_name)!
    let start = UnsafeRawPointer(entry).advanced(by: offset)
    let length = strlen(start.assumingMemoryBound(to: CChar.self))
    return Array(UnsafeRawBufferPointer(start: start, count: length))
  }
}
