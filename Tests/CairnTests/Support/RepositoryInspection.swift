import Foundation
import Testing

@testable import Cairn

/// Looks inside a repository the way a test oracle should: straight from
/// the files, independently of the command under test.
struct RepositoryInspection {
  let path: String

  /// Every object file under objects/, with its size.
  func objects() throws -> [String: UInt64] {
    var result: [String: UInt64] = [:]
    let root = "\(path)/objects"
    for prefix in try FileManager.default.contentsOfDirectory(atPath: root) {
      for name in try FileManager.default.contentsOfDirectory(atPath: "\(root)/\(prefix)") where !name.hasPrefix(".") {
        let attributes = try FileManager.default.attributesOfItem(atPath: "\(root)/\(prefix)/\(name)")
        result[name] = (attributes[.size] as? NSNumber)?.uint64Value ?? 0
      }
    }
    return result
  }

  /// What interrupted writes leave: pending objects
  /// (`objects/xx/.<hex>.<suffix>.pending`) and temporary record files.
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
    try await Repository.open(at: path).snapshots()
  }

  /// The objects one snapshot references itself: its manifest parts and the
  /// blocks of the entries in its own manifest.
  func references(of record: SnapshotRecord) async throws -> Set<String> {
    let repository = try await Repository.open(at: path)
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
