import ArgumentParser
import Cairn
import Foundation

struct StatsCommand: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "stats", abstract: "Show how much the repository holds and how much deduplication saves.")

  @OptionGroup var repository: RepositoryOptions

  @Flag(help: "Print the figures as JSON.")
  var json = false

  func run() async throws {
    let repo = try await repository.open()
    let lock = try await repository.lock(repo, .shared)
    defer { withExtendedLifetime(lock) {} }
    let stats = try await RepositoryStatistics(repository: repo)
    if json {
      print(try Terminal.json(stats))
      return
    }
    print("snapshots:      \(stats.snapshots) (\(stats.fullSnapshots) full)")
    print("logical size:   \(Terminal.bytes(stats.logicalBytes)) (the trees of all snapshots)")
    print("stored size:    \(Terminal.bytes(stats.storedBytes)) in \(stats.objects) objects")
    print("deduplication:  \(String(format: "%.2f", stats.deduplicationRatio))x")
  }
}
