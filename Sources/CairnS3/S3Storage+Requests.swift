internal import AsyncHTTPClient
import Cairn
internal import Foundation
internal import NIOCore
internal import NIOHTTP1
import Synchronization

/// The kinds of request, as counted.
enum S3Operation: String, Sendable {
  case put = "PUT"
  case get = "GET"
  case head = "HEAD"
  case list = "LIST"
  case delete = "DELETE"

  var method: HTTPMethod {
    switch self {
    case .put: .PUT
    case .get, .list: .GET
    case .head: .HEAD
    case .delete: .POST
    }
  }
}

/// A final answer (after retries) from the server.
struct S3Response: Sendable {
  let status: Int
  let headers: HTTPHeaders
  let body: [UInt8]
  /// An earlier attempt failed in a way that leaves unknown whether the
  /// server carried it out (a dropped connection or a timeout).
  let afterAmbiguousFailure: Bool

  /// The `<Code>` of an error answer, if any.
  var code: String? {
    guard status >= 300, !body.isEmpty else { return nil }
    return S3XML.value("Code", in: Substring(String(decoding: body, as: UTF8.self)))
  }

  var message: String? {
    guard status >= 300, !body.isEmpty else { return nil }
    return S3XML.value("Message", in: Substring(String(decoding: body, as: UTF8.self)))
  }
}

extension S3Storage {
  /// Sends one request, retrying what may pass: 5xx, 429, SlowDown,
  /// RequestTimeout, timeouts and dropped connections, with exponential
  /// backoff and jitter, up to `options.maxAttempts` attempts. Other
  /// answers (2xx, 3xx, 4xx) are returned for the caller to judge.
  /// `refuseAbove` refuses a body larger than that as damaged, before reading it.
  func send(
    _ operation: S3Operation, key: String?, query: [(String, String)] = [], headers: [(String, String)] = [],
    body: [UInt8] = [], refuseAbove: Int? = nil, what: String
  ) async throws -> S3Response {
    let path =
      key.map { s3Location.bucketPath + "/" + SigV4Signer.encodePath($0) }
      ?? (s3Location.pathStyle ? s3Location.bucketPath : "/")
    var url = s3Location.baseURL + path
    if !query.isEmpty {
      url +=
        "?"
        + query.map {
          $0.1.isEmpty ? SigV4Signer.encode($0.0) : "\(SigV4Signer.encode($0.0))=\(SigV4Signer.encode($0.1))"
        }
        .joined(separator: "&")
    }
    let payloadHash = SHA256.hash(body).hex
    var lastFailure = ""
    var ambiguous = false
    var unreachable = false
    var attempts = 0

    let request = "S3 \(operation.rawValue) of \(what)"
    for attempt in 1...max(1, options.maxAttempts) {
      attempts = attempt
      if attempt > 1 {
        try await pauseBeforeRetry(attempt: attempt, after: "\(request) failed (\(lastFailure))")
      }
      await limiter.acquire()
      count(operation)
      do {
        let response = try await exchange(
          operation, url: url, path: path, query: query, headers: headers, body: body,
          payloadHash: payloadHash, refuseAbove: refuseAbove, what: what)
        await limiter.release()
        let retryable =
          response.status >= 500 || response.status == 429
          || (response.status == 400 && response.code == "RequestTimeout")
        if retryable && attempt < options.maxAttempts {
          lastFailure = Self.describe(response)
          continue
        }
        if retryable {
          lastFailure = Self.describe(response)
          break
        }
        return S3Response(
          status: response.status, headers: response.headers, body: response.body, afterAmbiguousFailure: ambiguous)
      } catch let error as CairnError {
        await limiter.release()
        throw error
      } catch {
        await limiter.release()
        if Task.isCancelled { throw CancellationError() }
        lastFailure = Self.describe(error)
        unreachable = Self.isConnectFailure(error)
        if !unreachable { ambiguous = true }
        // The HTTP client already retries a refused connection until the
        // connect timeout; two such attempts are enough to call it unreachable.
        if unreachable && attempt >= 2 { break }
      }
    }
    if unreachable {
      throw CairnError(
        .io,
        "cannot reach the S3 server at \(s3Location.endpoint): \(lastFailure) (\(request), \(attempts) attempts)"
      )
    }
    throw CairnError(
      .io, "\(request) in \(location) failed after \(attempts) attempts; last: \(lastFailure)")
  }

