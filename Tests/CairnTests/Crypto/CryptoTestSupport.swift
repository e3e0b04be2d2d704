@testable import Cairn

/// Bytes from hex digits, for published test vectors.
func hexBytes(_ hex: String) -> [UInt8] {
  let digits = Array(hex.utf8)
  precondition(digits.count.isMultiple(of: 2))
  return stride(from: 0, to: digits.count, by: 2).map {
    UInt8(String(decoding: digits[$0..<$0 + 2], as: UTF8.self), radix: 16)!
  }
}

/// Lowercase hex of bytes.
func hexString(_ bytes: [UInt8]) -> String {
  bytes.map { ($0 < 16 ? "0" : "") + String($0, radix: 16) }.joined()
}

/// Deterministic pseudo-random bytes (xorshift), so failures reproduce.
func pseudoRandomBytes(_ count: Int, seed: UInt64 = 0x9E37_79B9_7F4A_7C15) -> [UInt8] {
  var state = seed
  var bytes = [UInt8](repeating: 0, count: count)
  var index = 0
  while index < count {
    state ^= state << 13
    state ^= state >> 7
    state ^= state << 17
    var word = state
    for _ in 0..<8 where index < count {
      bytes[index] = UInt8(truncatingIfNeeded: word)
      word >>= 8
      index += 1
    }
  }
  return bytes
}

/// Text-like bytes that zstd compresses well but not trivially.
func compressibleBytes(_ count: Int) -> [UInt8] {
  let words = ["backup", "cairn", "snapshot", "object", "manifest", "restore", "block", "the", "of", "and"]
  var bytes = [UInt8]()
  bytes.reserveCapacity(count + 16)
  var state: UInt64 = 42
  while bytes.count < count {
    state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
    bytes.append(contentsOf: words[Int(state >> 60) % words.count].utf8)
    bytes.append(state >> 59 & 1 == 0 ? UInt8(ascii: " ") : UInt8(ascii: "\n"))
  }
  return Array(bytes.prefix(count))
}

/// A cipher for tests, with a fixed key.
func testCipher(_ fill: UInt8 = 7) -> AES256GCM {
  try! AES256GCM(key: [UInt8](repeating: fill, count: 32))
}
