import Synchronization

/// Reads the objects a restore needs ahead of the file writes, in the order
/// the writes will take them, so that reading, opening (decryption,
/// decompression) and verifying overlap with writing and spread over the
/// cores, and so that a remote storage has many requests waiting at once.
///
/// The restorer plans each file's objects in manifest order, ahead of its
/// write (`plan`); the write then takes them in the same order (`take`) or
/// drops what it will not take (`drop`). At most `limits.reads` objects are
/// read at a time, and objects read or being read but not yet taken hold
/// about `limits.bytes` at most (a read is counted at its planned estimate
/// until its real size is known).
///
/// An object planned again while an earlier plan of it is still held (the
/// files of one bundle; a differential's bundle used between runs of its
/// base's) is read once for all of them, and the last two bundles let go are
/// kept for the same reason. An object that cannot be read or verified fails
/// every take of it with the same error, read once.
final class ObjectReadAhead: Sendable {
  /// How far ahead to read.
  struct Limits: Sendable {
    /// Objects read at a time.
    var reads: Int
    /// Bytes held by objects read or being read but not yet taken.
    var bytes: Int

    /// A local disk answers fast and opening objects is CPU work: a read per
    /// core. A remote storage answers after a round trip: as many reads as
    /// it has connections. The window is 32 MiB for both: each object is
    /// also held by the HTTP client and opened into a copy or two while it
    /// is taken, and a restore of the benchmark corpus from S3 (8 MiB
    /// objects) peaked at 202 MB with 96 MiB, 176–179 MB with 64, 167 with
    /// 48 and 148 with 32 (the bar is 150).
    static func suited(to storage: any RepositoryStorage) -> Limits {
      Limits(reads: max(2, storage.parallelReads), bytes: 32 << 20)
    }
  }

  /// One planned take of one object.
  struct Ticket: Sendable {
    let id: ObjectID
    fileprivate let slot: Int
  }

  /// What a plan knows of an object before reading it.
  struct PlannedObject: Sendable {
    let id: ObjectID
    /// The bytes it will hold in memory, as far as the plan knows (a block's
    /// length; a bundle's largest size).
    let estimate: Int
    /// A bundle, kept for a while after its last take.
    let isBundle: Bool
  }

  private typealias Waiter = CheckedContinuation<Result<[UInt8], any Error>, Never>

  private struct Slot {
    let object: PlannedObject
    /// Bytes this slot counts in `State.bytesHeld` once started.
    var counted: Int
    /// Takes planned and not yet taken or dropped.
    var takers = 1
    var started = false
    var result: Result<[UInt8], any Error>?
    var waiters: [Waiter] = []
  }

  private struct State {
    var slots: [Int: Slot] = [:]
    /// The live slot of each object, for plans of it while it is held.
    var slotOf: [ObjectID: Int] = [:]
    /// Bundles let go most recently, newest last.
    var recentBundles: [(id: ObjectID, bytes: [UInt8])] = []
    var nextSlot = 0
    /// The oldest slot not yet started (or dropped).
    var nextToStart = 0
    var reading = 0
    var bytesHeld = 0
    /// Estimates of planned slots not yet started.
    var bytesPlanned = 0
    /// Set by `cancel`: every take from then on fails with it.
    var failure: (any Error)?
  }

  static let recentBundleCount = 2

  private let store: ObjectStore
  let limits: Limits
  private let state = Mutex(State())
  private let reads = Atomic<Int>(0)

  init(store: ObjectStore, limits: Limits) {
    self.store = store
    self.limits = limits
  }

  /// Objects read from the store so far (for tests and measurements).
  var readCount: Int { reads.load(ordering: .relaxed) }

  /// Whether planning further ahead is useful: the planned reads not yet
  /// started would not fill the window.
  var wantsMorePlans: Bool { state.withLock { $0.bytesPlanned < limits.bytes } }

  /// Plans takes of `objects`, in order, after every earlier plan.
  func plan(_ objects: [PlannedObject]) -> [Ticket] {
    let (tickets, starts) = state.withLock { state in
      var tickets: [Ticket] = []
      tickets.reserveCapacity(objects.count)
      for object in objects {
        if let live = state.slotOf[object.id] {
          state.slots[live]!.takers += 1
          tickets.append(Ticket(id: object.id, slot: live))
          continue
        }
        let number = state.nextSlot
        state.nextSlot += 1
        var slot = Slot(object: object, counted: object.estimate)
        if let recent = state.recentBundles.firstIndex(where: { $0.id == object.id }) {
          // Already read: held again, without a read.
          let bytes = state.recentBundles.remove(at: recent).bytes
          slot.started = true
          slot.result = .success(bytes)
          slot.counted = bytes.count
          state.bytesHeld += bytes.count
        } else {
          state.bytesPlanned += object.estimate
        }
        state.slots[number] = slot
        state.slotOf[object.id] = number
        tickets.append(Ticket(id: object.id, slot: number))
      }
      return (tickets, Self.startReads(&state, limits: limits))
    }
    launch(starts)
    return tickets
  }

