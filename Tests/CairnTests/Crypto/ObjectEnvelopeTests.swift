import Testing

@testable import Cairn

@Suite struct ObjectEnvelopeTests {
  static let binding = "objects/ab/abcdef0123456789"
  static let maximum = 4 << 20

  static let compressions: [EnvelopeSettings.Compression] = [.none, .zstd(level: 1), .zstd(level: 3)]

  @Test(arguments: [0, 1, 15, 16, 17, 1000, 1 << 20], [false, true])
  func roundTripEveryCombination(count: Int, encrypted: Bool) throws {
    for compression in Self.compressions {
      for plaintext in [compressibleBytes(count), pseudoRandomBytes(count)] {
        let settings = EnvelopeSettings(compression: compression, encryption: encrypted ? testCipher() : nil)
        let sealed = try ObjectEnvelope.seal(plaintext, binding: Self.binding, settings: settings)
        let header = try ObjectEnvelope.header(of: sealed, binding: Self.binding)
        #expect(header.logicalSize == UInt64(count))
        #expect(header.isEncrypted == encrypted)
        #expect(header.version == 1)
        let opened = try ObjectEnvelope.open(
          sealed, binding: Self.binding, dataKey: encrypted ? testCipher() : nil, maximumLogicalSize: Self.maximum)
        #expect(opened == plaintext)
        // Opened where it lies (an encrypted, compressed body is decrypted in place).
        var consumed = sealed
        var zstd = Zstd()
        let openedInPlace = try ObjectEnvelope.open(
          consuming: &consumed, binding: Self.binding, dataKey: encrypted ? testCipher() : nil,
          maximumLogicalSize: Self.maximum, using: &zstd)
        #expect(openedInPlace == plaintext)
      }
    }
  }

  @Test func compressesOnlyWhenSmaller() throws {
    let settings = EnvelopeSettings(compression: .zstd(level: 3))
    let text = compressibleBytes(100_000)
    let compressed = try ObjectEnvelope.seal(text, binding: "x", settings: settings)
    #expect(try ObjectEnvelope.header(of: compressed, binding: "x").isCompressed)
    #expect(compressed.count < text.count / 2)
    let random = pseudoRandomBytes(100_000)
    let raw = try ObjectEnvelope.seal(random, binding: "x", settings: settings)
    #expect(try !ObjectEnvelope.header(of: raw, binding: "x").isCompressed)
    #expect(raw.count == random.count + ObjectEnvelope.headerSize)
    #expect(Array(raw[16...]) == random)
    let empty = try ObjectEnvelope.seal([], binding: "x", settings: settings)
    #expect(empty.count == ObjectEnvelope.headerSize)
  }

  @Test func headerLayoutIsAsDocumented() throws {
    let plaintext = [UInt8](repeating: 9, count: 0x0102)
    let sealed = try ObjectEnvelope.seal(
      plaintext, binding: "x", settings: EnvelopeSettings(compression: .zstd(level: 3), encryption: testCipher()))
    #expect(Array(sealed[0..<8]) == [0x43, 0x4e, 1, 1, 1, 0, 0, 0])
    #expect(Array(sealed[8..<16]) == [0x02, 0x01, 0, 0, 0, 0, 0, 0])
    let plain = try ObjectEnvelope.seal(Array("hi".utf8), binding: "x", settings: EnvelopeSettings(compression: .none))
    #expect(plain == [0x43, 0x4e, 1, 0, 0, 0, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0, 0x68, 0x69])
  }

