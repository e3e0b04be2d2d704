/// Which entries of a snapshot a restore writes: every one, or those within
/// the includes; and which includes matched nothing. Refuses an unsafe path
/// (`..`, `.` or empty components) wherever it is met.
struct RestoreSelection {
  let snapshot: String
  let includes: [EntryPath]
  private var matched = Set<EntryPath>()

  init(snapshot: String, includes: [EntryPath]) {
    self.snapshot = snapshot
    self.includes = includes
  }

  /// Whether `entry` is restored.
  mutating func admits(_ entry: ManifestEntry) throws(CairnError) -> Bool {
    try Self.checkSafe(entry.path, in: snapshot)
    guard !includes.isEmpty else { return true }
    guard let include = includes.first(where: { entry.path.isWithin($0) }) else { return false }
    matched.insert(include)
    return true
  }

  /// The includes no entry was within, in the order given.
  var unmatchedIncludes: [EntryPath] { includes.filter { !matched.contains($0) } }

  static func checkSafe(_ path: EntryPath, in snapshot: String) throws(CairnError) {
    guard path.isSafeToRestore else {
      throw CairnError(.unsafePath, "snapshot '\(snapshot)' holds the unsafe path '\(path)'; restore refused")
    }
  }
}
