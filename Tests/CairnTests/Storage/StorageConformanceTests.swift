import Foundation
import Synchronization
import Testing

@testable import Cairn
@testable import CairnS3

/// One set of behaviours every `RepositoryStorage` must show, run against
/// each factory of `StorageFactory.all` (memory, S3 on the test gateway,
/// and the local folder once it lands: see StorageFactories.swift).
@Suite struct StorageConformanceTests {
  private func expectError(
    _ code: CairnError.Code, naming text: String, sourceLocation: SourceLocation = #_sourceLocation,
    _ body: () async throws -> Void
  ) async {
    do {
      try await body()
      Issue.record("expected a '\(code)' error", sourceLocation: sourceLocation)
    } catch let error as CairnError {
      #expect(error.code == code, "\(error)", sourceLocation: sourceLocation)
      #expect(error.message.contains(text), "the error should name '\(text)': \(error)", sourceLocation: sourceLocation)
    } catch {
      Issue.record("expected a CairnError, got \(error)", sourceLocation: sourceLocation)
    }
  }

  @Test(arguments: StorageFactory.all) func writeReadRoundTrip(_ factory: StorageFactory) async throws {
    try await withStorage(factory) { sut in
      let storage = sut.storage
      let files: [(StorageFile, [UInt8])] = [
        (.config, testBytes(100)),
        (StorageFile(.keys, "k1"), testBytes(10, seed: 2)),
        (StorageFile(.snapshots, "s1"), testBytes(3000, seed: 3)),
        (StorageFile(.objects, objectName("ab", 1)), testBytes(1 << 20, seed: 4)),
        (StorageFile(.objects, objectName("ab", 2)), []),
        (StorageFile(.log, "l1"), testBytes(5, seed: 5)),
        // On S3, sent as four whole request-body chunks and a partial fifth.
        (StorageFile(.objects, objectName("cd", 3)), testBytes(4 * (256 << 10) + 12_345, seed: 6)),
      ]
      for (file, bytes) in files {
        #expect(try await storage.write(file, bytes, ifAbsent: true), "\(file)")
      }
      try await storage.commit()
      for (file, bytes) in files {
        #expect(try await storage.read(file, maximumSize: 2 << 20) == bytes, "\(file)")
        #expect(try await storage.size(of: file) == UInt64(bytes.count), "\(file)")
      }
    }
  }

  @Test(arguments: StorageFactory.all) func ifAbsentLeavesTheFirstWriteAlone(_ factory: StorageFactory) async throws {
    try await withStorage(factory) { sut in
      let storage = sut.storage
      let record = StorageFile(.snapshots, "s1")
      #expect(try await storage.write(record, [1, 2, 3], ifAbsent: true))
      #expect(try await !storage.write(record, [9, 9], ifAbsent: true))
      #expect(try await storage.read(record, maximumSize: 100) == [1, 2, 3])

      let object = StorageFile(.objects, objectName("cd", 1))
      #expect(try await storage.write(object, [4, 5], ifAbsent: true))
      #expect(try await !storage.write(object, [4, 5], ifAbsent: true), "a pending object counts as present")
      try await storage.commit()
      #expect(try await !storage.write(object, [4, 5], ifAbsent: true))
      #expect(try await storage.read(object, maximumSize: 100) == [4, 5])
    }
  }

  @Test(arguments: StorageFactory.all) func writeWithoutIfAbsentReplaces(_ factory: StorageFactory) async throws {
    try await withStorage(factory) { sut in
      let storage = sut.storage
      let lock = StorageFile(.locks, "mine")
      try await storage.write(lock, Array("first".utf8), ifAbsent: false)
      try await storage.write(lock, Array("second, longer".utf8), ifAbsent: false)
      #expect(try await storage.read(lock, maximumSize: 100) == Array("second, longer".utf8))
      try await storage.write(.config, [1], ifAbsent: false)
      try await storage.write(.config, [2], ifAbsent: false)
      #expect(try await storage.read(.config, maximumSize: 100) == [2])
    }
  }

