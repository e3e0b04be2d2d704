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
}
