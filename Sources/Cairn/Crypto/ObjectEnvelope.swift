/// The header every stored object and record starts with, and the codec for
/// the body after it: so that a reader can tell how the body is encoded
/// (compression, encryption), and so that the format can grow.
///
/// Layout (Docs/FORMAT.md):
///
///     0-1   magic "CN"
///     2     envelope version, 1
///     3     compression: 0 none, 1 zstd
///     4     encryption: 0 none, 1 AES-256-GCM
///     5-7   reserved, 0
///     8-15  logical (plaintext) size, UInt64 little-endian
///
/// The body is the payload (a zstd frame when compressed, else the
/// plaintext). Encrypted, it is `nonce (12) || AES-256-GCM(payload) || tag
/// (16)` with the 16 header bytes and the UTF-8 of a binding string (the
/// file's name in the repository) as additional authenticated data, so that
/// neither the header nor the file's name can be changed unnoticed.
public enum ObjectEnvelope {
  /// The header's size in bytes.
  public static let headerSize = 16
  /// The envelope version this Cairn writes and reads.
  public static let currentVersion: UInt8 = 1
  static let magic: (UInt8, UInt8) = (UInt8(ascii: "C"), UInt8(ascii: "N"))

  /// What the header says, read without decrypting or decompressing.
  public struct Header: Sendable, Hashable {
    public var version: UInt8
    public var isCompressed: Bool
    public var isEncrypted: Bool
    /// The size of the plaintext the envelope holds.
    public var logicalSize: UInt64

    /// The 16 bytes of this header.
    var bytes: [UInt8] {
      var bytes: [UInt8] = [magic.0, magic.1, version, isCompressed ? 1 : 0, isEncrypted ? 1 : 0, 0, 0, 0]
      for shift in stride(from: 0, to: 64, by: 8) { bytes.append(UInt8(truncatingIfNeeded: logicalSize >> shift)) }
      return bytes
    }
  }

  /// Parses and checks the header of `stored`, named `binding` in errors.
  public static func header(of stored: UnsafeRawBufferPointer, binding: String) throws -> Header {
    guard stored.count >= 2, stored[0] == magic.0, stored[1] == magic.1 else {
      throw CairnError(.corrupted, "'\(binding)' is not a Cairn object: it does not start with the envelope's magic")
    }
    guard stored.count >= headerSize else {
      throw CairnError(
        .corrupted, "'\(binding)' is truncated: \(stored.count) bytes is shorter than the \(headerSize)-byte header")
    }
    let version = stored[2]
    guard version == currentVersion, stored[3] <= 1, stored[4] <= 1, stored[5] == 0, stored[6] == 0, stored[7] == 0
    else {
      throw CairnError(
        .unsupported,
        "'\(binding)' was written by a newer cairn (envelope version \(version), flags "
          + "\(stored[3]) \(stored[4]) \(stored[5]) \(stored[6]) \(stored[7])): upgrade cairn to read it")
    }
    var size: UInt64 = 0
    for index in (8..<16).reversed() { size = size << 8 | UInt64(stored[index]) }
    return Header(version: version, isCompressed: stored[3] == 1, isEncrypted: stored[4] == 1, logicalSize: size)
  }

  /// Parses and checks the header of `stored`; see the pointer form.
  public static func header(of stored: [UInt8], binding: String) throws -> Header {
    try stored.withUnsafeBytes { try header(of: $0, binding: binding) }
  }

  /// The additional authenticated data: the header, then the binding.
  private static func associatedData(header: UnsafeRawBufferPointer, binding: String) -> [UInt8] {
    var aad = [UInt8](header)
    aad.append(contentsOf: binding.utf8)
    return aad
  }

  /// Encodes `plaintext` for storage under the name `binding`. Compressed
  /// only when that makes it smaller; encrypted when the settings say so.
  public static func seal(_ plaintext: UnsafeRawBufferPointer, binding: String, settings: EnvelopeSettings) throws
    -> [UInt8]
  {
    var zstd = Zstd()
    return try seal(plaintext, binding: binding, settings: settings, using: &zstd)
  }

