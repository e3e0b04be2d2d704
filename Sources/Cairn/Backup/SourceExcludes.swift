import Foundation

/// The standard excludes of restic and borg, beside the glob patterns of
/// `ExcludeMatcher`: cache directories, directories holding a marker file,
/// files above a size, and other file systems.
public struct SourceExcludes: Sendable, Equatable {
  /// Leave out directories holding a valid `CACHEDIR.TAG`
  /// (https://bford.info/cachedir/): one that starts with the signature.
  public var excludeCaches = false
  /// Leave out directories holding a file (of any type) with one of these names.
  public var ifPresent: [String] = []
  /// Leave out files larger than this many bytes.
  public var largerThan: UInt64?
  /// Do not descend into directories on another file system than their
  /// source's (the mount point itself is kept, empty).
  public var oneFileSystem = false

  public init() {}

  public var isEmpty: Bool { !excludeCaches && ifPresent.isEmpty && largerThan == nil && !oneFileSystem }

  static let cacheTagName = Array("CACHEDIR.TAG".utf8)
  static let cacheTagSignature = Array("Signature: 8a477f597d28d172789f06886806bc55".utf8)

  /// True when the entry `name` in the directory `parent`, described by
  /// `status`, is left out entirely.
  func excludes(_ status: FileStatus, parent: Descriptor, name: [UInt8], files: FileSystem) -> Bool {
    switch status.kind {
    case .file:
      if let largerThan, status.size > largerThan { return true }
    case .directory:
      if excludeCaches,
        let tag = try? files.open(
          name + [EntryPath.slash] + Self.cacheTagName, relativeTo: parent, flags: [.readOnly, .noFollow, .nonBlocking])
      {
        let head = (try? files.readBytes(tag, count: Self.cacheTagSignature.count)) ?? []
        if head == Self.cacheTagSignature { return true }
      }
      for marker in ifPresent
      where (try? files.linkStatus(name + [EntryPath.slash] + Array(marker.utf8), relativeTo: parent)) != nil {
        return true
      }
    default:
      break
    }
    return false
  }

  /// Parses a size: a number of bytes, or with a unit k, m, g or t
  /// (powers of 1024; `KiB`, `MB` and the like are read the same way).
  public static func size(_ text: String) throws(CairnError) -> UInt64 {
    let trimmed = text.trimmingCharacters(in: .whitespaces)
    let digits = trimmed.prefix { $0.isASCII && ($0.isNumber || $0 == ".") }
    var unit = trimmed.dropFirst(digits.count).trimmingCharacters(in: .whitespaces).lowercased()
    if unit.hasSuffix("ib") { unit.removeLast(2) } else if unit.hasSuffix("b") { unit.removeLast() }
    let multipliers: [String: Double] = ["": 1, "k": 0x400, "m": 0x10_0000, "g": 0x4000_0000, "t": 0x100_0000_0000]
    guard let number = Double(digits), number >= 0, let multiplier = multipliers[unit] else {
      throw CairnError(
        .invalidArgument, "'\(text)' is not a size; write bytes or a number with k, m, g or t, such as 500k or 2G")
    }
    return UInt64(number * multiplier)
  }

  /// Reads exclude patterns from a file: one per line; blank lines and
  /// lines starting with '#' are ignored, as are spaces around a pattern.
  public static func patterns(fromFile path: String) throws(CairnError) -> [String] {
    guard let data = FileManager.default.contents(atPath: path) else {
      throw CairnError(.notFound, "exclude file '\(path)' cannot be read")
    }
    var patterns: [String] = []
    for (number, line) in String(decoding: data, as: UTF8.self).split(
      separator: "\n", omittingEmptySubsequences: false
    ).enumerated() {
      let pattern = line.trimmingCharacters(in: .whitespaces)
      if pattern.isEmpty || pattern.hasPrefix("#") { continue }
      guard ExcludeMatcher.isValid(pattern) else {
        throw CairnError(
          .invalidArgument, "exclude file '\(path)': line \(number + 1): pattern '\(pattern)' is malformed")
      }
      patterns.append(pattern)
    }
    return patterns
  }
}
