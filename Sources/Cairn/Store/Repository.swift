import Foundation

/// A repository: its config, object store and snapshot records, over the
/// storage it is given (a local folder, memory, an S3 bucket).
public final class Repository: Sendable {
  public let storage: any RepositoryStorage
  public let config: RepositoryConfig
  public let store: ObjectStore
  let codec: ObjectCodec
  /// The key file this repository was opened with (nil when not encrypted).
  public let keyID: String?
  private let masterKeys: MasterKeys?

  /// Where the repository is, for messages.
  public var path: String { storage.location }

  /// Manifest parts are flushed at 4 MiB, plus at most one entry; one entry
  /// of a file of 2 TiB in 1 MiB blocks holds 64 MiB of addresses.
  static let largestManifestPart = 68 << 20
  /// A snapshot record is a few hundred bytes plus its part list.
  static let largestRecord = 16 << 20
  static let largestConfig = 64 << 10

  private init(
    storage: any RepositoryStorage, config: RepositoryConfig, codec: ObjectCodec, keys: (id: String, keys: MasterKeys)?
  ) {
    self.storage = storage
    self.config = config
    self.codec = codec
    self.keyID = keys?.id
    self.masterKeys = keys?.keys
    self.store = ObjectStore(
      storage: storage, codec: codec, maximumObjectSize: max(config.blockSize, Self.largestManifestPart))
  }

  // MARK: Creating and opening

  /// What `init` sets; everything else takes defaults.
  public struct Options: Sendable {
    public var blockSize = RepositoryConfig.defaultBlockSize
    public var compression: ObjectCodec.Compression = RepositoryConfig.defaultCompression
    /// The password of the first key; nil for a repository without encryption.
    public var password: String?
    /// The cost of deriving a key from the password (`--kdf-cost` sets its log2).
    public var keyDerivation: Scrypt.Parameters = .default

    public init(
      blockSize: Int = RepositoryConfig.defaultBlockSize,
      compression: ObjectCodec.Compression = RepositoryConfig.defaultCompression, password: String? = nil,
      keyDerivation: Scrypt.Parameters = .default
    ) {
      self.blockSize = blockSize
      self.compression = compression
      self.password = password
      self.keyDerivation = keyDerivation
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
    var keys: (id: String, keys: MasterKeys)?
    if let password = options.password {
      // The key is written before the config: a config that says "encrypted" always has a key.
      let masterKeys = try MasterKeys.generate()
      let keyFile = try KeyFile.create(masterKeys: masterKeys, password: password, parameters: options.keyDerivation)
      try await storage.write(StorageFile(.keys, keyFile.id), try keyFile.encoded(), ifAbsent: true)
      keys = (keyFile.id, masterKeys)
    }
    let config = RepositoryConfig(
      format: RepositoryConfig.currentFormat, id: UUID().uuidString.lowercased(), blockSize: options.blockSize,
      hash: keys == nil ? "sha256" : "hmac-sha256", created: Timestamps.format(Date()),
      compression: RepositoryConfig.name(of: options.compression), encryption: keys == nil ? "none" : "aes-256-gcm")
    let encoded: Data
    do {
      encoded = try JSONEncoder.cairn.encode(config)
    } catch {
      throw CairnError(.io, "could not encode the repository config")
    }
    guard try await storage.write(.config, Array(encoded) + [0x0A], ifAbsent: true) else {
      throw CairnError(.repositoryExists, "'\(storage.location)' is already a Cairn repository")
    }
    return Repository(storage: storage, config: config, codec: try config.codec(keys: keys?.keys), keys: keys)
  }

  /// Asked for the password only when the repository is encrypted.
  public typealias PasswordProvider = @Sendable () throws -> String

  /// Opens the repository in the local folder `path`, explaining what is wrong if it is not one.
  public static func open(at path: String, password: PasswordProvider = Repository.noPassword) async throws
    -> Repository
  {
    try RepositoryFolder.checkExists(path)
    return try await open(storage: try LocalStorage(root: path), password: password)
  }

