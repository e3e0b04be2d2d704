import Foundation

/// The kinds of file a repository holds. Every file is addressed by its kind
/// and a name; each storage maps that to its own layout (a local folder:
/// `objects/ab/<name>`, `snapshots/<name>`; S3: the same under a key prefix).
public enum StorageKind: String, Sendable, CaseIterable, CustomStringConvertible {
  /// `config`: one file, the repository's format and parameters.
  case config
  /// `keys/<name>`: the master keys, wrapped by a password-derived key.
  case keys
  /// `objects/<first two hex digits>/<name>`: content-addressed, immutable.
  case objects
  /// `snapshots/<name>`: one sealed record per snapshot, written last.
  case snapshots
  /// `locks/<name>`: lock objects, where the medium has no kernel locks.
  case locks
  /// `log/<name>`: run logs kept inside the repository.
  case log
  /// `quarantine/<name>`: damaged objects moved out of `objects/` by
  /// `check --read-data --repair`, their bytes kept exactly. Nothing reads
  /// them and gc never deletes them.
  case quarantine

  public var description: String { rawValue }
}

/// One file of a repository: its kind and name.
public struct StorageFile: Hashable, Sendable, CustomStringConvertible {
  public let kind: StorageKind
  public let name: String

  public init(_ kind: StorageKind, _ name: String) {
    self.kind = kind
    self.name = name
  }

  public static let config = StorageFile(.config, "config")

  /// The 256 groups objects are stored and listed in: their names' first two hex digits.
  public static let objectPrefixes: [String] = (0..<256).map { Hex.byte(UInt8($0)) }

  /// The path of the file relative to the repository root, as every storage lays it out.
  public var relativePath: String {
    switch kind {
    case .config: "config"
    case .objects: "objects/\(name.prefix(2))/\(name)"
    default: "\(kind.rawValue)/\(name)"
    }
  }

  public var description: String { relativePath }
}

/// A file found by `list`, with its stored size in bytes.
public struct StorageEntry: Hashable, Sendable {
  public let name: String
  public let size: UInt64

  public init(name: String, size: UInt64) {
    self.name = name
    self.size = size
  }
}

/// Where a repository's bytes live: a local folder, memory (tests), an
/// S3-compatible bucket. Everything Cairn stores goes through this interface,
/// so the code above it never knows which one it has.
///
/// Storages move opaque bytes; they do not hash, compress or encrypt (that is
/// `ObjectStore`'s job) and never interpret what they hold. Every method may
/// be called concurrently from many tasks. Errors are `CairnError`s whose
/// message names the file and the storage's location; a missing file is
/// `.notFound`.
public protocol RepositoryStorage: Sendable {
  /// Where the repository is, for messages: a path or a URL without secrets.
  var location: String { get }

  /// Whether asking "does this object exist?" is cheap (a local `stat`).
  /// When it is not (a request to a server), a backup lists every object
  /// once instead of asking per block.
  var checksExistenceCheaply: Bool { get }

  /// How many reads are worth having in flight at once: a restore reads
  /// that many objects ahead. For a local disk, the cores (opening objects
  /// is CPU work); for a server, its connections (each read waits a round trip).
  var parallelReads: Int { get }

  /// Stores `bytes` as `file`.
  ///
  /// - With `ifAbsent`, an existing file (or, for objects, one already
  ///   pending in this storage) is left alone and the call returns false;
  ///   for objects that is deduplication, for locks and snapshot records an
  ///   atomic create.
  /// - Without it, the file is replaced atomically (lock refresh).
  ///
  /// Objects written here may stay pending, invisible to `get` and `list`
  /// of other processes, until `commit()`. Every other kind is durable and
  /// complete (never partial) when the call returns.
  @discardableResult
  func write(_ file: StorageFile, _ bytes: [UInt8], ifAbsent: Bool) async throws -> Bool

  /// The requests sent so far, for the run's log: a line's message and its
  /// fields, or nil for a storage that sends none (a folder, memory).
  var requestReport: (message: String, fields: [String: String])? { get }

