/// Writes a manifest as a sequence of parts, each an object in the store, so
/// that neither writing nor reading a manifest needs it whole in memory.
struct ManifestWriter {
  /// A part is flushed once it holds this many bytes.
  static let partSize = 4 << 20

  private let store: ObjectStore
  private var buffer: [UInt8] = ManifestCodec.magic
  private var previous: EntryPath?
  private(set) var parts: [ObjectID] = []
  private(set) var newObjects = 0
  private(set) var newBytes: UInt64 = 0

  init(store: ObjectStore) {
    self.store = store
    buffer.reserveCapacity(Self.partSize + 4096)
  }

  mutating func append(_ entry: ManifestEntry) async throws {
    if let previous {
      precondition(previous < entry.path, "manifest entries must be appended in path order")
    }
    previous = entry.path
    ManifestCodec.append(entry, to: &buffer)
    if buffer.count >= Self.partSize { try await flush() }
  }

  private mutating func flush() async throws {
    let stored = try await store.put(buffer)
    parts.append(stored.id)
    if let size = stored.storedSize {
      newObjects += 1
      newBytes += size
    }
    buffer.removeAll(keepingCapacity: true)
    buffer.append(contentsOf: ManifestCodec.magic)
  }

  /// Stores the last part and returns every part's address, in order.
  /// A manifest always has at least one part.
  mutating func finish() async throws -> [ObjectID] {
    if buffer.count > ManifestCodec.magic.count || parts.isEmpty { try await flush() }
    return parts
  }
}

/// Reads a manifest part by part, verifying every part and that paths
/// strictly increase (which also rules out duplicates).
///
/// The part after the one being decoded is read ahead on another thread, so
/// that whoever walks the entries (a backup comparing its tree, a restore)
/// does not stop at each part's end for a read, decryption and hash. One
/// part ahead holds at most `ManifestWriter.partSize` more bytes.
struct ManifestReader {
  private let store: ObjectStore
  private let parts: [ObjectID]
  private var nextPart = 0
  private var decoder: ManifestCodec.Decoder?
  private var previous: EntryPath?
  /// The read of `parts[nextPart]`, started when the part before it was opened.
  private var readAhead: Task<[UInt8], any Error>?

  init(store: ObjectStore, parts: [ObjectID]) {
    self.store = store
    self.parts = parts
  }

  mutating func next() async throws -> ManifestEntry? {
    while true {
      if decoder != nil, let entry = try decoder!.next() {
        if let previous, !(previous < entry.path) {
          throw CairnError(
            .corrupted, "manifest object '\(decoder!.part)' lists '\(entry.path)' out of order")
        }
        previous = entry.path
        return entry
      }
      guard nextPart < parts.count else { return nil }
      let part = parts[nextPart]
      nextPart += 1
      let bytes: [UInt8]
      if let started = readAhead {
        readAhead = nil
        // The read-ahead is not a child of this task: cancelling this task cancels it.
        bytes = try await withTaskCancellationHandler {
          try await started.value
        } onCancel: {
          started.cancel()
        }
      } else {
        bytes = try await store.get(part)
      }
      decoder = try ManifestCodec.Decoder(part: part, bytes: bytes)
      if nextPart < parts.count {
        let (store, following) = (store, parts[nextPart])
        readAhead = Task { try await store.get(following) }
      }
    }
  }
}

/// The complete tree of a snapshot: a full manifest as it is, or a
/// differential merged with its base, streaming in path order.
struct SnapshotTreeReader {
  /// The base's entries (none for a full) merged with the snapshot's own.
  private var merge: ManifestMerge<OptionalManifest, ManifestReader>

  init(repository: Repository, record: SnapshotRecord, baseRecord: SnapshotRecord?) throws {
    let changes = ManifestReader(store: repository.store, parts: try record.manifestObjects())
    let base = try baseRecord.map { ManifestReader(store: repository.store, parts: try $0.manifestObjects()) }
    merge = ManifestMerge(OptionalManifest(reader: base), changes)
  }

  /// Opens the tree of `record`, finding its base in `repository`.
  /// `known` are records already read (a backup has them all): the base is
  /// looked for there first, saving a listing of the repository's records.
  static func open(_ record: SnapshotRecord, in repository: Repository, known: [SnapshotRecord] = []) async throws
    -> SnapshotTreeReader
  {
    guard record.kind == .differential else {
      return try SnapshotTreeReader(repository: repository, record: record, baseRecord: nil)
    }
    guard let baseID = record.base else {
      throw CairnError(.corrupted, "differential snapshot '\(record.id)' names no base")
    }
    let baseRecord: SnapshotRecord
    do {
      if let found = known.first(where: { $0.id == baseID }) {
        baseRecord = found
      } else {
        baseRecord = try await repository.findSnapshot(baseID)
      }
    } catch {
      throw CairnError(
        .notFound, "differential snapshot '\(record.id)' needs full snapshot '\(baseID)', which is missing")
    }
    guard baseRecord.id == baseID, baseRecord.kind == .full else {
      throw CairnError(
        .corrupted, "differential snapshot '\(record.id)' has a base '\(baseID)' that is not a full snapshot")
    }
    return try SnapshotTreeReader(repository: repository, record: record, baseRecord: baseRecord)
  }

  /// A change replaces the base's entry at its path; a removal mark hides it.
  mutating func next() async throws -> ManifestEntry? {
    while let step = try await merge.next() {
      switch step {
      case .left(let baseEntry): return baseEntry
      case .right(let change), .both(_, let change):
        if change.kind == .removed { continue }
        return change
      }
    }
    return nil
  }
}

/// A manifest that may not exist (a full snapshot has no base): then empty.
struct OptionalManifest: ManifestStream {
  var reader: ManifestReader?

  mutating func next() async throws -> ManifestEntry? { try await reader?.next() }
}
