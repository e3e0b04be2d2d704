import SystemPackage

/// Writes a file's blocks where they belong: one after the other for a dense
/// file; into the data extents of a sparse one, whose holes stay holes (the
/// file is given its size with `ftruncate` at the end, not by writing zeros).
struct ContentPlacement {
  private let extents: [DataExtent]?
  private var extentIndex = 0
  private var withinExtent: UInt64 = 0

  init(extents: [DataExtent]?) {
    self.extents = extents
  }

  /// Writes the next block. Throws `.corrupted` when a sparse file's blocks
  /// hold more than its extents.
  mutating func write(
    _ bytes: ArraySlice<UInt8>, to descriptor: Descriptor, files: FileSystem, path: EntryPath, display: String
  ) throws(CairnError) {
    guard let extents else {
      let result = bytes.withUnsafeBytes { raw in
        Result { () throws(Errno) in try files.write(descriptor, raw) }
      }
      do {
        return try result.get()
      } catch {
        throw CairnError.system("write", error, "could not write '\(display)'")
      }
    }
    var done = 0
    while done < bytes.count {
      guard extentIndex < extents.count else {
        throw CairnError(.corrupted, "the blocks of '\(path)' hold more bytes than its data extents")
      }
      let extent = extents[extentIndex]
      let count = Int(min(UInt64(bytes.count - done), extent.length - withinExtent))
      let offset = extent.offset + withinExtent
      let result = bytes.withUnsafeBytes { raw in
        Result { () throws(Errno) in
          try files.write(descriptor, UnsafeRawBufferPointer(rebasing: raw[done..<done + count]), at: offset)
        }
      }
      do {
        try result.get()
      } catch {
        throw CairnError.system("pwrite", error, "could not write '\(display)'")
      }
      done += count
      withinExtent += UInt64(count)
      if withinExtent == extent.length {
        extentIndex += 1
        withinExtent = 0
      }
    }
  }

  /// Gives a sparse file its size; trailing holes exist only through this.
  func finish(_ descriptor: Descriptor, size: UInt64, files: FileSystem, display: String) throws(CairnError) {
    guard extents != nil else { return }
    do {
      try files.truncate(descriptor, to: size)
    } catch {
      throw CairnError.system("ftruncate", error, "could not give '\(display)' its size")
    }
  }
}
