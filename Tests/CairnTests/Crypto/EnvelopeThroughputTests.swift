import Foundation
import Testing

@testable import Cairn

/// Throughput figures for the report and Docs/PERFORMANCE.md, printed rather
/// than asserted. Run in release: `CAIRN_MEASURE=1 swift test -c release
/// -Xswiftc -enable-testing --filter EnvelopeThroughputTests`.
@Suite(.enabled(if: ProcessInfo.processInfo.environment["CAIRN_MEASURE"] != nil), .serialized)
struct EnvelopeThroughputTests {
  private func seconds(_ body: () throws -> Void) rethrows -> Double {
    let start = ContinuousClock.now
    try body()
    let elapsed = ContinuousClock.now - start
    return Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
  }

  @Test func sealAndOpenOneMebibyteBlocks() throws {
    let blockCount = 128
    let inputs = [("random", pseudoRandomBytes(1 << 20)), ("compressible", compressibleBytes(1 << 20))]
    let variants: [(String, EnvelopeSettings)] = [
      ("none", EnvelopeSettings(compression: .none)),
      ("zstd-1", EnvelopeSettings(compression: .zstd(level: 1))),
      ("zstd-3", EnvelopeSettings(compression: .zstd(level: 3))),
      ("aes", EnvelopeSettings(compression: .none, encryption: testCipher())),
      ("zstd-3+aes", EnvelopeSettings(compression: .zstd(level: 3), encryption: testCipher())),
    ]
    for (inputName, input) in inputs {
      for (variantName, settings) in variants {
        var zstd = Zstd()
        var sealed: [UInt8] = []
        let sealTime = try seconds {
          for _ in 0..<blockCount {
            sealed = try input.withUnsafeBytes {
              try ObjectEnvelope.seal($0, binding: "objects/ab/x", settings: settings, using: &zstd)
            }
          }
        }
        let openTime = try seconds {
          for _ in 0..<blockCount {
            _ = try sealed.withUnsafeBytes {
              try ObjectEnvelope.open(
                $0, binding: "objects/ab/x", dataKey: settings.encryption, maximumLogicalSize: 1 << 20, using: &zstd)
            }
          }
        }
        let perCallTime = try seconds {
          for _ in 0..<blockCount {
            _ = try ObjectEnvelope.seal(input, binding: "objects/ab/x", settings: settings)
          }
        }
        let megabytes = Double(blockCount)
        print(
          "envelope \(inputName) \(variantName): stored \(sealed.count) bytes; "
            + "seal \(Int(megabytes / sealTime)) MiB/s (per-call contexts \(Int(megabytes / perCallTime)) MiB/s), "
            + "open \(Int(megabytes / openTime)) MiB/s")
      }
    }
    let block = pseudoRandomBytes(1 << 20)
    let hashTime = seconds { for _ in 0..<blockCount { _ = SHA256.hash(block) } }
    let hmacTime = seconds {
      for _ in 0..<blockCount { _ = HMACSHA256.tag(block, key: [UInt8](repeating: 1, count: 32)) }
    }
    print(
      "addressing: SHA-256 \(Int(Double(blockCount) / hashTime)) MiB/s, HMAC-SHA256 \(Int(Double(blockCount) / hmacTime)) MiB/s"
    )
  }

  @Test func defaultScryptTime() throws {
    for _ in 0..<3 {
      let time = try seconds {
        _ = try Scrypt.deriveKey(password: Array("password".utf8), salt: [1, 2, 3], parameters: .default)
      }
      print("scrypt \(Scrypt.Parameters.default): \(time) s")
    }
  }
}
