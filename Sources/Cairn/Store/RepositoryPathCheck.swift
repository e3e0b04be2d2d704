import Foundation
import SystemPackage

/// What is wrong with a repository path that cannot be opened or created,
/// said in one line: a path that is a file, a parent that is not a
/// directory, a directory that cannot be created and why. Kept apart from
/// `Repository`'s file access so that any storage layer can call it.
enum RepositoryPathCheck {
  /// Why `path` cannot be opened as a repository directory, or nil when it
  /// is a directory (through symlinks).
  static func openingProblem(_ path: String) -> CairnError? {
    var isDirectory: ObjCBool = false
    if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) {
      if isDirectory.boolValue { return nil }
      return CairnError(.notARepository, "repository '\(path)' is not a directory")
    }
    if let blocker = firstNonDirectoryAncestor(of: path) {
      return CairnError(.notARepository, "repository '\(path)' cannot exist: '\(blocker)' is not a directory")
    }
    return CairnError(.notARepository, "repository '\(path)' does not exist; create it with 'cairn init'")
  }

  /// Creates `path` and its missing parents (mode 0755), like `mkdir -p`,
  /// saying which component is in the way when one is not a directory.
  static func makeDirectories(_ path: String, files: FileSystem = .linux) throws(CairnError) {
    var prefix = path.hasPrefix("/") ? "" : "."
    for component in path.split(separator: "/", omittingEmptySubsequences: true) {
      prefix += "/" + component
      do {
        try files.makeDirectory(Array(prefix.utf8), mode: 0o755)
      } catch {
        if error == .fileExists {
          var isDirectory: ObjCBool = false
          if FileManager.default.fileExists(atPath: prefix, isDirectory: &isDirectory), isDirectory.boolValue {
            continue
          }
          throw CairnError(
            .invalidArgument, "cannot create repository '\(path)': '\(display(prefix))' is not a directory")
        }
        if error == .notDirectory, let blocker = firstNonDirectoryAncestor(of: path) {
          throw CairnError(.invalidArgument, "cannot create repository '\(path)': '\(blocker)' is not a directory")
        }
        throw .system("mkdir", error, "could not create repository directory '\(display(prefix))'")
      }
    }
  }

  /// The first component of `path` that exists and is not a directory
  /// (a file where a directory should be), or nil.
  static func firstNonDirectoryAncestor(of path: String) -> String? {
    var prefix = path.hasPrefix("/") ? "" : "."
    for component in path.split(separator: "/", omittingEmptySubsequences: true) {
      prefix += "/" + component
      var isDirectory: ObjCBool = false
      guard FileManager.default.fileExists(atPath: prefix, isDirectory: &isDirectory) else { return nil }
      if !isDirectory.boolValue { return display(prefix) }
    }
    return nil
  }

  /// A prefix as the user wrote it (without the "./" added for relative paths).
  private static func display(_ prefix: String) -> String {
    prefix.hasPrefix("./") ? String(prefix.dropFirst(2)) : prefix
  }
}