  /// Encodes `plaintext`; see the pointer form.
  public static func seal(_ plaintext: [UInt8], binding: String, settings: EnvelopeSettings) throws -> [UInt8] {
    try plaintext.withUnsafeBytes { try seal($0, binding: binding, settings: settings) }
  }

  /// Encodes `plaintext` with a worker's own zstd contexts (saving their
  /// set-up on every object); see the other forms.
  public static func seal(
    _ plaintext: UnsafeRawBufferPointer, binding: String, settings: EnvelopeSettings, using zstd: inout Zstd
  ) throws -> [UInt8] {
    let cipher = settings.encryption
    let bodyStart = headerSize + (cipher == nil ? 0 : AES256GCM.nonceSize)
    let trailer = cipher == nil ? 0 : AES256GCM.tagSize
    var payloadRoom = plaintext.count
    if case .zstd = settings.compression { payloadRoom = max(payloadRoom, Zstd.compressBound(plaintext.count)) }
    let capacity = bodyStart + payloadRoom + trailer

    var failure: (any Error)?
    let sealed = [UInt8](unsafeUninitializedCapacity: capacity) { buffer, initialized in
      HugePages.advise(buffer)
      initialized = 0
      do {
        let output = UnsafeMutableRawBufferPointer(buffer)
        // The payload: a zstd frame when it is smaller than the plaintext.
        var payloadCount = plaintext.count
        var compressed = false
        if case .zstd(let level) = settings.compression, plaintext.count > 0 {
          let room = UnsafeMutableRawBufferPointer(rebasing: output[bodyStart..<(bodyStart + payloadRoom)])
          if let written = try zstd.compress(plaintext, level: level, into: room), written < plaintext.count {
            payloadCount = written
            compressed = true
          }
        }
        // Raw: copied, unless the cipher is to read the plaintext where it is.
        if !compressed, cipher == nil, let base = plaintext.baseAddress, plaintext.count > 0 {
          UnsafeMutableRawBufferPointer(rebasing: output[bodyStart..<(bodyStart + plaintext.count)])
            .copyMemory(from: UnsafeRawBufferPointer(start: base, count: plaintext.count))
        }
        let header = Header(
          version: currentVersion, isCompressed: compressed, isEncrypted: cipher != nil,
          logicalSize: UInt64(plaintext.count))
        let headerBytes = header.bytes
        UnsafeMutableRawBufferPointer(rebasing: output[0..<headerSize]).copyBytes(from: headerBytes)
        if let cipher {
          let nonce = UnsafeMutableRawBufferPointer(rebasing: output[headerSize..<bodyStart])
          try SecureRandom.fill(nonce)
          let aad = headerBytes.withUnsafeBytes { associatedData(header: $0, binding: binding) }
          let body = UnsafeMutableRawBufferPointer(rebasing: output[bodyStart..<(bodyStart + payloadCount)])
          let tagStart = bodyStart + payloadCount
          try aad.withUnsafeBytes { aadBytes in
            try cipher.seal(
              nonce: UnsafeRawBufferPointer(nonce), aad: aadBytes,
              input: compressed ? UnsafeRawBufferPointer(body) : plaintext, output: body,
              tag: UnsafeMutableRawBufferPointer(rebasing: output[tagStart..<(tagStart + trailer)]))
          }
        }
        initialized = bodyStart + payloadCount + trailer
      } catch {
        failure = error
      }
    }
    if let failure { throw failure }
    return sealed
  }

  /// Decodes an envelope stored under the name `binding`, checking
  /// everything: the header, the tag when encrypted, and that the plaintext
  /// has the size the header declares. With a `dataKey`, an envelope that is
  /// not encrypted is refused, so that no one can slip plaintext into an
  /// encrypted repository. A plaintext larger than `maximumLogicalSize` is
  /// refused before anything is decompressed.
  public static func open(
    _ stored: UnsafeRawBufferPointer, binding: String, dataKey: AES256GCM?, maximumLogicalSize: Int
  ) throws -> [UInt8] {
    var zstd = Zstd()
    return try open(stored, binding: binding, dataKey: dataKey, maximumLogicalSize: maximumLogicalSize, using: &zstd)
  }

