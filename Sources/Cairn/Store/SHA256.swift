internal import CObjectHash

/// A streaming SHA-256 over OpenSSL's libcrypto (through the CObjectHash C target).
///
/// One hasher belongs to one worker; it is reset after every `finish()` so a
/// worker can hash block after block without allocating a new context.
public struct SHA256: ~Copyable {
  private let context: OpaquePointer

  public init() {
    guard let context = cairn_sha256_new() else {
      fatalError("OpenSSL could not create a SHA-256 context")
    }
    self.context = context
  }

  deinit { cairn_sha256_free(context) }

  /// Feeds bytes into the digest.
  public mutating func update(_ bytes: UnsafeRawBufferPointer) {
    guard let base = bytes.baseAddress, bytes.count > 0 else { return }
    guard cairn_sha256_update(context, base, bytes.count) == 1 else {
      fatalError("OpenSSL SHA-256 update failed")
    }
  }

  /// Feeds bytes into the digest.
  public mutating func update(_ bytes: [UInt8]) {
    bytes.withUnsafeBytes { update($0) }
  }

  /// Returns the digest of everything fed so far and starts over.
  public mutating func finish() -> ObjectID {
    var digest = [UInt8](repeating: 0, count: ObjectID.byteCount)
    let status = digest.withUnsafeMutableBufferPointer { cairn_sha256_finish(context, $0.baseAddress) }
    guard status == 1 else { fatalError("OpenSSL SHA-256 finish failed") }
    return ObjectID(bytes: digest)
  }

  /// Hashes one buffer.
  public static func hash(_ bytes: UnsafeRawBufferPointer) -> ObjectID {
    var digest = [UInt8](repeating: 0, count: ObjectID.byteCount)
    let status = digest.withUnsafeMutableBufferPointer { out in
      cairn_sha256_oneshot(bytes.baseAddress, bytes.count, out.baseAddress)
    }
    guard status == 1 else { fatalError("OpenSSL SHA-256 failed") }
    return ObjectID(bytes: digest)
  }

  /// Hashes one buffer.
  public static func hash(_ bytes: [UInt8]) -> ObjectID {
    bytes.withUnsafeBytes { hash($0) }
  }
}
