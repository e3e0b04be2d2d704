import Foundation
import Testing

/// Promise "Bad input" (Docs/PROMISES.md): the repository is known by its
/// resolved directory, and a repository path that is not a usable directory
/// gets one line saying what is wrong with it.
@Suite struct RepositoryPathTests {
  /// A `--repo` given through a symlink that points into a source: the
  /// repository is still recognised and never backed up into itself.
  @Test func repositoryThroughASymlinkIntoTheSourceIsNotBackedUp() throws {
    let work = try BackupWorkspace(initialize: false)
    let source = work.sub("src")
    let real = "\(source)/backups/repo"
    let link = work.sub("repo-link")
    try shell(
      """
      set -e
      mkdir -p '\(source)/backups' && echo data > '\(source)/file'
      ln -s '\(real)' '\(link)'
      """)
    try work.run(["init", "--repo", real])
    let first = try Cairn.run(["backup", "--repo", link, source])
    #expect(first.status == 0, "\(first.output)")
    let second = try Cairn.run(["backup", "--repo", link, "--full", source])
    #expect(second.status == 0, "\(second.output)")
    for id in try snapshotIDs(real) {
      let inside = try snapshotEntries(real, id).filter { $0.path.hasPrefix(real) }.count
      #expect(inside == 0, "snapshot \(id) holds \(inside) entries of the repository")
      #expect(try snapshotEntries(real, id).contains { $0.path == "\(source)/file" })
    }
  }

  /// A `--repo` that is a regular file is said to be one, not "missing".
  @Test func repositoryThatIsAFileIsNamedAsNotADirectory() throws {
    let dir = TemporaryDirectory("cairn-repo-path")
    let file = dir.sub("file")
    try shell("echo x > '\(file)'")
    for command in [["snapshots"], ["check"], ["backup", dir.path]] {
      let result = try Cairn.run([command[0], "--repo", file] + command.dropFirst())
      #expect(result.status == 1, "\(result.output)")
      #expect(result.stderr.contains("'\(file)' is not a directory"), "\(command[0]): \(result.stderr)")
      #expect(!result.stderr.contains("does not exist"), "\(result.stderr)")
      #expect(trimmedLines(result.stderr).count == 1, "\(result.stderr)")
    }
  }

  /// `init --repo FILE/x` says that a parent is not a directory, not a Cocoa error number.
  @Test func initBelowAFileSaysTheParentIsNotADirectory() throws {
    let dir = TemporaryDirectory("cairn-repo-path")
    let file = dir.sub("file")
    try shell("echo x > '\(file)'")
    for path in ["\(file)/x", "\(file)/x/y"] {
      let result = try Cairn.run(["init", "--repo", path])
      #expect(result.status == 1, "\(result.output)")
      #expect(result.stderr.contains("'\(file)' is not a directory"), "\(result.stderr)")
      #expect(!result.stderr.contains("NSCocoaErrorDomain"), "\(result.stderr)")
      #expect(trimmedLines(result.stderr).count == 1, "\(result.stderr)")
    }
    #expect(try String(contentsOfFile: file, encoding: .utf8) == "x\n")
  }
}
