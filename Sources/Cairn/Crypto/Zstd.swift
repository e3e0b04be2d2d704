internal import CZstd

/// zstd compression over the system libzstd, through the CZstd C target.
///
/// Decompression is always bounded: a frame that would produce more than the
/// caller allows is refused before or while it is expanded, so a small
/// hostile object cannot exhaust memory. One instance keeps its contexts
/// between calls and belongs to one worker; the static forms make
/// short-lived ones.
public struct Zstd: ~Copyable {
  /// The level used when none is chosen: fast, and most of zstd's gain.
  public static let defaultLevel = 3

  /// The levels the library accepts (negative levels are the fastest).
  public static var levels: ClosedRange<Int> { Int(cairn_zstd_min_level())...Int(cairn_zstd_max_level()) }

  /// The largest frame `count` bytes can compress to.
  public static func compressBound(_ count: Int) -> Int { cairn_zstd_compress_bound(count) }

  private var compressor: OpaquePointer?
  private var decompressor: OpaquePointer?

  public init() {}

  deinit {
    cairn_zstd_cctx_free(compressor)
    cairn_zstd_dctx_free(decompressor)
  }

  /// Compresses `input` into one frame that records its content size.
  public mutating func compress(_ input: UnsafeRawBufferPointer, level: Int = defaultLevel) throws
    -> [UInt8]
  {
    let capacity = Self.compressBound(input.count)
    var failure: (any Error)?
    let frame = [UInt8](unsafeUninitializedCapacity: capacity) { buffer, initialized in
      HugePages.advise(buffer)
      do {
        initialized = try compress(input, level: level, into: UnsafeMutableRawBufferPointer(buffer)) ?? 0
      } catch {
        failure = error
        initialized = 0
      }
    }
    if let failure { throw failure }
    return frame
  }

  /// Compresses `input`; see the pointer form.
  public mutating func compress(_ input: [UInt8], level: Int = defaultLevel) throws -> [UInt8] {
    try input.withUnsafeBytes { bytes in try compress(bytes, level: level) }
  }

  /// Compresses `input` into `output`; returns the frame's size, or nil when
  /// it does not fit (give `input.count - 1` to compress only when it helps).
  mutating func compress(
    _ input: UnsafeRawBufferPointer, level: Int, recordSize: Bool = true, into output: UnsafeMutableRawBufferPointer
  ) throws -> Int? {
    guard Self.levels.contains(level) else {
      throw CairnError(.invalidArgument, "zstd level \(level) is out of range: choose one in \(Self.levels)")
    }
    if compressor == nil { compressor = cairn_zstd_cctx_new() }
    guard let compressor else { throw CairnError(.io, "zstd could not create a compression context") }
    var written = 0
    let status = cairn_zstd_compress(
      compressor, input.baseAddress, input.count, Int32(level), recordSize ? 1 : 0, output.baseAddress, output.count,
      &written)
    switch status {
    case CAIRN_ZSTD_OK: return written
    case CAIRN_ZSTD_TOO_LARGE: return nil
    default: throw CairnError(.io, "zstd failed to compress \(input.count) bytes at level \(level)")
    }
  }

  /// Decompresses a frame, refusing one that declares or produces more than
  /// `maxSize` bytes. A damaged or oversized frame fails with `.corrupted`
  /// naming `what`.
  public mutating func decompress(_ frame: UnsafeRawBufferPointer, maxSize: Int, what: String = "zstd data")
    throws -> [UInt8]
  {
    var capacity = maxSize
    switch Self.contentSize(of: frame) {
    case .declared(let size):
      guard size <= UInt64(maxSize) else {
        throw CairnError(
          .corrupted, "'\(what)' claims to decompress to \(size) bytes, more than the \(maxSize) allowed")
      }
      capacity = Int(size)
    case .unknown: break
    case .invalid: throw CairnError(.corrupted, "'\(what)' is not zstd data: its frame header is damaged")
    }
    var failure: (any Error)?
    let output = [UInt8](unsafeUninitializedCapacity: capacity) { buffer, initialized in
      HugePages.advise(buffer)
      do {
        initialized = try decompress(frame, into: UnsafeMutableRawBufferPointer(buffer), what: what)
      } catch {
        failure = error
        initialized = 0
      }
    }
    if let failure { throw failure }
    return output
  }

  /// Decompresses a frame; see the pointer form.
  public mutating func decompress(_ frame: [UInt8], maxSize: Int, what: String = "zstd data") throws
    -> [UInt8]
  {
    try frame.withUnsafeBytes { bytes in try decompress(bytes, maxSize: maxSize, what: what) }
  }

  /// Decompresses into `output`, never writing past its end; returns the size.
  mutating func decompress(_ frame: UnsafeRawBufferPointer, into output: UnsafeMutableRawBufferPointer, what: String)
    throws -> Int
  {
    if decompressor == nil { decompressor = cairn_zstd_dctx_new() }
    guard let decompressor else { throw CairnError(.io, "zstd could not create a decompression context") }
    var written = 0
    let status = cairn_zstd_decompress(
      decompressor, frame.baseAddress, frame.count, output.baseAddress, output.count, &written)
    switch status {
    case CAIRN_ZSTD_OK: return written
    case CAIRN_ZSTD_TOO_LARGE:
      throw CairnError(.corrupted, "'\(what)' decompresses to more than the \(output.count) bytes allowed")
    default: throw CairnError(.corrupted, "'\(what)' is damaged: zstd could not decompress it")
    }
  }

  /// What a frame's header says about the size of its content.
  enum ContentSize: Equatable {
    case declared(UInt64)
    case unknown
    case invalid
  }

  /// Reads the content size a frame's header declares, without decompressing.
  static func contentSize(of frame: UnsafeRawBufferPointer) -> ContentSize {
    var size: UInt64 = 0
    switch cairn_zstd_frame_content_size(frame.baseAddress, frame.count, &size) {
    case CAIRN_ZSTD_OK: return .declared(size)
    case CAIRN_ZSTD_SIZE_UNKNOWN: return .unknown
    default: return .invalid
    }
  }

  /// Compresses with a short-lived context; see the instance method.
  public static func compress(_ input: [UInt8], level: Int = defaultLevel) throws -> [UInt8] {
    var zstd = Zstd()
    return try zstd.compress(input, level: level)
  }

  /// Decompresses with a short-lived context; see the instance method.
  public static func decompress(_ frame: [UInt8], maxSize: Int, what: String = "zstd data") throws
    -> [UInt8]
  {
    var zstd = Zstd()
    return try zstd.decompress(frame, maxSize: maxSize, what: what)
  }
}
