import Foundation
import Testing

@testable import Cairn

/// A manifest of several parts, read by `ManifestReader` (one part read
/// ahead) and checked by `Backup.manifestDamage` (a few parts at a time),
/// over the in-memory storage seen through the fault-injecting wrapper.
@Suite struct ManifestReadAheadTests {
  /// `parts` manifest parts of `entriesPerPart` file entries each, in path
  /// order across parts, stored in a new in-memory repository.
  static func manifest(parts: Int, entriesPerPart: Int) async throws -> (Repository, FaultyStorage, [ObjectID]) {
    let storage = FaultyStorage(wrapping: MemoryStorage())
    let repository = try await Repository.initialize(
      storage: storage, options: Repository.Options(blockSize: 1 << 20, compression: .none))
    var ids: [ObjectID] = []
    for part in 0..<parts {
      var buffer = ManifestCodec.magic
      for index in 0..<entriesPerPart {
        let path = EntryPath("/part-\(part)/file-\(String(index + 1000))")
        ManifestCodec.append(ManifestEntry(path: path, status: SnapshotForger.status(.file, mode: 0o644)), to: &buffer)
      }
      ids.append(try await repository.store.put(buffer).id)
    }
    try await repository.store.commit()
    return (repository, storage, ids)
  }

  static func record(_ parts: [ObjectID]) -> SnapshotRecord {
    SnapshotRecord(
      id: "20261126T000000Z-00000001", kind: .full, base: nil, time: "2026-11-26T00:00:00Z", host: "test",
      sources: ["/src"], blockSize: 1 << 20, manifest: parts, statistics: SnapshotStatistics())
  }

  static func damage(_ part: ObjectID, in storage: FaultyStorage) {
    storage.add(.init(.read, onCall: 1, times: 100, name: part.hex, fault: .flipBit(byte: 40, bit: 3)))
  }

  @Test func readsEveryEntryInOrderWithOnePartAhead() async throws {
    let (repository, storage, parts) = try await Self.manifest(parts: 4, entriesPerPart: 50)
    let readsBefore = storage.calls(of: .read)
    var reader = ManifestReader(store: repository.store, parts: parts)
    var paths: [EntryPath] = []
    for _ in 0..<50 { paths.append(try #require(try await reader.next()).path) }
    // Inside the first part: that part and the next have been asked for, no
    // more. The read-ahead starts on a task of its own: wait for it (up to
    // 5 s on a loaded machine), then a little longer for a third that must not come.
    for _ in 0..<100 where storage.calls(of: .read) - readsBefore < 2 { try await Task.sleep(for: .milliseconds(50)) }
    try await Task.sleep(for: .milliseconds(100))
    #expect(storage.calls(of: .read) - readsBefore == 2)
    while let entry = try await reader.next() { paths.append(entry.path) }
    #expect(paths.count == 200)
    #expect(paths == paths.sorted())
    #expect(storage.calls(of: .read) - readsBefore == 4, "each part is read once")
  }

  @Test func aDamagedLaterPartFailsWhenReachedNotBefore() async throws {
    let (repository, storage, parts) = try await Self.manifest(parts: 3, entriesPerPart: 20)
    Self.damage(parts[2], in: storage)
    var reader = ManifestReader(store: repository.store, parts: parts)
    var read = 0
    let error = await #expect(throws: CairnError.self) {
      while try await reader.next() != nil { read += 1 }
    }
    #expect(read == 40, "the entries of the two sound parts come first")
    #expect(error?.code == .corrupted && "\(error!)".contains(parts[2].hex), "\(String(describing: error))")
  }

  @Test func cancellingAReaderWaitingForItsNextPartEndsIt() async throws {
    let (repository, storage, parts) = try await Self.manifest(parts: 2, entriesPerPart: 5)
    // The second part's read (the read-ahead, on a task of its own) never answers.
    storage.add(.init(.read, onCall: 1, name: parts[1].hex, fault: .hang))
    let reading = Task {
      var reader = ManifestReader(store: repository.store, parts: parts)
      var entries = 0
      while try await reader.next() != nil { entries += 1 }
      return entries
    }
    try await Task.sleep(for: .milliseconds(200))
    reading.cancel()
    // Watched from outside, so that a reader deaf to the cancellation fails
    // this test instead of hanging it.
    let ended = StopFlag()
    Task {
      _ = await reading.result
      ended.set()
    }
    for _ in 0..<100 where !ended.isSet { try await Task.sleep(for: .milliseconds(100)) }
    try #require(ended.isSet, "the reader still waits 10 s after it was cancelled")
    let result = await reading.result
    #expect(throws: (any Error).self) { try result.get() }
  }

  @Test func damageCheckNamesTheFirstDamagedPartInManifestOrder() async throws {
    let (repository, storage, parts) = try await Self.manifest(parts: 6, entriesPerPart: 10)
    #expect(await Backup.manifestDamage(of: Self.record(parts), in: repository) == nil)
    Self.damage(parts[5], in: storage)
    Self.damage(parts[3], in: storage)
    let damage = try #require(await Backup.manifestDamage(of: Self.record(parts), in: repository))
    #expect(damage.contains(parts[3].hex), "\(damage)")
  }
}
