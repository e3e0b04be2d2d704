import SystemPackage

/// Checks on the folder of a local repository, before it is opened or
/// created, so that each mistake gets a message that names it.
enum RepositoryFolder {
  /// What an interrupted `init` may leave: the layout, and no config.
  private static let layoutNames: Set<String> = ["keys", "objects", "snapshots"]

  /// Refuses `path` unless it is a directory.
  static func checkExists(_ path: String) throws(CairnError) {
    let status: FileStatus
    do {
      status = try SystemCalls.status(Array(path.utf8))
    } catch {
      if error == .noSuchFileOrDirectory {
        throw CairnError(.notARepository, "repository '\(path)' does not exist; create it with 'cairn init'")
      }
      if error == .notDirectory {
        throw CairnError(.notARepository, "repository '\(path)' cannot exist: a parent of it is not a directory")
      }
      throw .system("stat", error, "could not look at repository '\(path)'")
    }
    guard status.kind == .directory else {
      throw CairnError(.notARepository, "repository '\(path)' is a \(status.kind), not a directory")
    }
  }

  /// Creates `path` (and its parents) if needed, and refuses a folder that
  /// holds anything but what an interrupted `init` leaves.
  static func prepareForInit(_ path: String) throws(CairnError) {
    var prefix: [UInt8] = []
    for component in path.utf8.split(separator: UInt8(ascii: "/"), omittingEmptySubsequences: false) {
      prefix += component
      defer { prefix.append(UInt8(ascii: "/")) }
      guard !component.isEmpty else { continue }
      do {
        try SystemCalls.makeDirectory(prefix, mode: 0o755)
      } catch {
        if error == .fileExists { continue }
        let display = String(decoding: prefix, as: UTF8.self)
        if error == .notDirectory {
          throw CairnError(.invalidArgument, "cannot create repository '\(path)': a parent of it is not a directory")
        }
        throw .system("mkdir", error, "could not create repository directory '\(display)'")
      }
    }
    let descriptor: Int32
    do {
      descriptor = try SystemCalls.open(path, flags: [.readOnly, .directory])
    } catch {
      if error == .notDirectory {
        throw CairnError(.invalidArgument, "'\(path)' exists and is not a directory")
      }
      throw .system("open", error, "could not open '\(path)'")
    }
    defer { SystemCalls.close(descriptor) }
    let names: [String]
    do {
      names = try SystemCalls.directoryNames(descriptor).map { String(decoding: $0, as: UTF8.self) }
    } catch {
      throw .system("readdir", error, "could not list '\(path)'")
    }
    if names.contains("config") {
      throw CairnError(.repositoryExists, "'\(path)' is already a Cairn repository")
    }
    let foreign = names.filter { !layoutNames.contains($0) && !$0.hasPrefix(".config.") }
    guard foreign.isEmpty else {
      throw CairnError(.invalidArgument, "'\(path)' is not empty; give an empty or new directory for the repository")
    }
    try LocalStorage.createLayout(at: path)
  }
}
