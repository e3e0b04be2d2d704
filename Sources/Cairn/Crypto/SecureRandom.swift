internal import CCipher

/// Random bytes from OpenSSL's CSPRNG, for keys, salts and nonces.
public enum SecureRandom {
  /// Fills `buffer` with random bytes.
  public static func fill(_ buffer: UnsafeMutableRawBufferPointer) throws {
    guard buffer.count > 0 else { return }
    guard cairn_random_bytes(buffer.baseAddress, buffer.count) == 1 else {
      throw CairnError(.io, "the system's random number generator failed: try again, and check the system log")
    }
  }

  /// Returns `count` random bytes.
  public static func bytes(_ count: Int) throws -> [UInt8] {
    var bytes = [UInt8](repeating: 0, count: count)
    try bytes.withUnsafeMutableBytes { buffer in try fill(buffer) }
    return bytes
  }
}