  /// Decodes an envelope; see the pointer form.
  public static func open(_ stored: [UInt8], binding: String, dataKey: AES256GCM?, maximumLogicalSize: Int) throws
    -> [UInt8]
  {
    try stored.withUnsafeBytes {
      try open($0, binding: binding, dataKey: dataKey, maximumLogicalSize: maximumLogicalSize)
    }
  }

  /// Decodes an envelope with a worker's own zstd contexts; see the other forms.
  public static func open(
    _ stored: UnsafeRawBufferPointer, binding: String, dataKey: AES256GCM?, maximumLogicalSize: Int,
    using zstd: inout Zstd
  ) throws -> [UInt8] {
    let opened = try open(
      stored, decryptingInPlace: nil, binding: binding, dataKey: dataKey, maximumLogicalSize: maximumLogicalSize,
      using: &zstd)
    guard case .separate(let plaintext) = opened else {
      preconditionFailure("a read-only envelope was opened in place")
    }
    return plaintext
  }

  /// Decodes an envelope the caller no longer needs, and leaves `stored`
  /// unspecified: an encrypted body is decrypted where it lies (only after
  /// its tag checks out is anything decompressed), and a compressed one is
  /// decompressed from there. An uncompressed payload is moved to the front
  /// of `stored`'s own buffer and returned in it. Each spares a buffer the
  /// size of the object and the page faults of filling it: a restore from
  /// S3 took 190k faults instead of 225k with the first, 150–170k instead
  /// of 195–210k with the second as well (an incompressible block is
  /// stored uncompressed).
  public static func open(
    consuming stored: inout [UInt8], binding: String, dataKey: AES256GCM?, maximumLogicalSize: Int,
    using zstd: inout Zstd
  ) throws -> [UInt8] {
    let opened = try stored.withUnsafeMutableBytes { writable in
      try open(
        UnsafeRawBufferPointer(writable), decryptingInPlace: writable, binding: binding, dataKey: dataKey,
        maximumLogicalSize: maximumLogicalSize, using: &zstd)
    }
    switch opened {
    case .separate(let plaintext):
      return plaintext
    case .inPlace(let range):
      stored.withUnsafeMutableBytes { writable in
        guard let base = writable.baseAddress, range.lowerBound > 0 else { return }
        base.copyMemory(from: base + range.lowerBound, byteCount: range.count)
      }
      stored.removeLast(stored.count - range.count)
      var plaintext: [UInt8] = []
      swap(&plaintext, &stored)
      return plaintext
    }
  }

  /// Where an opened envelope's plaintext is.
  private enum Opened {
    /// In a buffer of its own.
    case separate([UInt8])
    /// In the stored bytes, at these offsets: only when they may be overwritten.
    case inPlace(Range<Int>)
  }

