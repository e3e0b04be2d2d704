import ArgumentParser
import Cairn

struct CheckCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "check",
    abstract: "Verify that every snapshot can be restored.",
    discussion: """
      Without --read-data: every record and manifest parses, every differential's base exists, \
      and every referenced object exists with the size its file needs. With --read-data, every \
      referenced object is also read and its content checked against its name.
      """)

  @OptionGroup var repository: RepositoryOptions

  @Flag(help: "Read every referenced object and verify its SHA-256.")
  var readData = false

  @Flag(help: "Print the report as JSON.")
  var json = false

  @Flag(name: .shortAndLong, help: "Print nothing but problems.")
  var quiet = false

  func run() throws {
    let repo = try repository.open()
    let lock = try repository.lock(repo, .shared)
    defer { withExtendedLifetime(lock) {} }
    let report = try Checker(repository: repo).run(readData: readData)
    if json {
      print(try Terminal.json(report))
    } else {
      for problem in report.problems { Terminal.error("error: \(problem)") }
      if !quiet {
        print(
          "checked \(report.snapshots) snapshot(s), \(report.objectsChecked) objects"
            + (readData ? " (\(Terminal.bytes(report.bytesRead)) read and verified)" : "") + ": "
            + (report.ok ? "no problems" : "\(report.problems.count) problem(s)"))
      }
    }
    if !report.ok { throw ExitCode.failure }
  }
}
