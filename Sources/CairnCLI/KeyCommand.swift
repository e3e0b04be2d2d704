import ArgumentParser
import Cairn
import Foundation

/// `cairn key`: the passwords that open an encrypted repository.
struct KeyCommand: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "key", abstract: "List, add, remove or change the passwords of an encrypted repository.",
    subcommands: [List.self, Add.self, Remove.self, Passwd.self])

  /// The new password, from a file or a prompt.
  struct NewPassword: ParsableArguments {
    @Option(help: "Read the new password from this file (default: ask on the terminal).")
    var newPasswordFile: String?

    func read() throws -> String {
      try PasswordSource(passwordFile: newPasswordFile, environment: [:]).password(prompt: "enter the new password: ")
    }
  }

  struct List: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "List the key files; '*' marks the one used.")
    @OptionGroup var repository: RepositoryOptions
    @Flag(help: "Print the keys as JSON.") var json = false

    func run() async throws {
      let repo = try await repository.open()
      let keys = try await repo.keyFiles()
      if json {
        print(try Terminal.json(keys.map { KeyListing($0, current: repo.keyID) }))
        return
      }
      for key in keys {
        print(
          "\(key.id == repo.keyID ? "*" : " ") \(key.id.prefix(12))  \(Timestamps.format(key.created).prefix(19))"
            + "  \(key.username)@\(key.hostname)")
      }
    }
  }

  struct Add: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Add a password that opens the repository.")
    @OptionGroup var repository: RepositoryOptions
    @OptionGroup var newPassword: NewPassword

    func run() async throws {
      let repo = try await repository.open()
      let key = try await repo.addKey(password: try newPassword.read())
      print("added key \(key.id.prefix(12))")
    }
  }

  struct Remove: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Remove a key (not the one given to this command).")
    @OptionGroup var repository: RepositoryOptions
    @Argument(help: "The key's id, or a unique prefix of it.") var id: String

    func run() async throws {
      let repo = try await repository.open()
      try await repo.removeKey(id)
      print("removed key \(id)")
    }
  }

  struct Passwd: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
      abstract: "Change the password: add a key with the new one, then remove the key that was used.")
    @OptionGroup var repository: RepositoryOptions
    @OptionGroup var newPassword: NewPassword

    func run() async throws {
      let repo = try await repository.open()
      guard let old = repo.keyID else { throw CairnError(.invalidArgument, "the repository is not encrypted") }
      let key = try await repo.addKey(password: try newPassword.read())
      try await repo.removeKeyUsedToOpen(replacedBy: key.id)
      print("changed the password: key \(old.prefix(12)) replaced by \(key.id.prefix(12))")
    }
  }
}

/// The JSON shape of one key.
struct KeyListing: Encodable {
  let id: String
  let created: String
  let username: String
  let hostname: String
  let current: Bool

  init(_ key: KeyFile, current: String?) {
    id = key.id
    created = Timestamps.format(key.created)
    username = key.username
    hostname = key.hostname
    self.current = key.id == current
  }
}
