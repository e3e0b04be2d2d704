import SystemPackage

/// Splits a file into fixed-size blocks, the repository's block size.
///
/// It reads with one `pread` per block into a single reused buffer, so it
/// never holds more than one block of a file in memory. The last block may be
/// short; an empty file has no blocks.
struct Chunker {
  let blockSize: Int

  /// A read of the source file failed (as opposed to a failure of the store).
  struct ReadFailure: Error {
    let errno: Errno
  }

  /// Calls `body` with each block of `length` bytes of `descriptor` from
  /// `offset`, stopping early at the end of the file. Returns the bytes read.
  @discardableResult
  func forEachBlock(
    of descriptor: Int32, from offset: UInt64, length: UInt64,
    _ body: (UnsafeRawBufferPointer) async throws -> Void
  ) async throws -> UInt64 {
    let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: blockSize, alignment: 64)
    defer { buffer.deallocate() }
    var position = offset
    let end = offset + length
    while position < end {
      let wanted = Int(min(UInt64(blockSize), end - position))
      let count: Int
      do {
        count = try SystemCalls.read(
          descriptor, into: UnsafeMutableRawBufferPointer(rebasing: buffer[0..<wanted]), at: position)
      } catch {
        throw ReadFailure(errno: error)
      }
      if count == 0 { break }
      try Task.checkCancellation()
      try await body(UnsafeRawBufferPointer(rebasing: buffer[0..<count]))
      position += UInt64(count)
      if count < wanted { break }
    }
    return position - offset
  }
}
