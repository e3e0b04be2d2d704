import Foundation
import Testing

#if canImport(Glibc)
  import Glibc
#endif

/// Docs/FORMAT.md claims to be enough to restore a snapshot without Cairn.
/// Docs/restore-without-cairn.py is such a restore, written from the document
/// alone; these tests hold it to repositories made by the real binary.
@Suite struct FormatDocumentationTests {
  /// This file is `<root>/Tests/CairnTests/FormatDocumentationTests.swift`.
  static let packageRoot = URL(fileURLWithPath: #filePath)
    .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path
  static let script = packageRoot + "/Docs/restore-without-cairn.py"

  @Test func scriptRestoresADifferentialLikeTheSource() throws {
    let dir = TemporaryDirectory("cairn-format")
    let source = dir.sub("src")
    let repository = dir.sub("repo")
    try shell(
      #"""
      set -e
      mkdir -p '\#(source)'
      cd '\#(source)'
      mkdir -p docs/empty private
      printf 'first version\n' > docs/changing.txt
      printf 'stays the same\n' > docs/same.txt
      printf 'to be removed\n' > private/removed.txt
      printf 'odd name\n' > $'odd\nname\xe9'
      head -c 300000 /dev/urandom > multi-block.bin
      ln docs/same.txt hard-link
      ln -s docs/same.txt link
      ln -s /nonexistent/target docs/dangling
      chmod 0600 docs/same.txt
      chmod 0750 private
      chmod 0755 multi-block.bin
      """#)
    try cairn(["init", "--repo", repository, "--block-size", "65536"])
    try cairn(["backup", "--repo", repository, "--full", source])
    try shell(
      #"""
      set -e
      cd '\#(source)'
      printf 'second line\n' >> docs/changing.txt
      rm private/removed.txt
      printf 'new\n' > docs/new.txt
      ln -sfn docs/changing.txt link
      chmod 0640 docs/changing.txt
      """#)
    try cairn(["backup", "--repo", repository, "--differential", source])

    let records = try snapshotRecords(repository)
    let full = try #require(records.first { $0.kind == "full" })
    let differential = try #require(records.first { $0.kind == "differential" })
    #expect(records.count == 2)
    #expect(differential.base == full.id)

    let target = dir.sub("out")
    let restore = try runProcess("/usr/bin/env", ["python3", Self.script, repository, differential.id, target])
    #expect(restore.status == 0, "\(restore.output)")

    let expected = try TreeListing(source)
    let restored = try TreeListing(target + source)
    #expect(restored == expected, "source:\n\(expected)\nrestored:\n\(restored)")
    #expect(restored.items[Data("docs/changing.txt".utf8)]?.content == Data("first version\nsecond line\n".utf8))
    #expect(restored.items[Data("docs/changing.txt".utf8)]?.mode == 0o640)
    #expect(restored.items[Data("private/removed.txt".utf8)] == nil)
    #expect(restored.items[Data("link".utf8)]?.symlinkTarget == Data("docs/changing.txt".utf8))
    #expect(restored.items[Data("multi-block.bin".utf8)]?.size == 300_000)
    #expect(restored.items[Data("docs/empty".utf8)]?.type == UInt32(S_IFDIR))
  }

  @Test func scriptRefusesACorruptedBlock() throws {
    let dir = TemporaryDirectory("cairn-format")
    let source = dir.sub("src")
    let repository = dir.sub("repo")
    try shell("mkdir -p '\(source)' && printf 'corrupt me\\n' > '\(source)/victim'")
    try cairn(["init", "--repo", repository])
    try cairn(["backup", "--repo", repository, "--full", source])
    let block = try shell("printf 'corrupt me\\n' | sha256sum | cut -c1-64").trimmingCharacters(
      in: .whitespacesAndNewlines)
    let object = "\(repository)/objects/\(block.prefix(2))/\(block)"
    try shell("chmod u+w '\(object)' && printf 'CORRUPT ME\\n' > '\(object)'")

    let snapshot = try #require(try snapshotRecords(repository).first)
    let target = dir.sub("out")
    let restore = try runProcess("/usr/bin/env", ["python3", Self.script, repository, snapshot.id, target])
    #expect(restore.status != 0)
    #expect(restore.stderr.contains("object \(block) is corrupted"), "\(restore.output)")
    #expect(!FileManager.default.fileExists(atPath: target + source + "/victim"))
  }

  /// Runs `cairn ARGS…` and requires it to succeed.
  private func cairn(_ arguments: [String]) throws {
    let result = try Cairn.run(arguments)
    try #require(result.status == 0, "cairn \(arguments.joined(separator: " ")): \(result.output)")
  }

  /// The fields of `snapshots/<id>` that the test needs, read as FORMAT.md describes them
  /// (an unencrypted, uncompressed record: the 16-byte envelope header, then JSON).
  private struct RecordFields: Decodable {
    let id: String
    let kind: String
    let base: String?
  }

  private func snapshotRecords(_ repository: String) throws -> [RecordFields] {
    let directory = "\(repository)/snapshots"
    return try FileManager.default.contentsOfDirectory(atPath: directory).sorted()
      .filter { !$0.hasPrefix(".") }
      .map { name in
        let stored = try Data(contentsOf: URL(fileURLWithPath: "\(directory)/\(name)"))
        #expect(stored.prefix(2) == Data("CN".utf8), "a record starts with the envelope magic")
        let record = try JSONDecoder().decode(RecordFields.self, from: stored.dropFirst(16))
        #expect(record.id == name)
        return record
      }
  }
}
