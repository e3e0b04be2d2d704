import Foundation
import Testing

/// Encrypted, compressed repositories end to end through the binary: what
/// a password opens, what it does not, and that no stored byte can be changed
/// unnoticed.
@Suite struct EncryptionTests {
  /// An encrypted repository (cheap key derivation) with one snapshot of a small tree.
  struct Fixture {
    let work = TemporaryDirectory("cairn-encrypted")
    var repo: String { work.sub("repo") }
    var source: String { work.sub("src") }
    var passwordFile: String { work.sub("password") }
    var environment: [String: String] { ["CAIRN_PASSWORD_FILE": passwordFile] }
    let snapshot: String

    init() throws {
      try shell(
        """
        set -e
        mkdir -p '\(work.sub("src/sub"))'
        printf '%s\\n' '\(RepositoryKind.password)' > '\(work.sub("password"))'
        printf 'wrong\\n' > '\(work.sub("wrong"))'
        head -c 300000 /dev/urandom > '\(work.sub("src/random"))'
        yes 'compressible text line' | head -c 500000 > '\(work.sub("src/sub/text"))'
        printf 'secret-file-name-marker\\n' > '\(work.sub("src/secret-file-name-marker"))'
        """)
      let environment = ["CAIRN_PASSWORD_FILE": work.sub("password")]
      let created = try Cairn.run(
        ["init", "--repo", work.sub("repo"), "--encryption", "aes-256-gcm", "--kdf-cost", "10"],
        environment: environment)
      try #require(created.status == 0, "\(created.output)")
      let backup = try Cairn.run(
        ["backup", "--repo", work.sub("repo"), "--json", work.sub("src")], environment: environment)
      try #require(backup.status == 0, "\(backup.output)")
      snapshot = (try jsonObject(backup.stdout)["snapshot"] as? [String: Any])?["id"] as? String ?? ""
    }

    func run(_ arguments: [String], password: String? = nil) throws -> CommandResult {
      try Cairn.run(arguments, environment: ["CAIRN_PASSWORD_FILE": password ?? passwordFile])
    }

    /// Every regular file under `dir` of the repository.
    func files(under dir: String) throws -> [String] {
      try shell("find '\(repo)/\(dir)' -type f ! -name '.*'").split(separator: "\n").map(String.init)
    }
  }

  @Test func backupRestoresExactlyAndNothingReadableIsStored() throws {
    let fixture = try Fixture()
    let target = fixture.work.sub("restored")
    let restore = try fixture.run(["restore", "--repo", fixture.repo, "latest", target])
    #expect(restore.status == 0, "\(restore.output)")
    #expect(try TreeListing(fixture.source) == TreeListing(target + fixture.source))
    // No file name, text or source path appears in any stored byte.
    let grep = try shell(
      "grep -rl -e secret-file-name-marker -e 'compressible text' -e '\(fixture.source)' '\(fixture.repo)' || true")
    #expect(grep.isEmpty, "plaintext found in: \(grep)")
    // The compressible file was stored smaller than it is.
    let stored = try fixture.run(["stats", "--repo", fixture.repo, "--json"])
    let stats = try jsonObject(stored.stdout)
    #expect((stats["storedBytes"] as? Int ?? .max) < 800_000 + 300_000, "\(stored.stdout)")
  }

  @Test func wrongPasswordIsExitOneAndWritesNothing() throws {
    let fixture = try Fixture()
    let before = try shell("cd '\(fixture.repo)' && find . -type f | sort | xargs sha256sum")
    for command in [["snapshots"], ["backup", fixture.source], ["restore", "latest", fixture.work.sub("t")]] {
      let result = try fixture.run(
        [command[0], "--repo", fixture.repo] + command.dropFirst(), password: fixture.work.sub("wrong"))
      #expect(result.status == 1, "\(command): \(result.output)")
      #expect(result.stderr.contains("wrong password or no key for this repository"), "\(result.stderr)")
      #expect(trimmedLines(result.stderr).count == 1, "\(result.stderr)")
    }
    let after = try shell("cd '\(fixture.repo)' && find . -type f | sort | xargs sha256sum")
    #expect(before == after, "a failed password changed the repository")
  }

  @Test func aSecondPasswordOpensAndTheFirstCanBeRemoved() throws {
    let fixture = try Fixture()
    try shell("printf 'second\\n' > '\(fixture.work.sub("second"))'")
    let added = try fixture.run(
      ["key", "add", "--repo", fixture.repo, "--new-password-file", fixture.work.sub("second")])
    #expect(added.status == 0, "\(added.output)")
    let list = try fixture.run(["key", "list", "--repo", fixture.repo, "--json"])
    let keys = try jsonArray(list.stdout)
    #expect(keys.count == 2)
    let first = try #require(keys.first { $0["current"] as? Bool == true }?["id"] as? String)
    // The key in use cannot be removed; with the second password it can.
    #expect(try fixture.run(["key", "remove", "--repo", fixture.repo, first]).status == 1)
    let removed = try fixture.run(
      ["key", "remove", "--repo", fixture.repo, first], password: fixture.work.sub("second"))
    #expect(removed.status == 0, "\(removed.output)")
    #expect(try fixture.run(["snapshots", "--repo", fixture.repo]).status == 1, "the first password still opens")
    #expect(try fixture.run(["snapshots", "--repo", fixture.repo], password: fixture.work.sub("second")).status == 0)
  }