  /// For callers that know the repository is not encrypted.
  public static let noPassword: PasswordProvider = {
    throw CairnError(.invalidArgument, "the repository is encrypted: give its password")
  }

  /// Opens the repository in `storage`; an encrypted one is opened with the
  /// first key file that `password` unwraps.
  public static func open(storage: any RepositoryStorage, password: PasswordProvider = Repository.noPassword)
    async throws -> Repository
  {
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
    guard config.encryption != "none" else {
      // A config is plain JSON, so someone could flip it to "none" to make
      // Cairn accept unsealed records: key files say the repository is encrypted.
      guard try await storage.list(.keys, prefix: "").isEmpty else {
        throw CairnError(
          .corrupted,
          "repository '\(storage.location)' has key files but its config says it is not encrypted: "
            + "the config was altered; refusing to open it")
      }
      return Repository(storage: storage, config: config, codec: try config.codec(keys: nil), keys: nil)
    }
    let keys = try await unlock(storage, password: try password())
    return Repository(storage: storage, config: config, codec: try config.codec(keys: keys.keys), keys: keys)
  }

  /// Tries every key file with `password`; nothing is written either way.
  private static func unlock(_ storage: any RepositoryStorage, password: String) async throws
    -> (id: String, keys: MasterKeys)
  {
    let files = try await readKeyFiles(storage)
    guard !files.isEmpty else {
      throw CairnError(.corrupted, "repository '\(storage.location)' is encrypted but has no key file in keys/")
    }
    var damaged: [String] = []
    for file in files {
      switch file {
      case .failure(let error):
        damaged.append(error.message)
      case .success(let keyFile):
        do {
          return (keyFile.id, try keyFile.unwrap(password: password))
        } catch let error as CairnError where error.message == KeyFile.wrongPasswordMessage {
          continue
        }
      }
    }
    if damaged.count == files.count, let first = damaged.first { throw CairnError(.corrupted, first) }
    throw CairnError(.invalidArgument, KeyFile.wrongPasswordMessage)
  }

  private static func readKeyFiles(_ storage: any RepositoryStorage) async throws -> [Result<KeyFile, CairnError>] {
    var result: [Result<KeyFile, CairnError>] = []
    for entry in try await storage.list(.keys, prefix: "").sorted(by: { $0.name < $1.name }) {
      do {
        let bytes = try await storage.read(StorageFile(.keys, entry.name), maximumSize: 64 << 10)
        result.append(.success(try KeyFile.decode(bytes, id: entry.name)))
      } catch let error as CairnError {
        result.append(.failure(error))
      }
    }
    return result
  }

  /// The same repository, compressing the objects it writes with `compression`.
  public func compressing(_ compression: ObjectCodec.Compression) -> Repository {
    Repository(
      storage: storage, config: config, codec: codec.compressing(compression),
      keys: keyID.flatMap { id in masterKeys.map { (id, $0) } })
  }

  // MARK: Keys

  /// Removes the key this run was opened with, once `replacement` (just
  /// added) is there: the last step of changing a password.
  public func removeKeyUsedToOpen(replacedBy replacement: String) async throws {
    guard let keyID, try await storage.size(of: StorageFile(.keys, replacement)) != nil else {
      throw CairnError(.notFound, "the new key '\(replacement)' is not in the repository; the old one stays")
    }
    try await storage.delete(.keys, [keyID])
  }

  /// Every key file of the repository (damaged ones are skipped).
  public func keyFiles() async throws -> [KeyFile] {
    try await Self.readKeyFiles(storage).compactMap { try? $0.get() }
  }

