import Cairn
import Foundation
import Testing

/// A differential compares files with the newest snapshot of the same
/// sources (its parent), not only with the base full.
@Suite struct ChangeDetectionTests {
  @Test func aFileAddedAfterTheFullIsReadOnce() async throws {
    let dir = TemporaryDirectory("cairn-parent")
    let repo = dir.sub("repo")
    let source = dir.sub("src")
    try shell("mkdir -p \(source) && echo one > \(source)/a && head -c 200000 /dev/urandom > \(source)/b")
    #expect(try Cairn.run(["init", "--repo", repo, "--block-size", "65536"]).status == 0)
    var filesRead: [Int] = []
    var kinds: [String] = []
    for day in 1...13 {
      if day == 2 { try shell("head -c 150000 /dev/urandom > \(source)/added") }
      if day == 6 { try shell("echo changed >> \(source)/a") }
      let result = try Cairn.run(
        [
          "backup", "--repo", repo, "--full-every", "14", "--json", source, "--time",
          String(format: "2026-03-%02dT02:00:00Z", day),
        ])
      #expect(result.status == 0, "day \(day): \(result.output)")
      let snapshot = try jsonObject(result.stdout)["snapshot"] as? [String: Any] ?? [:]
      kinds.append(snapshot["kind"] as? String ?? "?")
      filesRead.append((snapshot["statistics"] as? [String: Any])?["filesRead"] as? Int ?? -1)
    }
    #expect(kinds == ["full"] + Array(repeating: "differential", count: 12))
    // Day 1 reads both files; day 2 the added one; day 6 the changed one; no other day reads anything.
    #expect(filesRead == [2, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0])
    // Every differential is still based on the day-1 full and restores the tree as it was.
    let records = try await RepositoryInspection(path: repo).records()
    #expect(records.dropFirst().allSatisfy { $0.base == records[0].id })
    let target = dir.sub("restored")
    #expect(try Cairn.run(["restore", "--repo", repo, "latest", target]).status == 0)
    #expect(try TreeListing(target + source) == TreeListing(source))
    let middle = dir.sub("middle")
    #expect(try Cairn.run(["restore", "--repo", repo, records[3].id, middle]).status == 0)
    #expect(try String(contentsOfFile: middle + source + "/a", encoding: .utf8) == "one\n")
    #expect(FileManager.default.fileExists(atPath: middle + source + "/added"))
    let check = try Cairn.run(["check", "--repo", repo, "--read-data"])
    #expect(check.status == 0, "\(check.output)")
  }

  @Test func anUnreadableParentOnlyCostsARead() throws {
    let dir = TemporaryDirectory("cairn-parent")
    let repo = dir.sub("repo")
    let source = dir.sub("src")
    try shell("mkdir -p \(source) && echo one > \(source)/a")
    #expect(try Cairn.run(["init", "--repo", repo, "--block-size", "65536"]).status == 0)
    func backup(day: Int) throws -> [String: Any] {
      let result = try Cairn.run(
        ["backup", "--repo", repo, "--json", source, "--time", String(format: "2026-03-%02dT02:00:00Z", day)])
      #expect(result.status == 0, "day \(day): \(result.output)")
      return try jsonObject(result.stdout)["snapshot"] as? [String: Any] ?? [:]
    }
    _ = try backup(day: 1)
    try shell("echo two > \(source)/added")
    let parent = try backup(day: 2)
    for hex in parent["manifest"] as? [String] ?? [] {
      try RepositoryInspection(path: repo).damage(hex, .delete)
    }
    let next = try backup(day: 3)
    #expect((next["statistics"] as? [String: Any])?["filesRead"] as? Int == 1, "the added file is read again")
    let target = dir.sub("restored")
    #expect(try Cairn.run(["restore", "--repo", repo, next["id"] as? String ?? "", target]).status == 0)
    #expect(try TreeListing(target + source) == TreeListing(source))
  }
}
