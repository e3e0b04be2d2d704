internal import CObjectHash

/// HMAC-SHA256 (RFC 2104) over libcrypto, through the CObjectHash C target.
///
/// An encrypted repository names objects by HMAC-SHA256 under its addressing
/// key rather than by SHA-256, so that a list of known file hashes tells
/// someone holding the repository nothing. One instance holds one key and
/// belongs to one worker; it is reset after every tag, so a worker can name
/// block after block without allocating a new context.
public struct HMACSHA256: ~Copyable {
  /// The size of a tag in bytes.
  public static let tagSize = 32

  private let context: OpaquePointer

  /// Creates a context for `key` (any length; repository keys are 32 bytes).
  public init(key: [UInt8]) {
    let context = key.withUnsafeBytes { cairn_hmac_sha256_new($0.baseAddress, $0.count) }
    guard let context else { fatalError("OpenSSL could not create an HMAC-SHA256 context") }
    self.context = context
  }

  deinit { cairn_hmac_sha256_free(context) }

  /// Returns the 32-byte tag of `bytes` under this context's key.
  public mutating func tag(_ bytes: UnsafeRawBufferPointer) -> [UInt8] {
    var tag = [UInt8](repeating: 0, count: Self.tagSize)
    let status = tag.withUnsafeMutableBufferPointer { out in
      cairn_hmac_sha256_mac(context, bytes.baseAddress, bytes.count, out.baseAddress)
    }
    guard status == 1 else { fatalError("OpenSSL HMAC-SHA256 failed") }
    return tag
  }

  /// Returns the 32-byte tag of `bytes` under this context's key.
  public mutating func tag(_ bytes: [UInt8]) -> [UInt8] {
    bytes.withUnsafeBytes { tag($0) }
  }

  /// The tag of one buffer under `key`, in a single call.
  public static func tag(_ bytes: UnsafeRawBufferPointer, key: [UInt8]) -> [UInt8] {
    var tag = [UInt8](repeating: 0, count: tagSize)
    let status = key.withUnsafeBytes { keyBytes in
      tag.withUnsafeMutableBufferPointer { out in
        cairn_hmac_sha256_oneshot(keyBytes.baseAddress, keyBytes.count, bytes.baseAddress, bytes.count, out.baseAddress)
      }
    }
    guard status == 1 else { fatalError("OpenSSL HMAC-SHA256 failed") }
    return tag
  }

  /// The tag of one buffer under `key`, in a single call.
  public static func tag(_ bytes: [UInt8], key: [UInt8]) -> [UInt8] {
    bytes.withUnsafeBytes { tag($0, key: key) }
  }
}
