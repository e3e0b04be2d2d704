import Cairn
import Foundation
import Testing

#if canImport(Glibc)
  import Glibc
#endif

/// Docs/FORMAT.md claims to be enough to restore a snapshot without Cairn.
/// Docs/restore-without-cairn.py is such a restore, written from the document
/// alone; these tests hold it to repositories made by the real binary:
/// without compression, with zstd, and encrypted.
@Suite struct FormatDocumentationTests {
  /// This file is `<root>/Tests/CairnTests/FormatDocumentationTests.swift`.
  static let packageRoot = URL(fileURLWithPath: #filePath)
    .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path
  static let script = packageRoot + "/Docs/restore-without-cairn.py"

  /// The three kinds of repository a reader meets.
  enum Kind: String, CaseIterable, CustomTestStringConvertible {
    case uncompressed
    case zstd
    case encrypted

    var testDescription: String { rawValue }

    var initArguments: [String] {
      switch self {
      case .uncompressed: ["--compression", "none"]
      case .zstd: []
      case .encrypted: ["--encryption", "aes-256-gcm", "--kdf-cost", "10"]
      }
    }
  }

  /// A repository of `kind` in `dir`, with its password file when encrypted.
  struct Setup {
    let kind: Kind
    let repository: String
    let passwordFile: String

    init(_ kind: Kind, in dir: TemporaryDirectory, blockSize: Int = 65536) throws {
      self.kind = kind
      repository = dir.sub("repo")
      passwordFile = dir.sub("password")
      try Data("correct horse\n".utf8).write(to: URL(fileURLWithPath: passwordFile))
      try cairn(["init", "--repo", repository, "--block-size", "\(blockSize)"] + kind.initArguments)
    }

    /// What cairn needs to open the repository (the password file, through the environment).
    var environment: [String: String] { kind == .encrypted ? ["CAIRN_PASSWORD_FILE": passwordFile] : [:] }

    /// Runs `cairn ARGS…` on this repository and requires it to succeed.
    func cairn(_ arguments: [String]) throws {
      let result = try Cairn.run(arguments, environment: environment)
      try #require(result.status == 0, "cairn \(arguments.joined(separator: " ")): \(result.output)")
    }

    /// Runs the script; an encrypted repository gets `--password-file`.
    func restore(_ snapshot: String, to target: String, environment: [String: String] = [:]) throws -> CommandResult {
      let password = kind == .encrypted && environment.isEmpty ? ["--password-file", passwordFile] : []
      return try runProcess(
        "/usr/bin/env", ["python3", FormatDocumentationTests.script] + password + [repository, snapshot, target],
        environment: environment)
    }
  }

  @Test(arguments: Kind.allCases)
  func scriptRestoresADifferentialLikeTheSource(kind: Kind) throws {
    let dir = TemporaryDirectory("cairn-format")
    let source = dir.sub("src")
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
      yes 'compressible line' | head -c 200000 > compressible.txt
      ln docs/same.txt hard-link
      ln -s docs/same.txt link
      ln -s /nonexistent/target docs/dangling
      chmod 0600 docs/same.txt
      chmod 0750 private
      chmod 0755 multi-block.bin
      """#)
    let setup = try Setup(kind, in: dir)
    try setup.cairn(["backup", "--repo", setup.repository, "--full", source])
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
    try setup.cairn(["backup", "--repo", setup.repository, "--differential", source])

    let records = try snapshotRecords(setup)
    let full = try #require(records.first { $0.kind == "full" })
    let differential = try #require(records.first { $0.kind == "differential" })
    #expect(records.count == 2)
    #expect(differential.base == full.id)

    for snapshot in [full.id, differential.id] {
      let target = dir.sub("out-\(snapshot)")
      let restore = try setup.restore(snapshot, to: target)
      #expect(restore.status == 0, "\(restore.output)")
      if snapshot == full.id {
        let restored = try TreeListing(target + source)
        #expect(restored.items[Data("docs/changing.txt".utf8)]?.content == Data("first version\n".utf8))
        #expect(restored.items[Data("private/removed.txt".utf8)]?.content == Data("to be removed\n".utf8))
      }
    }
    let target = dir.sub("out-\(differential.id)")
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

  @Test(arguments: Kind.allCases)
  func scriptRefusesACorruptedBlock(kind: Kind) throws {
    let dir = TemporaryDirectory("cairn-format")
    let source = dir.sub("src")
    try shell("mkdir -p '\(source)' && head -c 300000 /dev/urandom > '\(source)/victim'")
    let setup = try Setup(kind, in: dir)
    try setup.cairn(["backup", "--repo", setup.repository, "--full", source])
    // The blocks are 64 KiB of random bytes, stored raw: the largest objects
    // (the manifest part is a few hundred bytes). The test cannot name a
    // block itself: names are keyed when the repository is encrypted.
    let objects = try storedObjects(setup.repository)
    let (block, size) = try #require(objects.max { $0.value < $1.value })
    #expect(size > 65536)
    let object = "\(setup.repository)/objects/\(block.prefix(2))/\(block)"
    try python(
      "import sys; f = open(sys.argv[1], 'r+b'); f.seek(1000); b = f.read(1); f.seek(1000); f.write(bytes([b[0] ^ 1]))",
      [object])

    let snapshot = try #require(try snapshotRecords(setup).first)
    let target = dir.sub("out")
    let restore = try setup.restore(snapshot.id, to: target)
    #expect(restore.status != 0)
    #expect(restore.stderr.contains("object \(block) is corrupted"), "\(restore.output)")
    #expect(!FileManager.default.fileExists(atPath: target + source + "/victim"))
  }

  @Test func scriptRefusesAWrongPassword() throws {
    let dir = TemporaryDirectory("cairn-format")
    let source = dir.sub("src")
    try shell("mkdir -p '\(source)' && printf 'secret\\n' > '\(source)/file'")
    let setup = try Setup(.encrypted, in: dir)
    try setup.cairn(["backup", "--repo", setup.repository, "--full", source])
    let snapshot = try #require(try snapshotRecords(setup).first)

    let target = dir.sub("out")
    let wrong = try setup.restore(snapshot.id, to: target, environment: ["CAIRN_PASSWORD": "wrong horse"])
    #expect(wrong.status != 0)
    #expect(wrong.stderr.contains("wrong password or no key for this repository"), "\(wrong.output)")
    #expect(!FileManager.default.fileExists(atPath: target))

    let right = try setup.restore(snapshot.id, to: target, environment: ["CAIRN_PASSWORD": "correct horse"])
    #expect(right.status == 0, "\(right.output)")
    #expect(FileManager.default.contents(atPath: target + source + "/file") == Data("secret\n".utf8))
  }

  /// The metadata fields (FORMAT.md, "Metadata fields"): a sparse file comes
  /// back with the same bytes and its holes (only its data extents written,
  /// then ftruncate), and `user.*` extended attributes of a file and of a
  /// directory come back byte for byte.
  @Test(.enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/setfattr"), "needs setfattr (attr)"))
  func scriptRestoresSparseFilesAndExtendedAttributes() throws {
    let dir = TemporaryDirectory("cairn-format")
    let source = dir.sub("src")
    try shell(
      #"""
      set -e
      mkdir -p '\#(source)/dir'
      cd '\#(source)'
      truncate -s 50M sparse
      head -c 100000 /dev/urandom | dd of=sparse bs=4096 seek=200 conv=notrunc status=none
      printf 'middle' | dd of=sparse bs=1 seek=30000000 conv=notrunc status=none
      truncate -s 3M all-hole
      printf 'labelled\n' > labelled
      setfattr -n user.color -v blue labelled
      setfattr -n user.binary -v 0x00ff10fe0a labelled
      setfattr -n user.empty labelled
      setfattr -n user.on-dir -v yes dir
      """#)
    let sparse = source + "/sparse"
    let original = try sparseLayout(sparse)
    try #require(original.allocated < 1 << 20, "the source file system made no hole: \(original)")
    let attributes = try extendedAttributeListing(source)
    #expect(attributes.contains("labelled user.color=\(Data("blue".utf8).map { String(format: "%02x", $0) }.joined())"))
    #expect(attributes.contains("labelled user.binary=00ff10fe0a"))
    #expect(attributes.contains("labelled user.empty="))
    #expect(attributes.contains("dir user.on-dir=\(Data("yes".utf8).map { String(format: "%02x", $0) }.joined())"))

    let setup = try Setup(.zstd, in: dir)
    try setup.cairn(["backup", "--repo", setup.repository, "--full", source])
    let snapshot = try #require(try snapshotRecords(setup).first)
    let target = dir.sub("out")
    let restore = try setup.restore(snapshot.id, to: target)
    #expect(restore.status == 0, "\(restore.output)")

    let expected = try TreeListing(source)
    let restored = try TreeListing(target + source)
    #expect(restored == expected, "\(expected.differences(from: restored))")
    try shell("cmp '\(sparse)' '\(target + sparse)'")
    for name in ["sparse", "all-hole"] {
      let blocks = try shell("stat -c '%b %B %s' '\(target + source)/\(name)'").split(separator: " ").compactMap {
        Int($0.trimmingCharacters(in: .whitespacesAndNewlines))
      }
      try #require(blocks.count == 3)
      #expect(blocks[0] * blocks[1] < 1 << 20, "\(name): \(blocks[0]) blocks allocated, holes were written")
      #expect(blocks[2] == (name == "sparse" ? 50 << 20 : 3 << 20))
    }
    #expect(try sparseLayout(target + sparse).extents == original.extents)
    #expect(try extendedAttributeListing(target + source) == attributes)
  }

  /// As root, owners and the users and groups named in POSIX ACLs are mapped
  /// by name (FORMAT.md, "Tag 6: owner names"): a user renumbered since the
  /// backup gets its new id; one that no longer exists keeps the stored id.
  @Test(.enabled(if: runningAsRoot && hasAttributeTools, "needs root, setfacl (acl) and setfattr (attr)"))
  func scriptMapsOwnersByNameAsRoot() throws {
    let renumbered = try TemporaryAccount()
    let vanished = try TemporaryAccount()
    let dir = TemporaryDirectory("cairn-format")
    let source = dir.sub("src")
    try shell(
      """
      set -e
      mkdir -p '\(source)'
      printf 'a\\n' > '\(source)/renumbered' && chown \(renumbered.name):\(renumbered.name) '\(source)/renumbered'
      printf 'b\\n' > '\(source)/vanished' && chown \(vanished.name):\(vanished.name) '\(source)/vanished'
      printf 'c\\n' > '\(source)/acl'
      setfacl -m u:\(renumbered.name):r,g:\(renumbered.name):rw,u:\(vanished.name):r '\(source)/acl'
      """)
    let vanishedIDs = (vanished.uid, vanished.gid)
    let setup = try Setup(.encrypted, in: dir)
    try setup.cairn(["backup", "--repo", setup.repository, "--full", source])
    let snapshot = try #require(try snapshotRecords(setup).first)

    var newID = UInt32.random(in: 400_000..<600_000)
    if newID == renumbered.uid || newID == renumbered.gid { newID += 1 }
    try renumbered.recreate(uid: newID, gid: newID)
    vanished.remove()

    let target = dir.sub("out")
    let restore = try setup.restore(snapshot.id, to: target)
    #expect(restore.status == 0, "\(restore.output)")
    #expect(fileOwner("\(target + source)/renumbered")! == (newID, newID))
    #expect(fileOwner("\(target + source)/vanished")! == vanishedIDs)
    let acl = try shell("getfacl -n -c '\(target + source)/acl'")
    for line in ["user:\(newID):r--", "group:\(newID):rw-", "user:\(vanishedIDs.0):r--"] {
      #expect(acl.contains(line), "\(acl)")
    }
  }

  /// A hand-made snapshot whose one entry carries a tagged field: a
  /// non-critical (even) tag the script does not know is skipped, a critical
  /// (odd) one stops the restore before anything is written; so does tag 1
  /// (bundle slice) on an entry that is not a file.
  @Test(arguments: zip([UInt8(100), 101, 1], [false, true, true]))
  func scriptSkipsOrRefusesUnknownTaggedFields(tag: UInt8, critical: Bool) throws {
    let dir = TemporaryDirectory("cairn-format")
    let source = dir.sub("src")
    try shell("mkdir -p '\(source)'")
    let setup = try Setup(.uncompressed, in: dir)
    try setup.cairn(["backup", "--repo", setup.repository, "--full", source])
    let original = try #require(try snapshotRecords(setup).first)

    // One directory entry (FORMAT.md, "Entry"), then one tagged field of 3 bytes.
    var entry: [UInt8] = [2] + varint(source.utf8.count) + Array(source.utf8)
    entry += [0xED, 0x03, 0, 0, 0, 0, 0, 0, 1, 1, 2, 0, 0, 0, 0]  // mode 0755 … blocks 0, target empty
    entry += [1, tag, 3, 0x61, 0x62, 0x63]
    let part = Array("CAIRNMF2".utf8) + entry
    let name = SHA256.hash(part).hex
    try writeEnvelope(part, to: "\(setup.repository)/objects/\(name.prefix(2))/\(name)")

    let id = "20200101T000000Z-0000000\(critical ? "1" : "0")"
    var record = try JSONSerialization.jsonObject(with: Data(original.json)) as! [String: Any]
    record["id"] = id
    record["time"] = "2020-01-01T00:00:00.000Z"
    record["manifest"] = [name]
    try writeEnvelope(
      Array(try JSONSerialization.data(withJSONObject: record, options: [.sortedKeys])),
      to: "\(setup.repository)/snapshots/\(id)")

    let target = dir.sub("out")
    let restore = try setup.restore(id, to: target)
    if critical {
      #expect(restore.status != 0)
      let reason = tag == 1 ? "not a file but has a bundle slice" : "critical field \(tag),"
      #expect(restore.stderr.contains(reason), "\(restore.output)")
      #expect(!FileManager.default.fileExists(atPath: target + source))
    } else {
      #expect(restore.status == 0, "\(restore.output)")
      #expect(try FileManager.default.contentsOfDirectory(atPath: target + source).isEmpty)
      var status = stat()
      #expect(lstat(target + source, &status) == 0 && status.st_mode & 0o7777 == 0o755)
    }
  }

  /// The examples of FORMAT.md ("Envelope", "keys/", "Manifest parts"),
  /// opened with Cairn's own code, so that the document cannot drift from it.
  @Test func documentedExamplesOpenWithCairn() throws {
    let keyFile = #"""
      {
        "created" : "2026-11-25T21:08:31Z",
        "hostname" : "vm",
        "kdf" : "scrypt",
        "n" : 1024,
        "p" : 1,
        "r" : 8,
        "salt" : "AQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQE=",
        "username" : "ann",
        "version" : 1,
        "wrapped" : "sLGys7S1tre4ubq7nfe+vYL1sELyf20XuF2FCD4IKtDjPLJGLNTbvntyrmRbsqonNhPdJipezp+xx3c6wBsKlk/MPJiJvUwIGIlz0N3/6IiQiIAnV8J6OURwiY8="
      }
      """#
    let id = String(repeating: "ab", count: 32)
    let keys = try KeyFile.decode(Array(keyFile.utf8), id: id).unwrap(password: "correct horse")
    #expect(keys.dataKey == Array(0..<32))
    #expect(keys.addressingKey == Array(32..<64))
    let wrongID = String(repeating: "ab", count: 31) + "ac"
    #expect(throws: CairnError.self) {
      try KeyFile.decode(Array(keyFile.utf8), id: wrongID).unwrap(password: "correct horse")
    }

    let hi = Array("hi\n".utf8)
    let name = ObjectAddressing.keyed(keys.addressingKey).id(of: hi).hex
    #expect(name == "66cdbee27debb0cf34fa8a4fdfe64908f57fbc81ee0468ccf6eb962bfb069c48")
    let sealed = bytes(
      "43 4e 01 00 01 00 00 00 03 00 00 00 00 00 00 00 a0 a1 a2 a3 a4 a5 a6 a7 a8 a9 aa ab 8e 71 76"
        + " d7 8a f9 a6 b9 25 13 9e f7 c9 12 a5 97 33 15 49")
    let opened = try ObjectEnvelope.open(
      sealed, binding: "objects/66/\(name)", dataKey: keys.cipher, maximumLogicalSize: 1 << 20)
    #expect(opened == hi)
    #expect(throws: CairnError.self) {
      try ObjectEnvelope.open(
        sealed, binding: "objects/66/0\(name.dropFirst())", dataKey: keys.cipher, maximumLogicalSize: 1 << 20)
    }

    let plainName = "98ea6e4f216f2fb4b69fff9b3a44842c38686ca685f3f55dc48c5d3fb1107be4"
    let plain = try ObjectEnvelope.open(
      bytes("43 4e 01 00 00 00 00 00 03 00 00 00 00 00 00 00 68 69 0a"), binding: "objects/98/\(plainName)",
      dataKey: nil, maximumLogicalSize: 1 << 20)
    #expect(plain == hi)
    #expect(ObjectAddressing.plain.id(of: plain).hex == plainName)
    #expect(
      ObjectAddressing.plain.id(of: Array("CAIRNMF2".utf8)).hex
        == "63e5d2d445abdfabf75d1efc9f5af151a28c7ce828e321f0e3eff5b325c2336e")
  }

  /// Bytes from hex digits separated by spaces.
  private func bytes(_ hex: String) -> [UInt8] {
    hex.split(separator: " ").map { UInt8($0, radix: 16)! }
  }

  // MARK: Reading the repository as FORMAT.md describes it

  /// The fields of a record that the tests need, and its JSON.
  struct RecordFields: Decodable {
    let id: String
    let kind: String
    let base: String?
    var json: [UInt8] = []

    enum CodingKeys: String, CodingKey { case id, kind, base }
  }

  /// The snapshot records, oldest first. An uncompressed, unencrypted record
  /// is read as FORMAT.md describes it: the 16-byte envelope header, then
  /// JSON. The others are listed by `cairn snapshots --json`, once their
  /// headers are checked.
  private func snapshotRecords(_ setup: Setup) throws -> [RecordFields] {
    let directory = "\(setup.repository)/snapshots"
    var records: [RecordFields] = []
    for name in try FileManager.default.contentsOfDirectory(atPath: directory).sorted() where !name.hasPrefix(".") {
      let stored = Array(try Data(contentsOf: URL(fileURLWithPath: "\(directory)/\(name)")))
      try #require(stored.count >= 16)
      #expect(
        Array(stored.prefix(3)) == Array("CN".utf8) + [1], "a record starts with the envelope magic and version 1")
      #expect(stored[4] == (setup.kind == .encrypted ? 1 : 0), "the encryption flag")
      #expect(stored[5..<8] == [0, 0, 0], "reserved bytes")
      guard setup.kind == .uncompressed else { continue }
      #expect(stored[3] == 0, "no compression")
      let logicalSize = stored[8..<16].reversed().reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
      #expect(logicalSize == UInt64(stored.count - 16))
      var record = try JSONDecoder().decode(RecordFields.self, from: Data(stored.dropFirst(16)))
      record.json = Array(stored.dropFirst(16))
      #expect(record.id == name)
      records.append(record)
    }
    guard setup.kind != .uncompressed else { return records }
    let listed = try Cairn.run(["snapshots", "--repo", setup.repository, "--json"], environment: setup.environment)
    try #require(listed.status == 0, "\(listed.output)")
    return try JSONDecoder().decode([RecordFields].self, from: Data(listed.stdout.utf8))
  }

  /// An unsigned LEB128 varint (FORMAT.md, "Primitive encodings").
  private func varint(_ value: Int) -> [UInt8] {
    var value = value
    var bytes: [UInt8] = []
    while value >= 0x80 {
      bytes.append(UInt8(value & 0x7F) | 0x80)
      value >>= 7
    }
    return bytes + [UInt8(value)]
  }

  /// Every object under `objects/` with its stored size.
  private func storedObjects(_ repository: String) throws -> [String: Int] {
    var result: [String: Int] = [:]
    for prefix in try FileManager.default.contentsOfDirectory(atPath: "\(repository)/objects") {
      for name in try FileManager.default.contentsOfDirectory(atPath: "\(repository)/objects/\(prefix)")
      where !name.hasPrefix(".") {
        let attributes = try FileManager.default.attributesOfItem(atPath: "\(repository)/objects/\(prefix)/\(name)")
        result[name] = (attributes[.size] as? NSNumber)?.intValue ?? 0
      }
    }
    return result
  }

  /// Stores `plaintext` at `path` in an unencrypted, uncompressed envelope
  /// (FORMAT.md, "Envelope"), built byte by byte.
  private func writeEnvelope(_ plaintext: [UInt8], to path: String) throws {
    var header: [UInt8] = [0x43, 0x4E, 1, 0, 0, 0, 0, 0]
    for shift in stride(from: 0, to: 64, by: 8) { header.append(UInt8(truncatingIfNeeded: plaintext.count >> shift)) }
    try Data(header + plaintext).write(to: URL(fileURLWithPath: path))
  }
}
