public import Foundation

/// Entry points to the decoders of untrusted repository content, for the
/// fuzzing harness and for tools that want to validate a file.
public enum FormatValidation {
  /// Decodes one manifest part completely; returns the number of entries.
  /// Throws `CairnError` (`.corrupted`) for anything malformed, never traps.
  public static func decodeManifestPart(_ bytes: [UInt8]) throws -> Int {
    var decoder = try ManifestCodec.Decoder(part: SHA256.hash(bytes), bytes: bytes)
    var count = 0
    var previous: EntryPath?
    while let entry = try decoder.next() {
      if let previous, !(previous < entry.path) {
        throw CairnError(.corrupted, "manifest entries out of order at '\(entry.path)'")
      }
      previous = entry.path
      _ = entry.path.isSafeToRestore
      count += 1
    }
    return count
  }

  /// Decodes a snapshot record and its manifest addresses.
  public static func decodeSnapshotRecord(_ data: Data) throws -> SnapshotRecord {
    let record = try JSONDecoder().decode(SnapshotRecord.self, from: data)
    _ = try record.manifestObjects()
    _ = record.date
    return record
  }

  /// Decodes a repository config and validates it.
  public static func decodeRepositoryConfig(_ data: Data) throws -> RepositoryConfig {
    let config = try JSONDecoder().decode(RepositoryConfig.self, from: data)
    try config.validate(path: "(input)")
    return config
  }
}
