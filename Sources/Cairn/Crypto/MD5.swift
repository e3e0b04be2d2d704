internal import CObjectHash

/// MD5 over libcrypto. Only for S3's `Content-MD5` header (DeleteObjects
/// requires it); never for integrity or addressing.
public enum MD5 {
  /// The size of a digest in bytes.
  public static let digestSize = 16

  /// The 16-byte digest of `bytes`.
  public static func digest(_ bytes: UnsafeRawBufferPointer) -> [UInt8] {
    var digest = [UInt8](repeating: 0, count: digestSize)
    let status = digest.withUnsafeMutableBufferPointer { out in
      cairn_md5_oneshot(bytes.baseAddress, bytes.count, out.baseAddress)
    }
    guard status == 1 else { fatalError("OpenSSL MD5 failed") }
    return digest
  }

  /// The 16-byte digest of `bytes`.
  public static func digest(_ bytes: [UInt8]) -> [UInt8] {
    bytes.withUnsafeBytes { digest($0) }
  }
}
