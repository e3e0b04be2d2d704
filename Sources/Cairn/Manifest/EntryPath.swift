/// An absolute path as the bytes Linux stores (not necessarily UTF-8; may hold
/// newlines). Manifests list entries in this type's order.
///
/// The order compares paths component by component, so a directory is
/// followed directly by everything below it: a depth-first walk that visits
/// names in byte order produces entries already sorted, and two sorted
/// streams (a base manifest and a new walk) can be merged without memory.
public struct EntryPath: Hashable, Comparable, Sendable, CustomStringConvertible {
  public let bytes: [UInt8]

  public init(bytes: [UInt8]) { self.bytes = bytes }

  public init(_ string: String) { self.bytes = Array(string.utf8) }

  static let slash = UInt8(ascii: "/")

  /// The path's components, without empty ones.
  public var components: [ArraySlice<UInt8>] {
    bytes.split(separator: Self.slash, omittingEmptySubsequences: true)
  }

  /// This path with `name` appended as a new component.
  public func appending(_ name: [UInt8]) -> EntryPath {
    var result = bytes
    if result.last != Self.slash { result.append(Self.slash) }
    result.append(contentsOf: name)
    return EntryPath(bytes: result)
  }

  /// True when this path is `other` or lies below it.
  public func isWithin(_ other: EntryPath) -> Bool {
    if other.bytes == [Self.slash] { return bytes.first == Self.slash }
    guard bytes.starts(with: other.bytes) else { return false }
    return bytes.count == other.bytes.count || bytes[other.bytes.count] == Self.slash
  }

  /// A path that is safe to recreate under a restore target: absolute, with
  /// no empty, `.` or `..` components and no NUL byte.
  public var isSafeToRestore: Bool {
    guard bytes.first == Self.slash, !bytes.contains(0) else { return false }
    let parts = bytes.dropFirst().split(separator: Self.slash, omittingEmptySubsequences: false)
    if bytes == [Self.slash] { return true }
    return parts.allSatisfy { part in
      !part.isEmpty && !part.elementsEqual([UInt8(ascii: ".")])
        && !part.elementsEqual([UInt8(ascii: "."), UInt8(ascii: ".")])
    }
  }

  public static func < (lhs: EntryPath, rhs: EntryPath) -> Bool {
    // Treat '/' as the smallest byte: that is exactly component-wise order.
    let count = min(lhs.bytes.count, rhs.bytes.count)
    var index = 0
    while index < count {
      let left = lhs.bytes[index]
      let right = rhs.bytes[index]
      if left != right {
        let leftKey = left == slash ? 0 : Int(left) + 1
        let rightKey = right == slash ? 0 : Int(right) + 1
        return leftKey < rightKey
      }
      index += 1
    }
    return lhs.bytes.count < rhs.bytes.count
  }

  /// A printable form: valid UTF-8 as is, other bytes and control characters
  /// escaped as `\xNN`, so that every path fits on one line of output.
  public var description: String { Self.printable(bytes) }

  static func printable(_ bytes: [UInt8]) -> String {
    var result = ""
    var index = 0
    while index < bytes.count {
      let byte = bytes[index]
      let length: Int =
        switch byte {
        case 0x00..<0x80: 1
        case 0xC2..<0xE0: 2
        case 0xE0..<0xF0: 3
        case 0xF0..<0xF5: 4
        default: 0
        }
      if length == 1 {
        if byte < 0x20 || byte == 0x7F || byte == UInt8(ascii: "\\") {
          result += byte == UInt8(ascii: "\\") ? "\\\\" : "\\x" + Hex.byte(byte)
        } else {
          result.unicodeScalars.append(Unicode.Scalar(byte))
        }
        index += 1
        continue
      }
      if length > 1, index + length <= bytes.count,
        let decoded = String(validating: bytes[index..<index + length], as: UTF8.self)
      {
        result += decoded
        index += length
        continue
      }
      result += "\\x" + Hex.byte(byte)
      index += 1
    }
    return result
  }

}
