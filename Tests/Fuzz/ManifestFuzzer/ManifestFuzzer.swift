import CFuzzerDriver
import Cairn
import Foundation

/// libFuzzer entry point: one input is the plaintext of one manifest part
/// (what its envelope holds: bytes that start with `CAIRNMF2`). A malformed
/// part must make the decoder throw; a trap is the finding.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ start: UnsafeRawPointer, _ count: Int) -> CInt {
  _ = try? FormatValidation.decodeManifestPart(Array(UnsafeRawBufferPointer(start: start, count: count)))
  return 0
}

@main enum ManifestFuzzer {
  static func main() {
    exit(cairn_fuzzer_run(CommandLine.argc, CommandLine.unsafeArgv, fuzz))
  }
}
