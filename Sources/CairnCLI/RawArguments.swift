import Cairn
import Synchronization

/// The command line as bytes. Swift decodes arguments as UTF-8, repairing
/// invalid bytes, but a Linux path need not be UTF-8: the raw argument is
/// found again by matching its decoded form. Each raw argument is handed out
/// once, in command-line order, so two arguments that decode alike (`a\xff`
/// and `a\xfe`) stay two different paths when asked for in order.
enum RawArguments {
  private static let used = Mutex(Set<Int>())

  static func bytes(of argument: String) -> [UInt8] {
    used.withLock { used in
      for index in 1..<Int(CommandLine.argc) where !used.contains(index) {
        guard let pointer = CommandLine.unsafeArgv[index] else { continue }
        let raw = Array(UnsafeRawBufferPointer(start: pointer, count: strlenOf(pointer)))
        if String(decoding: raw, as: UTF8.self) == argument {
          used.insert(index)
          return raw
        }
      }
      return Array(argument.utf8)
    }
  }

  static func path(_ argument: String) -> EntryPath { EntryPath(bytes: bytes(of: argument)) }

  private static func strlenOf(_ pointer: UnsafeMutablePointer<CChar>) -> Int {
    var length = 0
    while pointer[length] != 0 { length += 1 }
    return length
  }
}
