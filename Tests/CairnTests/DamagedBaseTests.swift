import Foundation
import Testing

/// Promise "Integrity" (Docs/PROMISES.md): a damaged manifest in the newest
/// full does not stop the next backups. A run that would be a differential
/// against it takes a full instead, with a warning naming the damaged
/// snapshot (stderr and backup.log), and that full restores exactly.
@Suite struct DamagedBaseTests {
  @Test(arguments: [[], ["--differential"]])
  func damagedBaseManifestFallsBackToAFull(options: [String]) throws {
    let work = try BackupWorkspace()
    let source = work.sub("src")
    try shell("mkdir -p '\(source)/d' && echo one > '\(source)/d/one' && head -c 100000 /dev/urandom > '\(source)/big'")
    let full = try work.backup([source], ["--full"])
    let part = try #require(full.manifest.first)
    try work.inspection.damage(part, .flipByte(at: 12))
    try shell("echo two > '\(source)/d/two'")

    let run = try Cairn.run(["backup", "--repo", work.repo, "--json"] + options + [source])
    #expect(run.status == 0, "\(run.output)")
    #expect(run.stderr.contains("warning") && run.stderr.contains(full.id), "\(run.stderr)")
    let log = String(decoding: FileManager.default.contents(atPath: "\(work.repo)/backup.log") ?? Data(), as: UTF8.self)
    #expect(log.contains("level=warning") && log.contains(full.id), "\(log)")
    let made = try #require(try work.snapshots().last)
    #expect(made.kind == "full" && made.id != full.id)

    // The next run has a readable full to build on, and says nothing.
    try shell("echo three > '\(source)/d/three'")
    let next = try Cairn.run(["backup", "--repo", work.repo] + options + [source])
    #expect(next.status == 0 && !next.stderr.contains("warning"), "\(next.output)")
    #expect(try work.snapshots().last?.base == made.id)
    let target = work.sub("out")
    #expect(try work.restore("latest", to: target).status == 0)
    #expect(try TreeListing(target + source) == TreeListing(source))
  }
}
