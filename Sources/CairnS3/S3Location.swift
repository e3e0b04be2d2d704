public import Cairn

/// Where an S3 repository lives: restic's `s3:http[s]://HOST[:PORT]/BUCKET[/PREFIX]`.
///
/// Custom endpoints (Ceph, MinIO, a NAS) are addressed path-style
/// (`http://host/bucket/key`); AWS endpoints (`*.amazonaws.com`) are
/// addressed virtual-hosted (`https://bucket.host/key`) unless
/// `forcePathStyle` is set.
public struct S3Location: Hashable, Sendable, CustomStringConvertible {
  /// `http` or `https`.
  public let scheme: String
  /// The endpoint's host name or address, without the bucket.
  public let host: String
  /// The port, when the URL names one.
  public let port: Int?
  public let bucket: String
  /// The key prefix of the repository inside the bucket, without leading
  /// or trailing slashes; empty for the bucket's root.
  public let prefix: String
  /// Path-style addressing: the bucket is the first path segment.
  public let pathStyle: Bool

  /// Whether a repository string names S3 storage (starts with `s3:`).
  public static func isS3URL(_ repository: String) -> Bool { repository.hasPrefix("s3:") }

  /// Parses `s3:http[s]://HOST[:PORT]/BUCKET[/PREFIX]`; the `s3:` may be left
  /// out. Errors are one line and say what is wrong.
  public init(parsing text: String, forcePathStyle: Bool = false) throws(CairnError) {
    var rest = Substring(text)
    if rest.hasPrefix("s3:") { rest = rest.dropFirst(3) }
    let scheme: String
    if rest.hasPrefix("https://") {
      scheme = "https"
      rest = rest.dropFirst(8)
    } else if rest.hasPrefix("http://") {
      scheme = "http"
      rest = rest.dropFirst(7)
    } else {
      throw CairnError(
        .invalidArgument, "'\(text)' is not an S3 location: expected s3:http[s]://HOST[:PORT]/BUCKET[/PREFIX]")
    }
    guard let slash = rest.firstIndex(of: "/") else {
      throw CairnError(.invalidArgument, "'\(text)' names no bucket: expected s3:http[s]://HOST[:PORT]/BUCKET[/PREFIX]")
    }
    let authority = rest[..<slash]
    let path = rest[rest.index(after: slash)...]
    if authority.contains("@") {
      throw CairnError(
        .invalidArgument,
        "'\(text)' holds credentials in the URL: give them in AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY")
    }
    var host = authority
    var port: Int?
    if let colon = authority.lastIndex(of: ":"), !authority.hasSuffix("]") {
      host = authority[..<colon]
      let digits = authority[authority.index(after: colon)...]
      guard let value = Int(digits), (1...65535).contains(value) else {
        throw CairnError(.invalidArgument, "'\(text)' has an invalid port '\(digits)'")
      }
      port = value
    }
    guard !host.isEmpty else {
      throw CairnError(.invalidArgument, "'\(text)' names no host: expected s3:http[s]://HOST[:PORT]/BUCKET[/PREFIX]")
    }
    if path.contains("?") || path.contains("#") {
      throw CairnError(.invalidArgument, "'\(text)' has a query or fragment, which an S3 location cannot have")
    }
    let segments = path.split(separator: "/", omittingEmptySubsequences: true)
    guard let bucket = segments.first else {
      throw CairnError(.invalidArgument, "'\(text)' names no bucket: expected s3:http[s]://HOST[:PORT]/BUCKET[/PREFIX]")
    }
    guard Self.isValidBucket(bucket) else {
      throw CairnError(
        .invalidArgument,
        "'\(bucket)' is not a valid bucket name: 3 to 63 lowercase letters, digits, dots and hyphens")
    }
    if segments.contains(where: { $0 == "." || $0 == ".." }) {
      throw CairnError(.invalidArgument, "'\(text)' has '.' or '..' in its prefix")
    }
    self.scheme = scheme
    self.host = String(host).lowercased()
    self.port = port
    self.bucket = String(bucket)
    self.prefix = segments.dropFirst().joined(separator: "/")
    let isAWS = self.host == "amazonaws.com" || self.host.hasSuffix(".amazonaws.com")
    // Virtual-hosted names cannot hold dots under https (the certificate would not match).
    self.pathStyle = forcePathStyle || !isAWS || (scheme == "https" && bucket.contains("."))
  }

  /// The location with another prefix (for tests that share one bucket).
  public func withPrefix(_ prefix: String) -> S3Location {
    S3Location(
      scheme: scheme, host: host, port: port, bucket: bucket,
      prefix: prefix.split(separator: "/").joined(separator: "/"), pathStyle: pathStyle)
  }

  private init(scheme: String, host: String, port: Int?, bucket: String, prefix: String, pathStyle: Bool) {
    self.scheme = scheme
    self.host = host
    self.port = port
    self.bucket = bucket
    self.prefix = prefix
    self.pathStyle = pathStyle
  }

  /// The `Host` header the requests carry (with the port when it is not the scheme's default).
  var hostHeader: String {
    let name = pathStyle ? host : "\(bucket).\(host)"
    if let port, !(scheme == "http" && port == 80), !(scheme == "https" && port == 443) {
      return "\(name):\(port)"
    }
    return name
  }

  /// The endpoint's base URL, for requests: `scheme://host[:port]`.
  var baseURL: String { "\(scheme)://\(hostHeader)" }

  /// The URL path of the bucket's root: `/bucket` path-style, empty virtual-hosted.
  var bucketPath: String { pathStyle ? "/\(bucket)" : "" }

  /// The endpoint without the bucket, for messages: `http://127.0.0.1:7480`.
  public var endpoint: String {
    if let port { return "\(scheme)://\(host):\(port)" }
    return "\(scheme)://\(host)"
  }

  /// The object key of a repository path: `prefix/path`, or `path` at the root.
  func key(_ relativePath: String) -> String {
    prefix.isEmpty ? relativePath : "\(prefix)/\(relativePath)"
  }

  /// `s3:scheme://host[:port]/bucket[/prefix]`, which holds no secrets.
  public var description: String {
    prefix.isEmpty ? "s3:\(endpoint)/\(bucket)" : "s3:\(endpoint)/\(bucket)/\(prefix)"
  }

  private static func isValidBucket(_ name: Substring) -> Bool {
    guard (3...63).contains(name.count) else { return false }
    // Lowercase is the rule on AWS; some older buckets and servers allow
    // uppercase and underscores, so only what cannot be in a URL path is refused.
    return name.utf8.allSatisfy { byte in
      (byte >= 0x61 && byte <= 0x7A) || (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x30 && byte <= 0x39)
        || byte == 0x2E || byte == 0x2D || byte == 0x5F
    }
  }
}
