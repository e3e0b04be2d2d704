import SystemPackage

/// Where a file's data lies, found with `lseek(SEEK_DATA/SEEK_HOLE)`, and
/// how to read only that data in blocks.
///
/// Holes are never read and never stored: a sparse file's blocks cover its
/// data extents only, cut at the same file offsets (multiples of the block
/// size) as a dense file's, so the same data deduplicates either way.
/// Zeros that are written (allocated) are data like any other.
enum SparseMap {
  /// One `pread` range for the chunker: it starts at a multiple of the block
  /// size or at the start of an extent, so the blocks it is cut into end on
  /// multiples of the block size.
  struct Piece: Equatable {
    var offset: UInt64
    var length: UInt64
  }

  /// The data extents of the open file `descriptor` within its first `size`
  /// bytes, or nil when it has no hole there (one `lseek` for most files).
  /// A file system without SEEK_HOLE reports no hole, and so does any error:
  /// the file is then read whole, as before.
  static func dataExtents(of descriptor: Descriptor, size: UInt64, files: FileSystem) -> [DataExtent]? {
    guard size > 0 else { return nil }
    do throws(Errno) {
      guard let firstHole = try files.nextHole(descriptor, from: 0), firstHole < size else { return nil }
      var extents: [DataExtent] = []
      var position: UInt64 = 0
      while position < size {
        guard let data = try files.nextData(descriptor, from: position), data < size else { break }
        let end = min(try files.nextHole(descriptor, from: data) ?? size, size)
        guard end > data else { break }
        if let last = extents.last, last.end == data {
          extents[extents.count - 1].length += end - data
        } else {
          extents.append(DataExtent(offset: data, length: end - data))
        }
        position = end
      }
      return extents
    } catch {
      return nil
    }
  }

  /// The ranges to read for `extents`, grouped into segments of about
  /// `segmentLength` bytes (a multiple of `blockSize`), one reading task each.
  static func segments(of extents: [DataExtent], blockSize: Int, segmentLength: UInt64) -> [[Piece]] {
    let block = UInt64(blockSize)
    var segments: [[Piece]] = []
    var current: [Piece] = []
    var currentBytes: UInt64 = 0
    func add(_ piece: Piece) {
      current.append(piece)
      currentBytes += piece.length
      if currentBytes >= segmentLength {
        segments.append(current)
        current = []
        currentBytes = 0
      }
    }
    for extent in extents {
      var offset = extent.offset
      // An unaligned start: the piece up to the next block boundary.
      if offset % block != 0 {
        let boundary = min(extent.end, (offset / block + 1) * block)
        add(Piece(offset: offset, length: boundary - offset))
        offset = boundary
      }
      // Then pieces that end on segment boundaries of the file.
      while offset < extent.end {
        let boundary = min(extent.end, (offset / segmentLength + 1) * segmentLength)
        add(Piece(offset: offset, length: boundary - offset))
        offset = boundary
      }
    }
    if !current.isEmpty { segments.append(current) }
    return segments
  }

  /// After reading a sparse file's extents: when fewer bytes came than the
  /// extents hold (the file shrank meanwhile), keeps the extents that were
  /// read (reads stop where the file now ends) and returns the size they
  /// reach; otherwise returns `size` unchanged.
  static func settle(_ entry: inout ManifestEntry, extents: [DataExtent], dataBytes: UInt64, size: UInt64) -> UInt64 {
    let expected = extents.reduce(0) { $0 + $1.length }
    guard dataBytes < expected else { return size }
    var left = dataBytes
    var kept: [DataExtent] = []
    for extent in extents where left > 0 {
      kept.append(DataExtent(offset: extent.offset, length: min(extent.length, left)))
      left -= kept[kept.count - 1].length
    }
    entry.setDataExtents(kept)
    return kept.last?.end ?? 0
  }
}
