internal import CObjectHash
import Cairn

/// AWS Signature Version 4 (header form), written from AWS's specification:
/// a canonical request, a string to sign over its SHA-256, a signing key
/// derived from the secret by four HMAC-SHA256 steps (date, region, service,
/// `aws4_request`), and the `Authorization` header carrying the signature.
public struct SigV4Signer: Sendable {
  public let credentials: S3Credentials
  /// The service in the credential scope: `s3` for S3.
  public let service: String

  public init(credentials: S3Credentials, service: String = "s3") {
    self.credentials = credentials
    self.service = service
  }

  /// One request to sign. `path` is the canonical URI: already
  /// percent-encoded (see `encodePath`), as sent on the wire. `query` holds
  /// raw (unencoded) names and values. `payloadHash` is the lowercase hex
  /// SHA-256 of the body.
  public struct Request: Sendable {
    public var method: String
    public var path: String
    public var query: [(name: String, value: String)]
    public var headers: [(name: String, value: String)]
    public var payloadHash: String

    public init(
      method: String, path: String, query: [(name: String, value: String)] = [],
      headers: [(name: String, value: String)], payloadHash: String
    ) {
      self.method = method
      self.path = path
      self.query = query
      self.headers = headers
      self.payloadHash = payloadHash
    }
  }

  /// Signs `request` as of `amzDate` (`YYYYMMDDTHHMMSSZ`): adds `x-amz-date`
  /// (unless present), `x-amz-security-token` (with a session token) and
  /// `authorization` to its headers.
  public func sign(_ request: inout Request, amzDate: String) {
    if !request.headers.contains(where: { $0.name.lowercased() == "x-amz-date" }) {
      request.headers.append((name: "x-amz-date", value: amzDate))
    }
    if let token = credentials.sessionToken,
      !request.headers.contains(where: { $0.name.lowercased() == "x-amz-security-token" })
    {
      request.headers.append((name: "x-amz-security-token", value: token))
    }
    request.headers.append((name: "authorization", value: authorization(for: request, amzDate: amzDate)))
  }

  /// The `Authorization` header's value for a request whose headers are final.
  public func authorization(for request: Request, amzDate: String) -> String {
    let scope = credentialScope(amzDate: amzDate)
    let signature = S3Digest.hex(
      S3Digest.hmac(signingKey(date: String(amzDate.prefix(8))), stringToSign(for: request, amzDate: amzDate)))
    return "AWS4-HMAC-SHA256 Credential=\(credentials.accessKeyID)/\(scope), "
      + "SignedHeaders=\(signedHeaders(request.headers)), Signature=\(signature)"
  }

  /// `date/region/service/aws4_request`.
  public func credentialScope(amzDate: String) -> String {
    "\(amzDate.prefix(8))/\(credentials.region)/\(service)/aws4_request"
  }

  /// `AWS4-HMAC-SHA256`, the time, the scope, and the hex SHA-256 of the canonical request.
  public func stringToSign(for request: Request, amzDate: String) -> String {
    let canonical = canonicalRequest(for: request)
    return "AWS4-HMAC-SHA256\n\(amzDate)\n\(credentialScope(amzDate: amzDate))\n"
      + SHA256.hash(Array(canonical.utf8)).hex
  }

  /// Method, canonical URI, canonical query, canonical headers, signed
  /// headers and payload hash, one per line.
  public func canonicalRequest(for request: Request) -> String {
    let pairs: [(name: String, value: String)] = request.query.map {
      (name: Self.encode($0.name), value: Self.encode($0.value))
    }
    let sorted = pairs.sorted { left, right in
      left.name == right.name ? left.value < right.value : left.name < right.name
    }
    let query = sorted.map { "\($0.name)=\($0.value)" }.joined(separator: "&")
    let headers = canonicalHeaders(request.headers)
    let headerLines = headers.map { "\($0.name):\($0.value)\n" }.joined()
    let path = request.path.isEmpty ? "/" : request.path
    return "\(request.method)\n\(path)\n\(query)\n\(headerLines)\n\(signedHeaders(request.headers))\n"
      + request.payloadHash
  }

  /// The key derived from the secret for one day (`YYYYMMDD`).
  func signingKey(date: String) -> [UInt8] {
    let dateKey = S3Digest.hmac(Array("AWS4\(credentials.secretAccessKey)".utf8), date)
    let regionKey = S3Digest.hmac(dateKey, credentials.region)
    let serviceKey = S3Digest.hmac(regionKey, service)
    return S3Digest.hmac(serviceKey, "aws4_request")
  }

  private func canonicalHeaders(_ headers: [(name: String, value: String)]) -> [(name: String, value: String)] {
    var merged: [String: [String]] = [:]
    for header in headers {
      merged[header.name.lowercased(), default: []].append(Self.trimHeaderValue(header.value))
    }
    return merged.keys.sorted().map { (name: $0, value: merged[$0]!.joined(separator: ",")) }
  }

  private func signedHeaders(_ headers: [(name: String, value: String)]) -> String {
    Set(headers.map { $0.name.lowercased() }).filter { $0 != "authorization" }.sorted().joined(separator: ";")
  }

  /// Trims a header value and folds runs of spaces into one, as the specification asks.
  static func trimHeaderValue(_ value: String) -> String {
    var out: [UInt8] = []
    var lastWasSpace = false
    for byte in value.utf8 {
      let isSpace = byte == 0x20 || byte == 0x09 || byte == 0x0A || byte == 0x0D
      if isSpace {
        if !lastWasSpace && !out.isEmpty { out.append(0x20) }
        lastWasSpace = true
      } else {
        out.append(byte)
        lastWasSpace = false
      }
    }
    if out.last == 0x20 { out.removeLast() }
    return String(decoding: out, as: UTF8.self)
  }

