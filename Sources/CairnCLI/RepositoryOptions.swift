import ArgumentParser
import Cairn
import Foundation

/// `--repo` (or CAIRN_REPO) and `--lock-wait`, shared by every command that opens a repository.
struct RepositoryOptions: ParsableArguments {
  @Option(
    name: [.customShort("r"), .long],
    help: "The repository: a directory, or s3:http[s]://HOST[:PORT]/BUCKET[/PREFIX] (default: $CAIRN_REPO).")
  var repo: String?

  @Flag(help: "Address S3 buckets by path (HOST/BUCKET), as custom endpoints need; AWS uses BUCKET.HOST.")
  var s3PathStyle = false

  @Option(help: "Requests to an S3 repository in flight at once.")
  var connections = 32

  @Option(name: .long, help: "Seconds to wait for another cairn process to release the repository.")
  var lockWait: Int = 300

  @Option(name: .long, help: "Read the repository password from this file (default: $CAIRN_PASSWORD_FILE).")
  var passwordFile: String?

  @Option(name: .long, help: "Run this command and use its output as the password (default: $CAIRN_PASSWORD_COMMAND).")
  var passwordCommand: String?

  /// Where the password comes from, asked only for an encrypted repository.
  var passwordSource: PasswordSource {
    PasswordSource(passwordFile: passwordFile, passwordCommand: passwordCommand)
  }

  var password: Repository.PasswordProvider {
    let source = passwordSource
    return { try source.password() }
  }

  func repositoryPath() throws -> String {
    if let repo, !repo.isEmpty { return repo }
    if let fromEnvironment = ProcessInfo.processInfo.environment["CAIRN_REPO"], !fromEnvironment.isEmpty {
      return fromEnvironment
    }
    throw ValidationError("no repository given; pass --repo PATH (or s3:URL) or set CAIRN_REPO")
  }

  /// The repository's location, with the S3 settings of the command line.
  func location() throws -> RepositoryLocation {
    RepositoryLocation(
      try repositoryPath(), s3: RepositoryLocation.S3Settings(forcePathStyle: s3PathStyle, connections: connections))
  }

  func open() async throws -> Repository { try await location().open(password: password) }

  func lock(_ repository: Repository, _ mode: StorageLockMode) async throws -> any StorageLock {
    HeldLocks.hold(
      try await repository.lock(mode, wait: .seconds(max(lockWait, 0))) { message in
        if Terminal.isInteractive { Terminal.error(message) }
      })
  }

  func validate() throws {
    guard lockWait >= 0 else { throw ValidationError("--lock-wait must be 0 or more seconds") }
    guard (1...256).contains(connections) else { throw ValidationError("--connections must be between 1 and 256") }
  }
}
