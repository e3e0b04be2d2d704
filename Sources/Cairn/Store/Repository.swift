import Foundation
import SystemPackage

/// A repository on disk: its config, object store and snapshot records.
public final class Repository: Sendable {
  public let path: String
  public let config: RepositoryConfig
  public let store: ObjectStore

  static let configName = "config.json"
  static let snapshotsDirectory = "snapshots"

  private init(path: String, config: RepositoryConfig) throws(CairnError) {
    self.path = path
    self.config = config
    self.store = ObjectStore(backend: try LocalBackend(root: path))
  }

  // MARK: Creating and opening

  /// Creates a repository in `path`, which must not exist or be an empty directory.
  public static func initialize(at path: String, blockSize: Int = RepositoryConfig.defaultBlockSize)
    throws(CairnError) -> Repository
  {
    guard RepositoryConfig.blockSizeRange.contains(blockSize) else {
      throw CairnError(
        .invalidArgument,
        "block size \(blockSize) is out of range; choose between 65536 (64 KiB) and 16777216 (16 MiB)")
    }
    let manager = FileManager.default
    var isDirectory: ObjCBool = false
    if manager.fileExists(atPath: path, isDirectory: &isDirectory) {
      if manager.fileExists(atPath: "\(path)/\(configName)") {
        throw CairnError(.repositoryExists, "'\(path)' is already a Cairn repository")
      }
      guard isDirectory.boolValue else {
        throw CairnError(.invalidArgument, "'\(path)' exists and is not a directory")
      }
      let contents = (try? manager.contentsOfDirectory(atPath: path)) ?? []
      guard contents.isEmpty else {
        throw CairnError(.invalidArgument, "'\(path)' is not empty; give an empty or new directory for the repository")
      }
    } else {
      try RepositoryPathCheck.makeDirectories(path)
    }
    let config = RepositoryConfig(
      format: RepositoryConfig.currentFormat, id: UUID().uuidString.lowercased(), blockSize: blockSize,
      hash: "sha256", created: Timestamps.format(Date()))
    try LocalBackend.createLayout(at: path)
    do {
      try SystemCalls.makeDirectory(Array("\(path)/\(snapshotsDirectory)".utf8), mode: 0o755)
    } catch {
      throw .system("mkdir", error, "could not create '\(path)/\(snapshotsDirectory)'")
    }
    let lockPath = "\(path)/lock"
    do {
      SystemCalls.close(try SystemCalls.open(lockPath, flags: [.writeOnly, .create], mode: 0o644))
    } catch {
      throw .system("open", error, "could not create '\(lockPath)'")
    }
    let encoded: Data
    do {
      encoded = try JSONEncoder.cairn.encode(config)
    } catch {
      throw CairnError(.io, "could not encode the repository config")
    }
    // The config is written last: a directory without it is not a repository yet.
    try DurableFile.write(Array(encoded) + [0x0A], directory: path, name: configName)
    return try Repository(path: path, config: config)
  }

  /// Opens the repository at `path`, explaining what is wrong if it is not one.
  public static func open(at path: String) throws(CairnError) -> Repository {
    let configPath = "\(path)/\(configName)"
    if let problem = RepositoryPathCheck.openingProblem(path) { throw problem }
    guard let data = FileManager.default.contents(atPath: configPath) else {
      throw CairnError(
        .notARepository, "'\(path)' is not a Cairn repository (no readable config.json); create one with 'cairn init'")
    }
    let config: RepositoryConfig
    do {
      config = try JSONDecoder().decode(RepositoryConfig.self, from: data)
    } catch {
      throw CairnError(.corrupted, "repository config '\(configPath)' is damaged and cannot be parsed")
    }
    try config.validate(path: path)
    return try Repository(path: path, config: config)
  }

  /// Takes the repository lock for the lifetime of the returned value.
  public func lock(_ mode: RepositoryLock.Mode, wait: Duration, onWait: (String) -> Void = { _ in })
    throws(CairnError) -> RepositoryLock
  {
    try RepositoryLock(repository: path, mode: mode, wait: wait, onWait: onWait)
  }

  // MARK: Snapshot records

  /// A record that could not be read, with the reason.
  public struct DamagedRecord: Sendable, CustomStringConvertible {
    public let name: String
    public let reason: String
    public var description: String { "snapshot record '\(name)' is damaged: \(reason)" }
  }

