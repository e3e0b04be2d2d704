import Foundation

/// What makes two snapshots belong to the same group for retention: any of
/// host, paths (the sources) and tags; none puts the whole repository in one
/// group.
public struct SnapshotGrouping: Sendable, Equatable, CustomStringConvertible {
  public var host: Bool
  public var paths: Bool
  public var tags: Bool

  public init(host: Bool, paths: Bool, tags: Bool) {
    self.host = host
    self.paths = paths
    self.tags = tags
  }

  /// The default: by host and sources, so that one machine's or one tree's
  /// rules never remove another's snapshots.
  public static let hostAndPaths = SnapshotGrouping(host: true, paths: true, tags: false)

  /// Parses `host,paths,tags` or any subset; an empty text is the whole repository.
  public init(parsing text: String) throws(CairnError) {
    self.init(host: false, paths: false, tags: false)
    for part in text.split(separator: ",", omittingEmptySubsequences: false) {
      switch part.trimmingCharacters(in: .whitespaces) {
      case "host": host = true
      case "paths", "path", "sources": paths = true
      case "tags", "tag": tags = true
      case "" where text.trimmingCharacters(in: .whitespaces).isEmpty: break
      default:
        throw CairnError(
          .invalidArgument,
          "cannot group snapshots by '\(part)'; use any of 'host', 'paths' and 'tags', separated by commas"
            + " (or '' for the whole repository)")
      }
    }
  }

  public var description: String {
    [host ? "host" : nil, paths ? "paths" : nil, tags ? "tags" : nil].compactMap { $0 }.joined(separator: ",")
  }

  /// The group `record` belongs to.
  public func key(of record: SnapshotRecord) -> SnapshotGroupKey {
    SnapshotGroupKey(
      host: host ? record.host : nil, paths: paths ? record.sources : nil,
      tags: tags ? Array(Set(record.tags)).sorted() : nil)
  }
}

/// One group's identity: the values of the grouping's fields (nil when not grouped by).
public struct SnapshotGroupKey: Hashable, Sendable, CustomStringConvertible, Encodable {
  public var host: String?
  public var paths: [String]?
  public var tags: [String]?

  public var description: String {
    var parts: [String] = []
    if let host { parts.append("host \(host)") }
    if let paths { parts.append("paths \(paths.joined(separator: ","))") }
    if let tags { parts.append("tags \(tags.isEmpty ? "(none)" : tags.joined(separator: ","))") }
    return parts.isEmpty ? "whole repository" : parts.joined(separator: ", ")
  }
}
