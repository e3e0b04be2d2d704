/// `config.json`: what a reader needs before it can read anything else.
public struct RepositoryConfig: Codable, Sendable, Equatable {
  /// The repository format this build reads and writes.
  public static let currentFormat = 1
  public static let defaultBlockSize = 1 << 20
  public static let blockSizeRange = (64 << 10)...(16 << 20)

  public var format: Int
  public var id: String
  public var blockSize: Int
  public var hash: String
  public var created: String

  /// Rejects a config this build cannot work with, naming the field.
  func validate(path: String) throws(CairnError) {
    guard format == Self.currentFormat else {
      throw CairnError(
        .unsupported, "repository '\(path)' has format \(format); this cairn reads format \(Self.currentFormat)")
    }
    guard hash == "sha256" else {
      throw CairnError(.unsupported, "repository '\(path)' uses hash '\(hash)'; this cairn knows only 'sha256'")
    }
    guard Self.blockSizeRange.contains(blockSize) else {
      throw CairnError(.corrupted, "repository '\(path)' has an invalid block size \(blockSize) in config.json")
    }
  }
}
