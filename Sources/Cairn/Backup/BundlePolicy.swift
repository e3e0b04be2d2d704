/// Which files travel in bundles, and where one bundle ends and the next
/// begins (Docs/FORMAT.md, "Bundles (small files)").
///
/// Small files are taken in manifest order, and a bundle is cut after a file
/// whose cut hash falls below a threshold proportional to the file's weight:
/// content-defined chunking at the granularity of whole files. The rule gives
///
/// - the same bundles for the same files, so an unchanged tree deduplicates:
///   a cut depends only on the file it follows (its path and content), never
///   on where the bundle began;
/// - about one new bundle when one file changes: the bundles before and after
///   it keep their cuts (its own cut may move, with probability about its
///   weight over the target, which then joins or splits one neighbour);
/// - about (bytes + 256 × files) ÷ `targetSize` bundles: a file ends its
///   bundle with probability weight ÷ `targetSize`, like a byte-level
///   content-defined chunker whose boundaries can only fall between files.
///
/// Bundles also end at `maximumSize` bytes and at `maximumFiles` files (and
/// when the backup holds too many entries behind an open bundle); such cuts
/// depend on where the bundle began, but the next hash cut realigns them.
public struct BundlePolicy: Sendable, Equatable {
  /// Regular files of 1 to this many bytes are stored in bundles.
  public let smallFileLimit: Int
  /// The mean bundle size the cut threshold aims at.
  public let targetSize: Int
  /// No bundle holds more bytes than this.
  public let maximumSize: Int
  /// No bundle holds more files than this (a bound on the entries a backup
  /// holds in memory until the bundle's address is known).
  public let maximumFiles: Int
  /// What each file adds to its weight beyond its bytes, so that bundles of
  /// tiny files stay bounded in file count too (about a manifest entry's size).
  public let fileWeight: Int

  /// The smallest target bundle size, whatever the block size.
  public static let smallestTargetSize = 4 << 20

  /// The policy of a repository with `blockSize`-byte blocks: files up to a
  /// quarter of a block go into bundles of max(4 MiB, block size) on
  /// average, twice that at most. With the local default of 1 MiB blocks:
  /// files up to 256 KiB, bundles of 4 MiB, 8 MiB at most. With the S3
  /// default of 8 MiB: files up to 2 MiB, bundles of 8 MiB, 16 MiB at most,
  /// so that a first backup makes fewer, larger objects (each a request).
  public init(blockSize: Int) {
    let target = max(Self.smallestTargetSize, blockSize)
    self.init(
      smallFileLimit: blockSize / 4, targetSize: target, maximumSize: 2 * target, maximumFiles: 16384,
      fileWeight: 256)
  }

  /// The largest bundle a repository with `blockSize`-byte blocks holds.
  public static func maximumSize(blockSize: Int) -> Int { BundlePolicy(blockSize: blockSize).maximumSize }

  public init(smallFileLimit: Int, targetSize: Int, maximumSize: Int, maximumFiles: Int, fileWeight: Int) {
    precondition(smallFileLimit > 0 && targetSize > 0 && maximumSize >= smallFileLimit && maximumFiles > 0)
    self.smallFileLimit = smallFileLimit
    self.targetSize = targetSize
    self.maximumSize = maximumSize
    self.maximumFiles = maximumFiles
    self.fileWeight = fileWeight
  }

  /// True when a regular file of `size` bytes goes into a bundle (an empty
  /// file has no content to store and stays without objects).
  public func isSmall(_ size: UInt64) -> Bool {
    size > 0 && size <= UInt64(smallFileLimit)
  }

  /// The bytes hashed to decide a cut after a file: its path, a zero byte,
  /// and the address of its content.
  public static func cutHashInput(path: EntryPath, content: ObjectID) -> [UInt8] {
    path.bytes + [0] + content.bytes
  }

  /// True when a bundle ends after a file of `size` bytes whose cut hash
  /// (the address, under the repository's addressing, of `cutHashInput`) is
  /// `hash`: when the hash's first 64 bits, as a fraction of 2^64, fall below
  /// weight ÷ target.
  public func endsBundle(size: UInt64, hash: ObjectID) -> Bool {
    let weight = min(size + UInt64(fileWeight), UInt64(targetSize))
    let threshold = weight.multipliedReportingOverflow(by: UInt64.max / UInt64(targetSize)).partialValue
    return hash.w0 < threshold
  }

  /// The cut rule as a state machine over the files of one backup, in
  /// manifest order: what `BundleWriter` follows, and what the tests run on
  /// synthetic files without any I/O.
  public struct Cutter: Sendable {
    public let policy: BundlePolicy
    /// Bytes and files in the open bundle (0 when none is open).
    public private(set) var bytes = 0
    public private(set) var files = 0

    public init(policy: BundlePolicy) { self.policy = policy }

    /// True when the open bundle must end before a file adding `size` bytes
    /// joins it (it would pass `maximumSize` or `maximumFiles`).
    public func mustEndBefore(adding size: Int) -> Bool {
      files > 0 && (bytes + size > policy.maximumSize || files >= policy.maximumFiles)
    }

    /// Adds a file of `size` bytes (of which `added` are new to the bundle:
    /// fewer when its content is in the bundle already) with cut hash
    /// `hash`; returns true when the bundle ends after it.
    public mutating func add(size: UInt64, added: Int, hash: ObjectID) -> Bool {
      bytes += added
      files += 1
      return policy.endsBundle(size: size, hash: hash) || bytes >= policy.maximumSize
    }

    /// The open bundle ended.
    public mutating func reset() {
      bytes = 0
      files = 0
    }
  }
}
