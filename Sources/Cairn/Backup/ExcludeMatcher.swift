#if canImport(Glibc)
  import Glibc
#endif

/// Exclude patterns as restic and borg users write them.
///
/// - A pattern without `/` matches a name at any depth: `*.tmp`, `.cache`.
/// - A pattern with `/` matches whole absolute paths, one component per
///   segment: `/home/*/.cache`; `**` stands for any number of components:
///   `/home/**/node_modules`.
/// - `*`, `?` and `[...]` work within one component (fnmatch(3)).
/// An excluded directory is not entered, so everything below it is excluded too.
public struct ExcludeMatcher: Sendable {
  private enum Pattern: Sendable {
    case name([UInt8])
    case path([[UInt8]])
  }

  private let patterns: [Pattern]

  public init(_ patterns: [String]) {
    self.patterns = patterns.map { pattern in
      let bytes = Array(pattern.utf8)
      if !bytes.contains(EntryPath.slash) { return .name(bytes) }
      return .path(bytes.split(separator: EntryPath.slash).map(Array.init))
    }
  }

  public var isEmpty: Bool { patterns.isEmpty }

  /// A pattern is malformed when it is empty or a `[` never closes.
  public static func isValid(_ pattern: String) -> Bool {
    guard !pattern.isEmpty else { return false }
    var open = false
    for character in pattern {
      if character == "[" { open = true } else if character == "]" { open = false }
    }
    return !open
  }

  /// True when `path` (whose last component is `name`) is excluded.
  public func excludes(_ path: EntryPath, name: [UInt8]) -> Bool {
    guard !patterns.isEmpty else { return false }
    var components: [[UInt8]]?
    for pattern in patterns {
      switch pattern {
      case .name(let glob):
        if Self.match(glob, name) { return true }
      case .path(let segments):
        if components == nil { components = path.components.map(Array.init) }
        if Self.match(segments[...], components![...]) { return true }
      }
    }
    return false
  }

  private static func match(_ segments: ArraySlice<[UInt8]>, _ components: ArraySlice<[UInt8]>) -> Bool {
    guard let first = segments.first else { return components.isEmpty }
    if first == Array("**".utf8) {
      let rest = segments.dropFirst()
      var remaining = components
      while true {
        if match(rest, remaining) { return true }
        guard !remaining.isEmpty else { return false }
        remaining = remaining.dropFirst()
      }
    }
    guard let component = components.first, match(first, component) else { return false }
    return match(segments.dropFirst(), components.dropFirst())
  }

  private static func match(_ glob: [UInt8], _ name: [UInt8]) -> Bool {
    (glob + [0]).withUnsafeBufferPointer { pattern in
      (name + [0]).withUnsafeBufferPointer { string in
        pattern.baseAddress!.withMemoryRebound(to: CChar.self, capacity: pattern.count) { patternPointer in
          string.baseAddress!.withMemoryRebound(to: CChar.self, capacity: string.count) { stringPointer in
            fnmatch(patternPointer, stringPointer, 0) == 0
          }
        }
      }
    }
  }
}
