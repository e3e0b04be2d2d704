import Foundation

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// What a walk saw below its root (the root itself is not counted).
struct TreeCount {
  var entries = 0
  var directories = 0
  var bytes: UInt64 = 0
}

/// Two ways to `lstat` every entry of a tree. Cairn's own walker (`TreeWalker`)
/// and its system-call layer are internal to the library, so the first one
/// re-creates what it does: directories opened with `openat` relative to their
/// parent, names read with `readdir` and sorted by bytes, each entry described
/// with `fstatat(AT_SYMLINK_NOFOLLOW)`, symlinks never followed.
enum StatWalk {
  static func posix(_ root: String) -> TreeCount {
    var count = TreeCount()
    let descriptor = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
    guard descriptor >= 0 else { return count }
    walk(descriptor, &count)
    return count
  }

  /// Walks the directory open as `descriptor` and closes it.
  private static func walk(_ descriptor: Int32, _ count: inout TreeCount) {
    guard let directory = fdopendir(descriptor) else {
      close(descriptor)
      return
    }
    defer { closedir(directory) }
    var names: [[UInt8]] = []
    while let entry = readdir(directory) {
      // Read in place: a record is only `d_reclen` long, so copying the
      // whole `dirent` (`entry.pointee`) can read past the end of the buffer.
      let start = UnsafeRawPointer(entry).advanced(by: MemoryLayout<dirent>.offset(of: \dirent.d_name)!)
      var name = Array(UnsafeRawBufferPointer(start: start, count: strlen(start.assumingMemoryBound(to: CChar.self))))
      if name == [0x2E] || name == [0x2E, 0x2E] { continue }
      name.append(0)
      names.append(name)
    }
    names.sort { $0.lexicographicallyPrecedes($1) }
    let parent = dirfd(directory)
    var status = stat()
    for name in names {
      let described = name.withUnsafeBufferPointer { bytes in
        bytes.withMemoryRebound(to: CChar.self) { fstatat(parent, $0.baseAddress!, &status, AT_SYMLINK_NOFOLLOW) }
      }
      guard described == 0 else { continue }
      count.entries += 1
      if status.st_mode & S_IFMT == S_IFDIR {
        count.directories += 1
        let child = name.withUnsafeBufferPointer { bytes in
          bytes.withMemoryRebound(to: CChar.self) {
            openat(parent, $0.baseAddress!, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
          }
        }
        if child >= 0 { walk(child, &count) }
      } else if status.st_mode & S_IFMT == S_IFREG {
        count.bytes += UInt64(status.st_size)
      }
    }
  }

  /// The plain Foundation way: an enumerator that prefetches size, mtime and type.
  static func foundation(_ root: String) -> TreeCount {
    var count = TreeCount()
    let keys: [URLResourceKey] = [.fileSizeKey, .contentModificationDateKey, .isDirectoryKey, .isRegularFileKey]
    guard
      let enumerator = FileManager.default.enumerator(
        at: URL(fileURLWithPath: root, isDirectory: true), includingPropertiesForKeys: keys)
    else { return count }
    let wanted = Set(keys)
    for case let url as URL in enumerator {
      guard let values = try? url.resourceValues(forKeys: wanted) else { continue }
      count.entries += 1
      if values.isDirectory == true { count.directories += 1 }
      if values.isRegularFile == true { count.bytes += UInt64(values.fileSize ?? 0) }
    }
    return count
  }
}
