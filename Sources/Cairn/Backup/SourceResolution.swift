import Foundation
import SystemPackage

extension Backup {
  /// Resolves sources like `resolveSources(_:)`, but lets some be missing:
  /// those come back separately, as absolute paths, so that a backup can
  /// save the others and warn. Throws when every source is missing.
  public static func resolveSources(_ sources: [EntryPath], allowingMissing: Bool) throws(CairnError)
    -> (present: [EntryPath], missing: [EntryPath])
  {
    guard allowingMissing else { return (try resolveSources(sources), []) }
    var present: [EntryPath] = []
    var missing: [EntryPath] = []
    for source in sources {
      do {
        _ = try SystemCalls.canonicalPath(source.bytes)
        present.append(source)
      } catch {
        if error == .noSuchFileOrDirectory {
          missing.append(absolute(source))
        } else {
          present.append(source)  // resolveSources explains what is wrong with it
        }
      }
    }
    guard !present.isEmpty else {
      if missing.count == 1 { throw CairnError(.notFound, "source '\(sources[0])' does not exist") }
      throw CairnError(
        .notFound,
        "none of the sources exists (\(missing.map { "'\($0)'" }.joined(separator: ", "))); nothing was backed up")
    }
    let resolved = try resolveSources(present)
    missing = Array(Set(missing).subtracting(resolved)).sorted()
    for source in missing {
      if let outer = resolved.first(where: { source.isWithin($0) || $0.isWithin(source) }) {
        throw CairnError(
          .invalidArgument, "sources '\(source)' and '\(outer)' lie inside one another; give only the outer one")
      }
    }
    return (resolved, missing)
  }

  /// `path` made absolute against the working directory, without `.`,
  /// `..`, doubled or trailing slashes (lexically: it does not exist).
  static func absolute(_ path: EntryPath) -> EntryPath {
    var bytes = path.bytes
    if bytes.first != UInt8(ascii: "/") {
      bytes = Array(FileManager.default.currentDirectoryPath.utf8) + [UInt8(ascii: "/")] + bytes
    }
    var parts: [ArraySlice<UInt8>] = []
    for part in bytes.split(separator: UInt8(ascii: "/")) {
      if part.elementsEqual([UInt8(ascii: ".")]) { continue }
      if part.elementsEqual([UInt8(ascii: "."), UInt8(ascii: ".")]) {
        _ = parts.popLast()
        continue
      }
      parts.append(part)
    }
    return EntryPath(bytes: [UInt8(ascii: "/")] + Array(parts.joined(separator: [UInt8(ascii: "/")])))
  }
}
