import Foundation
import Synchronization
import Testing

@testable import Cairn
@testable import CairnS3

/// S3-specific behaviour against the test gateway: clear errors for what
/// users get wrong, retries through injected faults, counters, lock refresh.
/// Without CAIRN_TEST_S3_ENDPOINT these are skipped (visibly), except in CI
/// (CI=true), where they run and fail with the reason.
@Suite(
  .enabled(
    if: S3TestServer.endpoint != nil || ProcessInfo.processInfo.environment["CI"] == "true",
    "CAIRN_TEST_S3_ENDPOINT is not set: S3 tests skipped (eval \"$(Tests/S3/start-ceph.sh)\" to run them)"))
struct S3StorageTests {
  /// Quick retries, so that fault tests take milliseconds.
  static var fastRetries: S3Options {
    var options = S3Options()
    options.maxAttempts = 5
    options.retryBaseDelay = .milliseconds(5)
    options.retryMaxDelay = .milliseconds(50)
    return options
  }

  private func expectCairnError(
    _ code: CairnError.Code, containing parts: [String], sourceLocation: SourceLocation = #_sourceLocation,
    _ body: () async throws -> Void
  ) async {
    do {
      try await body()
      Issue.record("expected an error", sourceLocation: sourceLocation)
    } catch let error as CairnError {
      #expect(error.code == code, "\(error)", sourceLocation: sourceLocation)
      for part in parts {
        #expect("\(error)".contains(part), "'\(part)' missing from: \(error)", sourceLocation: sourceLocation)
      }
      #expect(!"\(error)".contains("\n"), "one line: \(error)", sourceLocation: sourceLocation)
    } catch {
      Issue.record("expected a CairnError, got \(error)", sourceLocation: sourceLocation)
    }
  }

  @Test func theGatewayIsConfigured() throws {
    _ = try S3TestServer.requireEndpoint()
  }

  @Test func aWrongSecretIsAClearError() async throws {
    let storage = try S3TestServer.makeStorage(secret: "not-the-secret", options: Self.fastRetries)
    await expectCairnError(
      .invalidArgument, containing: ["the S3 server refused the credentials", "SignatureDoesNotMatch"]
    ) {
      try await storage.write(StorageFile(.snapshots, "x"), [1], ifAbsent: true)
    }
    #expect(storage.requestCounts.retries == 0, "a refused signature is not retried")
    await expectCairnError(.invalidArgument, containing: ["refused the credentials"]) {
      try await storage.checkBucket()
    }
    try await storage.shutdown()
  }

  @Test func aMissingBucketIsAClearError() async throws {
    let storage = try S3TestServer.makeStorage(bucket: "no-such-bucket-for-cairn", options: Self.fastRetries)
    let endpoint = try S3TestServer.requireEndpoint()
    let expected = "bucket 'no-such-bucket-for-cairn' does not exist at \(endpoint): create it first"
    await expectCairnError(.invalidArgument, containing: [expected]) { try await storage.checkBucket() }
    await expectCairnError(.invalidArgument, containing: [expected]) {
      try await storage.write(.config, [1], ifAbsent: true)
    }
    await expectCairnError(.invalidArgument, containing: [expected]) {
      _ = try await storage.read(.config, maximumSize: 10)
    }
    await expectCairnError(.invalidArgument, containing: [expected]) {
      _ = try await storage.list(.snapshots, prefix: "")
    }
    try await storage.shutdown()
  }

  @Test func anUnreachableEndpointIsAClearError() async throws {
    var options = Self.fastRetries
    options.connectTimeout = .seconds(1)
    let storage = try S3TestServer.makeStorage(endpoint: "http://127.0.0.1:9", options: options)
    await expectCairnError(.io, containing: ["cannot reach the S3 server at http://127.0.0.1:9", "2 attempts"]) {
      _ = try await storage.read(.config, maximumSize: 10)
    }
    #expect(storage.requestCounts.get == 2)
    try await storage.shutdown()
  }

