import Foundation
import Testing

@testable import Cairn

/// Looks inside a repository the way a test oracle should: independently
/// of the command under test, and through the library, never by building
/// `objects/ab/<sha256 of a block>` itself (that breaks under keyed names
/// and compression). The repository is opened over `LocalStorage` with the
/// test password (`RepositoryKind.password`), which a plain repository never
/// asks for. Damage is done to the stored file the library names.
struct RepositoryInspection {
  let path: String

  /// The repository, opened as `cairn` opens it.
  func open() async throws -> Repository {
    try await Repository.open(at: path, password: { RepositoryKind.password })
  }

  /// Every object the storage lists, with its stored size.
  func objects() async throws -> [String: UInt64] {
    let store = try await open().store
    var result: [String: UInt64] = [:]
    try await store.forEachObject { id, size in result[id.hex] = size }
    return result
  }

  /// The names of every object the storage lists.
  func objectNames() async throws -> Set<String> { Set(try await objects().keys) }

  /// The names of the objects that are not manifest parts of any snapshot: the data.
  func dataObjectNames() async throws -> Set<String> {
    let parts = try await records().flatMap { try $0.manifestObjects().map(\.hex) }
    return try await objectNames().subtracting(parts)
  }

  /// The name the repository gives to `bytes` stored as one object.
  func name(of bytes: [UInt8]) async throws -> String {
    let store = try await open().store
    return bytes.withUnsafeBytes { store.address(of: $0).hex }
  }

  /// The names of the blocks the file at `file` is cut into (the
  /// repository's block size), in order: the objects a file too large to be
  /// bundled is stored as.
  func blockNames(ofFile file: String) async throws -> [String] {
    let repository = try await open()
    let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: file)))
    let blockSize = repository.config.blockSize
    return stride(from: 0, to: bytes.count, by: blockSize).map { start in
      bytes[start..<min(start + blockSize, bytes.count)].withUnsafeBytes { repository.store.address(of: $0).hex }
    }
  }

  /// Whether the storage holds object `name`.
  func contains(_ name: String) async throws -> Bool {
    let id = try #require(ObjectID(hex: name), "'\(name)' is not an object name")
    return try await open().store.storedSize(of: id) != nil
  }

  /// The file in which the local storage keeps object `name`.
  func storedFile(of name: String) -> String {
    "\(path)/\(StorageFile(.objects, name).relativePath)"
  }

  /// What a test can do to the stored bytes of an object.
  enum Damage {
    /// Every bit of the byte at this offset of the stored file inverted.
    case flipByte(at: Int)
    /// The stored file cut to this many bytes.
    case truncate(to: Int)
    /// The stored file removed.
    case delete
  }

  /// Damages the stored file of object `name` (made writable for the
  /// change, its mode put back after).
  func damage(_ name: String, _ damage: Damage) throws {
    let file = storedFile(of: name)
    let manager = FileManager.default
    if case .delete = damage {
      try manager.removeItem(atPath: file)
      return
    }
    let mode = try manager.attributesOfItem(atPath: file)[.posixPermissions] as? NSNumber
    try manager.setAttributes([.posixPermissions: 0o644], ofItemAtPath: file)
    var bytes = try Data(contentsOf: URL(fileURLWithPath: file))
    switch damage {
    case .flipByte(let offset):
      try #require(offset < bytes.count, "object '\(name)' is only \(bytes.count) bytes stored")
      bytes[offset] ^= 0xFF
    case .truncate(let size):
      try #require(size < bytes.count, "object '\(name)' is only \(bytes.count) bytes stored")
      bytes = bytes.prefix(size)
    case .delete:
      break
    }
    try bytes.write(to: URL(fileURLWithPath: file))
    try manager.setAttributes([.posixPermissions: mode ?? 0o444], ofItemAtPath: file)
  }

  /// What interrupted writes leave: pending objects
  /// (`objects/xx/.<hex>.<suffix>.pending`) and temporary record files.
  /// Read from the folder: the storage hides them by design.
  func leftovers() throws -> [String] {
    var result = try FileManager.default.contentsOfDirectory(atPath: "\(path)/snapshots").filter { $0.hasPrefix(".") }
      .map { "snapshots/\($0)" }
    let root = "\(path)/objects"
    for prefix in try FileManager.default.contentsOfDirectory(atPath: root) {
      for name in try FileManager.default.contentsOfDirectory(atPath: "\(root)/\(prefix)") where name.hasPrefix(".") {
        result.append("objects/\(prefix)/\(name)")
      }
    }
    return result
  }

  /// Snapshot records, oldest first.
  func records() async throws -> [SnapshotRecord] {
    try await open().snapshots()
  }

  /// The objects one snapshot references itself: its manifest parts and the
  /// blocks of the entries in its own manifest.
  func references(of record: SnapshotRecord) async throws -> Set<String> {
    let repository = try await open()
    let parts = try record.manifestObjects()
    var result = Set(parts.map(\.hex))
    var reader = ManifestReader(store: repository.store, parts: parts)
    while let entry = try await reader.next() {
      for block in entry.blocks { result.insert(block.hex) }
    }
    return result
  }
}

