import Foundation
import Testing

@testable import Cairn

/// Large buffers are advised to the kernel for transparent huge pages, and
/// only on the 2 MiB-aligned part that lies wholly inside them. Checked in
/// the kernel's own record of the advice (the `hg` flag of a mapping in
/// /proc/self/smaps), which is set whether or not huge pages are free.
@Suite struct HugePagesTests {
  private static let huge = 2 << 20
  /// A kernel built without transparent huge pages refuses the advice
  /// (EINVAL) and sets no flag; this directory exists exactly when it has them.
  private static let kernelHasHugePages = FileManager.default.fileExists(
    atPath: "/sys/kernel/mm/transparent_hugepage")

  /// A private mapping of `bytes`, so that no other test's memory shares its flags.
  private func withMapping(_ bytes: Int, _ body: (UnsafeMutableRawPointer) throws -> Void) throws {
    let base = try #require(
      mmap(nil, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0).flatMap {
        $0 == MAP_FAILED ? nil : $0
      })
    defer { munmap(base, bytes) }
    try body(base)
  }

  /// The flags of the mapping that holds `address`, from /proc/self/smaps.
  private func flags(at address: UnsafeMutableRawPointer) throws -> [String] {
    // Read to the end: /proc files report a size of 0.
    let handle = try #require(FileHandle(forReadingAtPath: "/proc/self/smaps"))
    defer { try? handle.close() }
    let smaps = String(decoding: try handle.readToEnd() ?? Data(), as: UTF8.self)
    let wanted = UInt(bitPattern: address)
    var inside = false
    for line in smaps.split(separator: "\n") {
      let fields = line.split(separator: " ", omittingEmptySubsequences: true)
      if let range = fields.first, range.contains("-"), !range.hasSuffix(":") {
        let bounds = range.split(separator: "-").compactMap { UInt($0, radix: 16) }
        inside = bounds.count == 2 && bounds[0] <= wanted && wanted < bounds[1]
      } else if inside, fields.first == "VmFlags:" {
        return fields.dropFirst().map(String.init)
      }
    }
    Issue.record("no mapping in /proc/self/smaps holds \(address)")
    return []
  }

  @Test func advisesOnlyTheAlignedPartInsideTheBuffer() throws {
    try withMapping(12 << 20) { base in
      // Starts one page past the mapping: never on a 2 MiB boundary.
      let start = base + 4096
      let buffer = UnsafeMutableRawBufferPointer(start: start, count: (12 << 20) - 8192)
      HugePages.advise(buffer)
      let offsetToAligned = (Self.huge - Int(bitPattern: start) % Self.huge) % Self.huge
      #expect(offsetToAligned > 0)
      let alignedFlags = try flags(at: start + offsetToAligned)
      let headFlags = try flags(at: start)
      #expect(alignedFlags.contains("hg") == Self.kernelHasHugePages)
      #expect(!headFlags.contains("hg"), "the unaligned head must not be advised")
      let end = Int(bitPattern: start) + buffer.count
      if end % Self.huge != 0 {
        let tailFlags = try flags(at: start + buffer.count - 1)
        #expect(!tailFlags.contains("hg"), "the unaligned tail must not be advised")
      }
    }
  }

  /// One huge page, exactly in place, is advised; one page less is not.
  @Test func advisesAWholeAlignedHugePageAndNothingSmaller() throws {
    try withMapping(8 << 20) { base in
      let alignedOffset = (Self.huge - Int(bitPattern: base) % Self.huge) % Self.huge
      let first = base + alignedOffset
      let second = first + Self.huge
      HugePages.advise(UnsafeMutableRawBufferPointer(start: first, count: Self.huge))
      HugePages.advise(UnsafeMutableRawBufferPointer(start: second, count: Self.huge - 4096))
      let firstFlags = try flags(at: first)
      let secondFlags = try flags(at: second)
      #expect(firstFlags.contains("hg") == Self.kernelHasHugePages)
      #expect(!secondFlags.contains("hg"))
    }
  }

  /// The storage an array reserved (a bundle's buffer, an S3 body) is
  /// advised before anything is written to it.
  @Test func advisesAnArraysReservedStorage() throws {
    var array: [UInt8] = []
    array.reserveCapacity(8 << 20)
    HugePages.advise(reservedStorageOf: &array)
    let base = try #require(array.withUnsafeBufferPointer { $0.baseAddress })
    let address = UnsafeMutableRawPointer(mutating: base)
    let alignedOffset = (Self.huge - Int(bitPattern: address) % Self.huge) % Self.huge
    let alignedFlags = try flags(at: address + alignedOffset)
    #expect(alignedFlags.contains("hg") == Self.kernelHasHugePages)
    array.append(contentsOf: [1, 2, 3])
    #expect(array == [1, 2, 3])
  }

  /// The sealing path advises its output: a sealed 8 MiB block still
  /// opens to the same bytes.
  @Test func largeSealedObjectsRoundTrip() throws {
    var zstd = Zstd()
    let input = (0..<(8 << 20)).map { UInt8(truncatingIfNeeded: $0 &* 2_654_435_761 >> 13) }
    let frame = try input.withUnsafeBytes { try zstd.compress($0) }
    let output = try frame.withUnsafeBytes { try zstd.decompress($0, maxSize: 8 << 20, what: "test block") }
    #expect(output == input)
  }
}
