import ArgumentParser
import Cairn

/// `cairn log`: the log kept in the repository, readable also when it is sealed.
struct LogCommand: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "log",
    abstract: "Print the log kept in the repository (backup.log), opening sealed lines of an encrypted one.")

  @OptionGroup var repository: RepositoryOptions

  @Option(help: "Print only the last N lines.")
  var last: Int?

  func validate() throws {
    if let last, last < 1 { throw ValidationError("--last must be at least 1") }
  }

  func run() async throws {
    let repo = try await repository.open()
    var lines = try await repo.logLines()
    if let last { lines = Array(lines.suffix(last)) }
    for line in lines { print(line) }
  }
}
