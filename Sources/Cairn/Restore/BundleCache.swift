import Synchronization

/// The bundles a restore read last, shared by the file writes in flight, so
/// that each bundle is read (and verified) once for all of its files.
///
/// Files arrive in manifest order, and a bundle holds consecutive small
/// files of one backup, so a few recent bundles cover every write in flight;
/// a differential's own bundles, used between runs of its base's, are kept
/// because they are used again and again. Concurrent requests for one bundle
/// share one read; a damaged bundle fails all of its files with the same
/// error, read once.
final class BundleCache: Sendable {
  /// Bundles kept, most recently used first; at most 8 MiB each.
  static let capacity = 4

  private let store: ObjectStore
  private let entries = Mutex<[(id: ObjectID, task: Task<[UInt8], any Error>)]>([])
  /// Bundles read from the store (for tests and measurements).
  private let reads = Atomic<Int>(0)

  init(store: ObjectStore) { self.store = store }

  var readCount: Int { reads.load(ordering: .relaxed) }

  /// The verified content of bundle `id`.
  func bundle(_ id: ObjectID) async throws -> [UInt8] {
    let store = self.store
    let task = entries.withLock { entries in
      if let index = entries.firstIndex(where: { $0.id == id }) {
        let entry = entries.remove(at: index)
        entries.insert(entry, at: 0)
        return entry.task
      }
      reads.add(1, ordering: .relaxed)
      let task = Task { try await store.get(id) }
      entries.insert((id, task), at: 0)
      if entries.count > Self.capacity { entries.removeLast() }
      return task
    }
    return try await task.value
  }

  /// The bytes of the file `entry` (which has `slice`), cut from its bundle
  /// and checked against the file's own address.
  func content(of entry: ManifestEntry, slice: BundleSlice) async throws -> [UInt8] {
    let bundle = try await bundle(entry.blocks[0])
    guard slice.end <= UInt64(bundle.count) else {
      throw CairnError(
        .corrupted,
        "bundle '\(entry.blocks[0])' holds \(bundle.count) bytes, but '\(entry.path)' lies at \(slice.offset)..<\(slice.end)"
      )
    }
    let bytes = Array(bundle[Int(slice.offset)..<Int(slice.end)])
    let actual = bytes.withUnsafeBytes { store.address(of: $0) }
    guard actual == slice.content else {
      throw CairnError(
        .corrupted, "'\(entry.path)' in bundle '\(entry.blocks[0])' hashes to '\(actual)', not to '\(slice.content)'")
    }
    return bytes
  }
}
