import Foundation
import Testing

@testable import Cairn
@testable import CairnS3

/// A storage the conformance suite runs against, with what it promises
/// beyond the protocol and how to dispose of it.
struct StorageUnderTest: Sendable {
  let storage: any RepositoryStorage
  /// Objects stay pending, invisible to `read` and `list`, until `commit()`.
  let defersObjects: Bool
  /// Writes an exclusive lock that was last refreshed long ago, where the
  /// storage has lock objects that can go stale (S3); nil elsewhere.
  let plantStaleLock: (@Sendable () async throws -> Void)?
  let cleanup: @Sendable () async -> Void
}

/// How to make a fresh, empty storage of one kind. Every test of the
/// conformance suite runs once per factory in `StorageFactory.all`.
struct StorageFactory: Sendable, CustomTestStringConvertible {
  let name: String
  let make: @Sendable () async throws -> StorageUnderTest

  var testDescription: String { name }

  static let memory = StorageFactory(name: "memory") {
    StorageUnderTest(storage: MemoryStorage(), defersObjects: true, plantStaleLock: nil, cleanup: {})
  }

  static let s3 = StorageFactory(name: "s3") {
    let storage = try S3TestServer.makeStorage()
    return StorageUnderTest(
      storage: storage, defersObjects: false,
      plantStaleLock: {
        let old = Date().timeIntervalSince1970 - 3600
        let record = S3LockRecord(host: "elsewhere", pid: 1, mode: "exclusive", created: old, time: old)
        try await storage.write(StorageFile(.locks, "stale-lock"), record.encoded(), ifAbsent: true)
      },
      cleanup: { await S3TestServer.dispose(storage) })
  }

  static let local = StorageFactory(name: "local") {
    let directory = TemporaryDirectory("cairn-conformance")
    try RepositoryFolder.prepareForInit(directory.sub("repo"))
    return StorageUnderTest(
      storage: try LocalStorage(root: directory.sub("repo")), defersObjects: true, plantStaleLock: nil,
      cleanup: { withExtendedLifetime(directory) {} })
  }

  /// The local folder seen through the fault-injecting wrapper with no fault
  /// planned: the wrapper must change nothing.
  static let faultyLocal = StorageFactory(name: "faulty(local)") {
    let directory = TemporaryDirectory("cairn-conformance")
    try RepositoryFolder.prepareForInit(directory.sub("repo"))
    return StorageUnderTest(
      storage: FaultyStorage(wrapping: try LocalStorage(root: directory.sub("repo"))), defersObjects: true,
      plantStaleLock: nil, cleanup: { withExtendedLifetime(directory) {} })
  }

  static let all: [StorageFactory] = [.memory, .local, .faultyLocal, .s3]
}

/// The S3 server of the tests: Ceph's RADOS Gateway started by
/// Tests/S3/start-ceph.sh, whose `export` lines name it.
enum S3TestServer {
  static var environment: [String: String] { ProcessInfo.processInfo.environment }

  static var endpoint: String? {
    environment["CAIRN_TEST_S3_ENDPOINT"].flatMap { $0.isEmpty ? nil : $0 }
  }

  static var bucket: String { environment["CAIRN_TEST_S3_BUCKET"] ?? "cairn-test" }

  /// The endpoint, or: in CI (CI=true) a failure with the reason, elsewhere
  /// a visible skip of the current test.
  static func requireEndpoint() throws -> String {
    if let endpoint { return endpoint }
    if environment["CI"] == "true" {
      throw S3TestSetupError(
        "CAIRN_TEST_S3_ENDPOINT is not set in CI: .ci/run must start Tests/S3/start-ceph.sh and eval its exports")
    }
    try Test.cancel(
      "S3 case skipped: CAIRN_TEST_S3_ENDPOINT is not set (run eval \"$(Tests/S3/start-ceph.sh)\" first)")
  }

  /// A storage under a fresh random prefix of the test bucket.
  static func makeStorage(
    endpoint override: String? = nil, bucket bucketOverride: String? = nil, secret: String? = nil,
    options: S3Options = S3Options()
  ) throws -> S3Storage {
    let endpoint = try override ?? requireEndpoint()
    var environment = environment
    if let secret { environment["AWS_SECRET_ACCESS_KEY"] = secret }
    let url = "s3:\(endpoint)/\(bucketOverride ?? bucket)/test-\(UInt64.random(in: 0...UInt64.max))"
    return try S3Storage(url: url, environment: environment, options: options)
  }

  /// Removes everything under the storage's prefix and closes it.
  static func dispose(_ storage: S3Storage) async {
    let prefix = storage.s3Location.prefix
    if !prefix.isEmpty, let keys = try? await storage.listKeys(prefix: prefix + "/") {
      try? await storage.deleteKeys(keys.map(\.key))
    }
    try? await storage.shutdown()
  }
}

struct S3TestSetupError: Error, CustomStringConvertible {
  let description: String
  init(_ description: String) { self.description = description }
}

/// Runs `body` on a fresh storage from `factory`, then disposes of it.
func withStorage(
  _ factory: StorageFactory, _ body: (StorageUnderTest) async throws -> Void
) async throws {
  let sut = try await factory.make()
  do {
    try await body(sut)
  } catch {
    await sut.cleanup()
    throw error
  }
  await sut.cleanup()
}

/// Deterministic test bytes.
func testBytes(_ count: Int, seed: UInt8 = 1) -> [UInt8] {
  (0..<count).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ Int(seed) &* 7) }
}

/// A 64-hex-digit object name starting with `prefix`.
func objectName(_ prefix: String, _ index: Int) -> String {
  let tail = String(index, radix: 16)
  return prefix + String(repeating: "0", count: 64 - prefix.count - tail.count) + tail
}
