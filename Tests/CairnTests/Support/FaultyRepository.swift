import Foundation
import Logging
import Testing

@testable import Cairn

/// A repository seen through the fault-injecting wrapper (`FaultyStorage`),
/// and a source tree on disk to back up into it: the in-process counterpart
/// of `BackupWorkspace`, for faults that end to end need root, a tmpfs or
/// `setpriv`. The repository lives in memory, or in a local folder where
/// what a failure leaves on disk (pending files) is the point.
final class FaultyRepository: Sendable {
  /// Where the repository's bytes are.
  enum Backing: String, CaseIterable, Sendable, CustomTestStringConvertible {
    case memory
    case folder

    var testDescription: String { rawValue }
  }

  let directory = TemporaryDirectory("cairn-faulty")
  let kind: RepositoryKind
  /// The storage itself, without faults: what is there once a fault is gone.
  let backing: any RepositoryStorage
  /// The same storage with the faults a test plans on it.
  let faulty: FaultyStorage

  var source: String { directory.sub("src") }
  /// The repository folder, for the folder backing.
  var folder: String { directory.sub("repo") }

  static let logger = Logger(label: "cairn-tests") { _ in SwiftLogNoOpLogHandler() }

  /// Creates the repository (without faults) and the source tree.
  /// `actsRemote`: the faulty storage answers as a server does (see
  /// `FaultyStorage.actsRemote`).
  init(kind: RepositoryKind, backing: Backing = .memory, actsRemote: Bool = false) async throws {
    self.kind = kind
    let options = Repository.Options(
      blockSize: 65536, compression: kind == .plain ? .none : RepositoryConfig.defaultCompression,
      password: kind == .encrypted ? RepositoryKind.password : nil,
      keyDerivation: Scrypt.Parameters(n: 1 << 10, r: 8, p: 1))
    let created: Repository
    switch backing {
    case .memory: created = try await Repository.initialize(storage: MemoryStorage(), options: options)
    case .folder: created = try await Repository.initialize(at: directory.sub("repo"), options: options)
    }
    self.backing = created.storage
    faulty = FaultyStorage(wrapping: created.storage, actsRemote: actsRemote)
    try Self.makeTree(at: directory.sub("src"))
  }

  /// 30 small files (bundled), 12 files of two blocks each, and `dir/victim`
  /// of three blocks; deterministic bytes, directories with their own modes.
  private static func makeTree(at source: String) throws {
    let manager = FileManager.default
    try manager.createDirectory(atPath: "\(source)/dir", withIntermediateDirectories: true)
    try manager.createDirectory(atPath: "\(source)/blocks", withIntermediateDirectories: true)
    for index in 1...30 {
      try Data("small file \(index)\n".utf8).write(to: URL(fileURLWithPath: "\(source)/dir/file-\(index)"))
    }
    for index in 1...12 {
      try Data(pseudoRandomBytes(100_000, seed: UInt64(index)))
        .write(to: URL(fileURLWithPath: "\(source)/blocks/part-\(index)"))
    }
    try Data(pseudoRandomBytes(150_000, seed: 99)).write(to: URL(fileURLWithPath: "\(source)/dir/victim"))
    try manager.setAttributes([.posixPermissions: 0o750], ofItemAtPath: "\(source)/dir")
  }

  /// The repository with the planned faults.
  func withFaults() async throws -> Repository {
    try await Repository.open(storage: faulty, password: { RepositoryKind.password })
  }

  /// The repository without them.
  func withoutFaults() async throws -> Repository {
    try await Repository.open(storage: backing, password: { RepositoryKind.password })
  }

  /// A full backup of the source tree.
  @discardableResult
  func backup(into repository: Repository) async throws -> SnapshotRecord {
    try await Backup(repository: repository, logger: Self.logger).run(BackupRequest(sources: [source], kind: .full))
      .record
  }

  /// Restores `record` into a fresh directory; returns where the source
  /// landed and the problems reported.
  func restore(_ record: SnapshotRecord, from repository: Repository) async throws -> (
    root: String, problems: [String]
  ) {
    let target = directory.sub("out-\(UInt32.random(in: 0...UInt32.max))")
    let result = try await Restore(repository: repository, logger: Self.logger)
      .run(RestoreRequest(snapshot: record, target: target))
    return (target + source, result.problems.map(\.message))
  }

  /// `check`, reading every object when `readData`.
  func check(_ repository: Repository, readData: Bool = true) async throws -> CheckReport {
    try await Checker(repository: repository).run(readData: readData)
  }

  /// The name of the `index`-th block of the source file at `relativePath`.
  func blockName(of relativePath: String, block index: Int, in repository: Repository) throws -> String {
    let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: "\(source)/\(relativePath)")))
    let blockSize = repository.config.blockSize
    let block = bytes[(index * blockSize)..<min((index + 1) * blockSize, bytes.count)]
    return block.withUnsafeBytes { repository.store.address(of: $0).hex }
  }

  /// Every object name the storage (without faults) lists.
  func objectNames() async throws -> Set<String> {
    var names = Set<String>()
    try await withoutFaults().store.forEachObject { id, _ in names.insert(id.hex) }
    return names
  }
}
