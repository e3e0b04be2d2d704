import ArgumentParser
import Cairn
import CairnS3
import Logging

struct GCCommand: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "gc",
    abstract: "Delete the objects no snapshot references any more, and leftovers of interrupted runs.")

  @OptionGroup var repository: RepositoryOptions

  @Flag(help: "Count what would be deleted without deleting anything.")
  var dryRun = false

  @OptionGroup var output: OutputOptions

  func run() async throws {
    let path = try repository.repositoryPath()
    let log = OperationLog.inRepository(path)
    try await log.operation("gc", ["dryRun": "\(dryRun)"]) {
      let repo = try await repository.open()
      log.attach(repo)
      let lock = try await repository.lock(repo, .exclusive)
      defer { withExtendedLifetime(lock) {} }
      let report = try await GarbageCollector(repository: repo, logger: Logger(label: "cairn.gc")).run(dryRun: dryRun)
      log.info(
        "gc result",
        [
          "objectsScanned": "\(report.objectsScanned)", "objectsDeleted": "\(report.objectsDeleted)",
          "bytesFreed": "\(report.bytesFreed)", "temporaryFilesRemoved": "\(report.temporaryFilesRemoved)",
        ])
      for skipped in report.leftoversSkipped {
        Terminal.error("warning: '\(skipped)' has a leftover's name but is not a file; left alone, remove it by hand")
        log.warning("leftover skipped", ["path": "\(skipped)"])
      }
      let requests = RequestCounts.report(repo, log: log, output: output)
      if output.json { print(try Terminal.json(GCOutput(report: report, requests: requests))) }
      // A dry run exists for its output: printed whether or not stdout is a terminal.
      if !output.json && !output.quiet && (dryRun || output.showsSummary) {
        print(Summary.garbageCollection(report))
      }
    }
  }
}

/// The JSON shape of a gc: the report's fields, and the requests sent to an
/// S3 repository (absent for a local one).
struct GCOutput: Encodable {
  let report: GarbageCollectionReport
  let requests: S3RequestCounts?

  private enum CodingKeys: String, CodingKey { case requests }

  func encode(to encoder: any Encoder) throws {
    try report.encode(to: encoder)
    var container = encoder.container(keyedBy: CodingKeys.self)
    try container.encodeIfPresent(requests, forKey: .requests)
  }
}