  @Test func retriesWinThroughErrorsDropsAndDelays() async throws {
    let proxy = try await FaultProxy(upstream: try S3TestServer.requireEndpoint())
    var options = Self.fastRetries
    options.requestTimeout = .seconds(2)
    let notices = Mutex<[String]>([])
    options.onRetry = { line in notices.withLock { $0.append(line) } }
    let storage = try S3TestServer.makeStorage(endpoint: proxy.endpoint, options: options)
    let file = StorageFile(.snapshots, "through-faults")

    proxy.inject(.internalError, count: 2)
    #expect(try await storage.write(file, [1, 2, 3], ifAbsent: true))
    proxy.inject(.slowDown)
    #expect(try await storage.read(file, maximumSize: 10) == [1, 2, 3])
    proxy.inject(.status(429, code: "TooManyRequests"))
    #expect(try await storage.size(of: file) == 3)
    proxy.inject(.drop)
    #expect(try await storage.list(.snapshots, prefix: "").map(\.name) == ["through-faults"])
    proxy.inject(.delay(.seconds(3)))  // longer than the request timeout: the attempt times out
    #expect(try await storage.read(file, maximumSize: 10) == [1, 2, 3])
    proxy.inject(.delay(.milliseconds(200)))
    #expect(try await storage.read(file, maximumSize: 10) == [1, 2, 3])

    // The server stores the record but the answer is lost: the retry's 412
    // is our own first attempt, which the storage recognises.
    let record = StorageFile(.snapshots, "answer-lost")
    proxy.inject(.dropAfterForwarding)
    #expect(try await storage.write(record, [4, 5], ifAbsent: true))
    #expect(try await !storage.write(record, [4, 5], ifAbsent: true), "a second writer still loses")

    proxy.inject(.internalError)
    try await storage.delete(.snapshots, [file.name, record.name])
    #expect(try await storage.list(.snapshots, prefix: "").isEmpty)
    #expect(storage.requestCounts.retries >= 8)
    // Every retry was told, in one line naming the request and the failure.
    let told = notices.withLock { $0 }
    #expect(told.count == storage.requestCounts.retries, "\(told)")
    #expect(told.first?.hasPrefix("S3 PUT of snapshots/through-faults failed (HTTP 500") == true, "\(told)")
    #expect(told.contains { $0.contains("HTTP 503 SlowDown") && $0.contains("attempt 2 of 5 in ") }, "\(told)")
    #expect(told.allSatisfy { !$0.contains("\n") })
    await S3TestServer.dispose(storage)
    await proxy.shutdown()
  }

  /// DeleteObjects answers 200 and lists the keys it could not delete: those
  /// are sent again, unless the server refused them.
  @Test func keysADeleteDidNotRemoveAreRetried() async throws {
    let proxy = try await FaultProxy(upstream: try S3TestServer.requireEndpoint())
    var options = Self.fastRetries
    options.maxAttempts = 3
    let storage = try S3TestServer.makeStorage(endpoint: proxy.endpoint, options: options)
    let names = ["a", "b"]
    for name in names { _ = try await storage.write(StorageFile(.locks, name), [1], ifAbsent: true) }

    proxy.inject(.deleteKeyError(code: "UnknownError"))
    let before = proxy.requestCount
    try await storage.delete(.locks, names)
    #expect(proxy.requestCount == before + 2, "one failed answer, one retry")
    #expect(try await storage.list(.locks, prefix: "").isEmpty)

    for name in names { _ = try await storage.write(StorageFile(.locks, name), [1], ifAbsent: true) }
    proxy.always(.deleteKeyError(code: "InternalError"))
    await expectCairnError(.io, containing: ["did not delete 2 of 2 files", "InternalError", "after 3 attempts"]) {
      try await storage.delete(.locks, names)
    }
    proxy.always(.deleteKeyError(code: "AccessDenied"))
    let refusedFrom = proxy.requestCount
    await expectCairnError(.io, containing: ["did not delete 2 of 2 files", "AccessDenied"]) {
      try await storage.delete(.locks, names)
    }
    #expect(proxy.requestCount == refusedFrom + 1, "a refusal is not retried")
    proxy.always(nil)
    #expect(try await storage.list(.locks, prefix: "").count == 2, "nothing was deleted behind the errors")
    await S3TestServer.dispose(storage)
    await proxy.shutdown()
  }

  @Test func aServerThatKeepsFailingGivesACleanError() async throws {
    let proxy = try await FaultProxy(upstream: try S3TestServer.requireEndpoint())
    var options = Self.fastRetries
    options.maxAttempts = 4
    let storage = try S3TestServer.makeStorage(endpoint: proxy.endpoint, options: options)
    proxy.always(.slowDown)
    await expectCairnError(.io, containing: ["S3 PUT of snapshots/doomed", "after 4 attempts", "HTTP 503 SlowDown"]) {
      try await storage.write(StorageFile(.snapshots, "doomed"), [1], ifAbsent: true)
    }
    #expect(proxy.requestCount == 4)
    proxy.always(.drop)
    await expectCairnError(.io, containing: ["S3 GET of config", "after 4 attempts"]) {
      _ = try await storage.read(.config, maximumSize: 10)
    }
    proxy.always(nil)
    #expect(try await storage.size(of: StorageFile(.snapshots, "doomed")) == nil, "nothing half-written is left")
    await S3TestServer.dispose(storage)
    await proxy.shutdown()
  }

