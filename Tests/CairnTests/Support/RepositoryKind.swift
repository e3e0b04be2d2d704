import Foundation
import Testing

/// The kinds of repository the end-to-end matrices (crash, corruption) run
/// on: one that stores every block as it is, named by its SHA-256, and one
/// that compresses and encrypts it and names it by a keyed HMAC. A test
/// that passes on both does not depend on how objects are stored.
enum RepositoryKind: String, CaseIterable, Sendable, CustomTestStringConvertible {
  /// `--compression none --encryption none`.
  case plain
  /// `--compression zstd --encryption aes-256-gcm`, password from a file.
  case encrypted

  /// The password of every encrypted test repository. `RepositoryInspection`
  /// opens repositories with it, and a plain repository never asks for it.
  static let password = "cairn test password"

  var testDescription: String { self == .plain ? "plain" : "zstd+aes-256-gcm" }

  /// What `cairn init` is given besides `--repo`. The key derivation is the
  /// cheapest allowed (`--kdf-cost 10`): every command derives the key once,
  /// and the matrices run hundreds of commands.
  var initOptions: [String] {
    switch self {
    case .plain: ["--compression", "none", "--encryption", "none"]
    case .encrypted: ["--compression", "zstd", "--encryption", "aes-256-gcm", "--kdf-cost", "10"]
    }
  }

  /// Writes the password file into `directory` (for an encrypted kind) and
  /// returns the environment every `cairn` command on the repository needs.
  func prepare(in directory: TemporaryDirectory) throws -> [String: String] {
    guard self == .encrypted else { return [:] }
    let file = directory.sub("password")
    guard FileManager.default.createFile(atPath: file, contents: Data(Self.password.utf8)) else {
      throw ShellFailure(
        script: "create \(file)", result: CommandResult(status: 1, stdout: "", stderr: "could not write it"))
    }
    return ["CAIRN_PASSWORD_FILE": file]
  }
}