  /// Adds a key file opening this repository with `password`.
  public func addKey(password: String, keyDerivation: Scrypt.Parameters = .default) async throws -> KeyFile {
    guard let masterKeys else {
      throw CairnError(.invalidArgument, "repository '\(path)' is not encrypted; it has no keys")
    }
    let keyFile = try KeyFile.create(masterKeys: masterKeys, password: password, parameters: keyDerivation)
    try await storage.write(StorageFile(.keys, keyFile.id), try keyFile.encoded(), ifAbsent: true)
    return keyFile
  }

  /// Removes key file `id`; the key this run was opened with cannot be removed
  /// (so a mistyped id never locks everyone out).
  public func removeKey(_ id: String) async throws {
    let matches = try await keyFiles().filter { $0.id.hasPrefix(id) }
    guard let match = matches.first, matches.count == 1, !id.isEmpty else {
      throw CairnError(
        .notFound, matches.isEmpty ? "no key '\(id)' in repository '\(path)'" : "key prefix '\(id)' is ambiguous")
    }
    guard match.id != keyID else {
      throw CairnError(
        .invalidArgument,
        "key '\(match.id)' is the one this command was opened with; open with another key to remove it")
    }
    try await storage.delete(.keys, [match.id])
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
    records.sort(by: SnapshotRecord.isOrderedBefore)
    damaged.sort { $0.name < $1.name }
    return (records, damaged)
  }

  private func readRecord(_ name: String) async -> Result<SnapshotRecord, CairnError> {
    let file = StorageFile(.snapshots, name)
    do {
      let stored = try await storage.read(
        file, maximumSize: Zstd.compressBound(Self.largestRecord) + ObjectCodec.overhead)
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

  /// Every readable snapshot record, oldest first (`SnapshotRecord.isOrderedBefore`).
  public func snapshots() async throws -> [SnapshotRecord] { try await loadSnapshots().records }

  /// Finds a snapshot by id, unique prefix of its id or random part, or `latest`.
  public func findSnapshot(_ reference: String) async throws -> SnapshotRecord {
    try await resolveSnapshot(reference)
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

  /// Appends a line to the log kept in the repository (sealed by the caller when encrypted).
  public func appendLog(_ line: String) async {
    await storage.appendLog(Array(line.utf8))
  }

  /// Every line of the log kept in the repository, opened; a sealed line that
  /// cannot be opened reads as a note saying so.
  public func logLines() async throws -> [String] {
    var lines: [String] = []
    for entry in try await storage.list(.log, prefix: "").sorted(by: { $0.name < $1.name }) {
      let bytes = try await storage.read(StorageFile(.log, entry.name), maximumSize: 1 << 30)
      for line in String(decoding: bytes, as: UTF8.self).split(separator: "\n") {
        lines.append(openLogLine(String(line)) ?? "(a sealed line that does not open: damaged or not ours)")
      }
    }
    return lines
  }

  /// `sealed:<base64 of the envelope>` of one log line.
  public func sealLogLine(_ line: String) -> String {
    let file = StorageFile(.log, "log")
    guard let sealed = try? Array(line.utf8).withUnsafeBytes({ try codec.seal($0, as: file) }) else { return "" }
    return RepositoryLog.sealedPrefix + Data(sealed).base64EncodedString()
  }

  /// The text of a line read back from the repository's log: sealed lines
  /// are opened (nil when one cannot be), plain lines are returned as they are.
  public func openLogLine(_ line: String) -> String? {
    guard line.hasPrefix(RepositoryLog.sealedPrefix) else {
      // Cairn writes only sealed lines into an encrypted repository's log.
      return codec.isEncrypted ? "(not sealed, so not written by cairn for this repository) \(line)" : line
    }
    guard let bytes = Data(base64Encoded: String(line.dropFirst(RepositoryLog.sealedPrefix.count))),
      let plain = try? codec.open(Array(bytes), as: StorageFile(.log, "log"), maximumSize: 1 << 20)
    else { return nil }
    return String(decoding: plain, as: UTF8.self)
  }
}
