import ArgumentParser
import Cairn
import Foundation

struct SnapshotsCommand: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "snapshots", abstract: "List the snapshots in the repository, oldest first.")

  @OptionGroup var repository: RepositoryOptions

  @Flag(help: "Print a JSON array of snapshot records.")
  var json = false

  func run() async throws {
    let repo = try await repository.open()
    let (records, damaged) = try await repo.loadSnapshots()
    for problem in damaged { Terminal.error("warning: \(problem)") }
    let now = Terminal.now
    for record in records where record.isDatedAhead(of: now) {
      Terminal.error("warning: \(record.aheadOfClockWarning(now: now))")
    }
    if json {
      print(try Terminal.json(records))
      return
    }
    let header = "ID                         KIND          TIME                      FILES        SIZE  SOURCES"
    print(header)
    for record in records {
      let kind = record.kind.rawValue.padding(toLength: 12, withPad: " ", startingAt: 0)
      let time = String(record.time.prefix(19)).padding(toLength: 24, withPad: " ", startingAt: 0)
      let files = String(record.statistics.files)
      let size = Terminal.bytes(record.statistics.bytes)
      print(
        "\(record.id)  \(kind)  \(time)  \(String(repeating: " ", count: max(0, 5 - files.count)))\(files)  "
          + "\(String(repeating: " ", count: max(0, 10 - size.count)))\(size)  \(record.sources.joined(separator: " "))"
          + (record.isDatedAhead(of: now) ? "  (dated ahead of this clock)" : "")
      )
    }
  }
}
