import Testing

@testable import Cairn

/// The one merge of sorted manifest streams, on streams held in memory.
@Suite struct ManifestMergeTests {
  private struct ArrayStream: ManifestStream {
    var entries: [ManifestEntry]
    mutating func next() async throws -> ManifestEntry? { entries.isEmpty ? nil : entries.removeFirst() }
  }

  private func stream(_ paths: [String], size: UInt64 = 0) -> ArrayStream {
    ArrayStream(entries: paths.map { file($0, size: size) })
  }

  private func file(_ path: String, size: UInt64) -> ManifestEntry {
    let time = Timestamp(seconds: 0, nanoseconds: 0)
    return ManifestEntry(
      path: EntryPath(path),
      status: FileStatus(
        kind: .file, mode: 0o644, uid: 0, gid: 0, size: size, mtime: time, ctime: time, inode: 1, device: 1,
        linkCount: 1, rdev: 0))
  }

  private func steps(_ left: [String], _ right: [String]) async throws -> [String] {
    var merge = ManifestMerge(stream(left, size: 1), stream(right, size: 2))
    var steps: [String] = []
    while let step = try await merge.next() {
      switch step {
      case .left(let entry): steps.append("<\(entry.path)")
      case .right(let entry): steps.append(">\(entry.path)")
      case .both(let old, let new):
        // The pair keeps its sides apart.
        #expect(old.size == 1 && new.size == 2)
        steps.append("=\(new.path)")
      }
    }
    return steps
  }

  @Test func stepsComeInPathOrderWithPairsAtCommonPaths() async throws {
    #expect(try await steps(["/a", "/c", "/d"], ["/b", "/c", "/e"]) == ["</a", ">/b", "=/c", "</d", ">/e"])
    #expect(try await steps(["/a/b", "/a/c"], ["/a", "/a/c", "/b"]) == [">/a", "</a/b", "=/a/c", ">/b"])
  }

  @Test func anEmptySideYieldsTheOtherWhole() async throws {
    #expect(try await steps([], ["/a", "/b"]) == [">/a", ">/b"])
    #expect(try await steps(["/a", "/b"], []) == ["</a", "</b"])
    #expect(try await steps([], []).isEmpty)
  }

  @Test func aCursorPassesWhatItSkipsAndFindsWhatIsThere() async throws {
    var cursor = ManifestCursor(stream(["/a", "/b", "/d", "/e"]))
    var passed: [String] = []
    let b = try await cursor.seek(EntryPath("/b")) { passed.append($0.path.description) }
    #expect(b?.path == EntryPath("/b"))
    #expect(passed == ["/a"])
    let c = try await cursor.seek(EntryPath("/c")) { passed.append($0.path.description) }
    #expect(c == nil)
    #expect(passed == ["/a"], "nothing lies between /b and /c")
    try await cursor.finish { passed.append($0.path.description) }
    #expect(passed == ["/a", "/d", "/e"])
  }
}
