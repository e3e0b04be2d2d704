import CFuzzerDriver
import Cairn
import Foundation

/// libFuzzer entry point: one input is one snapshot record
/// (the JSON plaintext of `snapshots/<id>`). A malformed record must make the decoder throw; a
/// trap is the finding.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ start: UnsafeRawPointer, _ count: Int) -> CInt {
  _ = try? FormatValidation.decodeSnapshotRecord(Data(bytes: start, count: count))
  return 0
}

@main enum RecordFuzzer {
  static func main() {
    exit(cairn_fuzzer_run(CommandLine.argc, CommandLine.unsafeArgv, fuzz))
  }
}