  @Test(arguments: StorageFactory.all) func missingFiles(_ factory: StorageFactory) async throws {
    try await withStorage(factory) { sut in
      let storage = sut.storage
      let missing = StorageFile(.snapshots, "nothing-here")
      await expectError(.notFound, naming: "snapshots/nothing-here") {
        _ = try await storage.read(missing, maximumSize: 100)
      }
      await expectError(.notFound, naming: "objects/ee/") {
        _ = try await storage.read(StorageFile(.objects, objectName("ee", 7)), maximumSize: 100)
      }
      let size = try await storage.size(of: missing)
      let snapshots = try await storage.list(.snapshots, prefix: "")
      let objects = try await storage.list(.objects, prefix: "")
      #expect(size == nil)
      #expect(snapshots.isEmpty)
      #expect(objects.isEmpty)
    }
  }

  /// What `check --repair` relies on: a damaged object moves to
  /// `quarantine/<name>` with its bytes unchanged, is gone from `objects/` (so
  /// the same object can be written again), and a move never replaces.
  @Test(arguments: StorageFactory.all) func moveToQuarantineKeepsTheBytes(_ factory: StorageFactory) async throws {
    try await withStorage(factory) { sut in
      let storage = sut.storage
      let name = objectName("5a", 1)
      let object = StorageFile(.objects, name)
      let damaged = testBytes(70000, seed: 9)
      #expect(try await storage.write(object, damaged, ifAbsent: true))
      try await storage.commit()
      let quarantined = StorageFile(.quarantine, name)
      #expect(try await storage.move(object, to: quarantined))
      #expect(try await storage.read(quarantined, maximumSize: 1 << 20) == damaged)
      #expect(try await storage.size(of: object) == nil)
      #expect(try await storage.list(.objects, prefix: "5a").isEmpty)
      #expect(try await storage.list(.quarantine, prefix: "").map(\.name) == [name])
      await expectError(.notFound, naming: name) {
        _ = try await storage.read(object, maximumSize: 1 << 20)
      }
      // Deduplication no longer finds it: the good object is written again.
      let good = testBytes(70000, seed: 10)
      #expect(try await storage.write(object, good, ifAbsent: true))
      try await storage.commit()
      #expect(try await storage.read(object, maximumSize: 1 << 20) == good)
      // A taken quarantine name is never replaced; nothing moves.
      #expect(try await !storage.move(object, to: quarantined))
      #expect(try await storage.read(object, maximumSize: 1 << 20) == good)
      #expect(try await storage.read(quarantined, maximumSize: 1 << 20) == damaged)
      await expectError(.notFound, naming: objectName("5a", 2)) {
        _ = try await storage.move(StorageFile(.objects, objectName("5a", 2)), to: StorageFile(.quarantine, "x"))
      }
    }
  }

  @Test(arguments: StorageFactory.all) func oversizedFilesAreRefusedAsDamaged(_ factory: StorageFactory) async throws {
    try await withStorage(factory) { sut in
      let storage = sut.storage
      let file = StorageFile(.snapshots, "big")
      try await storage.write(file, testBytes(1000), ifAbsent: true)
      await expectError(.corrupted, naming: "snapshots/big") {
        _ = try await storage.read(file, maximumSize: 999)
      }
      #expect(try await storage.read(file, maximumSize: 1000) == testBytes(1000))
      #expect(try await storage.read(file, maximumSize: 5000) == testBytes(1000))
    }
  }

