import Foundation
import Testing

@testable import Cairn

@Suite struct KeyFileTests {
  /// Cheap parameters, so that tests run fast.
  static let cheap = Scrypt.Parameters(n: 1 << 10, r: 8, p: 1)

  static func makeKeyFile(password: String = "correct horse") throws -> (MasterKeys, KeyFile) {
    let keys = try MasterKeys.generate()
    let file = try KeyFile.create(
      masterKeys: keys, password: password, parameters: cheap, hostname: "host", username: "user")
    return (keys, file)
  }

  @Test func createEncodeDecodeUnwrap() throws {
    let (keys, file) = try Self.makeKeyFile()
    #expect(file.id.count == 64)
    #expect(file.path == "keys/\(file.id)")
    let bytes = try file.encoded()
    let json = try #require(try JSONSerialization.jsonObject(with: Data(bytes)) as? [String: Any])
    #expect(
      Set(json.keys) == ["version", "kdf", "n", "r", "p", "salt", "wrapped", "created", "hostname", "username"])
    #expect(json["version"] as? Int == 1)
    #expect(json["kdf"] as? String == "scrypt")
    #expect(json["n"] as? Int == 1024)
    #expect((json["created"] as? String)?.hasSuffix("Z") == true)
    #expect(Data(base64Encoded: json["wrapped"] as? String ?? "")?.count == 12 + 64 + 16)
    let decoded = try KeyFile.decode(bytes, id: file.id)
    #expect(decoded == file)
    #expect(try decoded.unwrap(password: "correct horse") == keys)
  }

  @Test func severalPasswordsOpenTheSameKeys() throws {
    let (keys, first) = try Self.makeKeyFile(password: "one")
    let second = try KeyFile.create(masterKeys: keys, password: "two", parameters: Self.cheap)
    #expect(first.id != second.id)
    #expect(try second.unwrap(password: "two") == keys)
    #expect(throws: CairnError.self) { try second.unwrap(password: "one") }
  }

  @Test func wrongPasswordHasTheAgreedMessage() throws {
    let (_, file) = try Self.makeKeyFile()
    let error = #expect(throws: CairnError.self) { try file.unwrap(password: "wrong") }
    #expect(error?.code == .invalidArgument)
    #expect(error?.message == "wrong password or no key for this repository")
    #expect(error?.description == "invalid argument: wrong password or no key for this repository")
  }

  @Test func renamedKeyFileDoesNotOpen() throws {
    let (_, file) = try Self.makeKeyFile()
    let moved = try KeyFile.decode(file.encoded(), id: String(repeating: "0", count: 64))
    #expect(throws: CairnError.self) { try moved.unwrap(password: "correct horse") }
  }

  @Test func truncatedKeyFileIsCorruptedAndNamed() throws {
    let (_, file) = try Self.makeKeyFile()
    let bytes = try file.encoded()
    for length in [0, 1, bytes.count / 2, bytes.count - 2] {
      let error = #expect(throws: CairnError.self) { try KeyFile.decode(Array(bytes.prefix(length)), id: "k1") }
      #expect(error?.code == .corrupted)
      #expect(error?.message.contains("key file 'keys/k1' is damaged") == true)
    }
  }

  @Test func garbledJSONIsCorrupted() throws {
    for text in ["not json", "[]", "{}", "{\"version\": 1}", "{\"version\": \"one\"}"] {
      let error = #expect(throws: CairnError.self) { try KeyFile.decode(Array(text.utf8), id: "k1") }
      #expect(error?.code == .corrupted, "\(text)")
      #expect(error?.message.contains("'keys/k1'") == true)
    }
  }

  @Test func wrongBase64AndBadFieldsAreCorrupted() throws {
    let (_, file) = try Self.makeKeyFile()
    let original = try #require(try JSONSerialization.jsonObject(with: Data(file.encoded())) as? [String: Any])
    let changes: [(String, Any)] = [
      ("salt", "!!not base64!!"), ("wrapped", "AAAA"), ("wrapped", "@@@"), ("salt", "AAAA"), ("n", 1000),
      ("n", 1 << 40), ("r", 0), ("created", "yesterday"), ("hostname", 5),
    ]
    for (field, value) in changes {
      var json = original
      json[field] = value
      let bytes = try Array(JSONSerialization.data(withJSONObject: json))
      let error = #expect(throws: CairnError.self, "\(field) = \(value)") { try KeyFile.decode(bytes, id: "k1") }
      #expect(error?.code == .corrupted, "\(field) = \(value)")
      #expect(error?.message.contains("key file 'keys/k1'") == true, "\(error?.message ?? "")")
    }
  }

  @Test func flippedWrappedByteIsAWrongPassword() throws {
    let (_, file) = try Self.makeKeyFile()
    var json = try #require(try JSONSerialization.jsonObject(with: Data(file.encoded())) as? [String: Any])
    var wrapped = [UInt8](Data(base64Encoded: json["wrapped"] as! String)!)
    wrapped[20] ^= 1
    json["wrapped"] = Data(wrapped).base64EncodedString()
    let damaged = try KeyFile.decode(Array(JSONSerialization.data(withJSONObject: json)), id: file.id)
    let error = #expect(throws: CairnError.self) { try damaged.unwrap(password: "correct horse") }
    #expect(error?.message == KeyFile.wrongPasswordMessage)
  }

  @Test func newerVersionIsUnsupported() throws {
    let error = #expect(throws: CairnError.self) {
      try KeyFile.decode(Array("{\"version\": 2, \"future\": true}".utf8), id: "k1")
    }
    #expect(error?.code == .unsupported)
    #expect(error?.message.contains("newer cairn") == true)
  }

  @Test func addressingPlainIsSHA256AndKeyedDiffersAndIsStable() throws {
    let data = compressibleBytes(10_000)
    #expect(ObjectAddressing.plain.id(of: data) == SHA256.hash(data))
    let key = [UInt8](repeating: 3, count: 32)
    let keyed = ObjectAddressing.keyed(key).id(of: data)
    #expect(keyed != SHA256.hash(data))
    #expect(keyed == ObjectAddressing.keyed(key).id(of: data))
    #expect(keyed == ObjectID(bytes: HMACSHA256.tag(data, key: key)))
    #expect(keyed != ObjectAddressing.keyed([UInt8](repeating: 4, count: 32)).id(of: data))
    let keys = try MasterKeys.generate()
    #expect(keys.addressing == .keyed(keys.addressingKey))
    #expect(keys.dataKey != keys.addressingKey)
  }

  @Test func masterKeysCheckLengths() {
    #expect(throws: CairnError.self) { try MasterKeys(dataKey: [1], addressingKey: [UInt8](repeating: 0, count: 32)) }
  }
}
