/// A point in time with nanoseconds, as the kernel keeps it for files.
public struct Timestamp: Hashable, Comparable, Sendable, Codable {
  public var seconds: Int64
  public var nanoseconds: UInt32

  public init(seconds: Int64, nanoseconds: UInt32) {
    self.seconds = seconds
    self.nanoseconds = nanoseconds
  }

  public static func < (lhs: Timestamp, rhs: Timestamp) -> Bool {
    (lhs.seconds, lhs.nanoseconds) < (rhs.seconds, rhs.nanoseconds)
  }
}

/// The kind of a directory entry, as recorded in manifests.
public enum EntryKind: UInt8, Sendable, CustomStringConvertible {
  /// A differential manifest's mark that a path of the base is gone.
  case removed = 0
  case file = 1
  case directory = 2
  case symlink = 3
  case fifo = 4
  case socket = 5
  case characterDevice = 6
  case blockDevice = 7

  public var description: String {
    switch self {
    case .removed: "removed"
    case .file: "file"
    case .directory: "dir"
    case .symlink: "symlink"
    case .fifo: "fifo"
    case .socket: "socket"
    case .characterDevice: "chardev"
    case .blockDevice: "blockdev"
    }
  }
}

/// What `lstat` says about a file, in Cairn's own terms.
public struct FileStatus: Sendable, Equatable {
  public var kind: EntryKind
  /// Permission bits including setuid, setgid and sticky (`st_mode & 07777`).
  public var mode: UInt32
  public var uid: UInt32
  public var gid: UInt32
  public var size: UInt64
  public var mtime: Timestamp
  public var ctime: Timestamp
  public var inode: UInt64
  public var device: UInt64
  public var linkCount: UInt64
  public var rdev: UInt64
  /// Bytes allocated on disk (`st_blocks` x 512) when `stat` said so; nil
  /// for a status from elsewhere (a manifest). Not stored: it only tells a
  /// backup that a small file has no holes to look for.
  public var allocatedBytes: UInt64? = nil

  public init(
    kind: EntryKind, mode: UInt32, uid: UInt32, gid: UInt32, size: UInt64, mtime: Timestamp, ctime: Timestamp,
    inode: UInt64, device: UInt64, linkCount: UInt64, rdev: UInt64
  ) {
    self.kind = kind
    self.mode = mode
    self.uid = uid
    self.gid = gid
    self.size = size
    self.mtime = mtime
    self.ctime = ctime
    self.inode = inode
    self.device = device
    self.linkCount = linkCount
    self.rdev = rdev
  }
}
