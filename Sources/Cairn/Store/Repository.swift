public import Foundation

/// A repository: its config, object store and snapshot records, over the
/// storage it is given (a local folder, memory, an S3 bucket).
public final class Repository: Sendable {
  public let storage: any RepositoryStorage
  public let config: RepositoryConfig
  public let store: ObjectStore
  let codec: ObjectCodec

  /// Where the repository is, for messages.
  public var path: String { storage.location }

  /// Manifest parts are flushed at 4 MiB, plus at most one entry; one entry
  /// of a file of 2 TiB in 1 MiB blocks holds 64 MiB of addresses.
  static let largestManifestPart = 68 << 20
  /// A snapshot record is a few hundred bytes plus its part list.
  static let largestRecord = 16 << 20
  static let largestConfig = 64 << 10

  private init(storage: any RepositoryStorage, config: RepositoryConfig, codec: ObjectCodec) {
    self.storage = storage
    self.config = config
    self.codec = codec
    self.store = ObjectStore(
      storage: storage, codec: codec, maximumObjectSize: max(config.blockSize, Self.largestManifestPart))
  }

  // MARK: Creating and opening

  /// What `init` sets; everything else takes defaults.
  public struct Options: Sendable {
    public var blockSize = RepositoryConfig.defaultBlockSize
    public var compression: ObjectCodec.Compression = .none

    public init(blockSize: Int = RepositoryConfig.defaultBlockSize, compression: ObjectCodec.Compression = .none) {
      self.blockSize = blockSize
      self.compression = compression
    }
  }

  /// Creates a repository in a local folder, which must not exist, be
  /// empty, or hold only what an interrupted `init` left.
  public static func initialize(at path: String, options: Options = Options()) async throws -> Repository {
    try RepositoryFolder.prepareForInit(path)
    return try await initialize(storage: try LocalStorage(root: path), options: options)
  }

  /// Creates a repository in `storage`. The config is written last: a
  /// storage without it is not a repository yet, and `init` may run again.
  public static func initialize(storage: any RepositoryStorage, options: Options) async throws -> Repository {
    guard RepositoryConfig.blockSizeRange.contains(options.blockSize) else {
      throw CairnError(
        .invalidArgument,
        "block size \(options.blockSize) is out of range; choose between 65536 (64 KiB) and 16777216 (16 MiB)")
    }
    if try await storage.size(of: .config) != nil {
      throw CairnError(.repositoryExists, "'\(storage.location)' is already a Cairn repository")
    }
    let config = RepositoryConfig(
      format: RepositoryConfig.currentFormat, id: UUID().uuidString.lowercased(), blockSize: options.blockSize,
      hash: "sha256", created: Timestamps.format(Date()), compression: RepositoryConfig.name(of: options.compression),
      encryption: "none")
    let encoded: Data
    do {
      encoded = try JSONEncoder.cairn.encode(config)
    } catch {
      throw CairnError(.io, "could not encode the repository config")
    }
    guard try await storage.write(.config, Array(encoded) + [0x0A], ifAbsent: true) else {
      throw CairnError(.repositoryExists, "'\(storage.location)' is already a Cairn repository")
    }
    return try Repository(storage: storage, config: config, codec: config.codec())
  }

  /// Opens the repository in the local folder `path`, explaining what is wrong if it is not one.
  public static func open(at path: String) async throws -> Repository {
    try RepositoryFolder.checkExists(path)
    return try await open(storage: try LocalStorage(root: path))
  }

  /// Opens the repository in `storage`.
  public static func open(storage: any RepositoryStorage) async throws -> Repository {
    let data: [UInt8]
    do {
      data = try await storage.read(.config, maximumSize: largestConfig)
    } catch let error as CairnError where error.code == .notFound {
      throw CairnError(
        .notARepository,
        "'\(storage.location)' is not a Cairn repository (it has no config); create one with 'cairn init'")
    }
    let config: RepositoryConfig
    do {
      config = try JSONDecoder().decode(RepositoryConfig.self, from: Data(data))
    } catch {
      throw CairnError(.corrupted, "repository config '\(storage.location)/config' is damaged and cannot be parsed")
    }
    try config.validate(path: storage.location)
    return try Repository(storage: storage, config: config, codec: config.codec())
  }

  /// Takes the repository lock until the returned lock is released.
  public func lock(_ mode: StorageLockMode, wait: Duration, onWait: @escaping @Sendable (String) -> Void = { _ in })
    async throws -> any StorageLock
  {
    try await storage.lock(mode, wait: wait, onWait: onWait)
  }

