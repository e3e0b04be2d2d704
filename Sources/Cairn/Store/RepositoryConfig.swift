/// `config`: what a reader needs before it can read anything else. It is
/// the one file stored as plain JSON, outside the envelope: it says how the
/// rest is encoded.
public struct RepositoryConfig: Codable, Sendable, Equatable {
  /// The repository format this build reads and writes.
  public static let currentFormat = 2
  public static let defaultBlockSize = 1 << 20
  /// The default on object storage, where every object is a paid request:
  /// measured against deduplication with Benchmarks/blocksize.sh
  /// (Docs/PERFORMANCE.md, "Block size on S3").
  public static let defaultRemoteBlockSize = 8 << 20

  /// The default block size of a new repository, local or on object storage.
  public static func defaultBlockSize(remote: Bool) -> Int { remote ? defaultRemoteBlockSize : defaultBlockSize }
  public static let blockSizeRange = (64 << 10)...(16 << 20)
  /// zstd's fastest levels keep a first backup near the speed of no compression.
  public static let defaultCompression = ObjectCodec.Compression.zstd(level: 1)

  public var format: Int
  public var id: String
  public var blockSize: Int
  /// How objects are addressed: "sha256", or "hmac-sha256" when encrypted.
  public var hash: String
  public var created: String
  /// The default compression of new objects: "none" or "zstd:LEVEL".
  public var compression: String
  /// "none" or "aes-256-gcm".
  public var encryption: String

  public static func name(of compression: ObjectCodec.Compression) -> String {
    switch compression {
    case .none: "none"
    case .zstd(let level): "zstd:\(level)"
    }
  }

  /// Parses "none", "zstd" (the default level) or "zstd:LEVEL".
  public static func compression(named name: String) -> ObjectCodec.Compression? {
    if name == "none" { return ObjectCodec.Compression.none }
    if name == "zstd" { return defaultCompression }
    guard name.hasPrefix("zstd:"), let level = Int(name.dropFirst(5)), Zstd.levels.contains(level) else { return nil }
    return .zstd(level: level)
  }

  func codec(keys: MasterKeys?) throws -> ObjectCodec {
    guard let compression = Self.compression(named: compression) else {
      throw CairnError(.unsupported, "repository compression '\(self.compression)' is not known to this cairn")
    }
    guard let keys else { return ObjectCodec(compression: compression) }
    return ObjectCodec(compression: compression, keys: keys)
  }

  /// Rejects a config this build cannot work with, naming the field.
  func validate(path: String) throws(CairnError) {
    guard format == Self.currentFormat else {
      throw CairnError(
        .unsupported, "repository '\(path)' has format \(format); this cairn reads format \(Self.currentFormat)")
    }
    guard hash == "sha256" || hash == "hmac-sha256" else {
      throw CairnError(.unsupported, "repository '\(path)' uses hash '\(hash)', which this cairn does not know")
    }
    guard Self.blockSizeRange.contains(blockSize) else {
      throw CairnError(.corrupted, "repository '\(path)' has an invalid block size \(blockSize) in its config")
    }
    guard encryption == "none" || encryption == "aes-256-gcm" else {
      throw CairnError(.unsupported, "repository '\(path)' uses encryption '\(encryption)', unknown to this cairn")
    }
  }
}
