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
/// Bundles are stored in the background (on a `ReadQueue` of the backup's
/// task group) while the next fills, so hashing, compressing and writing a
/// bundle overlaps with reading files: one at a time on a local disk, up to
/// `remoteStoresInFlight` on a remote storage, where most of a store is
/// waiting for the server. Memory: the open bundle, those being stored
/// (each at most `maximumSize`), and the entries held behind them (at most
/// `maximumHeld`). Used by one task only.
final class BundleWriter {
  private struct Held {
    var entry: ManifestEntry
    /// Where the file lies in its bundle; nil for entries passed through.
    var slice: (offset: UInt64, content: ObjectID)?
    /// The bundle this entry waits for.
    var bundle: Int
  }

  /// Most entries held behind an open bundle, and behind those being stored.
  static let maximumHeld = 16384
  static let maximumHeldBehindStoring = 1024

  /// Bundles stored at once on a remote storage. One at a time left a first
  /// backup to S3 waiting 1.7–1.8 s (of 7.5–7.9) for the previous bundle's
  /// upload before it could hand on the next bundle (see also
  /// `Parallelism.backupReaders(remote:)`).
  static let remoteStoresInFlight = 4

  let policy: BundlePolicy
  private let store: ObjectStore
  private var manifest: ManifestWriter
  private let published: PublishSchedule?
  private let queue: ReadQueue
  private let storesInFlight: Int

  private var held: [Held] = []
  private var heldStart = 0
  /// The bundle being filled: its number, bytes, files, and where each
  /// distinct content already is in it (a file repeated in one bundle is stored once).
  private var openBundle: Int?
  private var buffer: [UInt8] = []
  private var cutter: BundlePolicy.Cutter
  private var offsets: [ObjectID: UInt64] = [:]
  private var nextBundle = 1
  /// The bundles being stored, oldest first.
  private var storing: [(bundle: Int, task: PendingResult<ObjectStore.PutResult>)] = []

  private(set) var bundles = 0
  private(set) var newObjects = 0
  private(set) var newBytes: UInt64 = 0

  /// `queue` stores the bundles, up to `storesInFlight` at once.
  init(
    store: ObjectStore, policy: BundlePolicy, queue: ReadQueue, storesInFlight: Int = 1,
    published: PublishSchedule? = nil
  ) {
    precondition(storesInFlight >= 1)
    self.store = store
    self.queue = queue
    self.storesInFlight = storesInFlight
    self.policy = policy
    self.cutter = BundlePolicy.Cutter(policy: policy)
    self.manifest = ManifestWriter(store: store)
    self.published = published
  }

  private var heldCount: Int { held.count - heldStart }

  /// Passes an entry on, or holds it behind the bundle being filled or stored.
  func append(_ entry: ManifestEntry) async throws {
    guard let waitFor = openBundle ?? storing.last?.bundle else {
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
      // Room for the largest bundle the cutter allows, so the buffer is
      // never copied to grow; pages not written cost no memory.
      buffer.reserveCapacity(policy.maximumSize)
      HugePages.advise(reservedStorageOf: &buffer)
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

  /// Ends the open bundle and starts storing it, once fewer than
  /// `storesInFlight` are being stored.
  private func seal() async throws {
    guard let bundle = openBundle else { return }
    // Many entries held: wait for older bundles too, rather than seal
    // bundles of a few files to get past the bound.
    while storing.count >= storesInFlight || (heldCount >= Self.maximumHeld && !storing.isEmpty) {
      try await finishStoring()
    }
    let bytes = buffer
    let store = self.store
    storing.append((bundle, queue.submit { try await store.put(bytes) }))
    openBundle = nil
    buffer = []
    cutter.reset()
    offsets.removeAll(keepingCapacity: true)
    bundles += 1
  }

  /// Waits for the oldest bundle being stored and passes on the entries
  /// that waited for it.
  private func finishStoring() async throws {
    guard let (bundle, task) = storing.first else { return }
    let stored = try await task.value
    storing.removeFirst()
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
    while !storing.isEmpty { try await finishStoring() }
    precondition(heldCount == 0, "entries held behind no bundle")
    let parts = try await manifest.finish()
    newObjects += manifest.newObjects
    newBytes += manifest.newBytes
    return parts
  }

  /// After a failure, once the queue's workers have ended: lets go of the
  /// bundles that were being stored (their jobs have ended too).
  func cancel() async {
    for (_, task) in storing { _ = try? await task.value }
    storing = []
  }
}
