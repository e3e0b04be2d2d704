import Synchronization

/// A storage that passes every call to another one, except where a test
/// told it to misbehave: fail, hang or "crash" at the n-th call of a kind,
/// return short reads, or flip bits on read. It lets unit tests prove what
/// today needs root, a tmpfs or `setpriv`, against any storage.
final class FaultyStorage: RepositoryStorage {
  /// The calls a fault can be aimed at.
  enum Operation: String, Sendable, CaseIterable {
    case write, read, size, list, delete, commit, removeLeftovers, lock, appendLog, move
  }

  /// What happens when a fault fires.
  enum Fault: Sendable {
    /// The call throws this error instead of running.
    case fail(CairnError)
    /// The call never returns (until its task is cancelled).
    case hang
    /// The process "crashes": the call and every later call throw, and
    /// nothing more reaches the wrapped storage.
    case crash
    /// A read returns only the first `count` bytes.
    case shortRead(count: Int)
    /// A read returns its bytes with the bit `bit` of byte `byte` flipped.
    case flipBit(byte: Int, bit: Int)
  }

  /// One planned fault: which call, and from which call on.
  struct Plan: Sendable {
    let operation: Operation
    /// 1 for the first call of that operation.
    let onCall: Int
    /// How many calls in a row it affects, starting at `onCall`.
    let times: Int
    /// Only calls on files of this kind, when set.
    let kind: StorageKind?
    /// Only calls on the file of this name, when set: one object among
    /// many read in no set order. `onCall` then counts those calls only.
    let name: String?
    let fault: Fault

    init(
      _ operation: Operation, onCall: Int, times: Int = 1, kind: StorageKind? = nil, name: String? = nil,
      fault: Fault
    ) {
      self.operation = operation
      self.onCall = onCall
      self.times = times
      self.kind = kind
      self.name = name
      self.fault = fault
    }
  }

  private struct State {
    var plans: [Plan] = []
    var calls: [Operation: Int] = [:]
    /// Calls per operation and file name, for plans aimed at one name.
    var callsByName: [String: Int] = [:]
    var crashed = false
    var objectWritesInFlight = 0
    var mostObjectWritesInFlight = 0
  }

  let wrapped: any RepositoryStorage
  private let state = Mutex(State())

  /// When set, the storage answers as a server does: existence checks are
  /// not cheap (so a backup stores as it does on S3), and object writes wait
  /// for one another: until a second object write has started while one was
  /// under way, each waits for that (at most `overlapWait`). A backup that
  /// stores several objects at once then shows it whatever the machine's
  /// load; one that stores one at a time never does.
  let actsRemote: Bool
  let overlapWait: Duration

  init(
    wrapping storage: any RepositoryStorage, plans: [Plan] = [], actsRemote: Bool = false,
    overlapWait: Duration = .seconds(10)
  ) {
    wrapped = storage
    self.actsRemote = actsRemote
    self.overlapWait = overlapWait
    state.withLock { $0.plans = plans }
  }

  var location: String { wrapped.location }
  var requestReport: (message: String, fields: [String: String])? { wrapped.requestReport }
  var checksExistenceCheaply: Bool { !actsRemote && wrapped.checksExistenceCheaply }

  /// The most object writes that were under way at once.
  var mostObjectWritesInFlight: Int { state.withLock { $0.mostObjectWritesInFlight } }

  /// Adds a fault after creation.
  func add(_ plan: Plan) { state.withLock { $0.plans.append(plan) } }

  /// How many calls of `operation` were made (matching or not).
  func calls(of operation: Operation) -> Int { state.withLock { $0.calls[operation] ?? 0 } }

