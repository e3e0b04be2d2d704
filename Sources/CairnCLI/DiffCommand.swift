import ArgumentParser
import Cairn

struct DiffCommand: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "diff", abstract: "Show what changed between two snapshots.")

  @OptionGroup var repository: RepositoryOptions

  @Argument(help: "The older snapshot.")
  var from: String

  @Argument(help: "The newer snapshot.")
  var to: String

  @Flag(help: "Print the differences as JSON.")
  var json = false

  func run() async throws {
    let repo = try await repository.open()
    let lock = try await repository.lock(repo, .shared)
    defer { withExtendedLifetime(lock) {} }
    let difference = try await SnapshotDifference(
      repository: repo, from: try await repo.resolveSnapshot(from), to: try await repo.resolveSnapshot(to))
    if json {
      print(try Terminal.json(difference))
      return
    }
    for path in difference.added { print("+ \(path)") }
    for path in difference.removed { print("- \(path)") }
    for change in difference.changed { print("M \(change.path)  (\(change.what.joined(separator: ", ")))") }
    print(
      "\(difference.added.count) added, \(difference.removed.count) removed, \(difference.changed.count) changed; "
        + "\(Terminal.bytes(difference.bytesDiffering)) differ")
  }
}
