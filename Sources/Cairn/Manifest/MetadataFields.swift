/// The values of the metadata fields of manifest entries: sparse files'
/// data extents, extended attributes and owner names. Their layouts are in
/// Docs/FORMAT.md, "Metadata fields".

/// A run of a sparse file's bytes that holds data; the rest of the file is holes.
public struct DataExtent: Sendable, Equatable {
  public var offset: UInt64
  public var length: UInt64

  public init(offset: UInt64, length: UInt64) {
    self.offset = offset
    self.length = length
  }

  public var end: UInt64 { offset + length }
}

/// One extended attribute: its full name (`user.x`, `system.posix_acl_access`, …)
/// and its value, byte for byte.
public struct ExtendedAttribute: Sendable, Equatable {
  public var name: [UInt8]
  public var value: [UInt8]

  public init(name: [UInt8], value: [UInt8]) {
    self.name = name
    self.value = value
  }

  /// The part of the name before the first dot: `user`, `trusted`, `security`, `system`.
  public var namespace: String {
    String(decoding: name.prefix { $0 != UInt8(ascii: ".") }, as: UTF8.self)
  }
}

/// The owner's user and group names as the backed-up machine knew them,
/// and the names of the users and groups the entry's POSIX ACLs name by id.
public struct OwnerNames: Sendable, Equatable {
  /// A user or group named in an ACL entry.
  public struct ACLName: Sendable, Equatable {
    public var isGroup: Bool
    public var id: UInt32
    public var name: [UInt8]

    public init(isGroup: Bool, id: UInt32, name: [UInt8]) {
      self.isGroup = isGroup
      self.id = id
      self.name = name
    }
  }

  public var user: [UInt8]?
  public var group: [UInt8]?
  /// In increasing (isGroup, id) order, one per id.
  public var aclNames: [ACLName] = []

  public init(user: [UInt8]?, group: [UInt8]?, aclNames: [ACLName] = []) {
    self.user = user
    self.group = group
    self.aclNames = aclNames
  }
}

/// Reads the varints and byte strings of one field value, every length checked.
struct FieldValueReader {
  private let bytes: [UInt8]
  private(set) var offset = 0

  init(_ bytes: [UInt8]) { self.bytes = bytes }

  var atEnd: Bool { offset == bytes.count }

  mutating func varint() -> UInt64? {
    var result: UInt64 = 0
    var shift: UInt64 = 0
    while offset < bytes.count {
      let next = bytes[offset]
      offset += 1
      if shift == 63 && next > 1 { return nil }
      result |= UInt64(next & 0x7F) << shift
      if next & 0x80 == 0 { return result }
      shift += 7
      if shift > 63 { return nil }
    }
    return nil
  }

  mutating func byteString() -> [UInt8]? {
    guard let length = varint(), length <= UInt64(bytes.count - offset) else { return nil }
    defer { offset += Int(length) }
    return Array(bytes[offset..<offset + Int(length)])
  }
}

extension ManifestEntry {
  private func damaged(_ tag: ManifestField.Tag, _ what: String) -> CairnError {
    CairnError(.corrupted, "the \(tag) field of '\(path)' is damaged: \(what)")
  }

  // MARK: Sparse extents (tag 3, critical)

  /// The data extents of a sparse file, in increasing offset order; nil for
  /// a file stored densely (no field). Throws when the value is malformed or
  /// an extent lies beyond `size`.
  public func dataExtents() throws(CairnError) -> [DataExtent]? {
    guard let value = field(.sparseExtents) else { return nil }
    var reader = FieldValueReader(value)
    var extents: [DataExtent] = []
    var end: UInt64 = 0
    while !reader.atEnd {
      guard let gap = reader.varint(), let length = reader.varint() else { throw damaged(.sparseExtents, "truncated") }
      let (offset, overflowA) = end.addingReportingOverflow(gap)
      let (next, overflowB) = offset.addingReportingOverflow(length)
      guard !overflowA, !overflowB, length > 0, next <= size else {
        throw damaged(.sparseExtents, "an extent is empty or ends past the size \(size)")
      }
      extents.append(DataExtent(offset: offset, length: length))
      end = next
    }
    return extents
  }

  /// Records a sparse file's data extents (sorted, not overlapping, not empty);
  /// nil removes the field.
  public mutating func setDataExtents(_ extents: [DataExtent]?) {
    guard let extents else { return setField(.sparseExtents, nil) }
    var value: [UInt8] = []
    var end: UInt64 = 0
    for extent in extents {
      ManifestCodec.appendVarint(extent.offset - end, to: &value)
      ManifestCodec.appendVarint(extent.length, to: &value)
      end = extent.end
    }
    setField(.sparseExtents, value)
  }

  /// How many bytes the blocks hold together: the sum of the data extents
  /// for a sparse file, `size` otherwise.
  public func contentLength() throws(CairnError) -> UInt64 {
    guard let extents = try dataExtents() else { return size }
    return extents.reduce(0) { $0 + $1.length }
  }

  // MARK: Extended attributes (tag 4)

