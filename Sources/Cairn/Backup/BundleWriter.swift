import SystemPackage

/// The content of one small file, read whole, with its address.
struct SmallFileContent: Sendable {
  var bytes: [UInt8]
  var content: ObjectID

  /// Reads up to `size` bytes of `file` from its start (fewer when the file
  /// shrank), on `chunker`'s pool, and addresses them with `store`.
  static func read(_ file: Descriptor, size: Int, chunker: Chunker, store: ObjectStore) async throws
    -> SmallFileContent
  {
    let files = chunker.files
    let bytes: [UInt8]
    do {
      bytes = try await chunker.pool.run { () throws(Errno) in try files.readBytes(file, count: size) }
    } catch {
      throw Chunker.ReadFailure(errno: error)
    }
    return SmallFileContent(bytes: bytes, content: bytes.withUnsafeBytes { store.address(of: $0) })
  }
}

/// Stands between a backup and its `ManifestWriter`: gathers small files
/// into bundles (cut by `BundlePolicy`), stores each bundle as one object,
/// and passes every entry on in manifest order, holding those that follow a
/// bundle still being filled or stored until its address is known.
///
/// One bundle is stored in the background (on the backup's `ReadQueue`, a
/// child of its task group) while the next fills, so hashing,
/// compressing and writing a bundle overlaps with reading files. Memory: the
/// open bundle, the one being stored (each at most `maximumSize`), and the
/// entries held behind them (at most `maximumHeld`). Used by one task only.
final class BundleWriter {
  private struct Held {
    var entry: ManifestEntry
    /// Where the file lies in its bundle; nil for entries passed through.
    var slice: (offset: UInt64, content: ObjectID)?
    /// The bundle this entry waits for.
    var bundle: Int
  }

  /// Most entries held behind an open bundle, and behind one being stored.
  static let maximumHeld = 16384
  static let maximumHeldBehindStoring = 1024

  let policy: BundlePolicy
  private let store: ObjectStore
  private var manifest: ManifestWriter
  private let published: PublishSchedule?
  private let queue: ReadQueue

  private var held: [Held] = []
  private var heldStart = 0
  /// The bundle being filled: its number, bytes, files, and where each
  /// distinct content already is in it (a file repeated in one bundle is stored once).
  private var openBundle: Int?
  private var buffer: [UInt8] = []
  private var cutter: BundlePolicy.Cutter
  private var offsets: [ObjectID: UInt64] = [:]
  private var nextBundle = 1
  /// The bundle being stored.
  private var storing: (bundle: Int, task: PendingResult<ObjectStore.PutResult>)?

  private(set) var bundles = 0
  private(set) var newObjects = 0
  private(set) var newBytes: UInt64 = 0

  init(store: ObjectStore, policy: BundlePolicy, queue: ReadQueue, published: PublishSchedule? = nil) {
    self.store = store
    self.queue = queue
    self.policy = policy
    self.cutter = BundlePolicy.Cutter(policy: policy)
    self.manifest = ManifestWriter(store: store)
    self.published = published
  }

  private var heldCount: Int { held.count - heldStart }

  /// Passes an entry on, or holds it behind the bundle being filled or stored.
  func append(_ entry: ManifestEntry) async throws {
    guard let waitFor = openBundle ?? storing?.bundle else {
      try await manifest.append(entry)
      return
    }
    held.append(Held(entry: entry, slice: nil, bundle: waitFor))
    if openBundle == nil, heldCount >= Self.maximumHeldBehindStoring {
      try await finishStoring()
    } else if heldCount >= Self.maximumHeld {
      try await seal()
    }
  }

  /// Adds a small file (`entry.size` equals `file.bytes.count`) to the open bundle.
  func append(_ entry: ManifestEntry, file: SmallFileContent) async throws {
    precondition(policy.isSmall(UInt64(file.bytes.count)) && entry.size == UInt64(file.bytes.count))
    if openBundle != nil, cutter.mustEndBefore(adding: offsets[file.content] == nil ? file.bytes.count : 0) {
      try await seal()
    }
    if openBundle == nil {
      openBundle = nextBundle
      nextBundle += 1
      buffer.reserveCapacity(policy.targetSize + policy.smallFileLimit)
    }
    let offset: UInt64
    var added = 0
    if let known = offsets[file.content] {
      offset = known
    } else {
      offset = UInt64(buffer.count)
      buffer.append(contentsOf: file.bytes)
      offsets[file.content] = offset
      added = file.bytes.count
    }
    held.append(Held(entry: entry, slice: (offset, file.content), bundle: openBundle!))
    let hash = BundlePolicy.cutHashInput(path: entry.path, content: file.content).withUnsafeBytes {
      store.address(of: $0)
    }
    if cutter.add(size: entry.size, added: added, hash: hash) || heldCount >= Self.maximumHeld {
      try await seal()
    }
  }

  /// Ends the open bundle and starts storing it, once the previous one is stored.
  private func seal() async throws {
    guard let bundle = openBundle else { return }
    try await finishStoring()
    let bytes = buffer
    let store = self.store
    storing = (bundle, queue.submit { try await store.put(bytes) })
    openBundle = nil
    buffer = []
    cutter.reset()
    offsets.removeAll(keepingCapacity: true)
    bundles += 1
  }

  /// Waits for the bundle being stored and passes on the entries that waited for it.
  private func finishStoring() async throws {
    guard let (bundle, task) = storing else { return }
    let stored = try await task.value
    storing = nil
    if let size = stored.storedSize {
      newObjects += 1
      newBytes += size
      published?.wrote(size)
      await CrashPoint.reachSuspending("backup.object")
    }
    while heldStart < held.count, held[heldStart].bundle == bundle {
      var item = held[heldStart]
      heldStart += 1
      if let (offset, content) = item.slice {
        item.entry.blocks = [stored.id]
        item.entry.setField(
          .bundleSlice, BundleSlice(offset: offset, length: item.entry.size, content: content).encoded)
      }
      try await manifest.append(item.entry)
    }
    if heldStart == held.count {
      held.removeAll(keepingCapacity: held.count <= 4096)
      heldStart = 0
    } else if heldStart > 4096 {
      held.removeFirst(heldStart)
      heldStart = 0
    }
  }

  /// Stores the last bundle, passes every held entry on, and stores the
  /// manifest; returns its parts.
  func finish() async throws -> [ObjectID] {
    try await seal()
    try await finishStoring()
    precondition(heldCount == 0, "entries held behind no bundle")
    let parts = try await manifest.finish()
    newObjects += manifest.newObjects
    newBytes += manifest.newBytes
    return parts
  }

  /// After a failure, once the queue's workers have ended: lets go of the
  /// bundle that was being stored (its job has ended too).
  func cancel() async {
    if let (_, task) = storing { _ = try? await task.value }
    storing = nil
  }
}
