/// How a repository turns plaintext into stored bytes and back: the object's
/// address (SHA-256, or HMAC-SHA256 when encrypted), and the envelope
/// (compression, encryption). `ObjectStore`, records and the log all go
/// through one codec, so no stored file escapes the envelope.
public struct ObjectCodec: Sendable {
  public enum Compression: Sendable, Equatable {
    case none
    case zstd(level: Int32)
  }

  public var compression: Compression

  public init(compression: Compression = .none) {
    self.compression = compression
  }

  /// The address of `bytes`.
  public func address(of bytes: UnsafeRawBufferPointer) -> ObjectID {
    SHA256.hash(bytes)
  }

  /// Seals `plaintext` for storage as `file`.
  public func seal(_ plaintext: UnsafeRawBufferPointer, as file: StorageFile) throws -> [UInt8] {
    var stored = [UInt8]()
    stored.reserveCapacity(EnvelopeHeader.size + plaintext.count)
    EnvelopeHeader(compression: 0, encryption: 0, logicalSize: UInt64(plaintext.count)).append(to: &stored)
    stored.append(contentsOf: plaintext)
    return stored
  }

  /// Opens what was stored as `file`, refusing a logical size over `maximumSize`.
  public func open(_ stored: [UInt8], as file: StorageFile, maximumSize: Int) throws -> [UInt8] {
    let header = try EnvelopeHeader(parsing: stored, file: file)
    guard header.logicalSize <= UInt64(maximumSize) else {
      throw CairnError(
        .corrupted, "'\(file)' claims \(header.logicalSize) bytes, more than any valid \(file.kind) file")
    }
    let body = Array(stored[EnvelopeHeader.size...])
    guard body.count == Int(header.logicalSize) else {
      throw CairnError(.corrupted, "'\(file)' holds \(body.count) bytes where its header says \(header.logicalSize)")
    }
    return body
  }

  /// Bytes an envelope adds at most to its plaintext.
  public static let overhead = EnvelopeHeader.size + 12 + 16 + 64
}

/// The 16 bytes every stored file starts with (see Docs/FORMAT.md).
public struct EnvelopeHeader: Sendable, Equatable {
  public static let size = 16
  public static let magic: [UInt8] = [UInt8(ascii: "C"), UInt8(ascii: "N")]
  public static let version: UInt8 = 1

  public var compression: UInt8
  public var encryption: UInt8
  public var logicalSize: UInt64

  init(compression: UInt8, encryption: UInt8, logicalSize: UInt64) {
    self.compression = compression
    self.encryption = encryption
    self.logicalSize = logicalSize
  }

  init(parsing bytes: [UInt8], file: StorageFile) throws {
    guard bytes.count >= Self.size, bytes[0] == Self.magic[0], bytes[1] == Self.magic[1] else {
      throw CairnError(.corrupted, "'\(file)' is not a Cairn format 2 file (no envelope header)")
    }
    guard bytes[2] == Self.version, bytes[5] == 0, bytes[6] == 0, bytes[7] == 0 else {
      throw CairnError(
        .unsupported, "'\(file)' was written by a newer cairn (envelope version \(bytes[2])); upgrade cairn to read it")
    }
    compression = bytes[3]
    encryption = bytes[4]
    var size: UInt64 = 0
    for index in (8..<16).reversed() { size = size << 8 | UInt64(bytes[index]) }
    logicalSize = size
  }

  func append(to bytes: inout [UInt8]) {
    bytes += Self.magic
    bytes += [Self.version, compression, encryption, 0, 0, 0]
    for index in 0..<8 { bytes.append(UInt8(truncatingIfNeeded: logicalSize >> (8 * UInt64(index)))) }
  }
}
