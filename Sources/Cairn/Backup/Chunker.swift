import SystemPackage

/// Splits a file into fixed-size blocks, the repository's block size.
///
/// It reads with one `pread` per block, made on `BlockingPool`, into a
/// single reused buffer, so it never holds more than one block of a file in
/// memory. The last block may be short; an empty file has no blocks.
struct Chunker: Sendable {
  let blockSize: Int
  let files: FileSystem
  let pool: BlockingPool

  /// A read of the source file failed (as opposed to a failure of the store).
  struct ReadFailure: Error {
    let errno: Errno
  }

  /// Calls `body` with each block of `length` bytes of `file` from
  /// `offset`, stopping early at the end of the file. Returns the bytes read.
  /// Checks for cancellation between blocks.
  @discardableResult
  func forEachBlock(
    of file: Descriptor, from offset: UInt64, length: UInt64,
    _ body: (UnsafeRawBufferPointer) async throws -> Void
  ) async throws -> UInt64 {
    let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: blockSize, alignment: 64)
    HugePages.advise(buffer)
    defer { buffer.deallocate() }
    var position = offset
    let end = offset + length
    let files = self.files
    while position < end {
      try Task.checkCancellation()
      let wanted = Int(min(UInt64(blockSize), end - position))
      // Only the pool thread touches the buffer until `run` returns.
      nonisolated(unsafe) let target = UnsafeMutableRawBufferPointer(rebasing: buffer[0..<wanted])
      let at = position
      let count: Int
      do {
        count = try await pool.run { () throws(Errno) in try files.read(file, into: target, at: at) }
      } catch {
        throw ReadFailure(errno: error)
      }
      if count == 0 { break }
      try await body(UnsafeRawBufferPointer(rebasing: buffer[0..<count]))
      position += UInt64(count)
      if count < wanted { break }
    }
    return position - offset
  }
}