  @Test(arguments: StorageFactory.all) func listByKindAndPrefix(_ factory: StorageFactory) async throws {
    try await withStorage(factory) { sut in
      let storage = sut.storage
      let objects = [objectName("ab", 1), objectName("ab", 2), objectName("ac", 1), objectName("ff", 3)]
      for (index, name) in objects.enumerated() {
        try await storage.write(StorageFile(.objects, name), testBytes(index + 1), ifAbsent: true)
      }
      try await storage.write(.config, [1], ifAbsent: true)
      try await storage.write(StorageFile(.snapshots, "2026-a"), [1, 2], ifAbsent: true)
      try await storage.write(StorageFile(.snapshots, "2026-b"), [1, 2, 3], ifAbsent: true)
      try await storage.write(StorageFile(.snapshots, "2027-a"), [1], ifAbsent: true)
      try await storage.write(StorageFile(.keys, "2026-key"), [1], ifAbsent: true)
      try await storage.commit()

      let all = try await storage.list(.objects, prefix: "")
      #expect(Set(all.map(\.name)) == Set(objects))
      #expect(Set(all.map(\.size)) == [1, 2, 3, 4])
      let ab = try await storage.list(.objects, prefix: "ab")
      #expect(Set(ab.map(\.name)) == [objectName("ab", 1), objectName("ab", 2)])
      #expect(try await storage.list(.objects, prefix: "00").isEmpty)
      #expect(try await storage.list(.objects, prefix: "ff").map(\.name) == [objectName("ff", 3)])

      let snapshots = try await storage.list(.snapshots, prefix: "")
      #expect(
        Set(snapshots) == [
          StorageEntry(name: "2026-a", size: 2), StorageEntry(name: "2026-b", size: 3),
          StorageEntry(name: "2027-a", size: 1),
        ])
      #expect(Set(try await storage.list(.snapshots, prefix: "2026").map(\.name)) == ["2026-a", "2026-b"])
      #expect(try await storage.list(.keys, prefix: "").map(\.name) == ["2026-key"])
      #expect(try await storage.list(.config, prefix: "").map(\.name) == ["config"])
      #expect(try await storage.list(.locks, prefix: "").isEmpty)
    }
  }

  /// More than one page of a ListObjectsV2 answer (1000 keys) for S3.
  @Test(arguments: StorageFactory.all) func listsMoreThanOnePage(_ factory: StorageFactory) async throws {
    try await withStorage(factory) { sut in
      let storage = sut.storage
      let names = (0..<1010).map { String(format: "snap-%05d", $0) }
      try await withThrowingTaskGroup(of: Void.self) { group in
        for chunk in stride(from: 0, to: names.count, by: 64) {
          let slice = names[chunk..<min(chunk + 64, names.count)]
          group.addTask {
            for name in slice { try await storage.write(StorageFile(.snapshots, name), [1], ifAbsent: true) }
          }
        }
        try await group.waitForAll()
      }
      let listed = try await storage.list(.snapshots, prefix: "")
      #expect(listed.count == names.count)
      #expect(Set(listed.map(\.name)) == Set(names))
      try await storage.delete(.snapshots, names)
      #expect(try await storage.list(.snapshots, prefix: "").isEmpty)
    }
  }

  @Test(arguments: StorageFactory.all) func deleteInBatchesAbsentIsFine(_ factory: StorageFactory) async throws {
    try await withStorage(factory) { sut in
      let storage = sut.storage
      let names = (0..<5).map { objectName("7a", $0) }
      for name in names { try await storage.write(StorageFile(.objects, name), [1], ifAbsent: true) }
      try await storage.commit()
      try await storage.delete(.objects, Array(names[0..<3]) + [objectName("7a", 99)])
      #expect(Set(try await storage.list(.objects, prefix: "7a").map(\.name)) == Set(names[3...]))
      try await storage.delete(.objects, [])
      try await storage.delete(.snapshots, ["never-written"])
      try await storage.delete(.objects, Array(names[3...]))
      #expect(try await storage.list(.objects, prefix: "").isEmpty)
      #expect(try await storage.size(of: StorageFile(.objects, names[4])) == nil)
    }
  }

  @Test(arguments: StorageFactory.all) func pendingObjectsAppearOnCommit(_ factory: StorageFactory) async throws {
    try await withStorage(factory) { sut in
      let storage = sut.storage
      let object = StorageFile(.objects, objectName("42", 1))
      try await storage.write(object, [7, 7], ifAbsent: true)
      if sut.defersObjects {
        #expect(try await storage.list(.objects, prefix: "").isEmpty, "a pending object must not be listed")
        #expect(try await storage.size(of: object) == nil)
      }
      try await storage.commit()
      #expect(try await storage.list(.objects, prefix: "42").map(\.name) == [object.name])
      #expect(try await storage.read(object, maximumSize: 10) == [7, 7])
      try await storage.commit()  // a second commit with nothing pending is harmless
      #expect(try await storage.removeLeftovers(onlyOwn: true).files == 0)
    }
  }

  @Test(arguments: StorageFactory.all) func sharedLocksCoexistAndExcludeExclusive(_ factory: StorageFactory)
    async throws
  {
    try await withStorage(factory) { sut in
      let storage = sut.storage
      let waits = Mutex(0)
      let onWait: @Sendable (String) -> Void = { _ in waits.withLock { $0 += 1 } }
      let first = try await storage.lock(.shared, wait: .zero, onWait: onWait)
      let second = try await storage.lock(.shared, wait: .zero, onWait: onWait)
      await expectError(.locked, naming: storage.location) {
        _ = try await storage.lock(.exclusive, wait: .milliseconds(300), onWait: onWait)
      }
      #expect(waits.withLock { $0 } == 1, "onWait is called once when a lock has to wait")
      await first.release()
      await second.release()
      await second.release()  // twice is harmless
      let exclusive = try await storage.lock(.exclusive, wait: .zero, onWait: onWait)
      await exclusive.release()
    }
  }

  @Test(arguments: StorageFactory.all) func exclusiveExcludesEveryone(_ factory: StorageFactory) async throws {
    try await withStorage(factory) { sut in
      let storage = sut.storage
      let exclusive = try await storage.lock(.exclusive, wait: .zero, onWait: { _ in })
      await expectError(.locked, naming: storage.location) {
        _ = try await storage.lock(.shared, wait: .milliseconds(200), onWait: { _ in })
      }
      await expectError(.locked, naming: storage.location) {
        _ = try await storage.lock(.exclusive, wait: .zero, onWait: { _ in })
      }
      await exclusive.release()
      let shared = try await storage.lock(.shared, wait: .zero, onWait: { _ in })
      await shared.release()
    }
  }

  @Test(arguments: StorageFactory.all) func aWaitingLockIsTakenWhenReleased(_ factory: StorageFactory) async throws {
    try await withStorage(factory) { sut in
      let storage = sut.storage
      let shared = try await storage.lock(.shared, wait: .zero, onWait: { _ in })
      let releaser = Task {
        try await Task.sleep(for: .milliseconds(1500))
        await shared.release()
      }
      let told = Mutex<String?>(nil)
      // Generous: on two loaded cores the tasks of this test may wait long for a thread.
      let exclusive = try await storage.lock(.exclusive, wait: .seconds(120)) { message in
        told.withLock { $0 = message }
      }
      #expect(told.withLock { $0 } != nil, "the waiter is told why it waits")
      try await releaser.value
      await exclusive.release()
    }
  }

  /// Lockers racing for the repository: exclusive holders never overlap
  /// with anyone, and every one of them gets its turn (no livelock).
  @Test(arguments: StorageFactory.all) func contendingLockersTakeTurns(_ factory: StorageFactory) async throws {
    try await withStorage(factory) { sut in
      let storage = sut.storage
      struct Holders {
        var shared = 0
        var exclusive = 0
        var violations = 0
      }
      let holders = SharedState(Holders())
      let modes: [StorageLockMode] = [.exclusive, .shared, .exclusive, .shared, .shared, .exclusive]
      try await withThrowingTaskGroup(of: Void.self) { group in
        for mode in modes {
          group.addTask {
            let lock = try await storage.lock(mode, wait: .seconds(60), onWait: { _ in })
            holders.state.withLock { state in
              if mode == .exclusive {
                if state.shared > 0 || state.exclusive > 0 { state.violations += 1 }
                state.exclusive += 1
              } else {
                if state.exclusive > 0 { state.violations += 1 }
                state.shared += 1
              }
            }
            try await Task.sleep(for: .milliseconds(150))
            holders.state.withLock { state in
              if mode == .exclusive { state.exclusive -= 1 } else { state.shared -= 1 }
            }
            await lock.release()
          }
        }
        try await group.waitForAll()
      }
      #expect(holders.state.withLock { $0.violations } == 0)
      #expect(try await storage.list(.locks, prefix: "").isEmpty, "every lock is gone after release")
    }
  }

  @Test(arguments: StorageFactory.all) func staleLocksAreIgnored(_ factory: StorageFactory) async throws {
    try await withStorage(factory) { sut in
      guard let plantStaleLock = sut.plantStaleLock else { return }  // no lock objects on this storage
      let storage = sut.storage
      try await plantStaleLock()
      let exclusive = try await storage.lock(.exclusive, wait: .zero, onWait: { _ in })
      await exclusive.release()
      if let s3 = storage as? S3Storage {
        #expect(try await s3.removeStaleLocks(all: false) == 1)
        #expect(try await storage.list(.locks, prefix: "").isEmpty)
      }
    }
  }

  @Test(arguments: StorageFactory.all) func manyWritesInParallel(_ factory: StorageFactory) async throws {
    try await withStorage(factory) { sut in
      let storage = sut.storage
      let names = (0..<200).map { objectName(String(format: "%02x", $0 % 256), $0) }
      try await withThrowingTaskGroup(of: Void.self) { group in
        for (index, name) in names.enumerated() {
          group.addTask {
            try await storage.write(
              StorageFile(.objects, name), testBytes(100 + index, seed: UInt8(index % 200)), ifAbsent: true)
          }
        }
        try await group.waitForAll()
      }
      // Many writers of one record: exactly one creates it.
      let winners = try await withThrowingTaskGroup(of: Bool.self) { group in
        for index in 0..<24 {
          group.addTask {
            try await storage.write(StorageFile(.snapshots, "contended"), [UInt8(index)], ifAbsent: true)
          }
        }
        return try await group.reduce(0) { $0 + ($1 ? 1 : 0) }
      }
      #expect(winners == 1)
      try await storage.commit()
      let listed = try await storage.list(.objects, prefix: "")
      #expect(listed.count == names.count)
      for (index, name) in names.enumerated() where index % 37 == 0 {
        #expect(
          try await storage.read(StorageFile(.objects, name), maximumSize: 1000)
            == testBytes(100 + index, seed: UInt8(index % 200)))
      }
    }
  }

  @Test(arguments: StorageFactory.all) func appendLogNeverThrows(_ factory: StorageFactory) async throws {
    try await withStorage(factory) { sut in
      await sut.storage.appendLog(Array("first line".utf8))
      await sut.storage.appendLog(Array("second line".utf8))
      if let memory = sut.storage as? MemoryStorage {
        #expect(await memory.log == [Array("first line".utf8), Array("second line".utf8)])
      }
      if sut.storage is S3Storage {
        let names = try await sut.storage.list(.log, prefix: "").map(\.name).sorted()
        #expect(names.count == 2)
        #expect(try await sut.storage.read(StorageFile(.log, names[0]), maximumSize: 100) == Array("first line\n".utf8))
      }
    }
  }
}

/// Mutable state that concurrent test tasks share.
final class SharedState<Value: Sendable>: Sendable {
  let state: Mutex<Value>
  init(_ value: Value) { state = Mutex(value) }
}
