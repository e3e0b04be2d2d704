/// How a repository turns plaintext into stored bytes and back: the object's
/// address (SHA-256, or HMAC-SHA256 under the addressing key when the
/// repository is encrypted, so that names reveal nothing), and the envelope
/// (compression, encryption; see `ObjectEnvelope`). Objects, snapshot
/// records and the log all go through one codec, so no stored file escapes
/// the envelope.
public struct ObjectCodec: Sendable {
  public typealias Compression = EnvelopeSettings.Compression

  public var settings: EnvelopeSettings
  public let addressing: ObjectAddressing

  /// A codec for a repository without encryption.
  public init(compression: Compression) {
    settings = EnvelopeSettings(compression: compression, encryption: nil)
    addressing = .plain
  }

  /// A codec for an encrypted repository, from its master keys.
  public init(compression: Compression, keys: MasterKeys) {
    settings = EnvelopeSettings(compression: compression, encryption: keys.cipher)
    addressing = keys.addressing
  }

  public var isEncrypted: Bool { settings.encryption != nil }

  /// The same codec compressing new objects differently (`backup --compression`);
  /// reading is unaffected, and addresses do not change, so objects still deduplicate.
  public func compressing(_ compression: Compression) -> ObjectCodec {
    var codec = self
    codec.settings.compression = compression
    return codec
  }

  /// The address of `bytes`.
  public func address(of bytes: UnsafeRawBufferPointer) -> ObjectID { addressing.id(of: bytes) }

  /// Seals `plaintext` for storage as `file`; the envelope is bound to the
  /// file's path, so a sealed file moved to another name does not open.
  public func seal(_ plaintext: UnsafeRawBufferPointer, as file: StorageFile) throws -> [UInt8] {
    try ObjectEnvelope.seal(plaintext, binding: file.relativePath, settings: settings)
  }

  /// Opens what was stored as `file`, refusing a logical size over `maximumSize`
  /// before decompressing anything.
  public func open(_ stored: [UInt8], as file: StorageFile, maximumSize: Int) throws -> [UInt8] {
    try ObjectEnvelope.open(
      stored, binding: file.relativePath, dataKey: settings.encryption, maximumLogicalSize: maximumSize)
  }

  /// The same, for stored bytes the caller no longer needs: they may be
  /// decrypted where they lie (see `ObjectEnvelope.open(consuming:)`).
  public func open(consuming stored: inout [UInt8], as file: StorageFile, maximumSize: Int) throws -> [UInt8] {
    var zstd = Zstd()
    return try ObjectEnvelope.open(
      consuming: &stored, binding: file.relativePath, dataKey: settings.encryption, maximumLogicalSize: maximumSize,
      using: &zstd)
  }

  /// Bytes an envelope adds at most to a stored file beyond its payload bound.
  public static let overhead = ObjectEnvelope.headerSize + AES256GCM.overhead + 64
}
