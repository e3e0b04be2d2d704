import Testing

@testable import Cairn

/// `EntryPath`: the order manifests are sorted in, and which paths a
/// restore may recreate.
@Suite struct EntryPathTests {
  private func path(_ bytes: [UInt8]) -> EntryPath { EntryPath(bytes: bytes) }

  /// A directory is followed directly by everything below it: `/` sorts
  /// before every other byte, so `/a/b` comes before `/a-b` and `/a0`
  /// (plain byte order would put them first).
  @Test func aDirectoryIsFollowedByItsSubtree() {
    let sorted = ["/a", "/a/b", "/a/b/c", "/a/c", "/a-b", "/a0", "/b"].map(EntryPath.init)
    #expect(sorted.reversed().sorted() == sorted)
    #expect(EntryPath("/a/b") < EntryPath("/a-b"))
    #expect(!(EntryPath("/a") < EntryPath("/a")))
  }

  /// The order is exactly component by component, whatever the bytes
  /// (non-UTF-8 and control bytes included), checked on many generated paths.
  @Test func orderIsComponentWise() {
    var state: UInt64 = 0x2545_F491_4F6C_DD1D
    func next(_ bound: Int) -> Int {
      state ^= state << 13
      state ^= state >> 7
      state ^= state << 17
      return Int(state % UInt64(bound))
    }
    let alphabet: [UInt8] = [0x01, 0x0A, 0x20, 0x2D, 0x2E, 0x30, 0x41, 0x61, 0x62, 0x7F, 0xC3, 0xFF]
    var paths: [EntryPath] = []
    for _ in 0..<400 {
      var bytes: [UInt8] = []
      for _ in 0..<(1 + next(4)) {
        bytes.append(UInt8(ascii: "/"))
        for _ in 0..<(1 + next(3)) { bytes.append(alphabet[next(alphabet.count)]) }
      }
      paths.append(path(bytes))
    }
    let byComponents = paths.sorted { left, right in
      left.components.map(Array.init).lexicographicallyPrecedes(right.components.map(Array.init)) {
        $0.lexicographicallyPrecedes($1)
      }
    }
    #expect(paths.sorted() == byComponents)
  }

  @Test func isWithinMeansThePathOrBelowIt() {
    #expect(EntryPath("/a/b").isWithin(EntryPath("/a")))
    #expect(EntryPath("/a").isWithin(EntryPath("/a")))
    #expect(!EntryPath("/ab").isWithin(EntryPath("/a")))
    #expect(!EntryPath("/a").isWithin(EntryPath("/a/b")))
    #expect(EntryPath("/anything/at/all").isWithin(EntryPath("/")))
  }

  @Test(arguments: [
    ("/", true), ("/a", true), ("/a/b.c/..d/...", true), ("/a\u{1}b", true),
    ("a/b", false), ("", false), ("/a/../b", false), ("/..", false), ("/a/./b", false), ("/a//b", false),
    ("/a/", false),
  ])
  func restoreRefusesEscapingPaths(text: String, safe: Bool) {
    #expect(EntryPath(text).isSafeToRestore == safe, "\(text.debugDescription)")
  }

  @Test func aNulByteIsNeverSafe() {
    #expect(!path(Array("/a".utf8) + [0] + Array("b".utf8)).isSafeToRestore)
  }

  /// Every path prints on one line: other bytes than UTF-8, control
  /// characters and the backslash itself are escaped.
  @Test func descriptionEscapesWhatIsNotPrintable() {
    #expect(path(Array("/dir/é".utf8)).description == "/dir/é")
    #expect(path([0x2F, 0x61, 0xFF, 0x0A, 0x5C]).description == "/a\\xff\\x0a\\\\")
    #expect(path([0x2F, 0xC3]).description == "/\\xc3")
  }

  @Test func appendingAddsOneComponent() {
    #expect(EntryPath("/a").appending(Array("b".utf8)) == EntryPath("/a/b"))
    #expect(EntryPath("/").appending(Array("b".utf8)) == EntryPath("/b"))
  }
}
