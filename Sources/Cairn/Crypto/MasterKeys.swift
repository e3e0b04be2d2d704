/// The two random keys of an encrypted repository: one encrypts data, one
/// names objects. They never change for the repository's life; passwords
/// only wrap them (see `KeyFile`), so a password can change without
/// re-encrypting anything.
public struct MasterKeys: Sendable, Equatable {
  public static let keySize = 32

  /// The AES-256-GCM key for every object and record.
  public let dataKey: [UInt8]
  /// The HMAC-SHA256 key that object names are computed with.
  public let addressingKey: [UInt8]

  public init(dataKey: [UInt8], addressingKey: [UInt8]) throws {
    guard dataKey.count == Self.keySize, addressingKey.count == Self.keySize else {
      throw CairnError(
        .invalidArgument,
        "master keys are 32 bytes each, not \(dataKey.count) and \(addressingKey.count)")
    }
    self.dataKey = dataKey
    self.addressingKey = addressingKey
  }

  /// Two fresh keys from the system's CSPRNG, for `cairn init`.
  public static func generate() throws -> MasterKeys {
    try MasterKeys(dataKey: SecureRandom.bytes(keySize), addressingKey: SecureRandom.bytes(keySize))
  }

  /// The cipher for `EnvelopeSettings.encryption` and `ObjectEnvelope.open`.
  public var cipher: AES256GCM {
    // The length was checked at init.
    try! AES256GCM(key: dataKey)
  }

  /// How objects are named in this repository.
  public var addressing: ObjectAddressing { .keyed(addressingKey) }

  /// The 64 bytes a key file wraps: data key, then addressing key.
  var wrappedBytes: [UInt8] { dataKey + addressingKey }

  init(wrappedBytes bytes: [UInt8]) throws {
    guard bytes.count == 2 * Self.keySize else {
      throw CairnError(.corrupted, "master keys are 64 bytes, not \(bytes.count)")
    }
    try self.init(dataKey: Array(bytes[0..<Self.keySize]), addressingKey: Array(bytes[Self.keySize...]))
  }
}
