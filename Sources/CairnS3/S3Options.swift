/// How an `S3Storage` talks to its server.
public struct S3Options: Sendable {
  /// At most this many requests in flight (`--connections`).
  public var connections = 32
  /// Attempts per request before giving up (the first one included).
  public var maxAttempts = 8
  /// Backoff between attempts: at least half of `base × 2^(attempt-2)` and at
  /// most all of it, capped at `retryMaxDelay` ("equal jitter").
  public var retryBaseDelay: Duration = .milliseconds(200)
  public var retryMaxDelay: Duration = .seconds(8)
  /// The time one request may take, from sending to the last byte of the answer.
  public var requestTimeout: Duration = .seconds(120)
  /// The time a new connection may take.
  public var connectTimeout: Duration = .seconds(5)
  /// A lock whose time was not refreshed for this long is stale and ignored.
  public var staleLockAge: Duration = .seconds(300)
  /// How often a held lock's time is refreshed.
  public var lockRefreshInterval: Duration = .seconds(60)
  /// The longest pause between two attempts to take a lock.
  public var lockRetryMaxDelay: Duration = .seconds(2)
  /// Told before each repeated attempt, in one line: the request, what went
  /// wrong, and when the next attempt goes. A stalled server costs up to
  /// `maxAttempts` × `requestTimeout` per request, so without this a run
  /// could wait many minutes without a word (the command line prints these
  /// as warnings, a few at most).
  public var onRetry: (@Sendable (String) -> Void)?

  public init() {}
}

/// HTTP requests an `S3Storage` sent, by operation (retries included), for
/// benchmarks and tests.
public struct S3RequestCounts: Hashable, Sendable, Codable, CustomStringConvertible {
  public var put = 0
  public var get = 0
  public var head = 0
  /// ListObjectsV2 pages.
  public var list = 0
  /// DeleteObjects batches.
  public var delete = 0
  /// Attempts that were repeated after a failure (already counted above).
  public var retries = 0

  public init() {}

  public var total: Int { put + get + head + list + delete }

  public var description: String {
    "PUT \(put), GET \(get), HEAD \(head), LIST \(list), DELETE \(delete) (retries \(retries))"
  }
}
