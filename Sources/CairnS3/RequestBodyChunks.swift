internal import NIOCore

/// A request body handed to the HTTP client in small buffers, made as the
/// connection asks for them.
///
/// Given the whole array, the client copies it into buffers of 4 MiB. Each
/// of those is above the C allocator's 1 MiB `mmap` threshold, so every
/// uploaded byte landed on a fresh page that the kernel had to zero, and 32
/// uploads in flight held up to 128 MiB of such copies. Buffers of 256 KiB
/// come from the allocator's heap and are reused as they are freed.
struct RequestBodyChunks: AsyncSequence, Sendable {
  typealias Element = ByteBuffer

  /// Bytes per buffer: under the allocator's `mmap` threshold
  /// (`AllocatorTuning.mmapThreshold`, 1 MiB), large enough that a whole
  /// object is a few dozen buffers.
  static let chunkSize = 256 << 10

  let bytes: [UInt8]
  let chunkSize: Int

  init(_ bytes: [UInt8], chunkSize: Int = Self.chunkSize) {
    precondition(chunkSize > 0, "a body chunk holds at least one byte")
    self.bytes = bytes
    self.chunkSize = chunkSize
  }

  struct AsyncIterator: AsyncIteratorProtocol {
    let bytes: [UInt8]
    let chunkSize: Int
    var offset = 0

    mutating func next() async -> ByteBuffer? {
      guard offset < bytes.count else { return nil }
      let end = Swift.min(offset + chunkSize, bytes.count)
      defer { offset = end }
      return ByteBuffer(bytes: bytes[offset..<end])
    }
  }

  func makeAsyncIterator() -> AsyncIterator { AsyncIterator(bytes: bytes, chunkSize: chunkSize) }
}