  @Test(arguments: [false, true])
  func everyBitFlipOfAnEncryptedEnvelopeIsDetected(compressed: Bool) throws {
    let plaintext = compressed ? compressibleBytes(3000) : pseudoRandomBytes(3000)
    let settings = EnvelopeSettings(compression: compressed ? .zstd(level: 3) : .none, encryption: testCipher())
    let sealed = try ObjectEnvelope.seal(plaintext, binding: Self.binding, settings: settings)
    #expect(try ObjectEnvelope.header(of: sealed, binding: Self.binding).isCompressed == compressed)
    // Every bit of header, nonce and the first and last bytes of body and tag;
    // a stride through the rest.
    var positions = Array(0..<64) + Array((sealed.count - 48)..<sealed.count)
    positions += Array(stride(from: 64, to: sealed.count - 48, by: 37))
    for position in positions {
      for bit in 0..<8 {
        var damaged = sealed
        damaged[position] ^= 1 << bit
        #expect(throws: CairnError.self, "byte \(position) bit \(bit)") {
          try ObjectEnvelope.open(
            damaged, binding: Self.binding, dataKey: testCipher(), maximumLogicalSize: Self.maximum)
        }
        var zstd = Zstd()
        #expect(throws: CairnError.self, "in place: byte \(position) bit \(bit)") {
          try ObjectEnvelope.open(
            consuming: &damaged, binding: Self.binding, dataKey: testCipher(), maximumLogicalSize: Self.maximum,
            using: &zstd)
        }
      }
    }
    // A flip in the body or tag is named as tampering or corruption.
    var damaged = sealed
    damaged[sealed.count - 1] ^= 1
    let error = #expect(throws: CairnError.self) {
      try ObjectEnvelope.open(damaged, binding: Self.binding, dataKey: testCipher(), maximumLogicalSize: Self.maximum)
    }
    #expect(error?.code == .corrupted)
    #expect(
      error?.message
        == "'\(Self.binding)' failed authentication: it was changed or damaged (tampering or corruption)")
  }

  @Test func bindingMismatchIsDetected() throws {
    let settings = EnvelopeSettings(encryption: testCipher())
    let sealed = try ObjectEnvelope.seal(compressibleBytes(500), binding: "snapshots/one", settings: settings)
    let error = #expect(throws: CairnError.self) {
      try ObjectEnvelope.open(sealed, binding: "snapshots/two", dataKey: testCipher(), maximumLogicalSize: 1000)
    }
    #expect(error?.message.contains("'snapshots/two' failed authentication") == true)
  }

  @Test func wrongKeyIsDetected() throws {
    let sealed = try ObjectEnvelope.seal([1, 2, 3], binding: "x", settings: EnvelopeSettings(encryption: testCipher()))
    #expect(throws: CairnError.self) {
      try ObjectEnvelope.open(sealed, binding: "x", dataKey: testCipher(1), maximumLogicalSize: 10)
    }
  }

  @Test(arguments: [2, 5, 6, 7])
  func futureVersionOrReservedBytesAreRefused(position: Int) throws {
    for encrypted in [false, true] {
      var sealed = try ObjectEnvelope.seal(
        [1, 2, 3], binding: "x", settings: EnvelopeSettings(encryption: encrypted ? testCipher() : nil))
      sealed[position] = position == 2 ? 2 : 1
      let error = #expect(throws: CairnError.self) {
        try ObjectEnvelope.open(sealed, binding: "x", dataKey: encrypted ? testCipher() : nil, maximumLogicalSize: 10)
      }
      #expect(error?.code == .unsupported)
      #expect(error?.message.contains("was written by a newer cairn (envelope version") == true)
      #expect(throws: CairnError.self) { try ObjectEnvelope.header(of: sealed, binding: "x") }
    }
  }

  @Test func unknownCompressionOrEncryptionIsRefusedAsNewer() throws {
    for position in [3, 4] {
      var sealed = try ObjectEnvelope.seal([1, 2, 3], binding: "x", settings: EnvelopeSettings(compression: .none))
      sealed[position] = 2
      let error = #expect(throws: CairnError.self) {
        try ObjectEnvelope.open(sealed, binding: "x", dataKey: nil, maximumLogicalSize: 10)
      }
      #expect(error?.code == .unsupported)
    }
  }

  @Test func wrongMagicIsNotACairnObject() {
    for stored: [UInt8] in [[], [0x43], Array("{\"json\": true}".utf8), [UInt8](repeating: 0, count: 40)] {
      let error = #expect(throws: CairnError.self) {
        try ObjectEnvelope.open(stored, binding: "config", dataKey: nil, maximumLogicalSize: 10)
      }
      #expect(error?.code == .corrupted)
      #expect(error?.message.contains("'config' is not a Cairn object") == true)
    }
  }

  @Test(arguments: [false, true])
  func truncatedEnvelopesAreRefused(encrypted: Bool) throws {
    let settings = EnvelopeSettings(compression: .zstd(level: 3), encryption: encrypted ? testCipher() : nil)
    for plaintext in [compressibleBytes(5000), pseudoRandomBytes(5000)] {
      let sealed = try ObjectEnvelope.seal(plaintext, binding: "x", settings: settings)
      for length in [2, 10, 15, 16, 20, 27, 28, 43, 44, sealed.count / 2, sealed.count - 1] {
        let error = #expect(throws: CairnError.self, "length \(length)") {
          try ObjectEnvelope.open(
            Array(sealed.prefix(length)), binding: "x", dataKey: encrypted ? testCipher() : nil,
            maximumLogicalSize: 10_000)
        }
        #expect(error?.code == .corrupted)
      }
    }
  }

  @Test func plainSizeMismatchIsCorruption() throws {
    // Raw: one byte more or less than the header declares.
    let raw = try ObjectEnvelope.seal(
      pseudoRandomBytes(100), binding: "x", settings: EnvelopeSettings(compression: .none))
    for stored in [raw + [0], Array(raw.dropLast())] {
      let error = #expect(throws: CairnError.self) {
        try ObjectEnvelope.open(stored, binding: "x", dataKey: nil, maximumLogicalSize: 1000)
      }
      #expect(error?.code == .corrupted)
      #expect(error?.message.contains("but its header declares 100") == true)
    }
    // Compressed: a header declaring another size than the frame holds.
    var compressed = try ObjectEnvelope.seal(
      compressibleBytes(1000), binding: "x", settings: EnvelopeSettings(compression: .zstd(level: 3)))
    #expect(try ObjectEnvelope.header(of: compressed, binding: "x").isCompressed)
    compressed[8] = 0xe7  // 999 instead of 1000
    compressed[9] = 0x03
    #expect(throws: CairnError.self) {
      try ObjectEnvelope.open(compressed, binding: "x", dataKey: nil, maximumLogicalSize: 1000)
    }
  }

  @Test func logicalSizeOverTheMaximumIsRefusedBeforeDecompressing() throws {
    let bomb = try ObjectEnvelope.seal(
      [UInt8](repeating: 0, count: 32 << 20), binding: "x", settings: EnvelopeSettings(compression: .zstd(level: 3)))
    #expect(bomb.count < 64 << 10)
    let error = #expect(throws: CairnError.self) {
      try ObjectEnvelope.open(bomb, binding: "x", dataKey: nil, maximumLogicalSize: 1 << 20)
    }
    #expect(error?.code == .corrupted)
    #expect(error?.message.contains("claims to hold 33554432 bytes") == true)
    // A header lying low about a frame that declares no size still cannot overflow the buffer.
    var lying = bomb
    lying[8..<16] = [0, 0, 0x10, 0, 0, 0, 0, 0]
    #expect(throws: CairnError.self) {
      try ObjectEnvelope.open(lying, binding: "x", dataKey: nil, maximumLogicalSize: 1 << 20)
    }
  }

  @Test func encryptedWithoutKeyAndPlainInEncryptedRepositoryAreRefused() throws {
    let encrypted = try ObjectEnvelope.seal(
      [1, 2, 3], binding: "x", settings: EnvelopeSettings(encryption: testCipher()))
    let noKey = #expect(throws: CairnError.self) {
      try ObjectEnvelope.open(encrypted, binding: "x", dataKey: nil, maximumLogicalSize: 10)
    }
    #expect(noKey?.message.contains("'x' is encrypted and no key was given") == true)
    let plain = try ObjectEnvelope.seal([1, 2, 3], binding: "x", settings: EnvelopeSettings())
    let downgrade = #expect(throws: CairnError.self) {
      try ObjectEnvelope.open(plain, binding: "x", dataKey: testCipher(), maximumLogicalSize: 10)
    }
    #expect(downgrade?.code == .corrupted)
    #expect(downgrade?.message.contains("tampering") == true)
  }

  @Test func workerContextsGiveTheSameResults() throws {
    var zstd = Zstd()
    let settings = EnvelopeSettings(compression: .zstd(level: 3), encryption: testCipher())
    for count in [10, 100_000, 1 << 20] {
      let plaintext = compressibleBytes(count)
      let sealed = try plaintext.withUnsafeBytes {
        try ObjectEnvelope.seal($0, binding: "x", settings: settings, using: &zstd)
      }
      let opened = try sealed.withUnsafeBytes {
        try ObjectEnvelope.open($0, binding: "x", dataKey: testCipher(), maximumLogicalSize: 1 << 20, using: &zstd)
      }
      #expect(opened == plaintext)
    }
  }

  @Test func randomDamageToUnauthenticatedEnvelopesNeverCrashesOrOverflows() throws {
    // Without encryption nothing authenticates the body: zstd meets whatever is on disk.
    let sealed = try ObjectEnvelope.seal(
      compressibleBytes(20_000), binding: "x", settings: EnvelopeSettings(compression: .zstd(level: 3)))
    var state: UInt64 = 12_345
    func next(_ bound: Int) -> Int {
      state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
      return Int(state >> 33) % bound
    }
    for _ in 0..<2000 {
      var damaged = sealed
      for _ in 0..<(1 + next(4)) {
        damaged[ObjectEnvelope.headerSize + next(damaged.count - ObjectEnvelope.headerSize)] = UInt8(next(256))
      }
      if next(4) == 0 { damaged = Array(damaged.prefix(ObjectEnvelope.headerSize + next(damaged.count - 16))) }
      do {
        let opened = try ObjectEnvelope.open(damaged, binding: "x", dataKey: nil, maximumLogicalSize: 20_000)
        #expect(opened.count == 20_000)
      } catch let error as CairnError {
        #expect(error.code == .corrupted)
      }
    }
  }
}