/// Runs `cairn` and says whether it was killed by a signal (for the crash tests).
func runCairnAllowingCrash(_ arguments: [String], environment: [String: String]) throws -> (
  status: Int32, killedBySignal: Bool
) {
  let process = Process()
  process.executableURL = URL(fileURLWithPath: Cairn.binary)
  process.arguments = arguments
  var merged = ProcessInfo.processInfo.environment
  merged.removeValue(forKey: "CAIRN_REPO")
  for (key, value) in environment { merged[key] = value }
  process.environment = merged
  process.standardOutput = FileHandle.nullDevice
  process.standardError = FileHandle.nullDevice
  try process.run()
  process.waitUntilExit()
  return (process.terminationStatus, process.terminationReason == .uncaughtSignal)
}

/// Starts `cairn` in the background with stderr going to a file; returns the process.
func startCairn(_ arguments: [String], environment: [String: String] = [:], stderrPath: String) throws -> Process {
  let process = Process()
  process.executableURL = URL(fileURLWithPath: Cairn.binary)
  process.arguments = arguments
  var merged = ProcessInfo.processInfo.environment
  merged.removeValue(forKey: "CAIRN_REPO")
  for (key, value) in environment { merged[key] = value }
  process.environment = merged
  _ = FileManager.default.createFile(atPath: stderrPath, contents: nil)
  process.standardOutput = FileHandle.nullDevice
  process.standardError = try FileHandle(forWritingTo: URL(fileURLWithPath: stderrPath))
  try process.run()
  return process
}

/// Waits (polling, at most `timeout` seconds) until `path` contains `text`.
func waitForText(_ text: String, in path: String, timeout: Double = 30) -> Bool {
  let deadline = Date().addingTimeInterval(timeout)
  while Date() < deadline {
    if let data = FileManager.default.contents(atPath: path), String(decoding: data, as: UTF8.self).contains(text) {
      return true
    }
    Thread.sleep(forTimeInterval: 0.02)
  }
  return false
}

/// Parses a command's JSON output into a dictionary.
func jsonObject(_ text: String) throws -> [String: Any] {
  let value = try JSONSerialization.jsonObject(with: Data(text.utf8))
  guard let object = value as? [String: Any] else { throw JSONShapeError(text: text) }
  return object
}

func jsonArray(_ text: String) throws -> [[String: Any]] {
  let value = try JSONSerialization.jsonObject(with: Data(text.utf8))
  guard let array = value as? [[String: Any]] else { throw JSONShapeError(text: text) }
  return array
}

struct JSONShapeError: Error, CustomStringConvertible {
  let text: String
  var description: String { "unexpected JSON shape: \(text.prefix(300))" }
}

/// A point where a `cairn` process holds (`CAIRN_HOLD_AT`, debug builds)
/// until the test creates the release file.
struct HoldPoint {
  let name: String
  let releaseFile: String

  /// A hold at `name` released by a fresh file in `directory`.
  init(_ name: String, in directory: String) {
    self.name = name
    releaseFile = "\(directory)/release-\(name)-\(UUID().uuidString)"
  }

  var environment: [String: String] { ["CAIRN_HOLD_AT": "\(name):\(releaseFile)"] }

  /// Lets the held process go on.
  func release() {
    _ = FileManager.default.createFile(atPath: releaseFile, contents: nil)
  }
}
