import SystemPackage

/// Checks on the folder of a local repository, before it is opened or
/// created, so that each mistake gets a message that names it.
enum RepositoryFolder {
  /// What an interrupted `init` may leave: the layout, and no config.
  private static let layoutNames: Set<String> = ["keys", "objects", "snapshots"]

  /// Refuses `path` unless it is a directory, naming what is in the way.
  static func checkExists(_ path: String) throws(CairnError) {
    if let problem = RepositoryPathCheck.openingProblem(path) { throw problem }
  }

  /// Creates `path` (and its parents) if needed, and refuses a folder that
  /// holds anything but what an interrupted `init` leaves.
  static func prepareForInit(_ path: String, files: FileSystem = .linux) throws(CairnError) {
    try RepositoryPathCheck.makeDirectories(path, files: files)
    let descriptor: Descriptor
    do {
      descriptor = try files.open(path, flags: [.readOnly, .directory])
    } catch {
      if error == .notDirectory {
        throw CairnError(.invalidArgument, "'\(path)' exists and is not a directory")
      }
      throw .system("open", error, "could not open '\(path)'")
    }
    let names: [String]
    do {
      names = try files.directoryNames(descriptor).map { String(decoding: $0, as: UTF8.self) }
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
    try LocalStorage.createLayout(at: path, files: files)
  }
}
