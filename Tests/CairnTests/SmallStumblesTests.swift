import Cairn
import Foundation
import Testing

/// What a newcomer runs into in the first minutes: short options, typos,
/// snapshot references, time zones, exit statuses.
@Suite struct SmallStumblesTests {
  struct TwoSnapshots {
    let dir = TemporaryDirectory("cairn-stumbles")
    var repo: String { dir.sub("repo") }
    var source: String { dir.sub("src") }
    var ids: [String] = []

    init() throws {
      try shell("mkdir -p \(source) && echo a > \(source)/a")
      #expect(try Cairn.run(["init", "-r", repo, "--block-size", "65536"]).status == 0)
      for day in [1, 2] {
        let result = try Cairn.run(
          ["backup", "-r", repo, "--json", "--time", "2026-03-0\(day)T10:00:00Z", source])
        #expect(result.status == 0, "\(result.output)")
        ids.append((try jsonObject(result.stdout)["snapshot"] as? [String: Any])?["id"] as? String ?? "")
      }
    }
  }

  @Test func aMistypedCommandGetsASuggestionAndExit64() throws {
    let result = try Cairn.run(["backpu", "--repo", "/tmp/nowhere", "/tmp"])
    #expect(result.status == 64)
    #expect(result.stderr.contains("unknown command 'backpu'; did you mean 'backup'?"), "\(result.stderr)")
    #expect(!result.stderr.contains("--repo"), "the complaint is the command, not its options: \(result.stderr)")
    let prefix = try Cairn.run(["snap"])
    #expect(prefix.status == 64 && prefix.stderr.contains("did you mean 'snapshots'?"), "\(prefix.stderr)")
  }

  @Test func exit64IsDocumented() throws {
    let help = try Cairn.run(["--help"])
    #expect(help.stdout.contains("64 usage error"), "\(help.stdout)")
    let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
      .deletingLastPathComponent().path
    let readme = try String(contentsOfFile: root + "/README.md", encoding: .utf8)
    #expect(readme.contains("64"))
  }

  @Test func aSnapshotIsFoundByAnyUniquePrefixOfItsIdOrRandomPart() throws {
    let setup = try TwoSnapshots()
    let random = String(setup.ids[0].split(separator: "-")[1].prefix(5))
    for reference in [String(setup.ids[0].prefix(10)), random, setup.ids[0]] {
      let ls = try Cairn.run(["ls", "-r", setup.repo, reference, "--json"])
      #expect(ls.status == 0, "\(reference): \(ls.output)")
    }
    let ambiguous = try Cairn.run(["ls", "-r", setup.repo, "2026"])
    #expect(ambiguous.status == 1)
    #expect(ambiguous.stderr.contains("ambiguous"), "\(ambiguous.stderr)")
    for id in setup.ids { #expect(ambiguous.stderr.contains(id), "candidates are listed: \(ambiguous.stderr)") }
    let none = try Cairn.run(["ls", "-r", setup.repo, "zzz"])
    #expect(none.status == 1 && none.stderr.contains("no snapshot 'zzz'"))
  }

  @Test func tablesShowLocalTimeWithTheZone() throws {
    let setup = try TwoSnapshots()
    let tokyo = try Cairn.run(["snapshots", "-r", setup.repo], environment: ["TZ": "Asia/Tokyo"])
    #expect(tokyo.stdout.contains("2026-03-01 19:00:00 +09:00"), "\(tokyo.stdout)")
    let utc = try Cairn.run(["snapshots", "-r", setup.repo], environment: ["TZ": "UTC"])
    #expect(utc.stdout.contains("2026-03-02 10:00:00 +00:00"), "\(utc.stdout)")
  }
}
