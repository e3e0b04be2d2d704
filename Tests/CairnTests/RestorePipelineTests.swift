import Foundation
import Testing

@testable import Cairn

/// The read-ahead of the restore pipeline on its own, over the in-memory
/// storage: each object read once for all of its takes, within its window,
/// failures confined to their takes, nothing left waiting after a cancel.
@Suite struct RestorePipelineTests {
  /// A repository in memory, seen through the fault-injecting wrapper (which
  /// counts calls), holding `count` distinct objects of `size` bytes.
  static func repository(objects count: Int, size: Int) async throws -> (Repository, FaultyStorage, [ObjectID]) {
    let storage = FaultyStorage(wrapping: MemoryStorage())
    let repository = try await Repository.initialize(
      storage: storage, options: Repository.Options(blockSize: 1 << 20, compression: .none))
    var ids: [ObjectID] = []
    for index in 0..<count {
      var bytes = [UInt8](repeating: UInt8(truncatingIfNeeded: index), count: size)
      bytes[0] = UInt8(truncatingIfNeeded: index >> 8)
      ids.append(try await repository.store.put(bytes).id)
    }
    try await repository.store.commit()
    return (repository, storage, ids)
  }

  static func planned(_ ids: [ObjectID], size: Int, bundle: Bool = false) -> [ObjectReadAhead.PlannedObject] {
    ids.map { ObjectReadAhead.PlannedObject(id: $0, estimate: size, isBundle: bundle) }
  }

  /// Waits until no read is in flight (reads end on other tasks).
  static func settle(_ storage: FaultyStorage, reads: Int) async throws {
    for _ in 0..<200 where storage.calls(of: .read) < reads {
      try await Task.sleep(for: .milliseconds(5))
    }
    try await Task.sleep(for: .milliseconds(50))
  }

  @Test func takesComeBackInPlanOrderAndEachSharedObjectIsReadOnce() async throws {
    let (repository, storage, ids) = try await Self.repository(objects: 6, size: 1000)
    let readsBefore = storage.calls(of: .read)
    let readAhead = ObjectReadAhead(store: repository.store, limits: .init(reads: 2, bytes: 1 << 20))
    // Three files of one bundle, then two blocks, then the bundle again while it is held.
    let bundle = Self.planned([ids[0]], size: 1000, bundle: true)
    let tickets =
      readAhead.plan(bundle) + readAhead.plan(bundle) + readAhead.plan(bundle)
      + readAhead.plan(Self.planned([ids[1], ids[2]], size: 1000)) + readAhead.plan(bundle)
    for (ticket, expected) in zip(tickets, [0, 0, 0, 1, 2, 0]) {
      let bytes = try await readAhead.take(ticket)
      #expect(bytes.withUnsafeBytes { repository.store.address(of: $0) } == ids[expected])
    }
    #expect(readAhead.readCount == 3)
    #expect(storage.calls(of: .read) - readsBefore == 3)
    // Let go, the bundle is kept: planned again, it is not read again.
    let again = readAhead.plan(bundle)
    _ = try await readAhead.take(again[0])
    #expect(readAhead.readCount == 3)
  }

  @Test func readsStayWithinTheWindowUntilTaken() async throws {
    let size = 64 << 10
    let (repository, storage, ids) = try await Self.repository(objects: 40, size: size)
    let readsBefore = storage.calls(of: .read)
    // Room for 4 objects' bytes, 2 reads at a time.
    let readAhead = ObjectReadAhead(store: repository.store, limits: .init(reads: 2, bytes: 4 * size))
    let tickets = readAhead.plan(Self.planned(ids, size: size))
    try await Self.settle(storage, reads: readsBefore + 4)
    #expect(readAhead.readCount == 4, "nothing taken: the window holds 4 objects")
    #expect(!readAhead.wantsMorePlans, "36 planned reads wait: planning further is useless")
    for (index, ticket) in tickets.enumerated() {
      let bytes = try await readAhead.take(ticket)
      #expect(bytes.withUnsafeBytes { repository.store.address(of: $0) } == ids[index])
      #expect(readAhead.readCount <= index + 1 + 4, "at most the window ahead of the takes")
    }
    #expect(readAhead.readCount == 40)
    #expect(storage.calls(of: .read) - readsBefore == 40)
  }