  /// The extended attributes, in increasing name order (empty without the field).
  public func extendedAttributes() throws(CairnError) -> [ExtendedAttribute] {
    guard let value = field(.extendedAttributes) else { return [] }
    var reader = FieldValueReader(value)
    var attributes: [ExtendedAttribute] = []
    while !reader.atEnd {
      guard let name = reader.byteString(), let value = reader.byteString() else {
        throw damaged(.extendedAttributes, "truncated")
      }
      guard !name.isEmpty, !name.contains(0) else { throw damaged(.extendedAttributes, "an empty name or a NUL byte") }
      if let last = attributes.last, !last.name.lexicographicallyPrecedes(name) {
        throw damaged(.extendedAttributes, "names out of order")
      }
      attributes.append(ExtendedAttribute(name: name, value: value))
    }
    return attributes
  }

  /// Records the extended attributes (sorted here by name); none removes the field.
  public mutating func setExtendedAttributes(_ attributes: [ExtendedAttribute]) {
    guard !attributes.isEmpty else { return setField(.extendedAttributes, nil) }
    var value: [UInt8] = []
    for attribute in attributes.sorted(by: { $0.name.lexicographicallyPrecedes($1.name) }) {
      ManifestCodec.appendBytes(attribute.name, to: &value)
      ManifestCodec.appendBytes(attribute.value, to: &value)
    }
    setField(.extendedAttributes, value)
  }

  // MARK: Owner names (tag 6)

  /// The owner's names (nil each when unknown, and when the field is damaged:
  /// names only refine the ids, which stay authoritative).
  public var ownerNames: OwnerNames {
    get {
      guard let value = field(.ownerNames) else { return OwnerNames(user: nil, group: nil) }
      var reader = FieldValueReader(value)
      guard let user = reader.byteString(), let group = reader.byteString() else {
        return OwnerNames(user: nil, group: nil)
      }
      var aclNames: [OwnerNames.ACLName] = []
      while !reader.atEnd {
        guard let kind = reader.varint(), kind <= 1, let id = reader.varint(), let narrow = UInt32(exactly: id),
          let name = reader.byteString(), !name.isEmpty
        else { return OwnerNames(user: nil, group: nil) }
        aclNames.append(OwnerNames.ACLName(isGroup: kind == 1, id: narrow, name: name))
      }
      return OwnerNames(user: user.isEmpty ? nil : user, group: group.isEmpty ? nil : group, aclNames: aclNames)
    }
    set {
      guard newValue.user != nil || newValue.group != nil || !newValue.aclNames.isEmpty else {
        return setField(.ownerNames, nil)
      }
      var value: [UInt8] = []
      ManifestCodec.appendBytes(newValue.user ?? [], to: &value)
      ManifestCodec.appendBytes(newValue.group ?? [], to: &value)
      for acl in newValue.aclNames.sorted(by: { ($0.isGroup ? 1 : 0, $0.id) < ($1.isGroup ? 1 : 0, $1.id) }) {
        ManifestCodec.appendVarint(acl.isGroup ? 1 : 0, to: &value)
        ManifestCodec.appendVarint(UInt64(acl.id), to: &value)
        ManifestCodec.appendBytes(acl.name, to: &value)
      }
      setField(.ownerNames, value)
    }
  }
}

/// The ids in POSIX ACL values (`system.posix_acl_access`, `…_default`):
/// a little-endian u32 version 2, then 8-byte entries (tag u16, permissions
/// u16, id u32, little-endian); tags 2 (ACL_USER) and 8 (ACL_GROUP) name an id.
enum POSIXACL {
  static let names: Set<[UInt8]> = [Array("system.posix_acl_access".utf8), Array("system.posix_acl_default".utf8)]
  static let userTag: UInt16 = 0x02
  static let groupTag: UInt16 = 0x08

  /// The named ids of an ACL value, or none when it is not a version 2 ACL.
  static func namedIDs(in value: [UInt8]) -> [(isGroup: Bool, id: UInt32)] {
    guard value.count >= 4, (value.count - 4) % 8 == 0, littleEndian32(value, 0) == 2 else { return [] }
    var ids: [(isGroup: Bool, id: UInt32)] = []
    for start in stride(from: 4, to: value.count, by: 8) {
      let tag = UInt16(value[start]) | UInt16(value[start + 1]) << 8
      if tag == userTag || tag == groupTag { ids.append((tag == groupTag, littleEndian32(value, start + 4))) }
    }
    return ids
  }

  /// `value` with each named id replaced by `map(isGroup, id)`.
  static func remapped(_ value: [UInt8], _ map: (Bool, UInt32) -> UInt32) -> [UInt8] {
    guard value.count >= 4, (value.count - 4) % 8 == 0, littleEndian32(value, 0) == 2 else { return value }
    var result = value
    for start in stride(from: 4, to: value.count, by: 8) {
      let tag = UInt16(value[start]) | UInt16(value[start + 1]) << 8
      guard tag == userTag || tag == groupTag else { continue }
      let id = map(tag == groupTag, littleEndian32(value, start + 4))
      for index in 0..<4 { result[start + 4 + index] = UInt8(truncatingIfNeeded: id >> (8 * UInt32(index))) }
    }
    return result
  }

  private static func littleEndian32(_ bytes: [UInt8], _ start: Int) -> UInt32 {
    (0..<4).reduce(UInt32(0)) { $0 | UInt32(bytes[start + $1]) << (8 * UInt32($1)) }
  }
}
