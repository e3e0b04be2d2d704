import Testing

@testable import Cairn

/// The manifest part encoding (Docs/FORMAT.md): what is written reads back
/// as the same entries, and a cut or damaged part is refused, never read as
/// other entries.
@Suite struct ManifestCodecTests {
  private static let part = ObjectID(bytes: [UInt8](repeating: 0xAB, count: ObjectID.byteCount))

  private static func entry(
    _ path: [UInt8], _ kind: EntryKind, mode: UInt32 = 0o644, size: UInt64 = 0, mtime: Int64 = 1_700_000_000
  ) -> ManifestEntry {
    ManifestEntry(
      path: EntryPath(bytes: path),
      status: FileStatus(
        kind: kind, mode: mode, uid: 1000, gid: 100, size: size,
        mtime: Timestamp(seconds: mtime, nanoseconds: 123_456_789),
        ctime: Timestamp(seconds: mtime + 1, nanoseconds: 0),
        inode: 42, device: 2049, linkCount: 1, rdev: 0))
  }

  /// One entry of every shape: a directory, files with blocks and tagged
  /// fields (a critical one Cairn knows, a non-critical one it does not),
  /// a pre-epoch time, extreme numbers, a non-UTF-8 symlink target, a removal.
  static let entries: [ManifestEntry] = {
    var directory = entry(Array("/src".utf8), .directory, mode: 0o1777)
    directory.setField(.ownerNames, Array("user\u{0}group".utf8))
    var file = entry(Array("/src/file".utf8), .file, mode: 0o4755, size: 3 * 65536 + 7, mtime: -500_000_000)
    file.blocks = (0..<4).map { index in ObjectID(bytes: (0..<32).map { UInt8(truncatingIfNeeded: $0 * 7 + index) }) }
    file.isInconsistent = true
    file.fields.append(ManifestField(tag: 1_000_000, value: [1, 2, 3]))
    var huge = entry([0x2F, 0x73, 0x72, 0x63, 0x2F, 0xFF, 0x0A], .file, size: UInt64.max)
    huge.inode = UInt64.max
    huge.device = UInt64.max
    huge.linkCount = 1 << 40
    huge.mode = UInt32.max
    var link = entry(Array("/src/link".utf8), .symlink, mode: 0o777)
    link.symlinkTarget = [0x2E, 0x2E, 0x2F, 0xFE, 0x00, 0x61]
    var device = entry(Array("/src/tty".utf8), .characterDevice)
    device.rdev = 0x0000_0504
    return [directory, file, huge, link, device, ManifestEntry.removal(of: EntryPath("/src/gone"))]
  }()

  /// The encoded part, and the offsets where each entry ends.
  private static func encode(_ entries: [ManifestEntry]) -> (bytes: [UInt8], boundaries: [Int]) {
    var bytes = ManifestCodec.magic
    var boundaries: [Int] = []
    for entry in entries {
      ManifestCodec.append(entry, to: &bytes)
      boundaries.append(bytes.count)
    }
    return (bytes, boundaries)
  }

  /// Decodes until the end or the first error.
  private static func decode(_ bytes: [UInt8]) -> (entries: [ManifestEntry], error: CairnError?) {
    var entries: [ManifestEntry] = []
    do {
      var decoder = try ManifestCodec.Decoder(part: part, bytes: bytes)
      while let entry = try decoder.next() { entries.append(entry) }
      return (entries, nil)
    } catch {
      return (entries, error)
    }
  }

  @Test func entriesRoundTrip() {
    let (bytes, _) = Self.encode(Self.entries)
    let decoded = Self.decode(bytes)
    #expect(decoded.error == nil, "\(String(describing: decoded.error))")
    #expect(decoded.entries == Self.entries)
  }

  @Test func anEmptyPartHoldsNoEntries() {
    let decoded = Self.decode(ManifestCodec.magic)
    #expect(decoded.error == nil && decoded.entries.isEmpty)
  }

  /// Cut anywhere, a part yields the entries before the cut and then an
  /// error naming the part (unless it is cut between entries): never a
  /// shortened or invented entry.
  @Test func aCutPartIsRefusedAtTheCut() {
    let (bytes, boundaries) = Self.encode(Self.entries)
    for cut in ManifestCodec.magic.count..<bytes.count {
      let decoded = Self.decode(Array(bytes.prefix(cut)))
      let whole = boundaries.filter { $0 <= cut }.count
      #expect(decoded.entries == Array(Self.entries.prefix(whole)), "cut at \(cut)")
      if boundaries.contains(cut) || cut == ManifestCodec.magic.count {
        #expect(decoded.error == nil, "cut at entry boundary \(cut): \(String(describing: decoded.error))")
      } else {
        #expect(decoded.error?.code == .corrupted, "cut at \(cut): \(String(describing: decoded.error))")
        #expect(decoded.error?.message.contains(Self.part.hex) == true, "cut at \(cut)")
      }
    }
  }

  @Test func aPartWithoutTheMagicIsRefused() {
    var (bytes, _) = Self.encode(Self.entries)
    bytes[0] ^= 0xFF
    #expect(Self.decode(bytes).error?.code == .corrupted)
    #expect(Self.decode(Array("CAIRN".utf8)).error?.code == .corrupted)
  }

  @Test func anUnknownEntryTypeIsRefused() {
    var (bytes, _) = Self.encode([Self.entries[0]])
    bytes[ManifestCodec.magic.count] = 200
    let error = Self.decode(bytes).error
    #expect(error?.code == .corrupted && error?.message.contains("200") == true, "\(String(describing: error))")
  }

  /// An odd (critical) tag this version does not know means the part needs
  /// a newer cairn: refused as unsupported, not skipped.
  @Test func anUnknownCriticalFieldIsUnsupported() {
    var entry = Self.entries[1]
    entry.fields.append(ManifestField(tag: 1_000_001, value: []))
    let error = Self.decode(Self.encode([entry]).bytes).error
    #expect(error?.code == .unsupported, "\(String(describing: error))")
  }

  @Test func fieldsOutOfOrderAreRefused() {
    var entry = Self.entries[1]
    entry.fields = [ManifestField(tag: 10, value: []), ManifestField(tag: 4, value: [])]
    #expect(Self.decode(Self.encode([entry]).bytes).error?.code == .corrupted)
  }
}
