import Cairn
import Foundation
import Testing

/// The decoders of untrusted repository content must return or throw on any
/// input, never trap. These tests replay what the libFuzzer harnesses in
/// Tests/Fuzz start from and what they found (Docs/FUZZING.md): every file
/// under Tests/Fuzz/seeds and Tests/Fuzz/crashers, and for each a fixed set
/// of mutations (bit flips, truncations, overwritten length and count fields,
/// edge values in JSON) drawn from a fixed-seed generator, each fed to all
/// three decoders.
///
/// The inputs of one file run in a child process (an exit test), so that a
/// trap fails that test with the input named instead of killing the run.
@Suite struct FuzzRegressionTests {
  /// Mutations made of each corpus file.
  static let mutationsPerFile = 120

  @Test func seedsAreValid() throws {
    let seeds = FuzzCorpus.directory.appendingPathComponent("seeds")
    var counts: [String: Int] = [:]
    for file in try FuzzCorpus.files(under: "seeds") {
      let data = try Data(contentsOf: FuzzCorpus.directory.appendingPathComponent(file))
      let kind = URL(fileURLWithPath: file).deletingLastPathComponent().lastPathComponent
      counts[kind, default: 0] += 1
      switch kind {
      case "manifest":
        let entries = try FormatValidation.decodeManifestPart(Array(data))
        #expect(entries > 0 || data.count == 8, "\(file) holds no entry")
      case "record":
        let record = try FormatValidation.decodeSnapshotRecord(data)
        #expect(record.version == SnapshotRecord.currentVersion, "\(file)")
      case "config":
        _ = try FormatValidation.decodeRepositoryConfig(data)
      default:
        Issue.record("\(file): seeds/ holds only manifest/, record/ and config/ (\(seeds.path))")
      }
    }
    #expect(counts["manifest", default: 0] >= 3)
    #expect(counts["record", default: 0] >= 2)
    #expect(counts["config", default: 0] >= 1)
  }

  @Test func mutationsAreDeterministicAndDistinct() throws {
    let file = try #require(try FuzzCorpus.files(under: "seeds").first)
    let first = try FuzzCorpus.inputs(for: file, mutations: Self.mutationsPerFile)
    let second = try FuzzCorpus.inputs(for: file, mutations: Self.mutationsPerFile)
    #expect(first.map(\.bytes) == second.map(\.bytes))
    #expect(first.count == Self.mutationsPerFile + 1)
    #expect(Set(first.map(\.bytes)).count > Self.mutationsPerFile / 2)
  }

  @Test(arguments: try FuzzCorpus.files(under: "seeds") + FuzzCorpus.files(under: "crashers"))
  func decodersReturnOrThrow(file: String) async throws {
    // Before each call the child writes the input here, so that after a trap
    // the failure can name it.
    let progress = FileManager.default.temporaryDirectory
      .appendingPathComponent("cairn-fuzz-regression-\(UUID().uuidString)").path
    defer { try? FileManager.default.removeItem(atPath: progress) }
    let result = await #expect(processExitsWith: .success) { [file, progress = progress as String] in
      for input in try FuzzCorpus.inputs(for: file, mutations: FuzzRegressionTests.mutationsPerFile) {
        let hex = input.bytes.map { String($0, radix: 16) }.map { $0.count == 1 ? "0" + $0 : $0 }
        try Data("\(input.label), \(input.bytes.count) bytes: \(hex.joined(separator: " "))".utf8)
          .write(to: URL(fileURLWithPath: progress))
        _ = try? FormatValidation.decodeManifestPart(input.bytes)
        _ = try? FormatValidation.decodeSnapshotRecord(Data(input.bytes))
        _ = try? FormatValidation.decodeRepositoryConfig(Data(input.bytes))
      }
    }
    if result == nil {
      let input = (try? String(contentsOfFile: progress, encoding: .utf8)) ?? "(not recorded)"
      Issue.record("a decoder trapped on \(input)")
    }
  }
}

