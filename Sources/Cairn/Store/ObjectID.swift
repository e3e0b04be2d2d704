/// The address of an object: the SHA-256 of its content, or in an encrypted
/// repository the HMAC-SHA256 of its content under the addressing key.
///
/// Held as four words rather than an array so that sets and dictionaries of
/// millions of them (garbage collection, check) stay compact and hash fast.
public struct ObjectID: Hashable, Comparable, Sendable, CustomStringConvertible {
  public static let byteCount = 32

  var w0: UInt64
  var w1: UInt64
  var w2: UInt64
  var w3: UInt64

  /// Creates an ID from 32 digest bytes.
  public init<Bytes: Collection>(bytes: Bytes) where Bytes.Element == UInt8 {
    precondition(bytes.count == Self.byteCount, "an object ID is 32 bytes")
    var words: (UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0)
    for (index, byte) in bytes.enumerated() {
      switch index / 8 {
      case 0: words.0 = words.0 << 8 | UInt64(byte)
      case 1: words.1 = words.1 << 8 | UInt64(byte)
      case 2: words.2 = words.2 << 8 | UInt64(byte)
      default: words.3 = words.3 << 8 | UInt64(byte)
      }
    }
    (w0, w1, w2, w3) = words
  }

  /// Parses 64 lowercase hex digits; returns nil for anything else.
  public init?(hex: some StringProtocol) {
    let utf8 = Array(hex.utf8)
    guard utf8.count == 64 else { return nil }
    var bytes = [UInt8](repeating: 0, count: 32)
    for index in 0..<32 {
      guard let high = Hex.nibble(utf8[2 * index]), let low = Hex.nibble(utf8[2 * index + 1])
      else { return nil }
      bytes[index] = high << 4 | low
    }
    self.init(bytes: bytes)
  }

  /// The 32 digest bytes, most significant first.
  public var bytes: [UInt8] {
    var result = [UInt8]()
    result.reserveCapacity(32)
    for word in [w0, w1, w2, w3] {
      for shift in stride(from: 56, through: 0, by: -8) {
        result.append(UInt8(truncatingIfNeeded: word >> UInt64(shift)))
      }
    }
    return result
  }

  /// The address as 64 lowercase hex digits.
  public var hex: String { Hex.string(bytes) }

  /// The first two hex digits: the name of the directory the object lives in.
  public var prefix: String { Hex.byte(UInt8(truncatingIfNeeded: w0 >> 56)) }

  public var description: String { hex }

  public static func < (lhs: ObjectID, rhs: ObjectID) -> Bool {
    (lhs.w0, lhs.w1, lhs.w2, lhs.w3) < (rhs.w0, rhs.w1, rhs.w2, rhs.w3)
  }
}

extension ObjectID {
  init(w0: UInt64, w1: UInt64, w2: UInt64, w3: UInt64) {
    (self.w0, self.w1, self.w2, self.w3) = (w0, w1, w2, w3)
  }
}
