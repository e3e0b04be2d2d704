/// An entry to restore, with the takes planned for its content.
struct PlannedEntry {
  let entry: ManifestEntry
  /// The objects the file's write takes, in order (none for other kinds).
  let tickets: [ObjectReadAhead.Ticket]
}

/// The entries a restore writes, in manifest order, read ahead of the
/// writer so that the objects of the files coming next are planned (and so
/// read) before their writes start: the next bundles while the files of
/// this one are written, the next blocks of a large file while it is.
///
/// It reads ahead while the read-ahead wants more plans, and holds at most
/// `maximumEntries` entries (a few MB), however many of them have no content.
struct EntryLookahead {
  static let maximumEntries = 16384

  private var tree: SnapshotTreeReader
  private(set) var selection: RestoreSelection
  private let readAhead: ObjectReadAhead
  private let blockSize: Int
  private var buffer: [PlannedEntry] = []
  private var head = 0
  private var treeEnded = false
  /// Files with other links already planned: a later link becomes a hard
  /// link to the first, so its objects are not planned (should linking
  /// fail, its write plans them itself).
  private var linkedFiles = Set<LinkedFile>()

  private struct LinkedFile: Hashable {
    let device: UInt64
    let inode: UInt64
  }

  init(tree: SnapshotTreeReader, selection: RestoreSelection, readAhead: ObjectReadAhead, blockSize: Int) {
    self.tree = tree
    self.selection = selection
    self.readAhead = readAhead
    self.blockSize = blockSize
  }

  mutating func next() async throws -> PlannedEntry? {
    while !treeEnded, buffer.count - head < Self.maximumEntries, buffer.count == head || readAhead.wantsMorePlans {
      guard let entry = try await tree.next() else {
        treeEnded = true
        break
      }
      guard try selection.admits(entry) else { continue }
      var first = Self.objects(
        of: entry, blockSize: blockSize, blocks: 0..<min(entry.blocks.count, FileReads.sliceBlocks))
      if entry.kind == .file, entry.linkCount > 1,
        !linkedFiles.insert(LinkedFile(device: entry.device, inode: entry.inode)).inserted
      {
        first = []
      }
      buffer.append(PlannedEntry(entry: entry, tickets: readAhead.plan(first)))
    }
    guard head < buffer.count else { return nil }
    let next = buffer[head]
    head += 1
    if head >= 1024 && head * 2 >= buffer.count {
      buffer.removeFirst(head)
      head = 0
    }
    return next
  }

  /// The objects `blocks` of a file's write reads, in order, with what
  /// they will hold in memory as far as the entry tells. A damaged entry
  /// plans nothing: its write fails on the same damage.
  static func objects(of entry: ManifestEntry, blockSize: Int, blocks: Range<Int>) -> [ObjectReadAhead.PlannedObject] {
    guard entry.kind == .file, !blocks.isEmpty else { return [] }
    guard let slice = try? entry.bundleSlice() else {
      guard let length = try? entry.contentLength() else { return [] }
      return blocks.map { index in
        let remaining = length - min(length, UInt64(index) * UInt64(blockSize))
        let estimate = max(1, min(UInt64(blockSize), remaining))
        return ObjectReadAhead.PlannedObject(id: entry.blocks[index], estimate: Int(estimate), isBundle: false)
      }
    }
    // A bundle's size is not in the manifest: counted at the largest a bundle may be.
    let estimate = max(BundlePolicy.maximumSize(blockSize: blockSize), Int(clamping: slice.end))
    return [ObjectReadAhead.PlannedObject(id: entry.blocks[0], estimate: estimate, isBundle: true)]
  }
}