  private struct RawResponse {
    let status: Int
    let headers: HTTPHeaders
    let body: [UInt8]
    var code: String? { S3XML.value("Code", in: Substring(String(decoding: body, as: UTF8.self))) }
  }

  private func exchange(
    _ operation: S3Operation, url: String, path: String, query: [(String, String)], headers: [(String, String)],
    body: [UInt8], payloadHash: String, refuseAbove: Int?, what: String
  ) async throws -> RawResponse {
    var signable = SigV4Signer.Request(
      method: operation.method.rawValue, path: path, query: query.map { (name: $0.0, value: $0.1) },
      headers: [("host", s3Location.hostHeader), ("x-amz-content-sha256", payloadHash)]
        + headers.map { (name: $0.0, value: $0.1) },
      payloadHash: payloadHash)
    let now = Int64(Date().timeIntervalSince1970)
    signer.sign(&signable, amzDate: SigV4Signer.amzDate(secondsSince1970: now))

    var request = HTTPClientRequest(url: url)
    request.method = operation.method
    for header in signable.headers { request.headers.add(name: header.name, value: header.value) }
    if operation.method == .PUT || operation.method == .POST {
      // Streamed in small buffers made as the connection drains: see
      // `RequestBodyChunks` for what the client's own 4 MiB copies cost.
      request.body = .stream(RequestBodyChunks(body), length: .known(Int64(body.count)))
    }
    let timeout = TimeAmount.nanoseconds(Int64(options.requestTimeout.wholeNanoseconds))
    let response = try await http.execute(request, timeout: timeout)
    let status = Int(response.status.code)
    var limit = 16 << 20
    if let refuseAbove, (200..<300).contains(status) {
      if let length = response.headers.first(name: "content-length").flatMap({ Int($0) }), length > refuseAbove {
        throw CairnError(
          .corrupted,
          "\(what) in \(location) is \(length) bytes, more than the \(refuseAbove) it may be: refused as damaged")
      }
      limit = refuseAbove
    }
    if operation == .head {
      return RawResponse(status: status, headers: response.headers, body: [])
    }
    // Collected straight into one array of the announced length: collecting
    // into a growing buffer first held an object two or three times over
    // while it arrived (restore reads several 8 MiB objects at once).
    var body: [UInt8] = []
    if let length = response.headers.first(name: "content-length").flatMap({ Int($0) }), length <= limit {
      body.reserveCapacity(length)
      HugePages.advise(reservedStorageOf: &body)
    }
    for try await chunk in response.body {
      guard body.count + chunk.readableBytes <= limit else {
        throw CairnError(
          .corrupted, "\(what) in \(location) is more than the \(limit) bytes it may be: refused as damaged")
      }
      body.append(contentsOf: chunk.readableBytesView)
    }
    return RawResponse(status: status, headers: response.headers, body: body)
  }

