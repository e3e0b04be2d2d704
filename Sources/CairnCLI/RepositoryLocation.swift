import Cairn
import CairnS3
import Foundation

/// Where a repository is, as given by `--repo`, `CAIRN_REPO` or a job's
/// `repository`: a local folder, or `s3:http[s]://HOST[:PORT]/BUCKET[/PREFIX]`.
struct RepositoryLocation: Sendable {
  /// How to reach an S3 repository beyond its URL.
  struct S3Settings: Sendable {
    var forcePathStyle = false
    var connections = 32
    /// Explicit credentials (from a job's files); nil takes AWS_* from the environment.
    var credentials: S3Credentials?
  }

  let text: String
  var s3 = S3Settings()

  init(_ text: String, s3: S3Settings = S3Settings()) {
    self.text = text
    self.s3 = s3
  }

  var isS3: Bool { S3Location.isS3URL(text) }

  /// The local folder, for a local repository.
  var localPath: String? { isS3 ? nil : text }

  /// The storage the repository lives in.
  func storage() throws -> any RepositoryStorage {
    guard isS3 else { return try LocalStorage(root: text) }
    let location = try S3Location(parsing: text, forcePathStyle: s3.forcePathStyle)
    var options = S3Options()
    options.connections = s3.connections
    let credentials = try s3.credentials ?? S3Credentials.fromEnvironment()
    return S3Storage(location: location, credentials: credentials, options: options)
  }

  /// Opens the repository, asking for the password only when it is encrypted.
  func open(password: @escaping Repository.PasswordProvider) async throws -> Repository {
    if let localPath { return try await Repository.open(at: localPath, password: password) }
    return try await Repository.open(storage: try storage(), password: password)
  }

  /// Whether a repository exists there already (its config is present).
  func exists() async throws -> Bool {
    if let localPath { return FileManager.default.fileExists(atPath: "\(localPath)/config") }
    return try await storage().size(of: .config) != nil
  }

  /// Creates a repository there. On S3 the bucket must exist: a missing one is named.
  func initialize(options: Repository.Options) async throws -> Repository {
    if let localPath { return try await Repository.initialize(at: localPath, options: options) }
    let storage = try storage()
    if let s3 = storage as? S3Storage { try await s3.checkBucket() }
    return try await Repository.initialize(storage: storage, options: options)
  }
}