  /// `writable`, when given, is the memory of `stored`, which may be overwritten.
  private static func open(
    _ stored: UnsafeRawBufferPointer, decryptingInPlace writable: UnsafeMutableRawBufferPointer?, binding: String,
    dataKey: AES256GCM?, maximumLogicalSize: Int, using zstd: inout Zstd
  ) throws -> Opened {
    let header = try header(of: stored, binding: binding)
    guard header.logicalSize <= UInt64(max(maximumLogicalSize, 0)) else {
      throw CairnError(
        .corrupted,
        "'\(binding)' claims to hold \(header.logicalSize) bytes, more than the \(maximumLogicalSize) an object may")
    }
    let logicalSize = Int(header.logicalSize)
    let body = UnsafeRawBufferPointer(rebasing: stored[headerSize...])

    guard header.isEncrypted else {
      guard dataKey == nil else {
        throw CairnError(
          .corrupted,
          "'\(binding)' is not encrypted, but this repository is: it was put there by someone else (tampering)")
      }
      if writable != nil && !header.isCompressed {
        guard body.count == logicalSize else { throw sizeMismatch(binding, body.count, logicalSize) }
        return .inPlace(headerSize..<stored.count)
      }
      return .separate(
        try decode(payload: body, header: header, binding: binding, using: &zstd))
    }
    guard let dataKey else {
      throw CairnError(
        .invalidArgument, "'\(binding)' is encrypted and no key was given: open the repository with its password")
    }
    guard body.count >= AES256GCM.overhead else {
      throw CairnError(
        .corrupted, "'\(binding)' is truncated: its encrypted body is \(body.count) bytes, too short for nonce and tag")
    }
    let payloadCount = body.count - AES256GCM.overhead
    let payloadLimit = header.isCompressed ? Zstd.compressBound(logicalSize) : logicalSize
    guard payloadCount <= payloadLimit else {
      throw CairnError(
        .corrupted, "'\(binding)' is \(stored.count) bytes, too large for the \(logicalSize) bytes its header declares")
    }
    let aad = associatedData(header: UnsafeRawBufferPointer(rebasing: stored[0..<headerSize]), binding: binding)
    let payloadStart = AES256GCM.nonceSize
    let ciphertext = UnsafeRawBufferPointer(rebasing: body[payloadStart..<(payloadStart + payloadCount)])
    func decrypt(into output: UnsafeMutableRawBufferPointer) throws {
      try aad.withUnsafeBytes { aadBytes in
        try dataKey.openInto(
          nonce: UnsafeRawBufferPointer(rebasing: body[0..<payloadStart]), aad: aadBytes, ciphertext: ciphertext,
          tag: UnsafeRawBufferPointer(rebasing: body[(payloadStart + payloadCount)...]), output: output,
          what: binding)
      }
    }
    if let writable {
      // The payload's own bytes; nonce and tag lie outside them.
      let offset = headerSize + payloadStart
      let payload = UnsafeMutableRawBufferPointer(rebasing: writable[offset..<(offset + payloadCount)])
      try decrypt(into: payload)
      guard header.isCompressed else {
        guard payloadCount == logicalSize else { throw sizeMismatch(binding, payloadCount, logicalSize) }
        return .inPlace(offset..<(offset + payloadCount))
      }
      return .separate(
        try decode(
          payload: UnsafeRawBufferPointer(payload), header: header, binding: binding, using: &zstd))
    }
    var failure: (any Error)?
    let payload = [UInt8](unsafeUninitializedCapacity: payloadCount) { buffer, initialized in
      HugePages.advise(buffer)
      initialized = 0
      do {
        try decrypt(into: UnsafeMutableRawBufferPointer(buffer))
        initialized = payloadCount
      } catch {
        failure = error
      }
    }
    if let failure { throw failure }
    guard header.isCompressed else {
      guard payload.count == logicalSize else { throw sizeMismatch(binding, payload.count, logicalSize) }
      return .separate(payload)
    }
    return .separate(
      try payload.withUnsafeBytes { try decode(payload: $0, header: header, binding: binding, using: &zstd) }
    )
  }

  /// The plaintext of an unencrypted payload, checked against the header's size.
  private static func decode(
    payload: UnsafeRawBufferPointer, header: Header, binding: String, using zstd: inout Zstd
  ) throws -> [UInt8] {
    let logicalSize = Int(header.logicalSize)
    guard header.isCompressed else {
      guard payload.count == logicalSize else { throw sizeMismatch(binding, payload.count, logicalSize) }
      return [UInt8](payload)
    }
    switch Zstd.contentSize(of: payload) {
    case .declared(let size) where size != header.logicalSize:
      throw sizeMismatch(binding, size, logicalSize)
    case .invalid:
      throw CairnError(.corrupted, "'\(binding)' is damaged: its body is not a zstd frame")
    default: break
    }
    var failure: (any Error)?
    let plaintext = [UInt8](unsafeUninitializedCapacity: logicalSize) { buffer, initialized in
      HugePages.advise(buffer)
      initialized = 0
      do {
        initialized = try zstd.decompress(payload, into: UnsafeMutableRawBufferPointer(buffer), what: binding)
      } catch {
        failure = error
      }
    }
    if let failure { throw failure }
    guard plaintext.count == logicalSize else { throw sizeMismatch(binding, plaintext.count, logicalSize) }
    return plaintext
  }

  private static func sizeMismatch(_ binding: String, _ actual: some BinaryInteger, _ declared: Int) -> CairnError {
    CairnError(
      .corrupted, "'\(binding)' holds \(actual) bytes but its header declares \(declared): it is damaged")
  }
}
