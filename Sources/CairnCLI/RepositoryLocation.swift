import Cairn
import CairnS3
import Foundation

/// Where a repository is, as given by `--repo`, `CAIRN_REPO` or a job's
/// `repository`: a local folder, or `s3:http[s]://HOST[:PORT]/BUCKET[/PREFIX]`.
struct RepositoryLocation: RepositoryOpener {
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

  var name: String { text }

  /// The local folder, for a local repository.
  var localPath: String? { isS3 ? nil : text }

  /// The storage the repository lives in.
  func storage() throws -> any RepositoryStorage {
    guard isS3 else { return try LocalStorage(root: text) }
    let location = try S3Location(parsing: text, forcePathStyle: s3.forcePathStyle)
    var options = S3Options()
    options.connections = s3.connections
    options.onRetry = { RetryNotices.shared.notice($0) }
    let credentials = try s3.credentials ?? S3Credentials.fromEnvironment()
    return S3Storage(location: location, credentials: credentials, options: options)
  }

  /// The repository as the library reaches it: a folder, or a storage
  /// (made anew for each call, so that a missing credential is an error of
  /// the call, logged by the job).
  private func opener() throws -> any RepositoryOpener {
    if let localPath { return FolderRepository(path: localPath) }
    let storage = try storage()
    return StorageRepository(storage: storage) {
      // On S3 the bucket must exist: a missing one is named.
      if let s3 = storage as? S3Storage { try await s3.checkBucket() }
    }
  }

  /// Opens the repository, asking for the password only when it is encrypted.
  func open(password: @escaping Repository.PasswordProvider) async throws -> Repository {
    try await opener().open(password: password)
  }

  /// Whether a repository exists there already.
  func exists() async throws -> Bool {
    try await opener().exists()
  }

  /// Creates a repository there.
  func initialize(options: Repository.Options) async throws -> Repository {
    try await opener().initialize(options: options)
  }
}

extension RepositoryLocation {
  /// Where a job file says the repository is, with its S3 settings.
  init(configuration: JobConfig) throws {
    self.init(configuration.repository)
    s3.forcePathStyle = configuration.s3PathStyle
    s3.connections = configuration.s3Connections
    s3.credentials = try Self.s3Credentials(configuration)
  }

  /// Credentials named by the job's `s3_*_file` keys, or nil to take AWS_* from the environment.
  private static func s3Credentials(_ configuration: JobConfig) throws -> S3Credentials? {
    func read(_ path: String) throws -> String {
      guard let data = FileManager.default.contents(atPath: path) else {
        throw CairnError(.notFound, "S3 credentials file '\(path)' cannot be read")
      }
      return String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
    }
    guard let idFile = configuration.s3AccessKeyIDFile, let secretFile = configuration.s3SecretAccessKeyFile else {
      // Keys from AWS_*; the job's region and session token still apply.
      guard JobConfig.isRemote(configuration.repository),
        configuration.s3Region != nil || configuration.s3SessionTokenFile != nil
      else { return nil }
      let base = try S3Credentials.fromEnvironment()
      return S3Credentials(
        accessKeyID: base.accessKeyID, secretAccessKey: base.secretAccessKey,
        sessionToken: try configuration.s3SessionTokenFile.map(read) ?? base.sessionToken,
        region: configuration.s3Region ?? base.region)
    }
    let environment = ProcessInfo.processInfo.environment
    return S3Credentials(
      accessKeyID: try read(idFile), secretAccessKey: try read(secretFile),
      sessionToken: try configuration.s3SessionTokenFile.map(read),
      region: configuration.s3Region ?? environment["AWS_REGION"] ?? environment["AWS_DEFAULT_REGION"] ?? "us-east-1")
  }
}
