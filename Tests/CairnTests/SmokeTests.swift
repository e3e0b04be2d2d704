import Foundation
import Testing

@Suite struct SmokeTests {
  @Test func initBackupRestoreRoundTrip() throws {
    let dir = TemporaryDirectory()
    try shell("mkdir -p \(dir.sub("src/a")) && echo hello > \(dir.sub("src/a/f")) && ln -s f \(dir.sub("src/a/l"))")
    #expect(try Cairn.run(["init", "--repo", dir.sub("repo")]).status == 0)
    let backup = try Cairn.run(["backup", "--repo", dir.sub("repo"), dir.sub("src")])
    #expect(backup.status == 0, "\(backup.output)")
    let restore = try Cairn.run(["restore", "--repo", dir.sub("repo"), "latest", dir.sub("out")])
    #expect(restore.status == 0, "\(restore.output)")
    #expect(try TreeListing(dir.sub("src")) == TreeListing(dir.sub("out") + dir.sub("src")))
  }
}
