import SystemPackage

/// Walks source trees depth first, names in byte order, producing entries in
/// manifest order. Directories are opened with `openat` relative to their
/// parent and never through symlinks; entries are described with `fstatat`
/// without following links. Directory descriptors close themselves when
/// the walk leaves the directory (or the walker goes).
struct TreeWalker: Sendable {
  /// One thing the walk found.
  enum Event: Sendable {
    /// An entry; `parent` and `name` locate it for `openat`.
    case entry(path: EntryPath, status: FileStatus, parent: Descriptor, name: [UInt8])
    /// Something that could not be read: the walk goes on without it.
    case problem(path: EntryPath, message: String)
    /// Something left out on purpose (the repository inside a source).
    case notice(path: EntryPath, message: String)
  }

  private struct Frame: Sendable {
    let descriptor: Descriptor
    let path: EntryPath
    let names: [[UInt8]]
    var next = 0
  }

  private let roots: [EntryPath]
  private var nextRoot = 0
  private var stack: [Frame] = []
  /// A directory returned by the last call, to be entered on the next one.
  private var pendingDirectory: (path: EntryPath, parent: Descriptor, name: [UInt8])?
  /// Directories never entered (the repository itself, when it lies inside a source).
  private let excluded: Set<FileIdentity>

  struct FileIdentity: Hashable, Sendable {
    let device: UInt64
    let inode: UInt64
  }

  private let excludes: ExcludeMatcher
  /// Caches, marker files, sizes, other file systems.
  var rules = SourceExcludes()
  /// The device of the root being walked, for `rules.oneFileSystem`.
  private var rootDevice: UInt64?
  private let files: FileSystem

  /// `roots` are absolute paths in manifest order, none inside another.
  init(
    roots: [EntryPath], excluding excluded: Set<FileIdentity> = [], excludes: ExcludeMatcher = ExcludeMatcher([]),
    files: FileSystem = .linux
  ) {
    self.roots = roots
    self.excluded = excluded
    self.excludes = excludes
    self.files = files
  }

  /// Up to `limit` events (fewer only at the end of the walk): a batch is
  /// what one hop to `BlockingPool` walks.
  mutating func next(upTo limit: Int) -> [Event] {
    var events: [Event] = []
    while events.count < limit, let event = next() { events.append(event) }
    return events
  }

  mutating func next() -> Event? {
    if let directory = pendingDirectory {
      pendingDirectory = nil
      if let problem = enter(directory) { return problem }
    }
    while let top = stack.last {
      if top.next == top.names.count {
        stack.removeLast()
        continue
      }
      let name = top.names[top.next]
      stack[stack.count - 1].next += 1
      let path = top.path.appending(name)
      if excludes.excludes(path, name: name) { continue }
      guard let event = describe(path: path, parent: top.descriptor, name: name) else { continue }
      return event
    }
    guard nextRoot < roots.count else { return nil }
    let root = roots[nextRoot]
    nextRoot += 1
    rootDevice = nil
    return describe(path: root, parent: .currentDirectory, name: root.bytes, isRoot: true)
  }

  /// The event for one entry; nil when `rules` leave it out.
  private mutating func describe(path: EntryPath, parent: Descriptor, name: [UInt8], isRoot: Bool = false) -> Event? {
    let status: FileStatus
    do {
      status = try files.linkStatus(name, relativeTo: parent)
    } catch {
      let what = error == .noSuchFileOrDirectory ? "vanished during the backup" : "cannot be examined (\(error))"
      return .problem(path: path, message: what)
    }
    if isRoot {
      rootDevice = status.device
    } else if !rules.isEmpty && rules.excludes(status, parent: parent, name: name, files: files) {
      return nil
    }
    if status.kind == .directory, rules.oneFileSystem, let rootDevice, status.device != rootDevice {
      return .entry(path: path, status: status, parent: parent, name: name)  // kept, not entered
    }
    if status.kind == .directory {
      if excluded.contains(FileIdentity(device: status.device, inode: status.inode)) {
        return .notice(path: path, message: "is the repository itself; not backed up")
      }
      pendingDirectory = (path, parent, name)
    }
    return .entry(path: path, status: status, parent: parent, name: name)
  }

  private mutating func enter(_ directory: (path: EntryPath, parent: Descriptor, name: [UInt8])) -> Event? {
    CrashPoint.reach("walk.enter")
    let descriptor: Descriptor
    do {
      descriptor = try files.open(
        directory.name, relativeTo: directory.parent, flags: [.readOnly, .directory, .noFollow])
    } catch {
      return .problem(path: directory.path, message: "directory cannot be opened (\(error)); its contents are skipped")
    }
    do {
      var names = try files.directoryNames(descriptor)
      names.sort { $0.lexicographicallyPrecedes($1) }
      stack.append(Frame(descriptor: descriptor, path: directory.path, names: names))
      return nil
    } catch {
      return .problem(path: directory.path, message: "directory cannot be listed (\(error)); its contents are skipped")
    }
  }
}