  /// The stored bytes of `file`. A file larger than `maximumSize` is
  /// refused as damaged (`.corrupted`) before it is read, so memory never
  /// depends on what a damaged or hostile repository holds.
  func read(_ file: StorageFile, maximumSize: Int) async throws -> [UInt8]

  /// The stored size of `file`, or nil when it does not exist.
  func size(of file: StorageFile) async throws -> UInt64?

  /// The files of `kind`, in no particular order. For objects, `prefix`
  /// names one of the 256 two-hex-digit groups (`"00"` … `"ff"`) so that
  /// callers can list in parallel and hold one group at a time; for other
  /// kinds it filters names by prefix. Names that cannot be a file of that
  /// kind (pending files, stray names) are not listed.
  func list(_ kind: StorageKind, prefix: String) async throws -> [StorageEntry]

  /// Removes files of one kind; removing an absent file is not an error.
  func delete(_ kind: StorageKind, _ names: [String]) async throws

  /// Makes every object this storage wrote as pending durable, then
  /// visible, in one pass (not one flush per object). A backup commits in
  /// batches while it still writes: a commit may run while `write`s of
  /// other objects are in flight, and publishes only those whose `write`
  /// returned before it started. Commits are never run two at once.
  func commit() async throws

  /// Removes what interrupted writes of this storage left behind (pending
  /// objects and temporary files) and returns how many files and bytes;
  /// `onlyOwn` limits it to this process's own pending files, for a run
  /// that failed and cleans up after itself while others may be writing.
  func removeLeftovers(onlyOwn: Bool) async throws -> Leftovers

  /// Takes the repository lock, waiting up to `wait` (calling `onWait` once
  /// with a message when it has to wait). The lock is held until
  /// `release()` is called or the process ends.
  func lock(_ mode: StorageLockMode, wait: Duration, onWait: @Sendable (String) -> Void) async throws
    -> any StorageLock

  /// Appends one line (without its newline) to the log kept in the
  /// repository. Never throws: logging must not be why a backup fails.
  func appendLog(_ line: [UInt8]) async

  /// Moves `file` to `destination` (another kind, such as quarantine) with
  /// its bytes unchanged, however damaged or large they are; the source is
  /// gone and the destination durable when the call returns. Returns false,
  /// moving nothing, when `destination` exists; throws `.notFound` when
  /// `file` does not.
  func move(_ file: StorageFile, to destination: StorageFile) async throws -> Bool
}

extension RepositoryStorage {
  public var checksExistenceCheaply: Bool { true }

  public var requestReport: (message: String, fields: [String: String])? { nil }

  public var parallelReads: Int { ProcessInfo.processInfo.activeProcessorCount }

  /// The most a move through `read` and `write` holds in memory.
  public static var copyingMoveLimit: Int { 1 << 30 }

  /// A move through the protocol: read, write as new, then delete the
  /// source. Storages that can rename (a local folder) do better.
  public func move(_ file: StorageFile, to destination: StorageFile) async throws -> Bool {
    try await copyingMove(file, to: destination)
  }

  /// The move of `move(_:to:)` done by copying: read whole, written with
  /// `ifAbsent`, then the source deleted.
  public func copyingMove(_ file: StorageFile, to destination: StorageFile) async throws -> Bool {
    let bytes = try await read(file, maximumSize: Self.copyingMoveLimit)
    guard try await write(destination, bytes, ifAbsent: true) else { return false }
    try await delete(file.kind, [file.name])
    return true
  }
}

/// What `removeLeftovers` removed, and what it left alone.
public struct Leftovers: Sendable, Equatable {
  public var files = 0
  public var bytes: UInt64 = 0
  /// Things under a leftover's name that are not files (a directory, say):
  /// not ours to remove, so skipped and reported.
  public var skipped: [String] = []

  public init(files: Int = 0, bytes: UInt64 = 0, skipped: [String] = []) {
    self.files = files
    self.bytes = bytes
    self.skipped = skipped
  }
}

/// Shared locks (backup, restore, check) exclude exclusive ones (forget, gc).
public enum StorageLockMode: String, Sendable {
  case shared
  case exclusive
}

/// A held repository lock.
public protocol StorageLock: Sendable {
  func release() async
}