  @Test func aStorageDroppedWithoutShutdownClosesQuietly() async throws {
    do {
      let storage = try S3TestServer.makeStorage()
      #expect(try await storage.size(of: .config) == nil)
    }
    try await Task.sleep(for: .milliseconds(100))
  }

  @Test func requestsAreCountedByOperation() async throws {
    let storage = try S3TestServer.makeStorage()
    let file = StorageFile(.objects, objectName("ab", 1))
    try await storage.write(file, [1], ifAbsent: true)
    _ = try await storage.read(file, maximumSize: 10)
    _ = try await storage.size(of: file)
    _ = try await storage.list(.objects, prefix: "ab")
    try await storage.delete(.objects, [file.name])
    var expected = S3RequestCounts()
    (expected.put, expected.get, expected.head, expected.list, expected.delete) = (1, 1, 1, 1, 1)
    #expect(storage.requestCounts == expected)
    storage.resetRequestCounts()
    #expect(storage.requestCounts.total == 0)
    await S3TestServer.dispose(storage)
  }

  @Test func aHeldLockIsRefreshedAndSeenByOthers() async throws {
    var options = S3Options()
    options.staleLockAge = .seconds(2)
    options.lockRefreshInterval = .milliseconds(200)
    let holder = try S3TestServer.makeStorage(options: options)
    let other = S3Storage(
      location: holder.s3Location, credentials: try S3Credentials.fromEnvironment(), options: options)
    let lock = try await holder.lock(.exclusive, wait: .zero, onWait: { _ in })
    try await Task.sleep(for: .milliseconds(2600))  // longer than the stale age: only refreshes keep it alive
    await expectCairnError(.locked, containing: ["exclusive lock of", "pid \(getpid())"]) {
      _ = try await other.lock(.shared, wait: .zero, onWait: { _ in })
    }
    await lock.release()
    #expect(try await holder.list(.locks, prefix: "").isEmpty, "release removes the lock object")
    let shared = try await other.lock(.shared, wait: .zero, onWait: { _ in })
    #expect(try await holder.removeStaleLocks(all: false) == 0, "a live lock is not stale")
    #expect(try await holder.removeStaleLocks(all: true) == 1)
    await shared.release()
    try await other.shutdown()
    await S3TestServer.dispose(holder)
  }

  /// PUT 1000 × 64 KiB with 32 in flight, then GET them back; prints the
  /// rates. Set CAIRN_S3_BENCHMARK=1 to run it (CAIRN_S3_BENCHMARK_CONNECTIONS
  /// changes the number in flight).
  @Test(.enabled(if: ProcessInfo.processInfo.environment["CAIRN_S3_BENCHMARK"] == "1"))
  func throughput() async throws {
    var options = S3Options()
    options.connections = Int(ProcessInfo.processInfo.environment["CAIRN_S3_BENCHMARK_CONNECTIONS"] ?? "") ?? 32
    let storage = try S3TestServer.makeStorage(options: options)
    let count = 1000
    let blocks = (0..<count).map { index in testBytes(64 << 10, seed: UInt8(index % 251)) + [UInt8(index % 256)] }
    let names = blocks.map { SHA256.hash($0).hex }
    let clock = ContinuousClock()
    let putTime = try await clock.measure {
      try await withThrowingTaskGroup(of: Void.self) { group in
        for (name, block) in zip(names, blocks) {
          group.addTask { try await storage.write(StorageFile(.objects, name), block, ifAbsent: true) }
        }
        try await group.waitForAll()
      }
    }
    let getTime = try await clock.measure {
      try await withThrowingTaskGroup(of: Void.self) { group in
        for name in names {
          group.addTask { _ = try await storage.read(StorageFile(.objects, name), maximumSize: 1 << 20) }
        }
        try await group.waitForAll()
      }
    }
    let listTime = try await clock.measure { _ = try await storage.list(.objects, prefix: "") }
    func rate(_ time: Duration) -> String {
      String(
        format: "%.0f/s", Double(count) / (Double(time.components.seconds) + Double(time.components.attoseconds) / 1e18)
      )
    }
    print(
      "S3 throughput, \(options.connections) in flight: PUT \(count) x 64 KiB in \(putTime) (\(rate(putTime))), GET in \(getTime) (\(rate(getTime))), list in \(listTime); \(storage.requestCounts)"
    )
    await S3TestServer.dispose(storage)
  }
}
