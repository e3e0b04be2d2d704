import Foundation

/// How the scheduled job reaches its repository: whether it exists yet,
/// creating it, opening it. The CLI gives a folder or an S3 bucket; tests
/// give a `MemoryStorage`.
public protocol RepositoryOpener: Sendable {
  /// The repository as the user named it, for messages and the log.
  var name: String { get }
  /// The local folder, when the repository is one (its `backup.log` is the job's default log).
  var localPath: String? { get }
  /// Whether a repository exists there already.
  func exists() async throws -> Bool
  func initialize(options: Repository.Options) async throws -> Repository
  /// Opens it, asking for the password only when it is encrypted.
  func open(password: @escaping Repository.PasswordProvider) async throws -> Repository
}

/// A repository in a local folder.
public struct FolderRepository: RepositoryOpener {
  public let path: String

  public init(path: String) { self.path = path }

  public var name: String { path }
  public var localPath: String? { path }

  /// True when the folder holds a repository config. A path that exists but
  /// is not a directory is an error: no repository can be created there.
  public func exists() async throws -> Bool {
    var isDirectory: ObjCBool = false
    guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else { return false }
    guard isDirectory.boolValue else {
      throw CairnError(.notARepository, "repository '\(path)' is not a directory")
    }
    return FileManager.default.fileExists(atPath: "\(path)/\(StorageFile.config.relativePath)")
  }

  public func initialize(options: Repository.Options) async throws -> Repository {
    try await Repository.initialize(at: path, options: options)
  }

  public func open(password: @escaping Repository.PasswordProvider) async throws -> Repository {
    try await Repository.open(at: path, password: password)
  }
}

/// A repository in a storage the caller made: memory, or S3.
public struct StorageRepository: RepositoryOpener {
  public let storage: any RepositoryStorage
  /// Runs before a repository is created (S3 checks that the bucket exists).
  let prepare: @Sendable () async throws -> Void

  public init(storage: any RepositoryStorage, prepare: @escaping @Sendable () async throws -> Void = {}) {
    self.storage = storage
    self.prepare = prepare
  }

  public var name: String { storage.location }
  public var localPath: String? { nil }

  public func exists() async throws -> Bool {
    try await storage.size(of: .config) != nil
  }

  public func initialize(options: Repository.Options) async throws -> Repository {
    try await prepare()
    return try await Repository.initialize(storage: storage, options: options)
  }

  public func open(password: @escaping Repository.PasswordProvider) async throws -> Repository {
    try await Repository.open(storage: storage, password: password)
  }
}
