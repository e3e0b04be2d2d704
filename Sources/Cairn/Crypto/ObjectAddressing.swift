/// How an object's address is computed from its plaintext. Always from the
/// plaintext, so the same content deduplicates whatever the compression.
public enum ObjectAddressing: Sendable, Hashable {
  /// SHA-256 of the plaintext: a repository that is not encrypted.
  case plain
  /// HMAC-SHA256 of the plaintext under the addressing key: names reveal
  /// nothing to someone who does not hold the key.
  case keyed([UInt8])

  /// The address of `plaintext`.
  public func id(of plaintext: UnsafeRawBufferPointer) -> ObjectID {
    switch self {
    case .plain: SHA256.hash(plaintext)
    case .keyed(let key): ObjectID(bytes: HMACSHA256.tag(plaintext, key: key))
    }
  }

  /// The address of `plaintext`.
  public func id(of plaintext: [UInt8]) -> ObjectID {
    plaintext.withUnsafeBytes { id(of: $0) }
  }
}
