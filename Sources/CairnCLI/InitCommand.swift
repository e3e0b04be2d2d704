import ArgumentParser
import Cairn

struct InitCommand: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "init", abstract: "Create a new, empty repository.",
    discussion: """
      With --encryption aes-256-gcm, the repository's contents, file names, sizes and times are \
      unreadable without a password (given by --password-file, --password-command, CAIRN_PASSWORD \
      or a prompt). The password cannot be recovered: if it is lost, the backups are lost. Keep it \
      somewhere other than the machine you back up, or add a second one with 'cairn key add'.
      """)

  @OptionGroup var repository: RepositoryOptions

  @Option(
    help: """
      Block size in bytes, 65536 to 16777216; files are split into blocks of this size \
      (default: 1 MiB for a local folder, 8 MiB on S3, where each object is a request).
      """)
  var blockSize: Int?

  @Option(help: "Compression of stored objects: 'zstd' (default), 'zstd:LEVEL' (1 to 19) or 'none'.")
  var compression = "zstd"

  @Option(help: "Encryption: 'aes-256-gcm' (default on S3) or 'none' (default for a local folder).")
  var encryption: String?

  @Option(
    help:
      "The cost of deriving the key from the password: log2 of scrypt's N with p = 1 (10 to 20; default: N = 2^15, p = 4)."
  )
  var kdfCost: Int?

  func validate() throws {
    guard RepositoryConfig.compression(named: compression) != nil else {
      throw ValidationError(
        "--compression must be 'none', 'zstd' or 'zstd:LEVEL' with LEVEL 1 to 19, not '\(compression)'")
    }
    if let encryption, encryption != "none", encryption != "aes-256-gcm" {
      throw ValidationError("--encryption must be 'none' or 'aes-256-gcm', not '\(encryption)'")
    }
    if let kdfCost, !(10...20).contains(kdfCost) {
      throw ValidationError("--kdf-cost must be between 10 and 20")
    }
  }

  func run() async throws {
    let location = try repository.location()
    let path = location.text
    // Off-site repositories are private unless told otherwise.
    let encryption = self.encryption ?? (location.isS3 ? "aes-256-gcm" : "none")
    var options = Repository.Options(
      blockSize: blockSize ?? RepositoryConfig.defaultBlockSize(remote: location.isS3),
      compression: RepositoryConfig.compression(named: compression) ?? .none)
    if encryption == "aes-256-gcm" {
      options.password = try repository.passwordSource.password(prompt: "enter a password for the new repository: ")
      if let kdfCost { options.keyDerivation = Scrypt.Parameters(n: 1 << UInt64(kdfCost), r: 8, p: 1) }
    }
    let created = try await location.initialize(options: options)
    print(
      "created repository '\(path)' (id \(created.config.id), block size \(created.config.blockSize), "
        + "compression \(created.config.compression), encryption \(created.config.encryption))")
    if created.keyID != nil {
      print("keep the password safe: without it the repository cannot be read, and it cannot be recovered")
    }
  }
}
