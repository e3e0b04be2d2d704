import Foundation
import Testing

@testable import Cairn

#if canImport(Glibc)
  import Glibc
#endif

/// The fixed-size splitter: blocks of exactly the block size but the last,
/// in order, whole; none for an empty file; a range read from any offset.
@Suite struct ChunkerTests {
  static let blockSize = 65536

  /// Writes `bytes` to a fresh file and calls `body` with a descriptor open on it.
  private func withFile<T>(_ bytes: [UInt8], _ body: (Descriptor) async throws -> T) async throws -> T {
    let directory = TemporaryDirectory("cairn-chunker")
    let path = directory.sub("file")
    try Data(bytes).write(to: URL(fileURLWithPath: path))
    let raw = open(path, O_RDONLY)
    try #require(raw >= 0, "could not open \(path)")
    return try await body(Descriptor(owning: raw, calls: LinuxFileSystemCalls()))
  }

  private func blocks(of descriptor: Descriptor, from offset: UInt64 = 0, length: UInt64) async throws -> (
    blocks: [[UInt8]], read: UInt64
  ) {
    var blocks: [[UInt8]] = []
    let read = try await Chunker(blockSize: Self.blockSize, files: .linux, pool: .shared).forEachBlock(
      of: descriptor, from: offset, length: length
    ) {
      blocks.append(Array($0))
    }
    return (blocks, read)
  }

  @Test(arguments: [0, 1, blockSize - 1, blockSize, blockSize + 1, 3 * blockSize + 7])
  func aFileIsCutIntoWholeBlocksButTheLast(size: Int) async throws {
    let bytes = pseudoRandomBytes(size, seed: UInt64(size) + 1)
    let (blocks, read) = try await withFile(bytes) { try await self.blocks(of: $0, length: UInt64(size)) }
    #expect(read == UInt64(size))
    #expect(blocks.count == (size + Self.blockSize - 1) / Self.blockSize)
    #expect(blocks.dropLast().allSatisfy { $0.count == Self.blockSize })
    #expect(blocks.last.map { !$0.isEmpty } ?? true)
    #expect(Array(blocks.joined()) == bytes)
  }

  /// A segment of a large file (as backup reads one in parallel) starts at
  /// its offset and stops at its length.
  @Test func aRangeStartsAtItsOffset() async throws {
    let bytes = pseudoRandomBytes(5 * Self.blockSize, seed: 5)
    let offset = UInt64(2 * Self.blockSize)
    let (blocks, read) = try await withFile(bytes) {
      try await self.blocks(of: $0, from: offset, length: UInt64(Self.blockSize + 10))
    }
    #expect(read == UInt64(Self.blockSize + 10))
    #expect(blocks.map(\.count) == [Self.blockSize, 10])
    #expect(Array(blocks.joined()) == Array(bytes[Int(offset)..<Int(offset) + Self.blockSize + 10]))
  }

  /// A file that is shorter than expected (it shrank after its size was
  /// taken) ends the blocks at its real end and says how much was read.
  @Test func aFileShorterThanExpectedStopsAtItsEnd() async throws {
    let bytes = pseudoRandomBytes(Self.blockSize + 100, seed: 9)
    let (blocks, read) = try await withFile(bytes) { try await self.blocks(of: $0, length: UInt64(4 * Self.blockSize)) }
    #expect(read == UInt64(bytes.count))
    #expect(Array(blocks.joined()) == bytes)
  }

  @Test func aReadErrorIsAReadFailure() async throws {
    let raw = open("/", O_RDONLY | O_DIRECTORY)
    try #require(raw >= 0)
    let descriptor = Descriptor(owning: raw, calls: LinuxFileSystemCalls())
    await #expect(throws: Chunker.ReadFailure.self) {
      try await Chunker(blockSize: Self.blockSize, files: .linux, pool: .shared).forEachBlock(
        of: descriptor, from: 0, length: 10
      ) { _ in }
    }
  }
}
