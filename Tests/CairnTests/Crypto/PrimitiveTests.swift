import Testing

@testable import Cairn

@Suite struct PrimitiveTests {
  // RFC 4231, section 4: HMAC-SHA256 test cases 1, 2, 3, 4 and 6.
  @Test(arguments: [
    (
      [UInt8](repeating: 0x0b, count: 20), Array("Hi There".utf8),
      "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7"
    ),
    (
      Array("Jefe".utf8), Array("what do ya want for nothing?".utf8),
      "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
    ),
    (
      [UInt8](repeating: 0xaa, count: 20), [UInt8](repeating: 0xdd, count: 50),
      "773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe"
    ),
    (
      Array(1...25), [UInt8](repeating: 0xcd, count: 50),
      "82558a389a443c0ea4cc819899f2083a85f0faa3e578f8077a2e3ff46729665b"
    ),
    (
      [UInt8](repeating: 0xaa, count: 131), Array("Test Using Larger Than Block-Size Key - Hash Key First".utf8),
      "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54"
    ),
  ])
  func hmacSHA256Vectors(key: [UInt8], data: [UInt8], expected: String) {
    #expect(hexString(HMACSHA256.tag(data, key: key)) == expected)
    var context = HMACSHA256(key: key)
    #expect(hexString(context.tag(data)) == expected)
    // The context is reusable: a second message under the same key.
    #expect(hexString(context.tag(data)) == expected)
    #expect(context.tag([1, 2, 3]) == HMACSHA256.tag([1, 2, 3], key: key))
  }