  // MARK: Snapshot records

  /// A record that could not be read, with the reason.
  public struct DamagedRecord: Sendable, CustomStringConvertible {
    public let name: String
    public let reason: String
    public var description: String { "snapshot record '\(name)' is damaged: \(reason)" }
  }

  /// Every snapshot record, oldest first, and the records that could not be read.
  public func loadSnapshots() async throws -> (records: [SnapshotRecord], damaged: [DamagedRecord]) {
    let entries = try await storage.list(.snapshots, prefix: "")
    var records: [SnapshotRecord] = []
    var damaged: [DamagedRecord] = []
    try await withThrowingTaskGroup(of: (String, Result<SnapshotRecord, CairnError>).self) { group in
      for entry in entries {
        group.addTask { (entry.name, await self.readRecord(entry.name)) }
      }
      for try await (name, result) in group {
        switch result {
        case .success(let record): records.append(record)
        case .failure(let error): damaged.append(DamagedRecord(name: name, reason: error.message))
        }
      }
    }
    records.sort { ($0.date, $0.id) < ($1.date, $1.id) }
    damaged.sort { $0.name < $1.name }
    return (records, damaged)
  }

  private func readRecord(_ name: String) async -> Result<SnapshotRecord, CairnError> {
    let file = StorageFile(.snapshots, name)
    do {
      let stored = try await storage.read(file, maximumSize: Self.largestRecord + ObjectCodec.overhead)
      let plaintext = try codec.open(stored, as: file, maximumSize: Self.largestRecord)
      let record: SnapshotRecord
      do {
        record = try JSONDecoder().decode(SnapshotRecord.self, from: Data(plaintext))
      } catch {
        return .failure(CairnError(.corrupted, "it is not a valid snapshot record"))
      }
      guard record.id == name else {
        return .failure(CairnError(.corrupted, "its id '\(record.id)' does not match the file name"))
      }
      _ = try record.manifestObjects()
      return .success(record)
    } catch let error as CairnError {
      return .failure(error)
    } catch {
      return .failure(CairnError(.io, "\(error)"))
    }
  }

  /// Every readable snapshot record, oldest first.
  public func snapshots() async throws -> [SnapshotRecord] { try await loadSnapshots().records }

  /// Finds a snapshot by id, unique id prefix, or `latest`.
  public func findSnapshot(_ reference: String) async throws -> SnapshotRecord {
    try SnapshotRecord.find(reference, in: try await snapshots(), repository: path)
  }

  /// Writes a snapshot record, sealed, durably and in one piece.
  func writeSnapshot(_ record: SnapshotRecord) async throws {
    let encoded: Data
    do {
      encoded = try JSONEncoder.cairn.encode(record)
    } catch {
      throw CairnError(.io, "could not encode snapshot record '\(record.id)'")
    }
    let file = StorageFile(.snapshots, record.id)
    let sealed = try Array(encoded).withUnsafeBytes { try codec.seal($0, as: file) }
    guard try await storage.write(file, sealed, ifAbsent: true) else {
      throw CairnError(.repositoryExists, "snapshot '\(record.id)' exists already")
    }
  }

  /// Removes snapshot records, durably; their objects stay until gc.
  func deleteSnapshots(_ ids: [String]) async throws {
    try await storage.delete(.snapshots, ids)
  }

  /// Appends a line to the log kept in the repository.
  public func appendLog(_ line: String) async {
    await storage.appendLog(Array(line.utf8))
  }
}

extension SnapshotRecord {
  /// Finds `reference` (an id, a unique prefix of it, or `latest`) among `records`, oldest first.
  static func find(_ reference: String, in records: [SnapshotRecord], repository: String) throws(CairnError)
    -> SnapshotRecord
  {
    if reference == "latest" {
      guard let newest = records.last else {
        throw CairnError(.notFound, "repository '\(repository)' has no snapshots yet")
      }
      return newest
    }
    if let exact = records.first(where: { $0.id == reference }) { return exact }
    let matches = records.filter { $0.id.hasPrefix(reference) }
    guard !reference.isEmpty, let match = matches.first else {
      throw CairnError(
        .notFound, "no snapshot '\(reference)' in repository '\(repository)'; 'cairn snapshots' lists them")
    }
    guard matches.count == 1 else {
      throw CairnError(
        .invalidArgument, "snapshot prefix '\(reference)' is ambiguous: it matches \(matches.count) snapshots")
    }
    return match
  }
}
