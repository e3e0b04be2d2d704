import CFuzzerDriver
import Cairn
import Foundation

/// libFuzzer entry point: one input is one repository `config`. A
/// malformed config must make the decoder throw; a trap is the finding.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ start: UnsafeRawPointer, _ count: Int) -> CInt {
  _ = try? FormatValidation.decodeRepositoryConfig(Data(bytes: start, count: count))
  return 0
}

@main enum ConfigFuzzer {
  static func main() {
    exit(cairn_fuzzer_run(CommandLine.argc, CommandLine.unsafeArgv, fuzz))
  }
}
