import Foundation
import Synchronization
import Testing

@testable import Cairn

/// In process, without root: storage faults injected with `FaultyStorage`
/// where the end-to-end suites need root, a tmpfs or `setpriv` to make the
/// file system fail. Those suites stay (they prove what only the real file
/// system can: the errno behind the message, the kernel lock on a read-only
/// mount, a really full disk); these run everywhere, on both repository kinds.
///
/// - A write failing mid-backup (StorageFailureTests' setpriv case, FullDiskTests' overfull backup).
/// - forget and gc on a storage that refuses every write (FullDiskTests, "not one byte free").
/// - restore and check changing nothing (StorageFailureTests' read-only repository cases).
/// - one object unreadable or damaged on read (UnreadableObjectTests' permission case, CorruptionTests).
@Suite struct StorageFaultTests {
  static let noSpace = CairnError(.noSpace, "no space left on device (simulated)")
  static let readOnly = CairnError(.io, "read-only file system (simulated)")
  /// More calls than any of these tests makes: "from the n-th call on".
  static let always = 1_000_000

  /// A backup whose object writes fail from the 10th on (a disk filling up)
  /// throws that error, records no snapshot and leaves no pending object;
  /// what it published before is garbage gc removes; `check --read-data`
  /// passes; once writes work again, a backup restores exactly. On a folder
  /// too, where the pending files are real files.
  @Test(arguments: RepositoryKind.allCases, FaultyRepository.Backing.allCases)
  func failedWriteMidBackupLeavesNoSnapshotAndNothingPending(
    kind: RepositoryKind, backing: FaultyRepository.Backing
  ) async throws {
    let fixture = try await FaultyRepository(kind: kind, backing: backing)
    fixture.faulty.add(.init(.write, onCall: 10, times: Self.always, kind: .objects, fault: .fail(Self.noSpace)))
    do {
      try await fixture.backup(into: try await fixture.withFaults())
      Issue.record("the backup succeeded although its writes failed")
    } catch let error as CairnError {
      #expect(error.code == .noSpace && error.message == Self.noSpace.message, "\(error)")
    }
    #expect(fixture.faulty.calls(of: .write) >= 10, "the fault never fired")

    let repository = try await fixture.withoutFaults()
    #expect(try await repository.snapshots().isEmpty, "a snapshot was recorded")
    if let memory = fixture.backing as? MemoryStorage {
      #expect(await memory.pendingCount == 0, "the failed backup left pending objects")
    } else {
      #expect(try RepositoryInspection(path: fixture.folder).leftovers() == [], "the failed backup left pending files")
    }
    let check = try await fixture.check(repository)
    #expect(check.ok, "\(check.problems)")
    _ = try await GarbageCollector(repository: repository, logger: FaultyRepository.logger).run(dryRun: false)
    #expect(try await fixture.objectNames().isEmpty, "gc left objects no snapshot references")

    let record = try await fixture.backup(into: repository)
    let restored = try await fixture.restore(record, from: repository)
    #expect(restored.problems.isEmpty, "\(restored.problems)")
    let original = try TreeListing(fixture.source)
    #expect(try TreeListing(restored.root) == original)
  }

  /// With every write refused (not one byte free), forget and gc still do
  /// their work: they only remove. Nothing is even attempted to be written,
  /// and the snapshot kept restores exactly.
  @Test(arguments: RepositoryKind.allCases)
  func forgetAndGCNeedNoWrite(kind: RepositoryKind) async throws {
    let fixture = try await FaultyRepository(kind: kind)
    let repository = try await fixture.withoutFaults()
    let first = try await fixture.backup(into: repository)
    try Data(pseudoRandomBytes(200_000, seed: 7)).write(to: URL(fileURLWithPath: "\(fixture.source)/blocks/part-1"))
    let second = try await fixture.backup(into: repository)
    let before = try await fixture.objectNames()

    fixture.faulty.add(.init(.write, onCall: 1, times: Self.always, fault: .fail(Self.noSpace)))
    fixture.faulty.add(.init(.commit, onCall: 1, times: Self.always, fault: .fail(Self.noSpace)))
    let full = try await fixture.withFaults()
    var keepNewest = RetentionPolicy()
    keepNewest.last = 1
    let plan = RetentionPlan(snapshots: try await full.snapshots(), policy: keepNewest)
    #expect(plan.removed.map(\.id) == [first.id])
    try await Forget(repository: full).run(plan)
    let report = try await GarbageCollector(repository: full, logger: FaultyRepository.logger).run(dryRun: false)
    #expect(report.objectsDeleted > 0, "gc deleted nothing: \(report)")
    #expect(fixture.faulty.calls(of: .write) == 0, "forget or gc tried to write")
    #expect(fixture.faulty.calls(of: .commit) == 0, "forget or gc tried to commit")

    let after = try await fixture.withoutFaults()
    #expect(try await after.snapshots().map(\.id) == [second.id])
    #expect(try await fixture.objectNames().count == before.count - report.objectsDeleted)
    let check = try await fixture.check(after)
    #expect(check.ok, "\(check.problems)")
    let restored = try await fixture.restore(second, from: after)
    #expect(restored.problems.isEmpty, "\(restored.problems)")
    #expect(try TreeListing(restored.root) == TreeListing(fixture.source))
  }

