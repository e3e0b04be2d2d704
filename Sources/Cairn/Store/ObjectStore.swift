import Synchronization

/// Immutable, content-addressed blobs, and the only way to them: an object's
/// name is the address of its plaintext (SHA-256, or a keyed HMAC when the
/// repository is encrypted), a present object is never rewritten (that is
/// deduplication, decided before any compression or encryption), and every
/// read is opened and checked against the name.
public final class ObjectStore: Sendable {
  private let storage: any RepositoryStorage
  public let codec: ObjectCodec
  /// No valid object is larger than this (a block, a bundle or a manifest
  /// part); a larger one is damaged, and is refused before it is read.
  public let maximumObjectSize: Int
  /// How "is this object there?" is answered (see `ExistenceIndex`).
  private let index = ExistenceIndex()

  init(storage: any RepositoryStorage, codec: ObjectCodec, maximumObjectSize: Int) {
    self.storage = storage
    self.codec = codec
    self.maximumObjectSize = maximumObjectSize
  }

  /// What storing one object did.
  public struct PutResult: Sendable {
    public let id: ObjectID
    /// The bytes written to the storage, or nil when the object was there already.
    public let storedSize: UInt64?
    public var isNew: Bool { storedSize != nil }
  }

  static func file(_ id: ObjectID) -> StorageFile { StorageFile(.objects, id.hex) }

  public func address(of bytes: UnsafeRawBufferPointer) -> ObjectID { codec.address(of: bytes) }

  /// Stores `bytes` under their address unless that object exists.
  public func put(_ bytes: UnsafeRawBufferPointer) async throws -> PutResult {
    let id = codec.address(of: bytes)
    return try await put(bytes, as: id)
  }

  public func put(_ bytes: [UInt8]) async throws -> PutResult {
    let id = bytes.withUnsafeBytes { codec.address(of: $0) }
    let sealed: [UInt8]? =
      try await isPresent(id) ? nil : bytes.withUnsafeBytes { try codec.seal($0, as: Self.file(id)) }
    return try await write(sealed, as: id)
  }

  /// Stores `bytes`, whose address the caller computed with `address(of:)`.
  public func put(_ bytes: UnsafeRawBufferPointer, as id: ObjectID) async throws -> PutResult {
    guard try await !isPresent(id) else { return PutResult(id: id, storedSize: nil) }
    return try await write(try codec.seal(bytes, as: Self.file(id)), as: id)
  }

  private func write(_ sealed: [UInt8]?, as id: ObjectID) async throws -> PutResult {
    guard let sealed else { return PutResult(id: id, storedSize: nil) }
    let written = try await storage.write(Self.file(id), sealed, ifAbsent: true)
    if written { index.inserted(id) }
    return PutResult(id: id, storedSize: written ? UInt64(sealed.count) : nil)
  }

  private func isPresent(_ id: ObjectID) async throws -> Bool {
    switch index.lookUp(id) {
    case .known(let present): return present
    case .ask: return try await storage.size(of: Self.file(id)) != nil
    case .waitForListing(let listing):
      try await listing.value
      return try await isPresent(id)
    case .list:
      let listing = Task { try await self.listAll() }
      index.listingStarted(listing)
      try await listing.value
      return try await isPresent(id)
    }
  }

  /// Lists every object into the index.
  private func listAll() async throws {
    var known = Set<ObjectID>()
    do {
      try await forEachObject { id, _ in known.insert(id) }
    } catch {
      index.listingFailed()
      throw error
    }
    index.listed(known)
  }

  /// The plaintext of `id`, verified: throws `.corrupted` naming the object
  /// when it cannot be opened or does not hash to its address, `.notFound`
  /// when it is missing.
  public func get(_ id: ObjectID) async throws -> [UInt8] {
    try await get(id, checkingAddress: true)
  }

