internal import AsyncHTTPClient
public import Cairn
internal import Foundation
internal import NIOCore
internal import NIOHTTP1
import Synchronization

/// A repository in an S3-compatible bucket (AWS S3, Ceph RGW, MinIO, B2…),
/// under a key prefix, laid out like a local repository
/// (`PREFIX/objects/ab/<name>`, `PREFIX/snapshots/<name>`, …).
///
/// Requests are signed with SigV4 and carry the payload's SHA-256; at most
/// `options.connections` are in flight; failures that may pass (5xx, 429,
/// SlowDown, timeouts, dropped connections) are retried with exponential
/// backoff and jitter, a bounded number of times. A successful PUT is
/// durable, so nothing is pending and `commit()` has nothing to do.
///
/// One `HTTPClient` serves every request of a storage; call `shutdown()`
/// when done with it (a storage dropped without it closes its connections
/// in the background).
public final class S3Storage: RepositoryStorage {
  public let s3Location: S3Location
  public let options: S3Options
  let signer: SigV4Signer
  let http: HTTPClient
  let limiter: AsyncLimiter
  let counts = Mutex(S3RequestCounts())
  private let isShutDown = Mutex(false)
  let hostName: String
  let processID: Int32

  public var location: String { s3Location.description }

  /// Every existence check is a request: backups list the objects once instead.
  public var checksExistenceCheaply: Bool { false }

  /// Each read waits a round trip: as many as there are connections.
  public var parallelReads: Int { options.connections }

  public init(location: S3Location, credentials: S3Credentials, options: S3Options = S3Options()) {
    self.s3Location = location
    self.options = options
    self.signer = SigV4Signer(credentials: credentials)
    var configuration = HTTPClient.Configuration()
    configuration.timeout = .init(
      connect: .nanoseconds(Int64(options.connectTimeout.wholeNanoseconds)),
      read: .nanoseconds(Int64(options.requestTimeout.wholeNanoseconds)))
    configuration.connectionPool = .init(
      idleTimeout: .seconds(60), concurrentHTTP1ConnectionsPerHostSoftLimit: max(1, options.connections))
    configuration.decompression = .disabled
    configuration.redirectConfiguration = .disallow
    self.http = HTTPClient(eventLoopGroup: HTTPClient.defaultEventLoopGroup, configuration: configuration)
    self.limiter = AsyncLimiter(limit: options.connections)
    self.hostName = ProcessInfo.processInfo.hostName
    self.processID = ProcessInfo.processInfo.processIdentifier
  }

  /// A storage for `s3:http[s]://HOST[:PORT]/BUCKET[/PREFIX]` with credentials
  /// from the environment (`S3Credentials.fromEnvironment`).
  public convenience init(
    url: String, environment: [String: String]? = nil, forcePathStyle: Bool = false,
    options: S3Options = S3Options()
  ) throws(CairnError) {
    let location = try S3Location(parsing: url, forcePathStyle: forcePathStyle)
    let credentials = try S3Credentials.fromEnvironment(environment)
    self.init(location: location, credentials: credentials, options: options)
  }

  /// A storage dropped without `shutdown()` (say, by a test that failed
  /// half-way) closes its connections in the background.
  deinit {
    if !isShutDown.withLock({ $0 }) {
      let closing: EventLoopFuture<Void> = http.shutdown()
      _ = closing
    }
  }

  /// Closes the connections. The storage cannot be used afterwards.
  public func shutdown() async throws {
    let first = isShutDown.withLock { done in
      defer { done = true }
      return !done
    }
    if first { try await http.shutdown() }
  }

  /// The requests sent so far.
  public var requestCounts: S3RequestCounts { counts.withLock { $0 } }

  public var requestReport: (message: String, fields: [String: String])? {
    let counts = requestCounts
    return (
      "S3 requests",
      [
        "put": "\(counts.put)", "get": "\(counts.get)", "head": "\(counts.head)", "list": "\(counts.list)",
        "delete": "\(counts.delete)", "retries": "\(counts.retries)",
      ]
    )
  }

  public func resetRequestCounts() { counts.withLock { $0 = S3RequestCounts() } }

  /// Checks that the bucket exists and the credentials are accepted, with a
  /// clear error when not (for `init` and for a first contact).
  public func checkBucket() async throws {
    let response = try await send(.list, key: nil, query: [("list-type", "2"), ("max-keys", "1")], what: "bucket")
    try check(response, .list, what: "the bucket")
  }

  // MARK: RepositoryStorage

