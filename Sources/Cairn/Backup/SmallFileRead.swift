import SystemPackage

/// Everything a backup needs from one small file, done in a single job on
/// `BlockingPool`: open, `fstat`, read whole, address, list its extended
/// attributes, `fstat` again.
///
/// A tree of many small files is bound by the hops between the backup's
/// task and the pool (a thread wake-up each way), not by the calls
/// themselves: one hop per small file instead of one per call, and the
/// backup keeps many of these in flight instead of waiting for each.
struct SmallFileRead: Sendable {
  enum Outcome: Sendable {
    /// Read whole: `after` is the status once the content and attributes
    /// were read (the file changed meanwhile if it differs from `opened`:
    /// its content if the size or mtime moved, its metadata if only the ctime did).
    case content(SmallFileContent, attributes: Result<[ExtendedAttribute], CairnError>, after: FileStatus?)
    /// No longer a small dense file: read it in blocks, from `extents`.
    case notSmall(extents: [DataExtent]?)
    /// No longer a regular file.
    case notFile
  }

  let file: Descriptor
  /// The status of the open file, before the read.
  let opened: FileStatus
  let outcome: Outcome

  /// Starts the job for `name` in `parent`, walked as a small file.
  static func start(
    _ name: [UInt8], in parent: Descriptor, policy: BundlePolicy, files: FileSystem, store: ObjectStore,
    pool: BlockingPool
  ) -> PendingResult<SmallFileRead> {
    pool.start { () throws -> SmallFileRead in
      let source = try SourceFile.open(
        name, in: parent, files: files, denseWhenFullyAllocatedUpTo: UInt64(policy.smallFileLimit))
      let (file, opened, extents) = (source.file, source.status, source.extents)
      guard opened.kind == .file else { return SmallFileRead(file: file, opened: opened, outcome: .notFile) }
      // A small file with holes keeps them, in blocks of its data extents like a large one.
      guard extents == nil, policy.isSmall(opened.size) else {
        return SmallFileRead(file: file, opened: opened, outcome: .notSmall(extents: extents))
      }
      let bytes: [UInt8]
      do throws(Errno) {
        bytes = try files.readBytes(file, count: Int(opened.size))
      } catch {
        throw Chunker.ReadFailure(errno: error)
      }
      let content = SmallFileContent(bytes: bytes, content: bytes.withUnsafeBytes { store.address(of: $0) })
      CrashPoint.reach("backup.block")
      CrashPoint.reach("backup.attributes")
      let attributes = withExtendedLifetime(file) {
        Result { () throws(CairnError) in try EntryMetadataReader.attributes(of: .descriptor(file.raw), files: files) }
      }
      let after = try? files.status(of: file)
      return SmallFileRead(
        file: file, opened: opened, outcome: .content(content, attributes: attributes, after: after))
    }
  }
}

/// A source file opened for reading by a backup: its descriptor, its status
/// (`fstat` of the open file), and where its data lies when it has holes.
struct SourceFile: Sendable {
  let file: Descriptor
  let status: FileStatus
  /// nil for a dense file (or one that is not a regular file).
  let extents: [DataExtent]?

  /// Opens `name` in `parent` without following a symlink, then `fstat`s it
  /// and, for a regular file, looks for holes: they are neither read nor
  /// stored, only the data extents are. Blocks; call it on `BlockingPool`.
  ///
  /// A file of at most `denseWhenFullyAllocatedUpTo` bytes with as many
  /// bytes allocated as it is long is taken as dense without the search
  /// (one `lseek` less per small file, out of about eight calls). Blocks
  /// allocated past its end could hide a hole; that file's zeros are then
  /// stored as data and restored as written zeros: the same content.
  static func open(_ name: [UInt8], in parent: Descriptor, files: FileSystem, denseWhenFullyAllocatedUpTo: UInt64 = 0)
    throws(Errno) -> SourceFile
  {
    let file = try files.open(name, relativeTo: parent, flags: [.readOnly, .noFollow, .nonBlocking])
    let status = try files.status(of: file)
    guard status.kind == .file else { return SourceFile(file: file, status: status, extents: nil) }
    if status.size <= denseWhenFullyAllocatedUpTo, let allocated = status.allocatedBytes, allocated >= status.size {
      return SourceFile(file: file, status: status, extents: nil)
    }
    let extents = SparseMap.dataExtents(of: file, size: status.size, files: files)
    return SourceFile(file: file, status: status, extents: extents)
  }
}
