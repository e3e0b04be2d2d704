/// Immutable, content-addressed blobs: an object's name is the SHA-256 of its
/// bytes, a present object is never rewritten (that is deduplication), and
/// every read is checked against the name.
public struct ObjectStore: Sendable {
  public let backend: any ObjectBackend

  public init(backend: any ObjectBackend) { self.backend = backend }

  /// Stores bytes whose address the caller already computed.
  /// Returns true when the object was new.
  @discardableResult
  public func put(_ id: ObjectID, _ bytes: UnsafeRawBufferPointer) throws -> Bool {
    try backend.putIfAbsent(id, bytes)
  }

  /// Hashes and stores `bytes`; returns the address and whether it was new.
  public func put(_ bytes: [UInt8]) throws -> (id: ObjectID, isNew: Bool) {
    try bytes.withUnsafeBytes { buffer in
      let id = SHA256.hash(buffer)
      return (id, try backend.putIfAbsent(id, buffer))
    }
  }

  /// The bytes of `id`, verified: throws `.corrupted` naming the object when
  /// the content does not hash to its address.
  public func get(_ id: ObjectID) throws -> [UInt8] {
    let bytes = try backend.get(id)
    let actual = SHA256.hash(bytes)
    guard actual == id else {
      throw CairnError(
        .corrupted, "object '\(id)' is corrupted: its content hashes to '\(actual)' (\(bytes.count) bytes)")
    }
    return bytes
  }

  public func exists(_ id: ObjectID) throws -> Bool { try backend.size(of: id) != nil }
}
