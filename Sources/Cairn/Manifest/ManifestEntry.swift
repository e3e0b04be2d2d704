/// One entry of a snapshot's tree, with every piece of metadata Cairn restores
/// and the facts change detection compares.
public struct ManifestEntry: Sendable, Equatable {
  public var path: EntryPath
  public var kind: EntryKind
  /// Permission bits including setuid, setgid and sticky.
  public var mode: UInt32
  public var uid: UInt32
  public var gid: UInt32
  public var mtime: Timestamp
  public var ctime: Timestamp
  public var inode: UInt64
  public var device: UInt64
  public var linkCount: UInt64
  /// For files, the sum of the sizes of `blocks`.
  public var size: UInt64
  /// For character and block devices, the device number.
  public var rdev: UInt64
  /// For files, the content: the concatenation of these objects.
  public var blocks: [ObjectID]
  /// For symlinks, the target, as stored in the link.
  public var symlinkTarget: [UInt8]
  /// Tagged optional fields (see `ManifestField`), in increasing tag order.
  public var fields: [ManifestField] = []

  public init(path: EntryPath, status: FileStatus) {
    self.path = path
    self.kind = status.kind
    self.mode = status.mode
    self.uid = status.uid
    self.gid = status.gid
    self.mtime = status.mtime
    self.ctime = status.ctime
    self.inode = status.inode
    self.device = status.device
    self.linkCount = status.linkCount
    self.size = status.kind == .file ? status.size : 0
    self.rdev = status.rdev
    self.blocks = []
    self.symlinkTarget = []
  }

  /// The value of the field `tag`, if the entry has it.
  public func field(_ tag: ManifestField.Tag) -> [UInt8]? {
    fields.first { $0.tag == tag.rawValue }?.value
  }

  /// Sets (or with nil removes) the field `tag`, keeping the fields in tag order.
  public mutating func setField(_ tag: ManifestField.Tag, _ value: [UInt8]?) {
    fields.removeAll { $0.tag == tag.rawValue }
    guard let value else { return }
    let index = fields.firstIndex { $0.tag > tag.rawValue } ?? fields.endIndex
    fields.insert(ManifestField(tag: tag.rawValue, value: value), at: index)
  }

  /// For files: the file kept changing while the backup read it (it was
  /// read again up to `Backup.rereadLimit` times), so `blocks` may mix
  /// bytes of different versions. Restore, `ls` and `check` say so.
  /// Stored as the `inconsistent` field, with an empty value.
  public var isInconsistent: Bool {
    get { field(.inconsistent) != nil }
    set { setField(.inconsistent, newValue ? [] : nil) }
  }

  /// A differential manifest's mark that `path` of the base no longer exists.
  public static func removal(of path: EntryPath) -> ManifestEntry {
    var entry = ManifestEntry(
      path: path,
      status: FileStatus(
        kind: .removed, mode: 0, uid: 0, gid: 0, size: 0, mtime: Timestamp(seconds: 0, nanoseconds: 0),
        ctime: Timestamp(seconds: 0, nanoseconds: 0), inode: 0, device: 0, linkCount: 0, rdev: 0))
    entry.kind = .removed
    return entry
  }

  /// True when a differential backup may reuse this (base) entry for a file
  /// whose current status is `status`, without reading it: size, mtime,
  /// ctime, inode, mode, owner and type all agree, and the stored copy is
  /// not marked inconsistent (such a file is read again at every backup).
  func isUnchanged(comparedTo status: FileStatus) -> Bool {
    !isInconsistent && kind == status.kind && mode == status.mode && uid == status.uid && gid == status.gid
      && mtime == status.mtime && ctime == status.ctime && inode == status.inode
      && (kind != .file || size == status.size)
      && (kind != .characterDevice && kind != .blockDevice || rdev == status.rdev)
  }
}

/// An optional piece of an entry: tag, length, value. New metadata is added
/// as new tags, with no new format version. A reader skips a tag it does not
/// know, unless the tag is odd: odd tags are critical (the entry cannot be
/// restored correctly without understanding them), and a reader refuses them.
public struct ManifestField: Sendable, Equatable {
  public let tag: UInt64
  public let value: [UInt8]

  public init(tag: UInt64, value: [UInt8]) {
    self.tag = tag
    self.value = value
  }

  public var isCritical: Bool { tag & 1 == 1 }

  /// The tags this build understands (Docs/FORMAT.md lists them).
  public enum Tag: UInt64, Sendable, CaseIterable {
    /// Critical: the file's content is a slice of a bundle object (bundle address, offset, length).
    case bundleSlice = 1
    /// Critical: the file is sparse; the value lists its data extents.
    case sparseExtents = 3
    /// Extended attributes (and POSIX ACLs), name and value bytes.
    case extendedAttributes = 4
    /// The owner's user and group names, beside the numeric ids.
    case ownerNames = 6
    /// The stored copy is not a consistent version: the file changed while it was read.
    case inconsistent = 8
  }

  static let knownTags = Set(Tag.allCases.map(\.rawValue))
}
