internal import CCipher

/// AES-256-GCM (NIST SP 800-38D) over libcrypto, through the CCipher C target:
/// the cipher that keeps an encrypted repository's objects secret and detects
/// any change to them.
///
/// Every seal draws a fresh random 96-bit nonce; with random nonces one key
/// is safe for about 2^32 seals, far more objects than a repository holds.
/// Sealed output is `nonce || ciphertext || tag`.
public struct AES256GCM: Sendable {
  public static let keySize = 32
  public static let nonceSize = 12
  public static let tagSize = 16
  /// What sealing adds to the plaintext's length.
  public static let overhead = nonceSize + tagSize

  let key: [UInt8]

  /// Creates a cipher for a 32-byte key.
  public init(key: [UInt8]) throws {
    guard key.count == Self.keySize else {
      throw CairnError(.invalidArgument, "an AES-256-GCM key is 32 bytes, not \(key.count)")
    }
    self.key = key
  }

  /// Seals `plaintext` under a fresh random nonce; `aad` is authenticated
  /// but not encrypted. Returns `nonce || ciphertext || tag`.
  public func seal(_ plaintext: UnsafeRawBufferPointer, authenticating aad: UnsafeRawBufferPointer) throws
    -> [UInt8]
  {
    let count = plaintext.count + Self.overhead
    var failure: (any Error)?
    let sealed = [UInt8](unsafeUninitializedCapacity: count) { buffer, initialized in
      HugePages.advise(buffer)
      let output = UnsafeMutableRawBufferPointer(buffer)
      do {
        try SecureRandom.fill(UnsafeMutableRawBufferPointer(rebasing: output[0..<Self.nonceSize]))
        let body = UnsafeMutableRawBufferPointer(rebasing: output[Self.nonceSize..<(count - Self.tagSize)])
        if let base = plaintext.baseAddress, plaintext.count > 0 {
          body.copyMemory(from: UnsafeRawBufferPointer(start: base, count: plaintext.count))
        }
        try sealInPlace(
          nonce: UnsafeRawBufferPointer(rebasing: output[0..<Self.nonceSize]), aad: aad, body: body,
          tag: UnsafeMutableRawBufferPointer(rebasing: output[(count - Self.tagSize)...]))
        initialized = count
      } catch {
        failure = error
        initialized = 0
      }
    }
    if let failure { throw failure }
    return sealed
  }

  /// Seals `plaintext`; see the pointer form.
  public func seal(_ plaintext: [UInt8], authenticating aad: [UInt8] = []) throws -> [UInt8] {
    try plaintext.withUnsafeBytes { plain in
      try aad.withUnsafeBytes { aadBytes in try seal(plain, authenticating: aadBytes) }
    }
  }

  /// Opens `nonce || ciphertext || tag`. A wrong key, wrong `aad` or any
  /// changed byte fails with `.corrupted`, naming `what` (a path, say).
  public func open(_ sealed: UnsafeRawBufferPointer, authenticating aad: UnsafeRawBufferPointer, what: String)
    throws -> [UInt8]
  {
    guard sealed.count >= Self.overhead else {
      throw CairnError(.corrupted, "'\(what)' is truncated: \(sealed.count) bytes is too short for encrypted data")
    }
    let count = sealed.count - Self.overhead
    var failure: (any Error)?
    let plaintext = [UInt8](unsafeUninitializedCapacity: count) { buffer, initialized in
      HugePages.advise(buffer)
      do {
        try openInto(
          nonce: UnsafeRawBufferPointer(rebasing: sealed[0..<Self.nonceSize]), aad: aad,
          ciphertext: UnsafeRawBufferPointer(rebasing: sealed[Self.nonceSize..<(Self.nonceSize + count)]),
          tag: UnsafeRawBufferPointer(rebasing: sealed[(Self.nonceSize + count)...]),
          output: UnsafeMutableRawBufferPointer(buffer), what: what)
        initialized = count
      } catch {
        failure = error
        initialized = 0
      }
    }
    if let failure { throw failure }
    return plaintext
  }

  /// Opens `nonce || ciphertext || tag`; see the pointer form.
  public func open(_ sealed: [UInt8], authenticating aad: [UInt8] = [], what: String) throws -> [UInt8] {
    try sealed.withUnsafeBytes { sealedBytes in
      try aad.withUnsafeBytes { aadBytes in
        try open(sealedBytes, authenticating: aadBytes, what: what)
      }
    }
  }

  /// Encrypts `body` in place under `nonce` and writes the tag: the building
  /// block for callers that lay out their own buffer (the object envelope).
  func sealInPlace(
    nonce: UnsafeRawBufferPointer, aad: UnsafeRawBufferPointer, body: UnsafeMutableRawBufferPointer,
    tag: UnsafeMutableRawBufferPointer
  ) throws {
    try seal(nonce: nonce, aad: aad, input: UnsafeRawBufferPointer(body), output: body, tag: tag)
  }

  /// Encrypts `input` into `output` (the same length, or the same memory)
  /// under `nonce` and writes the tag, saving a copy when the caller's
  /// plaintext is elsewhere.
  func seal(
    nonce: UnsafeRawBufferPointer, aad: UnsafeRawBufferPointer, input: UnsafeRawBufferPointer,
    output: UnsafeMutableRawBufferPointer, tag: UnsafeMutableRawBufferPointer
  ) throws {
    precondition(nonce.count == Self.nonceSize && tag.count == Self.tagSize && input.count == output.count)
    let status = key.withUnsafeBufferPointer { keyBytes in
      cairn_aes256gcm_seal(
        keyBytes.baseAddress, nonce.baseAddress!.assumingMemoryBound(to: UInt8.self), aad.baseAddress, aad.count,
        input.baseAddress, input.count, output.baseAddress, tag.baseAddress!.assumingMemoryBound(to: UInt8.self))
    }
    guard status == 1 else { throw CairnError(.io, "OpenSSL failed to encrypt with AES-256-GCM") }
  }

  /// Decrypts `ciphertext` into `output` (the same length) and checks the tag.
  func openInto(
    nonce: UnsafeRawBufferPointer, aad: UnsafeRawBufferPointer, ciphertext: UnsafeRawBufferPointer,
    tag: UnsafeRawBufferPointer, output: UnsafeMutableRawBufferPointer, what: String
  ) throws {
    precondition(nonce.count == Self.nonceSize && tag.count == Self.tagSize && output.count == ciphertext.count)
    let status = key.withUnsafeBufferPointer { keyBytes in
      cairn_aes256gcm_open(
        keyBytes.baseAddress, nonce.baseAddress!.assumingMemoryBound(to: UInt8.self), aad.baseAddress, aad.count,
        ciphertext.baseAddress, ciphertext.count, tag.baseAddress!.assumingMemoryBound(to: UInt8.self),
        output.baseAddress)
    }
    switch status {
    case 1: return
    case 0:
      throw CairnError(
        .corrupted, "'\(what)' failed authentication: it was changed or damaged (tampering or corruption)")
    default: throw CairnError(.io, "OpenSSL failed to decrypt '\(what)' with AES-256-GCM")
    }
  }
}
