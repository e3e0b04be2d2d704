import Foundation
import Logging
import Testing

@testable import Cairn

/// The head start walks part of a tree before the backup is ready for it;
/// what it walked and what the backup walks after it are the whole walk,
/// in order, once each.
@Suite struct WalkHeadStartTests {
  /// A tree of `directories` directories of three files each.
  private func makeTree(directories: Int) throws -> TemporaryDirectory {
    let tree = TemporaryDirectory()
    for directory in 0..<directories {
      let path = "\(tree.path)/d\(directory)"
      try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: false)
      for file in 0..<3 { try Data("\(directory).\(file)".utf8).write(to: URL(fileURLWithPath: "\(path)/f\(file)")) }
    }
    return tree
  }

  private func paths(_ events: [TreeWalker.Event]) -> [String] {
    events.map { event in
      switch event {
      case .entry(let path, _, _, _), .problem(let path, _), .notice(let path, _): path.description
      }
    }
  }

  /// The whole walk, walked by one walker from the start.
  private func plainWalk(_ root: String) -> [String] {
    var walker = TreeWalker(roots: [EntryPath(root)])
    var events: [TreeWalker.Event] = []
    while let event = walker.next() { events.append(event) }
    return paths(events)
  }

  @Test func aHeadStartStoppedByItsDirectoryLimitIsContinuedExactly() async throws {
    let tree = try makeTree(directories: 200)
    let headStart = WalkHeadStart(TreeWalker(roots: [EntryPath(tree.path)]), maximumDirectories: 3)
    var walked = try await headStart.stoppedByItself()
    #expect(!walked.finished)
    let directoriesEntered = walked.events.filter {
      if case .entry(_, let status, _, _) = $0 { status.kind == .directory } else { false }
    }.count
    // The batch that reached the limit is kept whole: at most one batch past it.
    #expect(directoriesEntered >= 3 && directoriesEntered <= 3 + Backup.walkBatch)
    var events = walked.events
    while let event = walked.walker.next() { events.append(event) }
    #expect(paths(events) == plainWalk(tree.path))
    #expect(events.count == 1 + 200 * 4)
  }

  @Test func aHeadStartStoppedByItsByteBudgetIsContinuedExactly() async throws {
    let tree = try makeTree(directories: 200)
    // About 100 entries' worth: the tree has 801.
    let budget = 100 * (WalkHeadStart.bytesPerEntry + tree.path.utf8.count + 10)
    let headStart = WalkHeadStart(
      TreeWalker(roots: [EntryPath(tree.path)]), maximumDirectories: 1_000, maximumBytes: budget)
    var walked = try await headStart.stoppedByItself()
    #expect(!walked.finished)
    let held = walked.events.reduce(0) { $0 + WalkHeadStart.estimatedSize(of: $1) }
    // It stops at the batch that reaches the budget, kept whole.
    #expect(held >= budget)
    #expect(walked.events.count <= 100 + Backup.walkBatch)
    var events = walked.events
    while let event = walked.walker.next() { events.append(event) }
    #expect(paths(events) == plainWalk(tree.path))
    #expect(events.count == 1 + 200 * 4)
  }

  @Test func aHeadStartTakenAtOnceLeavesTheWalkToTheBackup() async throws {
    let tree = try makeTree(directories: 20)
    let headStart = WalkHeadStart(TreeWalker(roots: [EntryPath(tree.path)]), maximumDirectories: 1_000)
    var walked = try await headStart.take()
    var events = walked.events
    if !walked.finished {
      while let event = walked.walker.next() { events.append(event) }
    }
    #expect(paths(events) == plainWalk(tree.path))
  }

  /// A backup with a head start stores the tree as it is (the end-to-end
  /// tests cover the rest of the pipeline).
  @Test func aBackupBegunEarlyRestoresExactly() async throws {
    let tree = try makeTree(directories: 50)
    let repositoryFolder = TemporaryDirectory()
    let repository = try await Repository.initialize(
      at: repositoryFolder.path + "/repo", options: Repository.Options(blockSize: 1 << 20))
    let backup = Backup(repository: repository, logger: Logger(label: "test"))
    let request = BackupRequest(sources: [tree.path], kind: .full)
    let start = try Backup.begin(request, repositoryPath: repository.path, files: .linux)
    let result = try await backup.run(start)
    #expect(result.record.statistics.files == 150)
    #expect(result.problems.isEmpty)
  }
}
