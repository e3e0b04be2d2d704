/// How `ObjectEnvelope.seal` encodes what it stores: chosen per repository at
/// `init`, and per run for compression.
public struct EnvelopeSettings: Sendable {
  /// Whether, and how hard, to compress.
  public enum Compression: Sendable, Hashable {
    case none
    /// zstd at a level in `Zstd.levels`.
    case zstd(level: Int)
  }

  public var compression: Compression
  /// The data key's cipher, or nil for a repository that is not encrypted.
  public var encryption: AES256GCM?

  public init(compression: Compression = .zstd(level: Zstd.defaultLevel), encryption: AES256GCM? = nil) {
    self.compression = compression
    self.encryption = encryption
  }
}