  @discardableResult
  public func write(_ file: StorageFile, _ bytes: [UInt8], ifAbsent: Bool) async throws -> Bool {
    let key = s3Location.key(file.relativePath)
    var headers: [(String, String)] = [("content-type", "application/octet-stream")]
    if ifAbsent { headers.append(("if-none-match", "*")) }
    let response = try await send(.put, key: key, headers: headers, body: bytes, what: file.relativePath)
    if ifAbsent && (response.status == 412 || (response.status == 409 && response.code == "ConditionalRequestConflict"))
    {
      // After a lost answer, the 412 may be our own earlier attempt: compare.
      if response.afterAmbiguousFailure,
        let stored = try? await read(file, maximumSize: bytes.count), stored == bytes
      {
        return true
      }
      return false
    }
    try check(response, .put, what: "'\(file.relativePath)'")
    return true
  }

  public func read(_ file: StorageFile, maximumSize: Int) async throws -> [UInt8] {
    let key = s3Location.key(file.relativePath)
    let response = try await send(.get, key: key, refuseAbove: maximumSize, what: file.relativePath)
    if response.status == 404 && response.code != "NoSuchBucket" {
      throw CairnError(.notFound, "'\(file.relativePath)' does not exist in \(location)")
    }
    try check(response, .get, what: "'\(file.relativePath)'")
    return response.body
  }

  public func size(of file: StorageFile) async throws -> UInt64? {
    let key = s3Location.key(file.relativePath)
    let response = try await send(.head, key: key, what: file.relativePath)
    if response.status == 404 { return nil }
    try check(response, .head, what: "'\(file.relativePath)'")
    guard let length = response.headers.first(name: "content-length").flatMap({ UInt64($0) }) else {
      throw CairnError(.io, "the S3 server gave no size for '\(file.relativePath)' in \(location)")
    }
    return length
  }

  public func list(_ kind: StorageKind, prefix: String) async throws -> [StorageEntry] {
    let base = s3Location.prefix.isEmpty ? "" : s3Location.prefix + "/"
    let listPrefix: String
    switch kind {
    case .config: listPrefix = base + "config"
    case .objects: listPrefix = base + "objects/" + (prefix.count >= 2 ? "\(prefix.prefix(2))/\(prefix)" : prefix)
    default: listPrefix = base + "\(kind.rawValue)/\(prefix)"
    }
    var entries: [StorageEntry] = []
    for item in try await listKeys(prefix: listPrefix) {
      guard item.key.hasPrefix(base) else { continue }
      let relative = item.key.dropFirst(base.count)
      let parts = relative.split(separator: "/", omittingEmptySubsequences: false)
      let name: Substring
      switch kind {
      case .config:
        guard relative == "config" else { continue }
        name = "config"
      case .objects:
        guard parts.count == 3, parts[0] == "objects", parts[1].count == 2, parts[2].hasPrefix(parts[1]) else {
          continue
        }
        name = parts[2]
      default:
        guard parts.count == 2, parts[0] == kind.rawValue, !parts[1].isEmpty else { continue }
        name = parts[1]
      }
      guard name.hasPrefix(prefix) else { continue }
      entries.append(StorageEntry(name: String(name), size: item.size))
    }
    return entries
  }

  public func delete(_ kind: StorageKind, _ names: [String]) async throws {
    let keys = names.map { s3Location.key(StorageFile(kind, $0).relativePath) }
    try await deleteKeys(keys)
  }

  /// Nothing is pending on S3: a successful PUT is durable and visible.
  public func commit() async throws {}

  /// S3 uploads are whole or absent (no multipart uploads here), so nothing is left over.
  public func removeLeftovers(onlyOwn: Bool) async throws -> Leftovers { Leftovers() }

  public func lock(_ mode: StorageLockMode, wait: Duration, onWait: @Sendable (String) -> Void) async throws
    -> any StorageLock
  {
    try await takeLock(mode, wait: wait, onWait: onWait)
  }

  /// Writes the line as one small object under `log/`, named by time (so
  /// names sort as the lines were written) and a random suffix.
  public func appendLog(_ line: [UInt8]) async {
    let now = Date().timeIntervalSince1970
    let nanos = Int64((now - now.rounded(.down)) * 1e9)
    let fraction = String(String(nanos).reversed()).padding(toLength: 9, withPad: "0", startingAt: 0)
    let name =
      SigV4Signer.amzDate(secondsSince1970: Int64(now.rounded(.down))).dropLast()
      + ".\(String(fraction.reversed()))Z-\(Self.randomHex(bytes: 4))"
    _ = try? await write(StorageFile(.log, String(name)), line + [0x0A], ifAbsent: true)
  }

