internal import CFileShims
import SystemPackage

#if canImport(Glibc)
  import Glibc
#endif

/// User and group names from the system's databases (NSS), by reentrant
/// lookups.
extension SystemCalls {

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