/// The corpus of Tests/Fuzz and deterministic mutations of its files.
enum FuzzCorpus {
  /// This file is `<root>/Tests/CairnTests/FuzzRegressionTests.swift`.
  static let directory = URL(fileURLWithPath: #filePath)
    .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("Fuzz")

  struct Input {
    var label: String
    var bytes: [UInt8]
  }

  /// Regular files below `Tests/Fuzz/<folder>`, relative to Tests/Fuzz, sorted;
  /// none when the folder does not exist.
  static func files(under folder: String) throws -> [String] {
    let base = directory.appendingPathComponent(folder)
    guard FileManager.default.fileExists(atPath: base.path) else { return [] }
    guard let walker = FileManager.default.enumerator(atPath: base.path) else { return [] }
    var result: [String] = []
    while let relative = walker.nextObject() as? String {
      let path = base.appendingPathComponent(relative).path
      var isDirectory: ObjCBool = false
      guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), !isDirectory.boolValue,
        !URL(fileURLWithPath: relative).lastPathComponent.hasPrefix(".")
      else { continue }
      result.append(folder + "/" + relative)
    }
    return result.sorted()
  }

  /// The file itself, then `mutations` mutations of it. The generator is
  /// seeded from the file's name, so the inputs are the same on every run.
  static func inputs(for file: String, mutations: Int) throws -> [Input] {
    let bytes = Array(try Data(contentsOf: directory.appendingPathComponent(file)))
    var generator = SplitMix64(seed: fnv1a(Array(file.utf8)))
    let mutator = Mutator(original: bytes)
    var result = [Input(label: file, bytes: bytes)]
    for index in 0..<mutations {
      let (name, mutated) = mutator.mutate(using: &generator)
      result.append(Input(label: "\(file) mutation \(index) (\(name))", bytes: mutated))
    }
    return result
  }

  private static func fnv1a(_ bytes: [UInt8]) -> UInt64 {
    var hash: UInt64 = 0xcbf2_9ce4_8422_2325
    for byte in bytes { hash = (hash ^ UInt64(byte)) &* 0x100_0000_01b3 }
    return hash
  }
}

/// SplitMix64: a small generator with a fixed seed, so that the mutations do
/// not depend on the standard library's random source.
struct SplitMix64: RandomNumberGenerator {
  private var state: UInt64

  init(seed: UInt64) { state = seed }

  mutating func next() -> UInt64 {
    state &+= 0x9e37_79b9_7f4a_7c15
    var z = state
    z = (z ^ (z >> 30)) &* 0xbf58_476d_1ce4_e5b9
    z = (z ^ (z >> 27)) &* 0x94d0_49bb_1331_11eb
    return z ^ (z >> 31)
  }
}

/// Mutations of one input. For a manifest part the fields are located with
/// the layout of Docs/FORMAT.md, so that lengths, counts and other varints can
/// be overwritten with edge values; for JSON, numbers and strings are replaced
/// with edge values; any input also gets plain byte-level mutations.
struct Mutator {
  /// A varint field of a manifest part: where it starts and how many bytes it has.
  struct Field {
    enum Role { case kind, length, count, value }
    var role: Role
    var offset: Int
    var size: Int
  }

  /// A number or string token of a JSON text (a string without its quotes).
  struct Token {
    var isString: Bool
    var range: Range<Int>
  }

  let original: [UInt8]
  let fields: [Field]
  let tokens: [Token]

  init(original: [UInt8]) {
    self.original = original
    self.fields = Self.manifestFields(original)
    self.tokens = original.first == UInt8(ascii: "{") ? Self.jsonTokens(original) : []
  }