  /// The verified plaintext of the object of `ticket`; throws what reading
  /// it threw. Each ticket is taken or dropped once.
  func take(_ ticket: Ticket) async throws -> [UInt8] {
    let result: Result<[UInt8], any Error> = await withCheckedContinuation { waiter in
      let (ready, starts) = state.withLock { state -> (Result<[UInt8], any Error>?, [Start]) in
        if let failure = state.failure { return (.failure(failure), []) }
        guard let slot = state.slots[ticket.slot] else {
          return (.failure(CairnError(.io, "object '\(ticket.id)' was taken more often than planned")), [])
        }
        guard let result = slot.result else {
          state.slots[ticket.slot]!.waiters.append(waiter)
          // Someone waits: a slot the window holds back may have to start.
          return (nil, Self.startReads(&state, limits: limits))
        }
        return (result, [])
      }
      launch(starts)
      if let ready { waiter.resume(returning: ready) }
    }
    let starts = state.withLock { state in
      Self.release(ticket, &state)
      return Self.startReads(&state, limits: limits)
    }
    launch(starts)
    return try result.get()
  }

  /// Gives up takes that will not happen (a file that failed or became a hard link).
  func drop(_ tickets: some Sequence<Ticket>) {
    let starts = state.withLock { state in
      for ticket in tickets { Self.release(ticket, &state) }
      return Self.startReads(&state, limits: limits)
    }
    launch(starts)
  }

  /// Fails every take waiting and to come with `error`, and starts no more
  /// reads; reads in flight finish and are thrown away.
  func cancel(_ error: any Error = CancellationError()) {
    let waiters = state.withLock { state in
      state.failure = error
      var waiters: [Waiter] = []
      for number in state.slots.keys {
        waiters += state.slots[number]!.waiters
        state.slots[number]!.waiters = []
      }
      state.recentBundles = []
      return waiters
    }
    for waiter in waiters { waiter.resume(returning: .failure(error)) }
  }

  // MARK: Inside the lock

  private struct Start {
    let slot: Int
    let id: ObjectID
    /// Read without hashing it whole: each file cut from it is checked
    /// against its own address (`FileWriteJob.cut`).
    let isBundle: Bool
  }

  /// One take of `ticket` less; a slot nobody will take any more is let go.
  private static func release(_ ticket: Ticket, _ state: inout State) {
    guard var slot = state.slots[ticket.slot] else { return }
    slot.takers -= 1
    guard slot.takers == 0 else {
      state.slots[ticket.slot] = slot
      return
    }
    if !slot.started {
      state.bytesPlanned -= slot.counted
    } else if slot.result != nil {
      state.bytesHeld -= slot.counted
      if slot.object.isBundle, case .success(let bytes) = slot.result, state.failure == nil {
        state.recentBundles.append((slot.object.id, bytes))
        if state.recentBundles.count > recentBundleCount { state.recentBundles.removeFirst() }
      }
    } else {
      // Being read: let go when the read ends.
      state.slots[ticket.slot] = slot
      return
    }
    state.slots[ticket.slot] = nil
    if state.slotOf[slot.object.id] == ticket.slot { state.slotOf[slot.object.id] = nil }
  }

  /// Starts planned reads, oldest first, while the window has room. When
  /// nothing is being read and someone waits for the oldest planned slot,
  /// it starts even over the byte limit: objects held for later takes (a
  /// bundle shared far ahead) must not stop the restore.
  private static func startReads(_ state: inout State, limits: Limits) -> [Start] {
    guard state.failure == nil else { return [] }
    var starts: [Start] = []
    while state.nextToStart < state.nextSlot, state.reading < limits.reads {
      guard var slot = state.slots[state.nextToStart], !slot.started else {
        state.nextToStart += 1
        continue
      }
      let fits = state.bytesHeld + slot.counted <= limits.bytes
      guard fits || (state.reading == 0 && !slot.waiters.isEmpty) else { break }
      slot.started = true
      state.slots[state.nextToStart] = slot
      state.bytesPlanned -= slot.counted
      state.bytesHeld += slot.counted
      state.reading += 1
      starts.append(Start(slot: state.nextToStart, id: slot.object.id, isBundle: slot.object.isBundle))
      state.nextToStart += 1
    }
    return starts
  }

  // MARK: Reading

  private func launch(_ starts: [Start]) {
    for start in starts {
      reads.add(1, ordering: .relaxed)
      let store = self.store
      Task {
        let result: Result<[UInt8], any Error>
        do {
          result = .success(try await store.get(start.id, checkingAddress: !start.isBundle))
        } catch {
          result = .failure(error)
        }
        self.finished(start.slot, result)
      }
    }
  }

  private func finished(_ number: Int, _ result: Result<[UInt8], any Error>) {
    let (waiters, starts) = state.withLock { state -> ([Waiter], [Start]) in
      state.reading -= 1
      guard var slot = state.slots[number] else { return ([], Self.startReads(&state, limits: limits)) }
      let size = (try? result.get().count) ?? 0
      state.bytesHeld += size - slot.counted
      slot.counted = size
      slot.result = result
      let waiters = slot.waiters
      slot.waiters = []
      state.slots[number] = slot
      if slot.takers == 0 {
        // Every take was dropped while it was read.
        slot.takers = 1
        state.slots[number] = slot
        Self.release(Ticket(id: slot.object.id, slot: number), &state)
      }
      return (waiters, Self.startReads(&state, limits: limits))
    }
    for waiter in waiters { waiter.resume(returning: result) }
    launch(starts)
  }
}
