internal import CFileShims
import SystemPackage

#if canImport(Glibc)
  import Glibc
#endif

/// The C calls for extended attributes, holes and user and group names;
/// thin wrappers like the rest of `SystemCalls`.
extension SystemCalls {
  /// Where an entry's extended attributes are read or written: through an
  /// open descriptor, or by path without following a final symlink.
  enum AttributeTarget {
    case descriptor(Int32)
    case path([UInt8])

    /// The entry `name` in the directory `directory`, by a path that needs no
    /// PATH_MAX-long name: `/proc/self/fd/N/name`, or `name` itself when it
    /// is relative to the current directory (or absolute). Without /proc (a
    /// bare chroot), `fullPath`, the entry's whole path.
    static func entry(_ name: [UInt8], in directory: Int32, fullPath: @autoclosure () -> [UInt8]) -> AttributeTarget {
      if directory == AT_FDCWD { return .path(name) }
      guard hasProcFileDescriptors else { return .path(fullPath()) }
      return .path(Array("/proc/self/fd/\(directory)/".utf8) + name)
    }

    private static let hasProcFileDescriptors = access("/proc/self/fd", F_OK) == 0
  }

  /// `flistxattr(2)` or `llistxattr(2)`: the names of the entry's extended
  /// attributes (those this process may see), each without its NUL.
  static func attributeNames(_ target: AttributeTarget) throws(Errno) -> [[UInt8]] {
    var capacity = 1024
    while true {
      let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: capacity, alignment: 1)
      defer { buffer.deallocate() }
      let pointer = buffer.baseAddress!.assumingMemoryBound(to: CChar.self)
      let count: Int
      do throws(Errno) {
        switch target {
        case .descriptor(let descriptor):
          count = try retrying { cairn_flistxattr(descriptor, pointer, UInt(capacity)) }
        case .path(let path):
          count = try withCString(path) { name throws(Errno) in
            try retrying { cairn_llistxattr(name, pointer, UInt(capacity)) }
          }
        }
      } catch {
        if error == .outOfRange && capacity < 1 << 26 {
          capacity *= 4
          continue
        }
        throw error
      }
      return buffer.prefix(count).split(separator: 0).map(Array.init)
    }
  }

  /// `fgetxattr(2)` or `lgetxattr(2)`: one attribute's value, byte for byte.
  static func attributeValue(_ target: AttributeTarget, name: [UInt8]) throws(Errno) -> [UInt8] {
    var capacity = 4096
    while true {
      let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: capacity, alignment: 1)
      defer { buffer.deallocate() }
      let count: Int
      do throws(Errno) {
        count = try withCString(name) { attribute throws(Errno) -> Int in
          switch target {
          case .descriptor(let descriptor):
            return try retrying { cairn_fgetxattr(descriptor, attribute, buffer.baseAddress!, UInt(capacity)) }
          case .path(let path):
            return try withCString(path) { file throws(Errno) in
              try retrying { cairn_lgetxattr(file, attribute, buffer.baseAddress!, UInt(capacity)) }
            }
          }
        }
      } catch {
        if error == .outOfRange && capacity < 1 << 26 {
          capacity *= 4
          continue
        }
        throw error
      }
      return Array(buffer.prefix(count))
    }
  }

  /// `fsetxattr(2)` or `lsetxattr(2)` (flags 0: create or replace).
  static func setAttribute(_ target: AttributeTarget, name: [UInt8], value: [UInt8]) throws(Errno) {
    let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: max(value.count, 1), alignment: 1)
    defer { buffer.deallocate() }
    buffer.copyBytes(from: value)
    let bytes = UnsafeRawPointer(buffer.baseAddress!)
    _ = try withCString(name) { attribute throws(Errno) -> Int32 in
      switch target {
      case .descriptor(let descriptor):
        return try retrying { cairn_fsetxattr(descriptor, attribute, bytes, UInt(value.count)) }
      case .path(let path):
        return try withCString(path) { file throws(Errno) in
          try retrying { cairn_lsetxattr(file, attribute, bytes, UInt(value.count)) }
        }
      }
    }
  }

  // MARK: Holes

  /// `lseek(2)` with SEEK_DATA: the first offset at or after `offset` that
  /// holds data, or nil when only a hole follows (ENXIO).
  static func nextData(_ descriptor: Int32, from offset: UInt64) throws(Errno) -> UInt64? {
    do throws(Errno) {
      return UInt64(try retrying { cairn_seek_data_or_hole(descriptor, Int64(offset), 0) })
    } catch {
      if error == .noSuchAddressOrDevice { return nil }
      throw error
    }
  }

  /// `lseek(2)` with SEEK_HOLE: the first offset at or after `offset` in a
  /// hole (the end of the file counts as one), or nil past the end (ENXIO).
  static func nextHole(_ descriptor: Int32, from offset: UInt64) throws(Errno) -> UInt64? {
    do throws(Errno) {
      return UInt64(try retrying { cairn_seek_data_or_hole(descriptor, Int64(offset), 1) })
    } catch {
      if error == .noSuchAddressOrDevice { return nil }
      throw error
    }
  }

  // MARK: User and group names

  /// Runs a reentrant `get…_r` lookup with a buffer that grows on ERANGE;
  /// `extract` reads the record while the buffer it points into is alive.
  private static func lookUp<Record, Value>(
    _ empty: Record,
    _ call: (
      UnsafeMutablePointer<Record>, UnsafeMutablePointer<CChar>, Int,
      UnsafeMutablePointer<UnsafeMutablePointer<Record>?>
    ) -> Int32,
    _ extract: (Record) -> Value?
  ) -> Value? {
    var capacity = 1024
    while capacity <= 1 << 20 {
      let buffer = UnsafeMutablePointer<CChar>.allocate(capacity: capacity)
      defer { buffer.deallocate() }
      var record = empty
      var found: UnsafeMutablePointer<Record>?
      let status = call(&record, buffer, capacity, &found)
      if status == ERANGE {
        capacity *= 4
        continue
      }
      if status == EINTR { continue }
      guard status == 0, found != nil else { return nil }
      return extract(record)
    }
    return nil
  }

  private static func bytes(of string: UnsafeMutablePointer<CChar>?) -> [UInt8]? {
    guard let string else { return nil }
    return UnsafeRawBufferPointer(start: string, count: strlen(string)).map { $0 }
  }

  /// `getpwuid_r(3)`: the name of user `uid`, or nil when it has none here.
  static func userName(of uid: UInt32) -> [UInt8]? {
    lookUp(passwd(), { getpwuid_r(uid, $0, $1, $2, $3) }, { bytes(of: $0.pw_name) })
  }

  /// `getgrgid_r(3)`: the name of group `gid`, or nil when it has none here.
  static func groupName(of gid: UInt32) -> [UInt8]? {
    lookUp(group(), { getgrgid_r(gid, $0, $1, $2, $3) }, { bytes(of: $0.gr_name) })
  }

  /// `getpwnam_r(3)`: the id of the user called `name`, or nil when none is.
  static func userID(named name: [UInt8]) -> UInt32? {
    let terminated = name.map { CChar(bitPattern: $0) } + [0]
    return lookUp(passwd(), { getpwnam_r(terminated, $0, $1, $2, $3) }, { $0.pw_uid })
  }

  /// `getgrnam_r(3)`: the id of the group called `name`, or nil when none is.
  static func groupID(named name: [UInt8]) -> UInt32? {
    let terminated = name.map { CChar(bitPattern: $0) } + [0]
    return lookUp(group(), { getgrnam_r(terminated, $0, $1, $2, $3) }, { $0.gr_gid })
  }
}