  func mutate(using generator: inout some RandomNumberGenerator) -> (String, [UInt8]) {
    var choices = ["bit flip", "bit flips", "truncation", "interesting byte", "deletion", "insertion", "duplication"]
    if !fields.isEmpty { choices += ["field overwrite", "field overwrite", "field overwrite", "kind", "field cut"] }
    if !tokens.isEmpty { choices += ["number", "string", "token swap"] }
    if original.isEmpty {
      return ("insertion", randomBytes(count: Int.random(in: 1...16, using: &generator), &generator))
    }
    let choice = choices.randomElement(using: &generator)!
    var bytes = original
    switch choice {
    case "bit flip":
      let index = Int.random(in: 0..<bytes.count, using: &generator)
      bytes[index] ^= 1 << UInt8.random(in: 0..<8, using: &generator)
    case "bit flips":
      for _ in 0..<Int.random(in: 2...8, using: &generator) {
        let index = Int.random(in: 0..<bytes.count, using: &generator)
        bytes[index] ^= 1 << UInt8.random(in: 0..<8, using: &generator)
      }
    case "truncation":
      bytes.removeLast(Int.random(in: 1...bytes.count, using: &generator))
    case "interesting byte":
      let index = Int.random(in: 0..<bytes.count, using: &generator)
      bytes[index] = [0x00, 0x01, 0x02, 0x07, 0x08, 0x2f, 0x7f, 0x80, 0x81, 0xff].randomElement(using: &generator)!
    case "deletion":
      let start = Int.random(in: 0..<bytes.count, using: &generator)
      let end = min(bytes.count, start + Int.random(in: 1...32, using: &generator))
      bytes.removeSubrange(start..<end)
    case "insertion":
      let index = Int.random(in: 0...bytes.count, using: &generator)
      bytes.insert(contentsOf: randomBytes(count: Int.random(in: 1...16, using: &generator), &generator), at: index)
    case "duplication":
      let start = Int.random(in: 0..<bytes.count, using: &generator)
      let end = min(bytes.count, start + Int.random(in: 1...64, using: &generator))
      bytes.insert(contentsOf: bytes[start..<end], at: Int.random(in: 0...bytes.count, using: &generator))
    case "field overwrite":
      let field = fields.randomElement(using: &generator)!
      let remaining = bytes.count - field.offset - field.size
      var values: [UInt64] = [
        0, 1, 0x7f, 0x80, 0x3fff, 0x4000, 999_999_999, 1_000_000_000, UInt64(UInt32.max), UInt64(UInt32.max) + 1,
        1 << 20, (1 << 20) + 1, UInt64(Int64.max), UInt64(Int64.max) + 1, UInt64.max,
      ]
      values += [remaining - 1, remaining, remaining + 1, remaining / 32, remaining / 32 + 1].map {
        UInt64(max(0, $0))
      }
      let encoding = Self.varintEncodings(of: values.randomElement(using: &generator)!).randomElement(
        using: &generator)!
      bytes.replaceSubrange(field.offset..<field.offset + field.size, with: encoding)
    case "kind":
      let kinds = fields.filter { $0.role == .kind }
      let field = kinds.randomElement(using: &generator) ?? fields[0]
      bytes[field.offset] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 0x7f, 0x80, 0xff].randomElement(using: &generator)!
    case "field cut":
      let field = fields.randomElement(using: &generator)!
      bytes.removeSubrange((field.offset + Int.random(in: 0..<field.size, using: &generator))...)
    case "number", "string":
      let wanted = choice == "string"
      let token = (tokens.filter { $0.isString == wanted }.randomElement(using: &generator)) ?? tokens[0]
      let replacement = (token.isString ? Self.edgeStrings : Self.edgeNumbers).randomElement(using: &generator)!
      bytes.replaceSubrange(token.range, with: Array(replacement.utf8))
    default:  // "token swap": a value of another type where a string or number stood
      let token = tokens.randomElement(using: &generator)!
      let range = token.isString ? token.range.lowerBound - 1..<token.range.upperBound + 1 : token.range
      let replacement = ["null", "true", "[]", "{}", "[\"\"]", "\"1\"", "1", "-1"].randomElement(using: &generator)!
      bytes.replaceSubrange(range, with: Array(replacement.utf8))
    }
    return (choice, bytes)
  }

  private func randomBytes(count: Int, _ generator: inout some RandomNumberGenerator) -> [UInt8] {
    (0..<count).map { _ in UInt8.random(in: 0...255, using: &generator) }
  }

  static let edgeNumbers = [
    "0", "-1", "-0", "1.5", "1e3", "1e308", "1e309", "-1e309", "1e-400", "65535", "65536", "16777216", "16777217",
    "9223372036854775807", "9223372036854775808", "-9223372036854775808", "-9223372036854775809",
    "18446744073709551615", "18446744073709551616", "0000000000000000000001", "1" + String(repeating: "0", count: 400),
  ]

  static let edgeStrings = [
    "", "\\u0000", "\\ud800", "\\udc00x", "\\uffff", "\\\\", "\\/", "\u{1F600}", String(repeating: "x", count: 1000),
    "full", "differential", "sha256", "2025-11-25T16:38:12.302Z", "2025-11-25T16:38:12Z",
    "2025-02-30T24:60:60.999Z", "2025-11-25T16:38:12.0000000000000000000000000001Z", "9999999999-01-01T00:00:00Z",
    "-0001-01-01T00:00:00Z", "0000-00-00T00:00:00Z", "2025-11-25T16:38:12+99:99", "2025-11-25T16:38:12.5-00:01",
    "2025-11-25", "T", "Z", String(repeating: "0", count: 64), String(repeating: "f", count: 63),
    String(repeating: "F", count: 64), String(repeating: "g", count: 64),
  ]

  /// The canonical encoding of `value` and overlong ones (padded to 10 and 11
  /// bytes, and a 10th byte above 1).
  static func varintEncodings(of value: UInt64) -> [[UInt8]] {
    var canonical: [UInt8] = []
    var rest = value
    while rest >= 0x80 {
      canonical.append(UInt8(truncatingIfNeeded: rest) | 0x80)
      rest >>= 7
    }
    canonical.append(UInt8(rest))
    var padded = canonical.dropLast().map { $0 } + [canonical.last! | 0x80]
    while padded.count < 9 { padded.append(0x80) }
    let ten = padded + [0x00]
    let eleven = padded + [0x80, 0x00]
    let overflowing = padded + [0x02]
    return [canonical, canonical, canonical, ten, eleven, overflowing]
  }

  /// The fields of a manifest part laid out as in Docs/FORMAT.md; stops at the
  /// first thing that does not fit (a crasher need not be well formed).
  static func manifestFields(_ bytes: [UInt8]) -> [Field] {
    guard bytes.starts(with: Array("CAIRNMF2".utf8)) else { return [] }
    var fields: [Field] = []
    var offset = 8

    func varint(_ role: Field.Role) -> UInt64? {
      var value: UInt64 = 0
      var shift: UInt64 = 0
      let start = offset
      while offset < bytes.count, offset - start < 10 {
        let byte = bytes[offset]
        offset += 1
        value |= UInt64(byte & 0x7f) << shift
        if byte & 0x80 == 0 {
          fields.append(Field(role: role, offset: start, size: offset - start))
          return value
        }
        shift += 7
      }
      return nil
    }

    func skip(_ count: UInt64) -> Bool {
      guard count <= UInt64(bytes.count - offset) else { return false }
      offset += Int(count)
      return true
    }

    while offset < bytes.count {
      let kind = bytes[offset]
      fields.append(Field(role: .kind, offset: offset, size: 1))
      offset += 1
      guard let pathLength = varint(.length), skip(pathLength) else { break }
      if kind == 0 { continue }
      // mode, uid, gid, mtime (2), ctime (2), inode, device, links, size, rdev
      guard (0..<12).allSatisfy({ _ in varint(.value) != nil }) else { break }
      guard let blockCount = varint(.count), blockCount <= UInt64(bytes.count) / 32, skip(blockCount * 32) else {
        break
      }
      guard let targetLength = varint(.length), skip(targetLength) else { break }
      // Tagged fields: a count, then per field a tag, a length and the value.
      guard let fieldCount = varint(.count), fieldCount <= UInt64(bytes.count) else { break }
      var complete = true
      for _ in 0..<fieldCount {
        guard varint(.value) != nil, let valueLength = varint(.length), skip(valueLength) else {
          complete = false
          break
        }
      }
      guard complete else { break }
    }
    return fields
  }

  /// The numbers and strings of a JSON text, by a scan that needs no parser.
  static func jsonTokens(_ bytes: [UInt8]) -> [Token] {
    var tokens: [Token] = []
    var index = 0
    while index < bytes.count {
      let byte = bytes[index]
      if byte == UInt8(ascii: "\"") {
        var end = index + 1
        while end < bytes.count, bytes[end] != UInt8(ascii: "\"") {
          end += bytes[end] == UInt8(ascii: "\\") ? 2 : 1
        }
        guard end < bytes.count else { break }
        tokens.append(Token(isString: true, range: index + 1..<end))
        index = end + 1
      } else if byte == UInt8(ascii: "-") || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) {
        var end = index + 1
        while end < bytes.count, Array("0123456789.eE+-".utf8).contains(bytes[end]) { end += 1 }
        tokens.append(Token(isString: false, range: index..<end))
        index = end
      } else {
        index += 1
      }
    }
    return tokens
  }
}