  /// A reader changes nothing: restore and `check --read-data` succeed on a
  /// storage that refuses every write, removal, move and commit, and attempt none.
  @Test(arguments: RepositoryKind.allCases)
  func restoreAndCheckWriteNothing(kind: RepositoryKind) async throws {
    let fixture = try await FaultyRepository(kind: kind)
    let record = try await fixture.backup(into: try await fixture.withoutFaults())
    for operation in [FaultyStorage.Operation.write, .delete, .move, .commit, .removeLeftovers] {
      fixture.faulty.add(.init(operation, onCall: 1, times: Self.always, fault: .fail(Self.readOnly)))
    }
    let reader = try await fixture.withFaults()
    let restored = try await fixture.restore(record, from: reader)
    #expect(restored.problems.isEmpty, "\(restored.problems)")
    #expect(try TreeListing(restored.root) == TreeListing(fixture.source))
    let check = try await fixture.check(reader)
    #expect(check.ok && check.objectsChecked > 0, "\(check.problems)")
    for operation in [FaultyStorage.Operation.write, .delete, .move, .commit, .removeLeftovers] {
      #expect(fixture.faulty.calls(of: operation) == 0, "a reader called \(operation)")
    }
    #expect(fixture.faulty.calls(of: .read) > 0)
  }

  /// A backup whose storage stops answering (a write that never returns)
  /// and is then cancelled, as the CLI does on SIGINT: it ends promptly with
  /// `CancellationError`, records nothing and leaves nothing pending; the
  /// next backup works. (SignalTests proves the signal end to end.)
  @Test(arguments: RepositoryKind.allCases)
  func aBackupHangingOnItsStorageStopsWhenCancelled(kind: RepositoryKind) async throws {
    let fixture = try await FaultyRepository(kind: kind)
    fixture.faulty.add(.init(.write, onCall: 5, kind: .objects, fault: .hang))
    let repository = try await fixture.withFaults()
    let backup = Task { try await fixture.backup(into: repository) }
    let clock = ContinuousClock()
    let deadline = clock.now + .seconds(60)
    while fixture.faulty.calls(of: .write) < 5 && clock.now < deadline { try await Task.sleep(for: .milliseconds(10)) }
    try #require(fixture.faulty.calls(of: .write) >= 5, "the backup never reached its fifth write")
    backup.cancel()
    guard let ended = try await result(of: backup, within: .seconds(30)) else {
      Issue.record("the cancelled backup did not end within 30 s (its hanging write was not cancelled)")
      return
    }
    #expect(throws: CancellationError.self) { try ended.get() }

    let clean = try await fixture.withoutFaults()
    #expect(try await clean.snapshots().isEmpty, "a cancelled backup recorded a snapshot")
    if let memory = fixture.backing as? MemoryStorage {
      #expect(await memory.pendingCount == 0, "the cancelled backup left pending objects")
    }
    let record = try await fixture.backup(into: clean)
    let restored = try await fixture.restore(record, from: clean)
    #expect(try TreeListing(restored.root) == TreeListing(fixture.source))
  }

  /// What can go wrong reading one object.
  enum ReadFault: String, CaseIterable, Sendable {
    /// EACCES or EIO: the read fails.
    case unreadable
    /// A bit flipped on the way: the content no longer matches.
    case flippedBit
    /// Fewer bytes than stored.
    case shortRead

    /// The fault on reads of `file`. A failed read names the file, as every
    /// storage's errors must (`RepositoryStorage`).
    func fault(reading file: StorageFile) -> FaultyStorage.Fault {
      switch self {
      case .unreadable: .fail(CairnError(.io, "'\(file.relativePath)' cannot be read: permission denied (simulated)"))
      case .flippedBit: .flipBit(byte: 40, bit: 3)
      case .shortRead: .shortRead(count: 1000)
      }
    }
  }

