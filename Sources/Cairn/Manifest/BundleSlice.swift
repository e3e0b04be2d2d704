/// Where a small file's content lies in a bundle object: the value of the
/// critical field `ManifestField.Tag.bundleSlice` (Docs/FORMAT.md, "Bundles").
///
/// An entry with this field has exactly one object in `blocks`, the bundle,
/// so everything that walks `blocks` to find referenced objects (gc, check,
/// statistics) counts bundles without knowing about them; only what reads
/// content (restore, the size checks of `check`, `diff`) looks at the slice.
///
/// Value layout: varint offset, varint length, then the 32-byte address of
/// the file's own content (what `ObjectStore.address(of:)` gives for it).
public struct BundleSlice: Sendable, Equatable {
  /// Where the file's bytes start in the bundle.
  public var offset: UInt64
  /// How many bytes the file has; equal to the entry's size.
  public var length: UInt64
  /// The address of the file's content alone: a restore checks the slice
  /// against it, and `diff` compares files with it whatever bundle they are in.
  public var content: ObjectID

  public init(offset: UInt64, length: UInt64, content: ObjectID) {
    self.offset = offset
    self.length = length
    self.content = content
  }

  /// The field's value.
  public var encoded: [UInt8] {
    var bytes: [UInt8] = []
    bytes.reserveCapacity(2 * 5 + ObjectID.byteCount)
    ManifestCodec.appendVarint(offset, to: &bytes)
    ManifestCodec.appendVarint(length, to: &bytes)
    bytes.append(contentsOf: content.bytes)
    return bytes
  }

  /// Parses a field value; nil when it does not have exactly this layout.
  public init?(encoded bytes: [UInt8]) {
    var index = 0
    func varint() -> UInt64? {
      var result: UInt64 = 0
      var shift: UInt64 = 0
      while index < bytes.count {
        let byte = bytes[index]
        index += 1
        if shift == 63 && byte > 1 { return nil }
        result |= UInt64(byte & 0x7F) << shift
        if byte & 0x80 == 0 { return result }
        shift += 7
        if shift > 63 { return nil }
      }
      return nil
    }
    guard let offset = varint(), let length = varint(), bytes.count - index == ObjectID.byteCount,
      offset <= UInt64.max - length
    else { return nil }
    self.init(offset: offset, length: length, content: ObjectID(bytes: bytes[index...]))
  }

  /// The first byte after the file in the bundle.
  public var end: UInt64 { offset + length }
}

extension ManifestEntry {
  /// The entry's bundle slice, nil when its content is in blocks of its own.
  /// Throws `.corrupted` when the field is malformed or does not fit the
  /// entry (one bundle in `blocks`, length equal to the size).
  public func bundleSlice() throws(CairnError) -> BundleSlice? {
    guard let value = field(.bundleSlice) else { return nil }
    guard let slice = BundleSlice(encoded: value) else {
      throw CairnError(.corrupted, "'\(path)' has a malformed bundle slice field (\(value.count) bytes)")
    }
    guard kind == .file, blocks.count == 1, slice.length == size else {
      throw CairnError(
        .corrupted,
        "'\(path)' has a bundle slice of \(slice.length) bytes in \(blocks.count) objects, for a file of \(size) bytes"
      )
    }
    return slice
  }

  /// True when both entries have the same file content, compared by block
  /// list or, for files in bundles, by the address of the content itself (a
  /// file that moved to another bundle is not a change).
  func hasSameContent(as other: ManifestEntry) -> Bool {
    guard size == other.size else { return false }
    let mine = try? bundleSlice()
    let theirs = try? other.bundleSlice()
    switch (mine, theirs) {
    case (nil, nil): return blocks == other.blocks
    case (let a?, let b?): return a.content == b.content
    // A file that was in blocks and is now in a bundle, or the reverse:
    // only a one-block file can be compared (its block is its content).
    case (let a?, nil): return other.blocks == [a.content]
    case (nil, let b?): return blocks == [b.content]
    }
  }
}
