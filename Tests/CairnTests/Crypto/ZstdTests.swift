import Testing

@testable import Cairn

@Suite struct ZstdTests {
  @Test(arguments: [0, 1, 100, 65_536, 1 << 20])
  func roundTrip(count: Int) throws {
    for input in [compressibleBytes(count), pseudoRandomBytes(count)] {
      var zstd = Zstd()
      let frame = try zstd.compress(input, level: 3)
      #expect(try zstd.decompress(frame, maxSize: count) == input)
      // Contexts are reused: a second call on the same instance.
      #expect(try zstd.decompress(zstd.compress(input, level: 1), maxSize: count) == input)
      #expect(try Zstd.decompress(Zstd.compress(input), maxSize: count) == input)
    }
  }

  @Test func compressesText() throws {
    let input = compressibleBytes(1 << 20)
    #expect(try Zstd.compress(input).count < input.count / 2)
  }

  @Test func frameClaimingMoreThanTheMaximumIsRefused() throws {
    // A zip-bomb-like input: 64 MiB of zeros compress to a few kilobytes.
    let bomb = try Zstd.compress([UInt8](repeating: 0, count: 64 << 20))
    #expect(bomb.count < 64 << 10)
    let error = #expect(throws: CairnError.self) { try Zstd.decompress(bomb, maxSize: 1 << 20, what: "bomb") }
    #expect(error?.code == .corrupted)
    #expect(error?.message.contains("'bomb' claims to decompress to 67108864 bytes") == true)
  }

  @Test func frameWithoutDeclaredSizeIsBoundedWhileDecompressing() throws {
    let input = [UInt8](repeating: 1, count: 4 << 20)
    var zstd = Zstd()
    var frame = [UInt8](repeating: 0, count: Zstd.compressBound(input.count))
    let written = try input.withUnsafeBytes { i in
      try frame.withUnsafeMutableBytes { o in try zstd.compress(i, level: 3, recordSize: false, into: o) }
    }
    frame = Array(frame.prefix(written!))
    #expect(frame.withUnsafeBytes { Zstd.contentSize(of: $0) } == .unknown)
    #expect(try zstd.decompress(frame, maxSize: 4 << 20) == input)
    let error = #expect(throws: CairnError.self) { try zstd.decompress(frame, maxSize: 1 << 20, what: "unsized") }
    #expect(error?.message.contains("'unsized' decompresses to more than") == true)
  }

  @Test func damagedFramesAreRefused() throws {
    let frame = try Zstd.compress(compressibleBytes(10_000))
    #expect(throws: CairnError.self) { try Zstd.decompress([1, 2, 3, 4, 5, 6, 7, 8], maxSize: 100) }
    #expect(throws: CairnError.self) { try Zstd.decompress(Array(frame.prefix(frame.count / 2)), maxSize: 10_000) }
    var flipped = frame
    flipped[frame.count / 2] ^= 0xff
    // Without a checksum a flip may or may not be caught by zstd; it must never crash
    // and never produce more than the maximum.
    if let output = try? Zstd.decompress(flipped, maxSize: 10_000) { #expect(output.count <= 10_000) }
  }

  @Test func levelOutOfRangeIsRefused() {
    #expect(throws: CairnError.self) { try Zstd.compress([1, 2, 3], level: 1000) }
    #expect(Zstd.levels.contains(Zstd.defaultLevel))
  }
}