  /// Turns an answer that is not a success into the error a user can act on.
  func check(_ response: S3Response, _ operation: S3Operation, what: String) throws {
    if (200..<300).contains(response.status) { return }
    let code = response.code
    let detail = [code, response.message].compactMap { $0 }.joined(separator: ": ")
    switch code {
    case "NoSuchBucket":
      throw CairnError(
        .invalidArgument, "bucket '\(s3Location.bucket)' does not exist at \(s3Location.endpoint): create it first")
    case "SignatureDoesNotMatch", "InvalidAccessKeyId", "InvalidToken", "ExpiredToken", "AuthorizationHeaderMalformed":
      throw CairnError(
        .invalidArgument,
        "the S3 server refused the credentials: \(detail) (access key '\(signer.credentials.accessKeyID)' at \(s3Location.endpoint))"
      )
    case "RequestTimeTooSkewed":
      throw CairnError(.invalidArgument, "the S3 server says this machine's clock is wrong: \(detail)")
    case "AccessDenied":
      throw CairnError(
        .invalidArgument,
        "the S3 server denied access to \(what) in \(location): \(detail) (check the key's permissions)")
    default:
      if response.status == 403 && code == nil {
        throw CairnError(
          .invalidArgument,
          "the S3 server refused the credentials or access to \(what) in \(location) (HTTP 403)")
      }
      if response.status == 404 && operation == .list {
        throw CairnError(
          .invalidArgument, "bucket '\(s3Location.bucket)' does not exist at \(s3Location.endpoint): create it first")
      }
      throw CairnError(
        .io,
        "S3 \(operation.rawValue) of \(what) in \(location) answered HTTP \(response.status)"
          + (detail.isEmpty ? "" : " \(detail)"))
    }
  }

  private func count(_ operation: S3Operation) {
    counts.withLock { counts in
      switch operation {
      case .put: counts.put += 1
      case .get: counts.get += 1
      case .head: counts.head += 1
      case .list: counts.list += 1
      case .delete: counts.delete += 1
      }
    }
  }

  /// Counts the retry, tells `options.onRetry` what failed (`failure`) and
  /// when attempt `attempt` goes, then waits.
  ///
  /// Equal jitter: half of min(max, base × 2^(attempt-2)) for sure, plus a
  /// random share of the other half. Full jitter could make all the waits
  /// short, so that a server gone for two seconds exhausted every attempt;
  /// with the default options the attempts now span 10 to 20 seconds.
  func pauseBeforeRetry(attempt: Int, after failure: String) async throws {
    counts.withLock { $0.retries += 1 }
    let base = Double(options.retryBaseDelay.wholeNanoseconds)
    let cap = max(0, min(Double(options.retryMaxDelay.wholeNanoseconds), base * pow(2, Double(attempt - 2))))
    let nanoseconds = cap / 2 + Double.random(in: 0...(cap / 2))
    options.onRetry?(
      "\(failure); attempt \(attempt) of \(options.maxAttempts) in \(String(format: "%.1f s", nanoseconds / 1e9))")
    try await Task.sleep(for: .nanoseconds(Int64(nanoseconds)))
  }

  private static func describe(_ response: RawResponse) -> String {
    let code = response.code.map { " \($0)" } ?? ""
    return "HTTP \(response.status)\(code)"
  }

  private static func describe(_ error: any Error) -> String {
    if let error = error as? HTTPClientError {
      switch error {
      case .connectTimeout: return "connection timed out"
      case .readTimeout: return "no answer in time (read timeout)"
      case .deadlineExceeded: return "no answer in time (request timeout)"
      case .remoteConnectionClosed: return "the server closed the connection"
      default: return "\(error)"
      }
    }
    let text = "\(error)"
    if text.contains("connectionRefused") || text.contains("Connection refused") || text.contains("ECONNREFUSED") {
      return "connection refused"
    }
    return text
  }

  private static func isConnectFailure(_ error: any Error) -> Bool {
    if let error = error as? HTTPClientError, error == .connectTimeout { return true }
    let text = "\(error)"
    return text.contains("connectionRefused") || text.contains("Connection refused")
      || text.contains("NIOConnectionError")
      || text.contains("connectTimeout")
  }
}

extension Duration {
  /// The duration in nanoseconds (saturating).
  var wholeNanoseconds: Int64 {
    let (seconds, attoseconds) = components
    let (product, overflow) = seconds.multipliedReportingOverflow(by: 1_000_000_000)
    if overflow { return seconds < 0 ? .min : .max }
    return product.addingReportingOverflow(attoseconds / 1_000_000_000).partialValue
  }
}
