internal import CCipher

/// scrypt (RFC 7914): turns a password into the key that wraps a repository's
/// master keys. Deliberately slow and memory-hard, so that guessing passwords
/// from a stolen key file is costly. Its lanes are mixed on one thread per
/// core (`cairn_scrypt_lanes`), or by libcrypto's `EVP_PBE_scrypt` on one.
public enum Scrypt {
  /// The cost parameters, stored in every key file.
  public struct Parameters: Sendable, Hashable, Codable, CustomStringConvertible {
    /// CPU and memory cost: a power of two greater than 1.
    public var n: UInt64
    /// Block size.
    public var r: UInt64
    /// Parallelisation.
    public var p: UInt64

    public init(n: UInt64, r: UInt64, p: UInt64) {
      self.n = n
      self.r = r
      self.p = p
    }

    /// About 0.6 s and 32 MiB to derive a key with libcrypto on one core of
    /// the machines Cairn is developed on; 0.12 s with Cairn's vectorised
    /// lanes on two cores (the cost to a password guesser is the same).
    /// Paid once per run. p = 4 lanes of N = 2^15 cost the time of N = 2^17
    /// in a quarter of its memory, so a backup's peak memory is not the key
    /// derivation's (128 MiB was above everything else).
    public static let `default` = Parameters(n: 1 << 15, r: 8, p: 4)

    /// The most working memory a key file may ask for; parameters beyond it
    /// are refused rather than allowed to exhaust the machine.
    public static let maximumMemory: UInt64 = 1 << 30

    /// The working memory derivation needs: libcrypto's `128 * r * (N + 2 + p)`.
    public var memoryNeeded: UInt64? {
      let (perBlock, o1) = r.multipliedReportingOverflow(by: 128)
      let (blocks, o2) = n.addingReportingOverflow(2 + p)
      let (total, o3) = perBlock.multipliedReportingOverflow(by: blocks)
      return o1 || o2 || o3 || p > 1 << 32 ? nil : total
    }

    /// Whether these parameters are ones Cairn will derive with.
    public var isAcceptable: Bool {
      let (blockCount, overflow) = r.multipliedReportingOverflow(by: p)
      guard n > 1, n & (n - 1) == 0, r >= 1, p >= 1, !overflow, blockCount < 1 << 30 else { return false }
      guard let memory = memoryNeeded else { return false }
      return memory <= Self.maximumMemory
    }

    public var description: String { "N=\(n), r=\(r), p=\(p)" }
  }

  /// How Cairn mixes the lanes: on so many threads at once, each keeping
  /// every `2^keepShift`-th intermediate value, with AVX-512 where the
  /// processor has it unless `wideVectors` is false (for tests of the
  /// baseline code on such processors).
  struct LaneMixing: Equatable {
    var threads: UInt64
    var keepShift: UInt32
    var wideVectors = true
  }

  /// One thread per core, no more than there are lanes, each keeping so few
  /// intermediate values that all of them together hold what libcrypto's
  /// single lane does (`128 * r * N` bytes): a key derivation never needs
  /// more memory than on one core. On one core (or with one lane), nil:
  /// libcrypto's `EVP_PBE_scrypt`, lane after lane.
  static func laneMixing(for parameters: Parameters, cores: Int = Parallelism.processors) -> LaneMixing? {
    let threads = min(parameters.p, UInt64(max(1, cores)))
    guard threads > 1, parameters.n <= 1 << 32 else { return nil }
    var shift: UInt32 = 0
    while 1 << shift < threads { shift += 1 }
    while shift > 0 && parameters.n >> shift == 0 { shift -= 1 }
    return LaneMixing(threads: threads, keepShift: shift)
  }

  /// Derives `count` bytes (32, a key, unless told) from `password` and `salt`.
  public static func deriveKey(
    password: [UInt8], salt: [UInt8], parameters: Parameters, count: Int = 32
  ) throws -> [UInt8] {
    try deriveKey(password: password, salt: salt, parameters: parameters, count: count, mixing: .chosen)
  }

  /// Who mixes the lanes: as `laneMixing` chooses, or (for tests comparing
  /// the two) libcrypto, or Cairn's lanes as told.
  enum Mixing: Equatable {
    case chosen
    case libcrypto
    case lanes(LaneMixing)
  }

  static func deriveKey(
    password: [UInt8], salt: [UInt8], parameters: Parameters, count: Int, mixing: Mixing
  ) throws -> [UInt8] {
    guard parameters.isAcceptable, let memory = parameters.memoryNeeded else {
      throw CairnError(
        .invalidArgument,
        "scrypt parameters \(parameters) are out of range: N must be a power of two and the memory at most 1 GiB")
    }
    // nil: libcrypto mixes the lanes, one after another.
    let lanes: LaneMixing?
    switch mixing {
    case .chosen: lanes = laneMixing(for: parameters)
    case .libcrypto: lanes = nil
    case .lanes(let told): lanes = told
    }
    var key = [UInt8](repeating: 0, count: count)
    let status = password.withUnsafeBytes { passwordBytes in
      salt.withUnsafeBytes { saltBytes in
        key.withUnsafeMutableBufferPointer { out in
          if let lanes {
            return cairn_scrypt_lanes(
              passwordBytes.baseAddress, passwordBytes.count, saltBytes.baseAddress, saltBytes.count, parameters.n,
              parameters.r, parameters.p, lanes.threads, lanes.keepShift, lanes.wideVectors ? 1 : 0,
              out.baseAddress, out.count)
          }
          return cairn_scrypt(
            passwordBytes.baseAddress, passwordBytes.count, saltBytes.baseAddress, saltBytes.count, parameters.n,
            parameters.r, parameters.p, memory + (1 << 20), out.baseAddress, out.count)
        }
      }
    }
    guard status == 1 else {
      throw CairnError(.io, "could not derive a key with scrypt (\(parameters)): is memory short?")
    }
    return key
  }
}
