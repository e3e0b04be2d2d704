/// The binary encoding of manifest parts (documented in Docs/FORMAT.md).
///
/// A part is the 8-byte magic `CAIRNMF2` followed by entries, each of them
/// self-delimiting and ending with its tagged fields. Integers are unsigned
/// LEB128 varints; times are a signed seconds varint (zigzag) and a
/// nanoseconds varint.
public enum ManifestCodec {
  public static let magic: [UInt8] = Array("CAIRNMF2".utf8)
  /// Most tagged fields one entry may carry, and the longest value.
  static let maximumFields = 64
  static let maximumFieldLength = 16 << 20
  /// Longest path or symlink target accepted when decoding.
  static let maximumNameLength = 1 << 20

  // MARK: Encoding

  static func appendVarint(_ value: UInt64, to buffer: inout [UInt8]) {
    var value = value
    while value >= 0x80 {
      buffer.append(UInt8(truncatingIfNeeded: value) | 0x80)
      value >>= 7
    }
    buffer.append(UInt8(value))
  }

  static func appendTime(_ time: Timestamp, to buffer: inout [UInt8]) {
    let zigzag = UInt64(bitPattern: (time.seconds << 1) ^ (time.seconds >> 63))
    appendVarint(zigzag, to: &buffer)
    appendVarint(UInt64(time.nanoseconds), to: &buffer)
  }

  static func appendBytes(_ bytes: [UInt8], to buffer: inout [UInt8]) {
    appendVarint(UInt64(bytes.count), to: &buffer)
    buffer.append(contentsOf: bytes)
  }

  /// Appends one entry's encoding to a part being built.
  public static func append(_ entry: ManifestEntry, to buffer: inout [UInt8]) {
    buffer.append(entry.kind.rawValue)
    appendBytes(entry.path.bytes, to: &buffer)
    if entry.kind == .removed { return }
    appendVarint(UInt64(entry.mode), to: &buffer)
    appendVarint(UInt64(entry.uid), to: &buffer)
    appendVarint(UInt64(entry.gid), to: &buffer)
    appendTime(entry.mtime, to: &buffer)
    appendTime(entry.ctime, to: &buffer)
    appendVarint(entry.inode, to: &buffer)
    appendVarint(entry.device, to: &buffer)
    appendVarint(entry.linkCount, to: &buffer)
    appendVarint(entry.size, to: &buffer)
    appendVarint(entry.rdev, to: &buffer)
    appendVarint(UInt64(entry.blocks.count), to: &buffer)
    for block in entry.blocks {
      for word in [block.w0, block.w1, block.w2, block.w3] {
        withUnsafeBytes(of: word.bigEndian) { buffer.append(contentsOf: $0) }
      }
    }
    appendBytes(entry.symlinkTarget, to: &buffer)
    appendVarint(UInt64(entry.fields.count), to: &buffer)
    for field in entry.fields {
      appendVarint(field.tag, to: &buffer)
      appendBytes(field.value, to: &buffer)
    }
  }

  // MARK: Decoding

  /// Reads entries from one part, checking every length against what is left.
  public struct Decoder {
    private let bytes: [UInt8]
    private var offset: Int
    public let part: ObjectID

    public init(part: ObjectID, bytes: [UInt8]) throws(CairnError) {
      self.part = part
      self.bytes = bytes
      guard bytes.count >= magic.count, Array(bytes.prefix(magic.count)) == magic else {
        throw CairnError(.corrupted, "manifest object '\(part)' does not start with the manifest magic")
      }
      self.offset = magic.count
    }

    private func damaged(_ what: String) -> CairnError {
      CairnError(.corrupted, "manifest object '\(part)' is damaged at byte \(offset): \(what)")
    }

    private mutating func byte() throws(CairnError) -> UInt8 {
      guard offset < bytes.count else { throw damaged("unexpected end") }
      defer { offset += 1 }
      return bytes[offset]
    }