  /// Damage of each kind is named, and never restored as wrong bytes.
  enum Damage: String, CaseIterable {
    case flippedObjectByte, flippedRecordByte, movedObject, futureEnvelope, truncatedKeyFile, garbledKeyFile,
      configSaysNone
  }

  @Test(arguments: Damage.allCases)
  func damageIsNamedAndNothingWrongIsRestored(damage: Damage) async throws {
    let fixture = try Fixture()
    // The stored files of the objects, as the library lists and names them.
    let inspection = RepositoryInspection(path: fixture.repo)
    let stored = try await inspection.objects()
    let objects = stored.keys.sorted().map(inspection.storedFile)
    let largest = try #require(stored.max { $0.value < $1.value }.map { inspection.storedFile(of: $0.key) })
    let record = try #require(try fixture.files(under: "snapshots").first)
    let key = try #require(try fixture.files(under: "keys").first)
    /// Inverts every bit of one byte (writing a fixed value could leave it unchanged).
    func flip(_ path: String, at offset: Int) throws {
      try shell("chmod u+w '\(path)'")
      let handle = try FileHandle(forUpdating: URL(fileURLWithPath: path))
      defer { try? handle.close() }
      try handle.seek(toOffset: UInt64(offset))
      let byte = try #require(try handle.read(upToCount: 1)?.first)
      try handle.seek(toOffset: UInt64(offset))
      try handle.write(contentsOf: Data([~byte]))
    }
    var expected: [String]
    switch damage {
    case .flippedObjectByte:
      try flip(largest, at: 100)
      expected = ["failed authentication"]
    case .flippedRecordByte:
      try flip(record, at: 40)
      expected = ["damaged"]
    case .movedObject:
      // A sealed object under another object's name: bound to its name, it does not open there.
      let victim = try #require(objects.first { $0 != largest })
      try shell("chmod u+w '\(victim)' && cp '\(largest)' '\(victim)'")
      expected = ["failed authentication"]
    case .futureEnvelope:
      try flip(largest, at: 2)
      expected = ["newer cairn"]
    case .truncatedKeyFile:
      try shell("chmod u+w '\(key)' && truncate -s 40 '\(key)'")
      expected = ["keys/"]
    case .garbledKeyFile:
      try shell("chmod u+w '\(key)' && printf '{not json' > '\(key)'")
      expected = ["keys/"]
    case .configSaysNone:
      try shell("chmod u+w '\(fixture.repo)/config' && sed -i 's/aes-256-gcm/none/' '\(fixture.repo)/config'")
      expected = ["config was altered"]
    }
    let keyDamage = damage == .truncatedKeyFile || damage == .garbledKeyFile || damage == .configSaysNone
    let check = try fixture.run(["check", "--repo", fixture.repo, "--read-data"])
    #expect(check.status == 1, "check after \(damage): \(check.output)")
    for text in expected {
      #expect(check.stderr.contains(text), "check after \(damage) does not say '\(text)': \(check.stderr)")
    }
    if keyDamage {
      #expect(trimmedLines(check.stderr).count == 1, "\(check.stderr)")
    }
    let target = fixture.work.sub("restored")
    let restore = try fixture.run(["restore", "--repo", fixture.repo, fixture.snapshot, target])
    #expect(restore.status != 0, "restore after \(damage) succeeded: \(restore.output)")
    // Whatever was written is byte for byte the source's.
    let written = try shell("cd '\(target)' 2>/dev/null && find . -type f || true")
    for file in written.split(separator: "\n") where !file.isEmpty {
      let relative = String(file.dropFirst(2))
      let original = "/" + relative
      let same = try shell("cmp -s '\(target)/\(relative)' '\(original)' && echo same || echo different")
      #expect(same.hasPrefix("same"), "restored wrong bytes for \(relative) after \(damage)")
    }
  }

  @Test func compressionOfARunCanBeChangedAndStillDeduplicates() throws {
    let fixture = try Fixture()
    let again = try fixture.run(
      ["backup", "--repo", fixture.repo, "--full", "--compression", "none", "--json", fixture.source])
    #expect(again.status == 0, "\(again.output)")
    let statistics = (try jsonObject(again.stdout)["snapshot"] as? [String: Any])?["statistics"] as? [String: Any]
    // Nothing new is written: the blocks and the manifest are the same plaintext, so the same names.
    #expect(statistics?["newObjects"] as? Int == 0, "\(again.stdout)")
    let bad = try fixture.run(["backup", "--repo", fixture.repo, "--compression", "lz4", fixture.source])
    #expect(bad.status == 64, "\(bad.output)")
    #expect(bad.stderr.contains("--compression"), "\(bad.stderr)")
  }

  @Test func theLogInTheRepositoryIsSealedAndCairnLogOpensIt() throws {
    let fixture = try Fixture()
    let raw = try String(contentsOfFile: "\(fixture.repo)/backup.log", encoding: .utf8)
    let lines = raw.split(separator: "\n")
    #expect(!lines.isEmpty)
    #expect(lines.allSatisfy { $0.hasPrefix("sealed:") }, "\(raw.prefix(300))")
    let log = try fixture.run(["log", "--repo", fixture.repo])
    #expect(log.status == 0, "\(log.output)")
    #expect(log.stdout.contains("msg=\"backup finished\""), "\(log.stdout)")
  }
}
