/// Where object bytes live. Backup, restore and gc speak only this interface,
/// so that a remote store can be added later without touching them.
///
/// A backend stores opaque immutable blobs by name; it does not hash.
/// Verifying content against its address is `ObjectStore`'s job.
public protocol ObjectBackend: Sendable {
  /// Stores `bytes` under `id` unless an object of that name exists or is
  /// already pending. Returns true when it wrote the object, false when it
  /// was already there. A new object is pending until `makeDurable()`: only
  /// then is it visible to other processes, so that no reader (and no
  /// deduplicating writer) can ever see an object whose bytes a power loss
  /// could still take away.
  func putIfAbsent(_ id: ObjectID, _ bytes: UnsafeRawBufferPointer) throws -> Bool
  /// The stored bytes of `id`; throws `.notFound` when it does not exist.
  func get(_ id: ObjectID) throws -> [UInt8]
  /// The stored size of `id`, or nil when it does not exist.
  func size(of id: ObjectID) throws -> UInt64?
  /// Calls `visit` with every stored object and its size, in no particular order.
  func forEachObject(_ visit: (ObjectID, UInt64) throws -> Void) throws
  /// Removes `id`; removing an absent object is not an error.
  func delete(_ id: ObjectID) throws
  /// Makes every pending object durable and then visible, in one pass over
  /// the store (not one flush per object).
  func makeDurable() throws
  /// Removes what interrupted writes left behind; returns how many files and bytes.
  func removeLeftovers() throws -> (files: Int, bytes: UInt64)
  /// Removes the pending objects this process wrote and has not made
  /// durable: what a failed or interrupted backup calls once its writers
  /// have stopped.
  func discardPending()
}

extension ObjectBackend {
  public func discardPending() {}
}