  @Test func hmacEmptyKeyAndMessage() {
    // HMAC-SHA256 with an empty key of an empty message (a well-known value).
    #expect(
      hexString(HMACSHA256.tag([], key: []))
        == "b613679a0814d9ec772f95d778c35fc5ff1697c493715653c6c712144292c5ad")
  }

  // RFC 1321, appendix A.5.
  @Test func md5Vectors() {
    #expect(hexString(MD5.digest([])) == "d41d8cd98f00b204e9800998ecf8427e")
    #expect(hexString(MD5.digest(Array("abc".utf8))) == "900150983cd24fb0d6963f7d28e17f72")
  }

  // The GCM specification (McGrew and Viega), test cases 13, 14 and 16 (AES-256).
  @Test(arguments: [
    (
      "0000000000000000000000000000000000000000000000000000000000000000", "000000000000000000000000", "", "",
      "", "530f8afbc74536b9a963b4f1c4cb738b"
    ),
    (
      "0000000000000000000000000000000000000000000000000000000000000000", "000000000000000000000000",
      "00000000000000000000000000000000", "", "cea7403d4d606b6e074ec5d3baf39d18", "d0d1c8a799996bf0265b98b5d48ab919"
    ),
    (
      "feffe9928665731c6d6a8f9467308308feffe9928665731c6d6a8f9467308308", "cafebabefacedbaddecaf888",
      "d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a721c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b39",
      "feedfacedeadbeeffeedfacedeadbeefabaddad2",
      "522dc1f099567d07f47f37a32a84427d643a8cdcbfe5c0c97598a2bd2555d1aa8cb08e48590dbb3da7b08b1056828838c5f61e6393ba7a0abcc9f662",
      "76fc6ece0f4e1768cddf8853bb2d551b"
    ),
  ])
  func aesGCMVectors(key: String, nonce: String, plaintext: String, aad: String, ciphertext: String, tag: String)
    throws
  {
    let cipher = try AES256GCM(key: hexBytes(key))
    var body = hexBytes(plaintext)
    var tagBytes = [UInt8](repeating: 0, count: 16)
    let nonceBytes = hexBytes(nonce)
    let aadBytes = hexBytes(aad)
    try nonceBytes.withUnsafeBytes { n in
      try aadBytes.withUnsafeBytes { a in
        try body.withUnsafeMutableBytes { b in
          try tagBytes.withUnsafeMutableBytes { t in try cipher.sealInPlace(nonce: n, aad: a, body: b, tag: t) }
        }
      }
    }
    #expect(hexString(body) == ciphertext)
    #expect(hexString(tagBytes) == tag)
    // The sealed form is nonce || ciphertext || tag, and opens to the plaintext.
    let sealed = nonceBytes + body + tagBytes
    #expect(hexString(try cipher.open(sealed, authenticating: aadBytes, what: "vector")) == plaintext)
  }

  @Test func aesGCMRoundTripAndFailures() throws {
    let cipher = testCipher()
    let plaintext = pseudoRandomBytes(1000)
    let sealed = try cipher.seal(plaintext, authenticating: Array("context".utf8))
    #expect(sealed.count == plaintext.count + AES256GCM.overhead)
    #expect(try cipher.open(sealed, authenticating: Array("context".utf8), what: "x") == plaintext)
    // Fresh nonces: sealing twice gives different bytes.
    #expect(try cipher.seal(plaintext, authenticating: Array("context".utf8)) != sealed)
    let error = #expect(throws: CairnError.self) {
      try cipher.open(sealed, authenticating: Array("other".utf8), what: "keys/abc")
    }
    #expect(error?.code == .corrupted)
    #expect(error?.message.contains("'keys/abc' failed authentication") == true)
    #expect(throws: CairnError.self) {
      try testCipher(8).open(sealed, authenticating: Array("context".utf8), what: "x")
    }
    #expect(throws: CairnError.self) { try cipher.open(Array(sealed.prefix(27)), what: "x") }
    #expect(throws: CairnError.self) { try AES256GCM(key: [1, 2, 3]) }
  }

  // RFC 7914, section 12 (the first two vectors).
  @Test func scryptVectors() throws {
    let first = try Scrypt.deriveKey(
      password: [], salt: [], parameters: Scrypt.Parameters(n: 16, r: 1, p: 1), count: 64)
    #expect(
      hexString(first)
        == "77d6576238657b203b19ca42c18a0497f16b4844e3074ae8dfdffa3fede21442"
        + "fcd0069ded0948f8326a753a0fc81f17e8d3e0fb2e0d3628cf35e20c38d18906")
    let second = try Scrypt.deriveKey(
      password: Array("password".utf8), salt: Array("NaCl".utf8), parameters: Scrypt.Parameters(n: 1024, r: 8, p: 16),
      count: 64)
    #expect(
      hexString(second)
        == "fdbabe1c9d3472007856e7190d01e9fe7c6ad7cbc8237830e77376634b373162"
        + "2eaf30d92e22a3886ff109279d9830dac727afb94a83ee6d8360cbdfa2cc0640")
  }

  // RFC 7914, section 12: every vector, mixed by Cairn's lanes on one to
  // four threads, keeping every, every second or every fourth intermediate
  // value (the fourth vector, N = 2^20, takes 1 GiB and is left out), with
  // the baseline instructions and with AVX-512 where the processor has it.
  @Test(arguments: [UInt64(1), 2, 3, 4], [UInt32(0), 1, 2])
  func scryptLanesMatchTheRFCVectors(threads: UInt64, keepShift: UInt32) throws {
    let vectors: [(password: String, salt: String, parameters: Scrypt.Parameters, hex: String)] = [
      (
        "", "", Scrypt.Parameters(n: 16, r: 1, p: 1),
        "77d6576238657b203b19ca42c18a0497f16b4844e3074ae8dfdffa3fede21442"
          + "fcd0069ded0948f8326a753a0fc81f17e8d3e0fb2e0d3628cf35e20c38d18906"
      ),
      (
        "password", "NaCl", Scrypt.Parameters(n: 1024, r: 8, p: 16),
        "fdbabe1c9d3472007856e7190d01e9fe7c6ad7cbc8237830e77376634b373162"
          + "2eaf30d92e22a3886ff109279d9830dac727afb94a83ee6d8360cbdfa2cc0640"
      ),
      (
        "pleaseletmein", "SodiumChloride", Scrypt.Parameters(n: 16384, r: 8, p: 1),
        "7023bdcb3afd7348461c06cd81fd38ebfda8fbba904f8e3ea9b543f6545da1f2"
          + "d5432955613f0fcf62d49705242a9af9e61e85dc0d651e40dfcf017b45575887"
      ),
    ]
    for vector in vectors {
      for wideVectors in [false, true] {
        let mixing = Scrypt.LaneMixing(threads: threads, keepShift: keepShift, wideVectors: wideVectors)
        let key = try Scrypt.deriveKey(
          password: Array(vector.password.utf8), salt: Array(vector.salt.utf8), parameters: vector.parameters,
          count: 64, mixing: .lanes(mixing))
        #expect(hexString(key) == vector.hex, "\(vector.parameters), \(mixing)")
      }
    }
  }

  // Cairn's lanes and libcrypto's EVP_PBE_scrypt agree on other shapes:
  // lanes that do not divide evenly among the threads, r = 1 to 3, empty and
  // long passwords, 16 to 100 bytes out.
  @Test func scryptLanesAgreeWithLibcrypto() throws {
    var generator = SystemRandomNumberGenerator()
    for (n, r, p) in [(UInt64(2), UInt64(1), UInt64(1)), (64, 2, 3), (256, 3, 5), (1024, 1, 7), (32, 8, 2)] {
      let password = (0..<Int.random(in: 0...80, using: &generator)).map { _ in UInt8.random(in: 0...255) }
      let salt = (0..<Int.random(in: 0...40, using: &generator)).map { _ in UInt8.random(in: 0...255) }
      let count = Int.random(in: 16...100, using: &generator)
      let parameters = Scrypt.Parameters(n: n, r: r, p: p)
      let expected = try Scrypt.deriveKey(
        password: password, salt: salt, parameters: parameters, count: count, mixing: .libcrypto)
      for threads in UInt64(1)...4 {
        for keepShift in UInt32(0)...3 where n >> keepShift > 0 {
          for wideVectors in [false, true] {
            let mixing = Scrypt.LaneMixing(threads: threads, keepShift: keepShift, wideVectors: wideVectors)
            let key = try Scrypt.deriveKey(
              password: password, salt: salt, parameters: parameters, count: count, mixing: .lanes(mixing))
            #expect(key == expected, "\(parameters), \(mixing), password \(password.count) bytes")
          }
        }
      }
    }
  }

  // One thread per core, never more than the lanes, keeping so few values
  // that all threads together hold one lane's memory; libcrypto on one core.
  @Test func scryptLaneMixing() {
    #expect(Scrypt.laneMixing(for: .default, cores: 2) == Scrypt.LaneMixing(threads: 2, keepShift: 1))
    #expect(Scrypt.laneMixing(for: .default, cores: 3) == Scrypt.LaneMixing(threads: 3, keepShift: 2))
    #expect(Scrypt.laneMixing(for: .default, cores: 16) == Scrypt.LaneMixing(threads: 4, keepShift: 2))
    #expect(Scrypt.laneMixing(for: .default, cores: 1) == nil)
    #expect(Scrypt.laneMixing(for: Scrypt.Parameters(n: 1 << 15, r: 8, p: 1), cores: 8) == nil)
    #expect(
      Scrypt.laneMixing(for: Scrypt.Parameters(n: 2, r: 8, p: 8), cores: 8)
        == Scrypt.LaneMixing(threads: 8, keepShift: 1))
  }

  @Test func scryptRefusesParametersOutOfRange() {
    for parameters in [
      Scrypt.Parameters(n: 1000, r: 8, p: 1), Scrypt.Parameters(n: 1, r: 8, p: 1),
      Scrypt.Parameters(n: 1 << 30, r: 8, p: 1), Scrypt.Parameters(n: 1024, r: 0, p: 1),
      Scrypt.Parameters(n: 1024, r: .max, p: .max),
    ] {
      #expect(!parameters.isAcceptable)
      #expect(throws: CairnError.self) { try Scrypt.deriveKey(password: [1], salt: [2], parameters: parameters) }
    }
    #expect(Scrypt.Parameters.default.isAcceptable)
  }

  @Test func secureRandomBytes() throws {
    let a = try SecureRandom.bytes(32)
    let b = try SecureRandom.bytes(32)
    #expect(a.count == 32 && b.count == 32 && a != b)
    #expect(try SecureRandom.bytes(0).isEmpty)
  }
}