  // MARK: Listing and deleting keys

  struct ListedKey {
    let key: String
    let size: UInt64
  }

  /// Every key under `prefix`, through paginated ListObjectsV2.
  func listKeys(prefix: String) async throws -> [ListedKey] {
    var out: [ListedKey] = []
    var token: String?
    repeat {
      var query: [(String, String)] = [("list-type", "2"), ("prefix", prefix), ("max-keys", "1000")]
      if let token { query.append(("continuation-token", token)) }
      let response = try await send(.list, key: nil, query: query, what: "list of '\(prefix)'")
      try check(response, .list, what: "the list of '\(prefix)'")
      let xml = Substring(String(decoding: response.body, as: UTF8.self))
      for block in S3XML.blocks("Contents", in: xml) {
        guard let key = S3XML.value("Key", in: block) else { continue }
        let size = S3XML.value("Size", in: block).flatMap { UInt64($0) } ?? 0
        out.append(ListedKey(key: key, size: size))
      }
      let truncated = S3XML.value("IsTruncated", in: xml) == "true"
      token = truncated ? S3XML.value("NextContinuationToken", in: xml) : nil
      if truncated && token == nil {
        throw CairnError(.io, "the S3 server cut the list of '\(prefix)' short without a continuation token")
      }
    } while token != nil
    return out
  }

  /// Deletes keys with DeleteObjects, 1000 per request; absent keys are fine.
  func deleteKeys(_ keys: [String]) async throws {
    guard !keys.isEmpty else { return }
    let batches = stride(from: 0, to: keys.count, by: 1000).map { Array(keys[$0..<min($0 + 1000, keys.count)]) }
    try await withThrowingTaskGroup(of: Void.self) { group in
      for batch in batches {
        group.addTask { try await self.deleteBatch(batch) }
      }
      try await group.waitForAll()
    }
  }

  /// One DeleteObjects request per attempt; the keys the server could not
  /// delete are sent again, with the same backoff as a failed request, unless
  /// it refused them (AccessDenied). Ceph's gateway answers a delete that
  /// races a rewrite of the same key (a lock being refreshed) with a per-key
  /// UnknownError that passes on a second try.
  private func deleteBatch(_ keys: [String]) async throws {
    var remaining = keys
    var attempt = 1
    while true {
      let failures = try await deleteOnce(remaining)
      guard let first = failures.first else { return }
      let refused = failures.contains { $0.code == "AccessDenied" }
      if refused || attempt >= max(1, options.maxAttempts) {
        throw CairnError(
          .io,
          "the S3 server did not delete \(failures.count) of \(remaining.count) files in \(location), "
            + "first '\(first.key)': \(first.code) \(first.message)"
            + (attempt > 1 ? " (after \(attempt) attempts)" : ""))
      }
      attempt += 1
      try await pauseBeforeRetry(
        attempt: attempt,
        after: "the S3 server did not delete \(failures.count) of \(remaining.count) files "
          + "(first '\(first.key)': \(first.code))")
      remaining = failures.map(\.key)
    }
  }

  private struct DeleteFailure {
    let key: String
    let code: String
    let message: String
  }

  /// Sends one DeleteObjects request; returns the keys it did not delete
  /// (an absent key counts as deleted).
  private func deleteOnce(_ keys: [String]) async throws -> [DeleteFailure] {
    var xml = "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Delete><Quiet>true</Quiet>"
    for key in keys { xml += "<Object><Key>\(S3XML.escape(key))</Key></Object>" }
    xml += "</Delete>"
    let body = Array(xml.utf8)
    let headers = [("content-type", "application/xml"), ("content-md5", S3Digest.base64(S3Digest.md5(body)))]
    let what = keys.count == 1 ? "'\(keys[0])'" : "\(keys.count) files"
    let response = try await send(.delete, key: nil, query: [("delete", "")], headers: headers, body: body, what: what)
    try check(response, .delete, what: what)
    let answer = Substring(String(decoding: response.body, as: UTF8.self))
    return S3XML.blocks("Error", in: answer).compactMap { block in
      let code = S3XML.value("Code", in: block) ?? "?"
      guard code != "NoSuchKey" else { return nil }
      return DeleteFailure(
        key: S3XML.value("Key", in: block) ?? "?", code: code,
        message: S3XML.value("Message", in: block) ?? "")
    }
  }

  static func randomHex(bytes: Int) -> String {
    S3Digest.hex((0..<bytes).map { _ in UInt8.random(in: 0...255) })
  }
}