    private mutating func varint() throws(CairnError) -> UInt64 {
      var result: UInt64 = 0
      var shift: UInt64 = 0
      while true {
        let next = try byte()
        if shift == 63 && next > 1 { throw damaged("varint overflows 64 bits") }
        result |= UInt64(next & 0x7F) << shift
        if next & 0x80 == 0 { return result }
        shift += 7
        if shift > 63 { throw damaged("varint is too long") }
      }
    }

    private mutating func uint32() throws(CairnError) -> UInt32 {
      let value = try varint()
      guard let narrow = UInt32(exactly: value) else { throw damaged("value \(value) does not fit 32 bits") }
      return narrow
    }

    private mutating func time() throws(CairnError) -> Timestamp {
      let zigzag = try varint()
      let seconds = Int64(bitPattern: zigzag >> 1) ^ -Int64(bitPattern: zigzag & 1)
      let nanoseconds = try uint32()
      guard nanoseconds < 1_000_000_000 else { throw damaged("nanoseconds out of range") }
      return Timestamp(seconds: seconds, nanoseconds: nanoseconds)
    }

    private mutating func byteString(limit: Int = maximumNameLength) throws(CairnError) -> [UInt8] {
      let length = try varint()
      guard length <= UInt64(limit), Int(length) <= bytes.count - offset else {
        throw damaged("length \(length) runs past the end")
      }
      defer { offset += Int(length) }
      return Array(bytes[offset..<offset + Int(length)])
    }

    private mutating func word() -> UInt64 {
      var value: UInt64 = 0
      for index in offset..<offset + 8 { value = value << 8 | UInt64(bytes[index]) }
      offset += 8
      return value
    }

    /// The next entry, or nil at the end of the part.
    public mutating func next() throws(CairnError) -> ManifestEntry? {
      guard offset < bytes.count else { return nil }
      let rawKind = try byte()
      guard let kind = EntryKind(rawValue: rawKind) else {
        throw damaged("unknown entry type \(rawKind)")
      }
      let path = EntryPath(bytes: try byteString())
      if kind == .removed { return .removal(of: path) }
      let mode = try uint32()
      let uid = try uint32()
      let gid = try uint32()
      let mtime = try time()
      let ctime = try time()
      let inode = try varint()
      let device = try varint()
      let linkCount = try varint()
      let size = try varint()
      let rdev = try varint()
      let blockCount = try varint()
      guard blockCount <= UInt64((bytes.count - offset) / ObjectID.byteCount) else {
        throw damaged("block count \(blockCount) runs past the end")
      }
      var blocks: [ObjectID] = []
      blocks.reserveCapacity(Int(blockCount))
      for _ in 0..<blockCount {
        let w0 = word()
        let w1 = word()
        let w2 = word()
        let w3 = word()
        blocks.append(ObjectID(w0: w0, w1: w1, w2: w2, w3: w3))
      }
      let target = try byteString()
      let fieldCount = try varint()
      guard fieldCount <= UInt64(maximumFields) else { throw damaged("\(fieldCount) tagged fields is too many") }
      var fields: [ManifestField] = []
      for _ in 0..<fieldCount {
        let tag = try varint()
        if let last = fields.last, last.tag >= tag { throw damaged("tagged fields out of order") }
        let value = try byteString(limit: maximumFieldLength)
        if tag & 1 == 1 && !ManifestField.knownTags.contains(tag) {
          throw CairnError(
            .unsupported,
            "manifest object '\(part)' needs a newer cairn: '\(path)' carries critical field \(tag), unknown to this one"
          )
        }
        fields.append(ManifestField(tag: tag, value: value))
      }
      var entry = ManifestEntry(
        path: path,
        status: FileStatus(
          kind: kind, mode: mode, uid: uid, gid: gid, size: size, mtime: mtime, ctime: ctime, inode: inode,
          device: device, linkCount: linkCount, rdev: rdev))
      entry.size = size
      entry.blocks = blocks
      entry.symlinkTarget = target
      entry.fields = fields
      return entry
    }
  }
}