  /// The same; with `checkingAddress` false, the plaintext is not hashed
  /// against `id`. Only for a caller that checks every byte it uses against
  /// an address of its own: a restore cuts each small file from its bundle
  /// and checks the file's own address, and hashing the whole bundle as
  /// well cost a restore of the benchmark corpus about 0.5 s of its 7 s of
  /// CPU. (An encrypted object's tag is checked either way.)
  public func get(_ id: ObjectID, checkingAddress: Bool) async throws -> [UInt8] {
    let file = Self.file(id)
    var stored = try await storage.read(file, maximumSize: Zstd.compressBound(maximumObjectSize) + ObjectCodec.overhead)
    let bytes = try codec.open(consuming: &stored, as: file, maximumSize: maximumObjectSize)
    guard checkingAddress else { return bytes }
    let actual = bytes.withUnsafeBytes { codec.address(of: $0) }
    guard actual == id else {
      throw CairnError(
        .corrupted, "object '\(id)' is corrupted: its content hashes to '\(actual)' (\(bytes.count) bytes)")
    }
    return bytes
  }

  /// The stored size of `id`, or nil when it is missing.
  public func storedSize(of id: ObjectID) async throws -> UInt64? {
    try await storage.size(of: Self.file(id))
  }

  /// Answers "is it there?" from one listing of every object (256 prefixes,
  /// listed in parallel) instead of one request per object: what a remote
  /// storage needs for deduplication. The listing is made lazily: the first
  /// `ExistenceIndex.checksBeforeListing` checks are asked one by one, so a
  /// run that stores next to nothing (a backup of an unchanged tree, whose
  /// manifest part is already there) lists nothing.
  public func useListingForExistence() {
    index.listWhenNeeded()
  }

  /// Lists every object now and answers "is it there?" from that set from
  /// now on (as `useListingForExistence`, without the checks one by one).
  public func loadIndex() async throws {
    index.listWhenNeeded(afterChecks: 0)
    try await listAll()
  }

  /// Calls `visit` with every object and its stored size, one prefix group at
  /// a time (groups are listed a few at once), in no particular order.
  public func forEachObject(_ visit: (ObjectID, UInt64) throws -> Void) async throws {
    let prefixes = StorageFile.objectPrefixes
    let storage = self.storage
    let parallel = 8
    var next = 0
    try await withThrowingTaskGroup(of: [StorageEntry].self) { group in
      func start() {
        guard next < prefixes.count else { return }
        let prefix = prefixes[next]
        next += 1
        group.addTask { try await storage.list(.objects, prefix: prefix) }
      }
      for _ in 0..<parallel { start() }
      while let entries = try await group.next() {
        for entry in entries {
          guard let id = ObjectID(hex: entry.name) else { continue }
          try visit(id, entry.size)
        }
        start()
      }
    }
  }

  public func delete(_ ids: [ObjectID]) async throws {
    try await storage.delete(.objects, ids.map(\.hex))
    for id in ids { index.removed(id) }
  }

  /// Where `quarantine(_:)` moves objects, for messages: the storage's
  /// location and the quarantine folder.
  public var quarantineLocation: String { "\(storage.location)/\(StorageKind.quarantine.rawValue)" }

  /// Moves the object `id` out of `objects/` into `quarantine/<name>` (or
  /// `<name>.1`, `<name>.2`… when an earlier copy is there), its bytes kept
  /// exactly; returns the quarantine file. From then on the object is absent,
  /// so the next backup that produces its content writes it again. Throws
  /// `.notFound` when the object is missing.
  public func quarantine(_ id: ObjectID) async throws -> StorageFile {
    for attempt in 0..<1000 {
      let destination = StorageFile(.quarantine, attempt == 0 ? id.hex : "\(id.hex).\(attempt)")
      if try await storage.move(Self.file(id), to: destination) {
        index.removed(id)
        return destination
      }
    }
    throw CairnError(.io, "could not find a free name in \(quarantineLocation) for object '\(id)'")
  }

  /// Makes every object written so far durable and visible.
  public func commit() async throws {
    try await storage.commit()
  }
}