  /// Counts the call and returns the fault aimed at it, if any.
  private func fault(for operation: Operation, kind: StorageKind?, name: String? = nil) throws -> Fault? {
    let (crashed, fault): (Bool, Fault?) = state.withLock { state in
      if state.crashed { return (true, nil) }
      let call = (state.calls[operation] ?? 0) + 1
      state.calls[operation] = call
      var callOfName = 0
      if let name {
        callOfName = (state.callsByName["\(operation.rawValue) \(name)"] ?? 0) + 1
        state.callsByName["\(operation.rawValue) \(name)"] = callOfName
      }
      let plan = state.plans.first { plan in
        guard plan.operation == operation, plan.kind == nil || plan.kind == kind else { return false }
        if let aimed = plan.name {
          guard aimed == name else { return false }
          return (plan.onCall..<(plan.onCall + plan.times)).contains(callOfName)
        }
        return (plan.onCall..<(plan.onCall + plan.times)).contains(call)
      }
      if case .crash = plan?.fault { state.crashed = true }
      return (false, plan?.fault)
    }
    if crashed { throw CairnError(.io, "the storage is gone (a simulated crash happened earlier)") }
    switch fault {
    case .fail(let error): throw error
    case .crash: throw CairnError(.io, "simulated crash at \(operation)")
    default: return fault
    }
  }

  private func hangIfAsked(_ fault: Fault?) async throws {
    guard case .hang = fault else { return }
    while true { try await Task.sleep(for: .seconds(3600)) }
  }

  @discardableResult
  func write(_ file: StorageFile, _ bytes: [UInt8], ifAbsent: Bool) async throws -> Bool {
    try await hangIfAsked(try fault(for: .write, kind: file.kind, name: file.name))
    guard file.kind == .objects else { return try await wrapped.write(file, bytes, ifAbsent: ifAbsent) }
    state.withLock { state in
      state.objectWritesInFlight += 1
      state.mostObjectWritesInFlight = max(state.mostObjectWritesInFlight, state.objectWritesInFlight)
    }
    defer { state.withLock { $0.objectWritesInFlight -= 1 } }
    if actsRemote {
      let deadline = ContinuousClock.now + overlapWait
      while mostObjectWritesInFlight < 2, ContinuousClock.now < deadline {
        try await Task.sleep(for: .milliseconds(5))
      }
    }
    return try await wrapped.write(file, bytes, ifAbsent: ifAbsent)
  }

  func read(_ file: StorageFile, maximumSize: Int) async throws -> [UInt8] {
    let fault = try fault(for: .read, kind: file.kind, name: file.name)
    try await hangIfAsked(fault)
    var bytes = try await wrapped.read(file, maximumSize: maximumSize)
    switch fault {
    case .shortRead(let count): bytes = Array(bytes.prefix(count))
    case .flipBit(let byte, let bit) where byte < bytes.count: bytes[byte] ^= UInt8(1) << UInt8(bit & 7)
    default: break
    }
    return bytes
  }

  func size(of file: StorageFile) async throws -> UInt64? {
    try await hangIfAsked(try fault(for: .size, kind: file.kind, name: file.name))
    return try await wrapped.size(of: file)
  }

  func list(_ kind: StorageKind, prefix: String) async throws -> [StorageEntry] {
    try await hangIfAsked(try fault(for: .list, kind: kind))
    return try await wrapped.list(kind, prefix: prefix)
  }

  func delete(_ kind: StorageKind, _ names: [String]) async throws {
    try await hangIfAsked(try fault(for: .delete, kind: kind))
    try await wrapped.delete(kind, names)
  }

  func move(_ file: StorageFile, to destination: StorageFile) async throws -> Bool {
    try await hangIfAsked(try fault(for: .move, kind: file.kind, name: file.name))
    return try await wrapped.move(file, to: destination)
  }

  func commit() async throws {
    try await hangIfAsked(try fault(for: .commit, kind: .objects))
    try await wrapped.commit()
  }

  func removeLeftovers(onlyOwn: Bool) async throws -> Leftovers {
    try await hangIfAsked(try fault(for: .removeLeftovers, kind: nil))
    return try await wrapped.removeLeftovers(onlyOwn: onlyOwn)
  }

  func lock(_ mode: StorageLockMode, wait: Duration, onWait: @Sendable (String) -> Void) async throws
    -> any StorageLock
  {
    try await hangIfAsked(try fault(for: .lock, kind: .locks))
    return try await wrapped.lock(mode, wait: wait, onWait: onWait)
  }

  func appendLog(_ line: [UInt8]) async {
    // Any fault aimed at the log drops the line, as a full disk would.
    do {
      if try fault(for: .appendLog, kind: .log) != nil { return }
    } catch {
      return
    }
    await wrapped.appendLog(line)
  }
}