  /// Every snapshot record, oldest first, and the records that could not be read.
  public func loadSnapshots() throws(CairnError) -> (records: [SnapshotRecord], damaged: [DamagedRecord]) {
    let directory = "\(path)/\(Self.snapshotsDirectory)"
    let names: [String]
    do {
      names = try FileManager.default.contentsOfDirectory(atPath: directory)
    } catch {
      throw CairnError(.io, "could not list snapshot records in '\(directory)'")
    }
    var records: [SnapshotRecord] = []
    var damaged: [DamagedRecord] = []
    for name in names where name.hasSuffix(".json") && !name.hasPrefix(".") {
      guard let data = FileManager.default.contents(atPath: "\(directory)/\(name)") else {
        damaged.append(DamagedRecord(name: name, reason: "cannot be read"))
        continue
      }
      do {
        let record = try JSONDecoder().decode(SnapshotRecord.self, from: data)
        guard record.id + ".json" == name else {
          damaged.append(DamagedRecord(name: name, reason: "its id '\(record.id)' does not match the file name"))
          continue
        }
        _ = try record.manifestObjects()
        records.append(record)
      } catch {
        damaged.append(DamagedRecord(name: name, reason: "it is not a valid snapshot record"))
      }
    }
    records.sort(by: SnapshotRecord.isOrderedBefore)
    return (records, damaged)
  }

  /// Every readable snapshot record, oldest first (`SnapshotRecord.isOrderedBefore`).
  public func snapshots() throws(CairnError) -> [SnapshotRecord] { try loadSnapshots().records }

  /// Finds a snapshot by id, unique id prefix, or `latest`.
  public func findSnapshot(_ reference: String) throws(CairnError) -> SnapshotRecord {
    let records = try snapshots()
    if reference == "latest" {
      guard let newest = records.last else {
        throw CairnError(.notFound, "repository '\(path)' has no snapshots yet")
      }
      return newest
    }
    if let exact = records.first(where: { $0.id == reference }) { return exact }
    let matches = records.filter { $0.id.hasPrefix(reference) }
    guard !reference.isEmpty, let match = matches.first else {
      throw CairnError(.notFound, "no snapshot '\(reference)' in repository '\(path)'; 'cairn snapshots' lists them")
    }
    guard matches.count == 1 else {
      throw CairnError(
        .invalidArgument, "snapshot prefix '\(reference)' is ambiguous: it matches \(matches.count) snapshots")
    }
    return match
  }

  /// Writes a snapshot record durably: temporary file, fsync, rename, fsync of the directory.
  func writeSnapshot(_ record: SnapshotRecord) throws(CairnError) {
    let encoded: Data
    do {
      encoded = try JSONEncoder.cairn.encode(record)
    } catch {
      throw CairnError(.io, "could not encode snapshot record '\(record.id)'")
    }
    try DurableFile.write(
      Array(encoded) + [0x0A], directory: "\(path)/\(Self.snapshotsDirectory)", name: "\(record.id).json")
  }

  /// Removes a snapshot record; its objects stay until gc. Not durable
  /// until `syncSnapshotsDirectory()`.
  func deleteSnapshotRecord(_ id: String) throws(CairnError) {
    let directory = "\(path)/\(Self.snapshotsDirectory)"
    do {
      try SystemCalls.remove(Array("\(directory)/\(id).json".utf8))
    } catch {
      if error != .noSuchFileOrDirectory {
        throw .system("unlink", error, "could not remove snapshot record '\(directory)/\(id).json'")
      }
    }
  }

  /// Makes record removals durable.
  func syncSnapshotsDirectory() throws(CairnError) {
    try DurableFile.syncDirectory("\(path)/\(Self.snapshotsDirectory)")
  }

  /// Removes temporary record files left by interrupted writes; returns how many.
  func removeLeftoverRecordFiles() -> Int {
    let directory = "\(path)/\(Self.snapshotsDirectory)"
    let names = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
    var removed = 0
    for name in names where name.hasPrefix(".") && name.hasSuffix(".tmp") {
      if (try? SystemCalls.remove(Array("\(directory)/\(name)".utf8))) != nil { removed += 1 }
    }
    return removed
  }
}
