public import Foundation

/// A password's copy of the master keys, stored as `keys/<id>`: the keys
/// wrapped (AES-256-GCM) under a key derived from the password with scrypt.
/// Several key files may wrap the same master keys, one per password.
///
/// JSON, Docs/FORMAT.md:
///
///     {"version": 1, "kdf": "scrypt", "n": 131072, "r": 8, "p": 1,
///      "salt": base64, "wrapped": base64, "created": ISO 8601,
///      "hostname": ..., "username": ...}
///
/// `wrapped` is `nonce (12) || ciphertext (64) || tag (16)` of the data key
/// followed by the addressing key; the additional authenticated data is the
/// UTF-8 of `"cairn key v1"` followed by the key's id, so a key file renamed
/// to another id does not open.
public struct KeyFile: Sendable, Equatable {
  public static let currentVersion = 1
  /// The message for a password that opens no key file: it cannot tell which.
  public static let wrongPasswordMessage = "wrong password or no key for this repository"

  /// The name of the file under `keys/`: 64 random hex digits.
  public let id: String
  public let version: Int
  public let kdf: String
  public let parameters: Scrypt.Parameters
  public let salt: [UInt8]
  public let wrapped: [UInt8]
  public let created: Date
  public let hostname: String
  public let username: String

  /// The file's path in the repository, for messages.
  public var path: String { "keys/\(id)" }

  /// Wraps `masterKeys` under `password`: the file for `cairn init` and
  /// `cairn key add|passwd`. Takes as long as scrypt takes with `parameters`.
  public static func create(
    masterKeys: MasterKeys, password: String, parameters: Scrypt.Parameters = .default, id: String? = nil,
    hostname: String = ProcessInfo.processInfo.hostName, username: String = KeyFile.currentUsername,
    created: Date = Date()
  ) throws -> KeyFile {
    let id = try id ?? hexString(SecureRandom.bytes(32))
    let salt = try SecureRandom.bytes(32)
    let wrappingKey = try Scrypt.deriveKey(password: Array(password.utf8), salt: salt, parameters: parameters)
    let wrapped = try AES256GCM(key: wrappingKey).seal(masterKeys.wrappedBytes, authenticating: associatedData(id: id))
    return KeyFile(
      id: id, version: currentVersion, kdf: "scrypt", parameters: parameters, salt: salt, wrapped: wrapped,
      created: Date(timeIntervalSince1970: created.timeIntervalSince1970.rounded(.down)), hostname: hostname,
      username: username)
  }

  /// Unwraps the master keys. A wrong password fails with `.invalidArgument`
  /// and `wrongPasswordMessage`.
  public func unwrap(password: String) throws -> MasterKeys {
    let wrappingKey = try Scrypt.deriveKey(password: Array(password.utf8), salt: salt, parameters: parameters)
    let keys: [UInt8]
    do {
      keys = try AES256GCM(key: wrappingKey).open(wrapped, authenticating: Self.associatedData(id: id), what: path)
    } catch let error as CairnError where error.code == .corrupted {
      throw CairnError(.invalidArgument, Self.wrongPasswordMessage)
    }
    do {
      return try MasterKeys(wrappedBytes: keys)
    } catch {
      throw CairnError(.corrupted, "key file '\(path)' wraps \(keys.count) bytes, not two 32-byte keys")
    }
  }

  /// The JSON document, as stored.
  public func encoded() throws -> [UInt8] {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
    encoder.dateEncodingStrategy = .iso8601
    return try Array(encoder.encode(Document(self)))
  }

  /// Parses and checks a key file read from `keys/<id>`. Anything malformed
  /// fails with `.corrupted` naming the file; a newer version with `.unsupported`.
  public static func decode(_ bytes: [UInt8], id: String) throws -> KeyFile {
    let path = "keys/\(id)"
    let decoder = JSONDecoder()
    decoder.dateDecodingStrategy = .iso8601
    let document: Document
    do {
      // The version first, so that a newer file is named as such, whatever its other fields.
      let version = try decoder.decode(VersionOnly.self, from: Data(bytes)).version
      guard version <= currentVersion else {
        throw CairnError(
          .unsupported, "key file '\(path)' was written by a newer cairn (key file version \(version))")
      }
      guard version == currentVersion else {
        throw CairnError(.corrupted, "key file '\(path)' has an unknown version \(version): it is damaged")
      }
      document = try decoder.decode(Document.self, from: Data(bytes))
    } catch let error as CairnError {
      throw error
    } catch {
      throw CairnError(
        .corrupted, "key file '\(path)' is damaged (\(describe(error))): restore it from a copy or use another key")
    }
    guard document.kdf == "scrypt" else {
      throw CairnError(.unsupported, "key file '\(path)' uses key derivation '\(document.kdf)', which this cairn lacks")
    }
    let parameters = Scrypt.Parameters(n: document.n, r: document.r, p: document.p)
    guard parameters.isAcceptable else {
      throw CairnError(.corrupted, "key file '\(path)' has scrypt parameters out of range (\(parameters))")
    }
    guard document.salt.count >= 16 else {
      throw CairnError(.corrupted, "key file '\(path)' has a salt of \(document.salt.count) bytes, too short")
    }
    guard document.wrapped.count == 2 * MasterKeys.keySize + AES256GCM.overhead else {
      throw CairnError(
        .corrupted, "key file '\(path)' wraps \(document.wrapped.count) bytes, not \(2 * MasterKeys.keySize + 28)")
    }
    return KeyFile(
      id: id, version: document.version, kdf: document.kdf, parameters: parameters, salt: [UInt8](document.salt),
      wrapped: [UInt8](document.wrapped), created: document.created, hostname: document.hostname,
      username: document.username)
  }

  /// The user running this process, for `username`.
  public static var currentUsername: String {
    let environment = ProcessInfo.processInfo.environment
    return environment["USER"] ?? environment["LOGNAME"] ?? ""
  }

  private static func associatedData(id: String) -> [UInt8] {
    Array("cairn key v1".utf8) + Array(id.utf8)
  }

  private static func hexString(_ bytes: [UInt8]) -> String {
    let digits = Array("0123456789abcdef".utf8)
    return String(decoding: bytes.flatMap { [digits[Int($0 >> 4)], digits[Int($0 & 0x0f)]] }, as: UTF8.self)
  }

  /// A short reason from a decoding error: what was wrong, and where.
  private static func describe(_ error: any Error) -> String {
    switch error as? DecodingError {
    case .dataCorrupted(let context)?:
      let path = context.codingPath.map(\.stringValue).joined(separator: ".")
      return path.isEmpty ? "not valid JSON" : "'\(path)' is not valid: \(context.debugDescription)"
    case .keyNotFound(let key, _)?: return "'\(key.stringValue)' is missing"
    case .typeMismatch(_, let context)?, .valueNotFound(_, let context)?:
      return "'\(context.codingPath.map(\.stringValue).joined(separator: "."))' has the wrong type"
    default: return "not valid JSON"
    }
  }

  private struct VersionOnly: Decodable {
    var version: Int
  }

  /// The JSON shape.
  private struct Document: Codable {
    var version: Int
    var kdf: String
    var n: UInt64
    var r: UInt64
    var p: UInt64
    var salt: Data
    var wrapped: Data
    var created: Date
    var hostname: String
    var username: String

    init(_ file: KeyFile) {
      version = file.version
      kdf = file.kdf
      n = file.parameters.n
      r = file.parameters.r
      p = file.parameters.p
      salt = Data(file.salt)
      wrapped = Data(file.wrapped)
      created = file.created
      hostname = file.hostname
      username = file.username
    }
  }
}
