import ArgumentParser
import Cairn
import Logging

struct GCCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "gc",
    abstract: "Delete the objects no snapshot references any more, and leftovers of interrupted runs.")

  @OptionGroup var repository: RepositoryOptions

  @Flag(help: "Count what would be deleted without deleting anything.")
  var dryRun = false

  @Flag(help: "Print the figures as JSON.")
  var json = false

  @Flag(name: .shortAndLong, help: "Print nothing but errors.")
  var quiet = false

  func run() throws {
    let repo = try repository.open()
    let lock = try repository.lock(repo, .exclusive)
    defer { withExtendedLifetime(lock) {} }
    let report = try GarbageCollector(repository: repo, logger: Logger(label: "cairn.gc")).run(dryRun: dryRun)
    if json {
      print(try Terminal.json(report))
    } else if !quiet {
      print(Summary.garbageCollection(report))
    }
  }
}