  @Test func aDamagedObjectFailsOnlyItsOwnTakes() async throws {
    let (repository, storage, ids) = try await Self.repository(objects: 3, size: 1000)
    try await storage.delete(.objects, [ids[1].hex])
    let readAhead = ObjectReadAhead(store: repository.store, limits: .init(reads: 4, bytes: 1 << 20))
    let tickets = readAhead.plan(Self.planned([ids[0], ids[1], ids[1], ids[2]], size: 1000))
    _ = try await readAhead.take(tickets[0])
    for ticket in tickets[1...2] {
      await #expect(throws: CairnError.self) { try await readAhead.take(ticket) }
    }
    _ = try await readAhead.take(tickets[3])
    #expect(readAhead.readCount == 3, "the missing object was asked for once")
  }

  @Test func droppedTakesAreNotReadAndFreeTheWindow() async throws {
    let size = 64 << 10
    let (repository, storage, ids) = try await Self.repository(objects: 12, size: size)
    let readAhead = ObjectReadAhead(store: repository.store, limits: .init(reads: 1, bytes: 2 * size))
    let dropped = readAhead.plan(Self.planned(Array(ids[0..<10]), size: size))
    let kept = readAhead.plan(Self.planned(Array(ids[10...]), size: size))
    readAhead.drop(dropped)
    for (index, ticket) in kept.enumerated() {
      let bytes = try await readAhead.take(ticket)
      #expect(bytes.withUnsafeBytes { repository.store.address(of: $0) } == ids[10 + index])
    }
    try await Self.settle(storage, reads: 0)
    #expect(readAhead.readCount <= 4, "the dropped plans were not read (but the first window)")
  }

  @Test func cancelFailsTakesThatWait() async throws {
    let (repository, _, ids) = try await Self.repository(objects: 3, size: 1000)
    // No room for anything: takes would wait for ever without the cancel.
    let readAhead = ObjectReadAhead(store: repository.store, limits: .init(reads: 1, bytes: 1000))
    let tickets = readAhead.plan(Self.planned(ids, size: 1000))
    let waiting = Task { try await readAhead.take(tickets[2]) }
    try await Task.sleep(for: .milliseconds(50))
    readAhead.cancel()
    await #expect(throws: CancellationError.self) { try await waiting.value }
    await #expect(throws: CancellationError.self) { try await readAhead.take(tickets[0]) }
  }

  /// End to end: a tree of small files in bundles, large files of many
  /// blocks (one of more than `FileReads.sliceBlocks`, planned in slices),
  /// a sparse file and hard links restores exactly, and the restore reads
  /// each data object once (a bundle once for all of its files).
  @Test func aRestoreReadsEachObjectOnceAndRestoresExactly() async throws {
    let work = try BackupWorkspace(blockSize: BundleTests.blockSize)
    let source = work.sub("src")
    try BundleTests.makeSmallFiles(at: source, count: 3000, largest: 12000, directories: 40)
    try shell(
      """
      set -e
      cd '\(source)'
      head -c 3000000 /dev/urandom > d7/large
      head -c 70000000 /dev/urandom > d5/more-blocks-than-one-plan
      head -c 1500000 /dev/urandom > d31/other-large
      ln d7/large d39/large-link
      truncate -s 5000000 sparse
      printf 'middle' | dd of=sparse bs=1 seek=2500000 conv=notrunc status=none
      : > empty
      """)
    let original = try TreeListing(source)
    let snapshot = try work.backup([source])
    let target = work.sub("out")
    let restore = try work.restore(snapshot.id, to: target, ["--json"])
    #expect(restore.status == 0, "\(restore.output)")
    #expect(try TreeListing(target + source) == original)
    let output = try #require(
      try JSONSerialization.jsonObject(with: Data(restore.stdout.utf8)) as? [String: Any], "\(restore.stdout)")
    let objectsRead = try #require(output["objectsRead"] as? Int)
    let dataObjects = try await work.inspection.dataObjectNames().count
    #expect(objectsRead == dataObjects, "every data object read once: \(objectsRead) reads, \(dataObjects) objects")
    #expect(output["requests"] == nil, "a local repository sends no requests")
  }
}
