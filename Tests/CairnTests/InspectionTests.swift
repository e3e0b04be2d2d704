import Cairn
import Foundation
import Testing

/// `ls`, `diff`, `stats` and `restore --include` on a tree whose answers are known.
@Suite struct InspectionTests {
  struct Known {
    let dir = TemporaryDirectory("cairn-inspect")
    var repo: String { dir.sub("repo") }
    var source: String { dir.sub("src") }
    var first = ""
    var second = ""

    init() throws {
      try shell(
        """
        set -e
        mkdir -p \(source)/a/deep \(source)/b
        printf 'hello' > \(source)/a/hello.txt
        head -c 200000 /dev/urandom > \(source)/a/deep/data.bin
        printf 'same' > \(source)/b/one
        printf 'same' > \(source)/b/two
        ln -s a/hello.txt \(source)/link
        chmod 0640 \(source)/a/hello.txt
        touch -d '2021-05-06 07:08:09.5' \(source)/a/hello.txt
        """)
      #expect(try Cairn.run(["init", "--repo", repo, "--block-size", "65536"]).status == 0)
      first = try Self.backup(repo, source, "2026-04-01T00:00:00Z")
      try shell(
        """
        set -e
        printf 'changed' >> \(source)/b/one
        rm \(source)/b/two
        echo new > \(source)/a/added
        chmod 0600 \(source)/a/deep/data.bin
        """)
      second = try Self.backup(repo, source, "2026-04-02T00:00:00Z")
    }

    static func backup(_ repo: String, _ source: String, _ now: String) throws -> String {
      let result = try Cairn.run(["backup", "--repo", repo, "--json", "--time", now, source])
      #expect(result.status == 0, "\(result.output)")
      return (try jsonObject(result.stdout)["snapshot"] as? [String: Any])?["id"] as? String ?? ""
    }
  }

  @Test func lsListsEntriesWithTypeModeSizeAndTime() throws {
    let known = try Known()
    let all = try jsonArray(try Cairn.run(["ls", "--repo", known.repo, known.first, "--json"]).stdout)
    let byPath = Dictionary(uniqueKeysWithValues: all.map { ($0["path"] as? String ?? "", $0) })
    #expect(all.count == 9)  // src, a, a/deep, a/deep/data.bin, a/hello.txt, b, b/one, b/two, link
    let hello = byPath[known.source + "/a/hello.txt"]
    #expect(hello?["type"] as? String == "file")
    #expect(hello?["mode"] as? String == "640")
    #expect(hello?["size"] as? Int == 5)
    #expect((hello?["mtime"] as? String)?.hasPrefix("2021-05-06T07:08:09.5") == true)
    #expect(byPath[known.source + "/link"]?["target"] as? String == "a/hello.txt")
    #expect(byPath[known.source + "/a/deep"]?["type"] as? String == "dir")

    let sub = try Cairn.run(["ls", "--repo", known.repo, known.second, known.source + "/a/deep"])
    #expect(sub.status == 0)
    let lines = sub.stdout.split(separator: "\n")
    #expect(lines.count == 2)
    #expect(lines.last?.hasPrefix("-rw-------") == true, "\(sub.stdout)")
    #expect(lines.last?.contains("200000") == true)

    let missing = try Cairn.run(["ls", "--repo", known.repo, known.second, known.source + "/nope"])
    #expect(missing.status == 1)
    #expect(missing.stderr.contains("/nope"))
  }

  @Test func diffNamesAddedRemovedAndChangedPathsAndTheBytes() throws {
    let known = try Known()
    let result = try Cairn.run(["diff", "--repo", known.repo, known.first, known.second, "--json"])
    #expect(result.status == 0, "\(result.output)")
    let diff = try jsonObject(result.stdout)
    #expect(diff["added"] as? [String] == [known.source + "/a/added"])
    #expect(diff["removed"] as? [String] == [known.source + "/b/two"])
    let changed = (diff["changed"] as? [[String: Any]] ?? []).map {
      ($0["path"] as? String ?? "", $0["what"] as? [String] ?? [])
    }
    let changedPaths = Dictionary(uniqueKeysWithValues: changed)
    #expect(changedPaths[known.source + "/b/one"]?.contains("content") == true)
    #expect(changedPaths[known.source + "/a/deep/data.bin"] == ["mode"])
    // 4 new bytes in a/added ("new\n") plus the new content of b/one ("samechanged", 11 bytes, a new block).
    #expect(diff["bytesDiffering"] as? Int == 4 + 11)
    let text = try Cairn.run(["diff", "--repo", known.repo, known.first, known.second]).stdout
    #expect(text.contains("+ \(known.source)/a/added"))
    #expect(text.contains("- \(known.source)/b/two"))
    #expect(text.contains("M \(known.source)/b/one"))
  }

  @Test func statsCountsLogicalAndStoredBytes() async throws {
    let known = try Known()
    let stats = try jsonObject(try Cairn.run(["stats", "--repo", known.repo, "--json"]).stdout)
    #expect(stats["snapshots"] as? Int == 2)
    let stored = try await RepositoryInspection(path: known.repo).objects()
    #expect(stats["objects"] as? Int == stored.count)
    #expect((stats["storedBytes"] as? NSNumber)?.uint64Value == stored.values.reduce(0, +))
    // Logical: 5 + 200000 + 4 + 4 in the first, 5 + 200000 + 11 + 4 in the second.
    #expect(stats["logicalBytes"] as? Int == 200013 + 200020)
    #expect((stats["deduplicationRatio"] as? Double ?? 0) > 1.5)
  }

  @Test func restoreIncludeRestoresOnlyThoseSubtrees() throws {
    let known = try Known()
    let target = known.dir.sub("partial")
    let result = try Cairn.run([
      "restore", "--repo", known.repo, known.second, target, "--include", known.source + "/a/deep", "--include",
      known.source + "/b/one",
    ])
    #expect(result.status == 0, "\(result.output)")
    let restored = try TreeListing(target + known.source, includeRootMetadata: false)
    let names = Set(restored.items.keys.map { String(decoding: $0, as: UTF8.self) })
    #expect(names == ["a", "a/deep", "a/deep/data.bin", "b", "b/one"])
    let original = try TreeListing(known.source)
    for path in ["a/deep/data.bin", "a/deep", "b/one"] {
      #expect(restored.items[Data(path.utf8)] == original.items[Data(path.utf8)], "\(path)")
    }
  }
}
