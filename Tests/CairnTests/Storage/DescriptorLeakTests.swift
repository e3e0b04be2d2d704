import Foundation
import Testing

@testable import Cairn

/// A local repository holds a descriptor for its folder, and one for each
/// object directory it has used, while it is open; all are closed when it
/// goes away, and reading records opens no object directory. (Holding all
/// 256 from the start made the suite, which opens many repositories in
/// process at once, run out of descriptors.)
@Suite struct DescriptorLeakTests {
  /// How many of this process's descriptors point into `path`. Other
  /// suites open files at the same time: only this repository's count.
  private static func descriptors(into path: String) throws -> Int {
    try FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd").count { name in
      let target = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/fd/\(name)")
      return target.map { $0 == path || $0.hasPrefix(path + "/") } ?? false
    }
  }

  /// The count once the last user has let go. A descriptor closes when the
  /// last reference to its holder goes, and the pool thread that ran a
  /// repository's last call drops its reference just after the caller
  /// resumes: wait for that (a leak never gets there).
  private static func descriptorsOnceReleased(into path: String) async throws -> Int {
    let deadline = ContinuousClock.now + .seconds(10)
    var count = try descriptors(into: path)
    while count > 0 && ContinuousClock.now < deadline {
      try await Task.sleep(for: .milliseconds(10))
      count = try descriptors(into: path)
    }
    return count
  }

  @Test func aLocalRepositoryHoldsOnlyTheDescriptorsItUsedAndClosesThem() async throws {
    let directory = TemporaryDirectory("cairn-leak")
    let path = directory.sub("repo")
    do {
      let created = try await Repository.initialize(at: path)
      _ = try await created.store.put(Array("one object".utf8))
      try await created.store.commit()
    }
    #expect(try await Self.descriptorsOnceReleased(into: path) == 0)
    for _ in 0..<3 {
      let repository = try await Repository.open(at: path)
      _ = try await repository.snapshots()
      #expect(try Self.descriptors(into: path) < 8, "reading records opened the object directories")
      var objects = 0
      try await repository.store.forEachObject { _, _ in objects += 1 }
      #expect(objects == 1)
    }
    #expect(try await Self.descriptorsOnceReleased(into: path) == 0, "a closed repository left descriptors open")
  }
}
