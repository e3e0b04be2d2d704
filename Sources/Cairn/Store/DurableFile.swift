import SystemPackage

/// Small files that must be all there or not there at all, after any crash.
enum DurableFile {
  /// Writes `bytes` as `directory/name` atomically and durably:
  /// temporary file, fsync, rename over the name, fsync of the directory.
  static func write(_ bytes: [UInt8], directory: String, name: String) throws(CairnError) {
    let temporary = Array("\(directory)/.\(name).\(UInt32.random(in: 0...UInt32.max)).tmp".utf8)
    let final = Array("\(directory)/\(name)".utf8)
    do throws(Errno) {
      let descriptor = try SystemCalls.open(temporary, flags: [.writeOnly, .create, .exclusive], mode: 0o644)
      do {
        try SystemCalls.write(descriptor, bytes)
        try SystemCalls.sync(descriptor)
      } catch {
        SystemCalls.close(descriptor)
        throw error
      }
      SystemCalls.close(descriptor)
      try SystemCalls.rename(
        temporary, relativeTo: SystemCalls.currentDirectory, to: final, relativeTo: SystemCalls.currentDirectory)
    } catch {
      try? SystemCalls.remove(temporary)
      throw .system("write", error, "could not write '\(directory)/\(name)'")
    }
    try syncDirectory(directory)
  }

  /// fsync of a directory, so that renames and unlinks in it survive a crash.
  static func syncDirectory(_ directory: String) throws(CairnError) {
    do throws(Errno) {
      let descriptor = try SystemCalls.open(directory, flags: [.readOnly, .directory])
      defer { SystemCalls.close(descriptor) }
      try SystemCalls.sync(descriptor)
    } catch {
      throw .system("fsync", error, "could not make directory '\(directory)' durable")
    }
  }
}
