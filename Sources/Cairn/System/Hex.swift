/// Lowercase hexadecimal digits, the one table Cairn uses for object names,
/// prefix directories and escaped paths.
enum Hex {
  static let digits: [UInt8] = Array("0123456789abcdef".utf8)

  /// Two lowercase hex digits for `byte`.
  static func byte(_ byte: UInt8) -> String {
    String(decoding: [digits[Int(byte >> 4)], digits[Int(byte & 0x0f)]], as: UTF8.self)
  }

  /// The hex digits of `bytes`, two per byte.
  static func string<Bytes: Sequence>(_ bytes: Bytes) -> String where Bytes.Element == UInt8 {
    var characters: [UInt8] = []
    characters.reserveCapacity(bytes.underestimatedCount * 2)
    for byte in bytes {
      characters.append(digits[Int(byte >> 4)])
      characters.append(digits[Int(byte & 0x0f)])
    }
    return String(decoding: characters, as: UTF8.self)
  }

  /// The value of one lowercase hex digit, or nil.
  static func nibble(_ character: UInt8) -> UInt8? {
    switch character {
    case UInt8(ascii: "0")...UInt8(ascii: "9"): character - UInt8(ascii: "0")
    case UInt8(ascii: "a")...UInt8(ascii: "f"): character - UInt8(ascii: "a") + 10
    default: nil
    }
  }
}