  /// Percent-encodes every byte but the unreserved ones (`A-Z a-z 0-9 - _ . ~`),
  /// with uppercase hex; with `keepSlash`, `/` stays (object keys in paths).
  public static func encode(_ text: String, keepSlash: Bool = false) -> String {
    let digits = Array("0123456789ABCDEF".utf8)
    var out: [UInt8] = []
    out.reserveCapacity(text.utf8.count)
    for byte in text.utf8 {
      let unreserved =
        (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x61 && byte <= 0x7A) || (byte >= 0x30 && byte <= 0x39)
        || byte == 0x2D || byte == 0x5F || byte == 0x2E || byte == 0x7E
      if unreserved || (keepSlash && byte == 0x2F) {
        out.append(byte)
      } else {
        out.append(0x25)
        out.append(digits[Int(byte >> 4)])
        out.append(digits[Int(byte & 0x0F)])
      }
    }
    return String(decoding: out, as: UTF8.self)
  }

  /// Encodes an object path for the request line and the canonical URI (S3 does not double-encode).
  public static func encodePath(_ path: String) -> String { encode(path, keepSlash: true) }

  /// `YYYYMMDDTHHMMSSZ` for a time in seconds since 1970 (UTC).
  public static func amzDate(secondsSince1970 seconds: Int64) -> String {
    let days = seconds >= 0 ? seconds / 86_400 : (seconds - 86_399) / 86_400
    let secondOfDay = seconds - days * 86_400
    // Civil date from days since 1970-01-01 (proleptic Gregorian calendar).
    let z = days + 719_468
    let era = (z >= 0 ? z : z - 146_096) / 146_097
    let dayOfEra = z - era * 146_097
    let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
    let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
    let mp = (5 * dayOfYear + 2) / 153
    let day = dayOfYear - (153 * mp + 2) / 5 + 1
    let month = mp < 10 ? mp + 3 : mp - 9
    let year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0)
    func two(_ value: Int64) -> String { value < 10 ? "0\(value)" : "\(value)" }
    return "\(year)\(two(month))\(two(day))T\(two(secondOfDay / 3600))\(two(secondOfDay / 60 % 60))"
      + "\(two(secondOfDay % 60))Z"
  }
}

/// The digests and encodings S3 requests need, through libcrypto.
enum S3Digest {
  /// HMAC-SHA256 through libcrypto.
  static func hmac(_ key: [UInt8], _ message: String) -> [UInt8] {
    hmac(key, Array(message.utf8))
  }

  /// HMAC-SHA256 through libcrypto.
  static func hmac(_ key: [UInt8], _ message: [UInt8]) -> [UInt8] {
    var mac = [UInt8](repeating: 0, count: 32)
    let status = key.withUnsafeBytes { keyBytes in
      message.withUnsafeBytes { messageBytes in
        mac.withUnsafeMutableBufferPointer { out in
          cairn_sigv4_hmac_sha256(
            keyBytes.baseAddress, keyBytes.count, messageBytes.baseAddress, messageBytes.count, out.baseAddress)
        }
      }
    }
    guard status == 1 else { fatalError("OpenSSL HMAC-SHA256 failed") }
    return mac
  }

  /// MD5 through libcrypto (S3's Content-MD5 only).
  static func md5(_ bytes: [UInt8]) -> [UInt8] {
    var digest = [UInt8](repeating: 0, count: 16)
    let status = bytes.withUnsafeBytes { input in
      digest.withUnsafeMutableBufferPointer { out in
        cairn_s3_content_md5(input.baseAddress, input.count, out.baseAddress)
      }
    }
    guard status == 1 else { fatalError("OpenSSL MD5 failed") }
    return digest
  }

  /// Lowercase hex.
  static func hex(_ bytes: [UInt8]) -> String {
    let digits = Array("0123456789abcdef".utf8)
    var out: [UInt8] = []
    out.reserveCapacity(bytes.count * 2)
    for byte in bytes {
      out.append(digits[Int(byte >> 4)])
      out.append(digits[Int(byte & 0x0F)])
    }
    return String(decoding: out, as: UTF8.self)
  }

  /// Standard base64 with padding.
  static func base64(_ bytes: [UInt8]) -> String {
    let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)
    var out: [UInt8] = []
    var index = 0
    while index + 2 < bytes.count {
      let value = UInt32(bytes[index]) << 16 | UInt32(bytes[index + 1]) << 8 | UInt32(bytes[index + 2])
      out += [
        alphabet[Int(value >> 18 & 63)], alphabet[Int(value >> 12 & 63)], alphabet[Int(value >> 6 & 63)],
        alphabet[Int(value & 63)],
      ]
      index += 3
    }
    let left = bytes.count - index
    if left == 1 {
      let value = UInt32(bytes[index]) << 16
      out += [alphabet[Int(value >> 18 & 63)], alphabet[Int(value >> 12 & 63)], 0x3D, 0x3D]
    } else if left == 2 {
      let value = UInt32(bytes[index]) << 16 | UInt32(bytes[index + 1]) << 8
      out += [alphabet[Int(value >> 18 & 63)], alphabet[Int(value >> 12 & 63)], alphabet[Int(value >> 6 & 63)], 0x3D]
    }
    return String(decoding: out, as: UTF8.self)
  }
}