  /// One object that cannot be read or verified damages the files that use
  /// it and nothing else: restore reports the file and the object, leaves the
  /// file out, restores every other one exactly (directory modes included);
  /// `check --read-data` names the object and the file.
  @Test(arguments: RepositoryKind.allCases, ReadFault.allCases)
  func oneBadObjectDamagesOnlyItsFile(kind: RepositoryKind, readFault: ReadFault) async throws {
    let fixture = try await FaultyRepository(kind: kind)
    let clean = try await fixture.withoutFaults()
    let record = try await fixture.backup(into: clean)
    // The victim's second block: a restore writing as it goes has written the first.
    let victim = try fixture.blockName(of: "dir/victim", block: 1, in: clean)
    #expect(try await fixture.objectNames().contains(victim))
    fixture.faulty.add(
      .init(
        .read, onCall: 1, times: Self.always, kind: .objects, name: victim,
        fault: readFault.fault(reading: StorageFile(.objects, victim))))
    let faulty = try await fixture.withFaults()

    let restored = try await fixture.restore(record, from: faulty)
    #expect(
      restored.problems.contains { $0.contains("dir/victim") && $0.contains(victim) },
      "the file and the object are not named: \(restored.problems)")
    #expect(restored.problems.count == 1, "\(restored.problems)")
    var expected = try TreeListing(fixture.source)
    expected.items.removeValue(forKey: Data("dir/victim".utf8))
    let listing = try TreeListing(restored.root)
    #expect(listing == expected, "\(expected.differences(from: listing))")

    let check = try await fixture.check(faulty)
    let problem = check.problems.first { $0.object == victim }
    #expect(problem != nil, "check does not name the object: \(check.problems)")
    #expect(problem?.paths.contains { $0.hasSuffix("dir/victim") } == true, "\(check.problems)")
    #expect(check.problems.count == 1, "\(check.problems)")
  }
}

/// The fault-injecting wrapper itself: a fault fires at the call it is
/// aimed at and no other, so a test built on it cannot pass by accident.
@Suite struct FaultyStorageTests {
  private func storage(_ plans: [FaultyStorage.Plan], over memory: MemoryStorage = MemoryStorage()) async throws
    -> FaultyStorage
  {
    for index in 0..<4 {
      try await memory.write(
        StorageFile(.objects, objectName("ab", index)), testBytes(100, seed: UInt8(index)), ifAbsent: true)
    }
    try await memory.commit()
    return FaultyStorage(wrapping: memory, plans: plans)
  }

  @Test func aFaultFiresOnItsCallsOnly() async throws {
    let error = CairnError(.io, "planned")
    let faulty = try await storage([.init(.read, onCall: 2, times: 2, fault: .fail(error))])
    let file = StorageFile(.objects, objectName("ab", 0))
    var outcomes: [Bool] = []
    for _ in 0..<5 {
      outcomes.append((try? await faulty.read(file, maximumSize: 1000)) != nil)
    }
    #expect(outcomes == [true, false, false, true, true])
    #expect(faulty.calls(of: .read) == 5)
  }

  @Test func aFaultAimedAtANameCountsThatNameOnly() async throws {
    let victim = StorageFile(.objects, objectName("ab", 2))
    let faulty = try await storage([
      .init(.read, onCall: 2, kind: .objects, name: victim.name, fault: .shortRead(count: 10))
    ])
    let other = StorageFile(.objects, objectName("ab", 1))
    for _ in 0..<3 { #expect(try await faulty.read(other, maximumSize: 1000).count == 100) }
    #expect(try await faulty.read(victim, maximumSize: 1000).count == 100)
    #expect(try await faulty.read(victim, maximumSize: 1000) == testBytes(100, seed: 2).prefix(10).map { $0 })
    #expect(try await faulty.read(victim, maximumSize: 1000).count == 100)
  }

  @Test func aFlippedBitChangesOneBit() async throws {
    let file = StorageFile(.objects, objectName("ab", 3))
    let faulty = try await storage([.init(.read, onCall: 1, fault: .flipBit(byte: 7, bit: 2))])
    var expected = testBytes(100, seed: 3)
    expected[7] ^= 0b100
    #expect(try await faulty.read(file, maximumSize: 1000) == expected)
  }

  @Test func aCrashStopsEveryLaterCall() async throws {
    let memory = MemoryStorage()
    let faulty = try await storage([.init(.write, onCall: 1, fault: .crash)], over: memory)
    await #expect(throws: CairnError.self) {
      try await faulty.write(StorageFile(.objects, objectName("cd", 0)), [1], ifAbsent: true)
    }
    await #expect(throws: CairnError.self) {
      try await faulty.read(StorageFile(.objects, objectName("ab", 0)), maximumSize: 1000)
    }
    #expect(try await memory.list(.objects, prefix: "cd").isEmpty, "a write reached the storage after the crash")
  }
}

/// The result of `task`, or nil when it has not finished within `limit`.
/// Polls instead of awaiting the task, so a task that never ends cannot
/// make the test hang.
func result<T: Sendable>(of task: Task<T, any Error>, within limit: Duration) async throws -> Result<T, any Error>? {
  let finished = Mutex<Result<T, any Error>?>(nil)
  Task {
    let result = await task.result
    finished.withLock { $0 = result }
  }
  let clock = ContinuousClock()
  let deadline = clock.now + limit
  while clock.now < deadline {
    if let result = finished.withLock({ $0 }) { return result }
    try await Task.sleep(for: .milliseconds(10))
  }
  return nil
}
