import Synchronization

/// How an `ObjectStore` learns whether an object exists: by asking the
/// storage per object (cheap on a local disk), or from one listing of every
/// object, made once the store has asked `checksBeforeListing` times (a
/// request each on a remote storage). Objects written, deleted or moved
/// after (or while) the listing is made are recorded, so the set stays true.
final class ExistenceIndex: Sendable {
  /// Checks asked one by one before listing: a run that stores a handful of
  /// objects (an unchanged tree's backup) pays a few HEADs, not 256 LISTs.
  static let checksBeforeListing = 32

  enum Answer: Sendable {
    case known(Bool)
    /// Ask the storage about this one object.
    case ask
    /// The caller starts the listing (`listingStarted`), then asks again.
    case list
    /// A listing is being made: wait for it, then ask again.
    case waitForListing(Task<Void, any Error>)
  }

  private enum Mode {
    case perObject
    /// `written`: objects this process stored meanwhile (a storage that
    /// keeps objects pending may not list them yet).
    case listAfter(checks: Int, written: Set<ObjectID>)
    case listing(Task<Void, any Error>?, written: Set<ObjectID>, removed: Set<ObjectID>)
    case listed(Set<ObjectID>)
  }

  private let mode = Mutex(Mode.perObject)

  /// Switches from asking per object to a listing after `afterChecks` more checks.
  func listWhenNeeded(afterChecks: Int = checksBeforeListing) {
    mode.withLock { mode in
      if case .perObject = mode { mode = .listAfter(checks: afterChecks, written: []) }
    }
  }

  func lookUp(_ id: ObjectID) -> Answer {
    mode.withLock { mode in
      switch mode {
      case .perObject:
        return .ask
      case .listAfter(let checks, let written):
        if checks > 0 {
          mode = .listAfter(checks: checks - 1, written: written)
          return .ask
        }
        mode = .listing(nil, written: written, removed: [])
        return .list
      case .listing(let task, _, _):
        // The caller that turned to `.list` registers its task at once.
        guard let task else { return .ask }
        return .waitForListing(task)
      case .listed(let known):
        return .known(known.contains(id))
      }
    }
  }

  func listingStarted(_ task: Task<Void, any Error>) {
    mode.withLock { mode in
      if case .listing(nil, let written, let removed) = mode {
        mode = .listing(task, written: written, removed: removed)
      }
    }
  }

  /// The listing is complete: objects written or removed meanwhile are applied.
  func listed(_ listing: Set<ObjectID>) {
    mode.withLock { mode in
      switch mode {
      case .listing(_, let written, let removed): mode = .listed(listing.union(written).subtracting(removed))
      case .listAfter(_, let written): mode = .listed(listing.union(written))
      case .perObject, .listed: mode = .listed(listing)
      }
    }
  }

  /// The next check lists again.
  func listingFailed() {
    mode.withLock { mode in
      if case .listing(_, let written, _) = mode { mode = .listAfter(checks: 0, written: written) }
    }
  }

  func inserted(_ id: ObjectID) { record(id, present: true) }

  func removed(_ id: ObjectID) { record(id, present: false) }

  /// Notes that `id` now exists (`present`) or no longer does, in whatever
  /// the index holds in its current mode.
  private func record(_ id: ObjectID, present: Bool) {
    func apply(_ set: inout Set<ObjectID>, _ add: Bool) {
      if add { set.insert(id) } else { set.remove(id) }
    }
    mode.withLock { mode in
      switch mode {
      case .perObject: break
      case .listAfter(let checks, var written):
        mode = .perObject  // let go of the set's storage, so it changes in place
        apply(&written, present)
        mode = .listAfter(checks: checks, written: written)
      case .listing(let task, var written, var removed):
        mode = .perObject
        apply(&written, present)
        apply(&removed, !present)
        mode = .listing(task, written: written, removed: removed)
      case .listed(var known):
        mode = .perObject
        apply(&known, present)
        mode = .listed(known)
      }
    }
  }
}
