public import Foundation
public import Logging

/// An append-only log file (`backup.log`): one line per event, written with a
/// single `write(2)` on a descriptor opened with O_APPEND, so lines from
/// concurrent runs never interleave and nothing is ever truncated.
public final class RunLogFile: Sendable {
  public let path: String
  private let descriptor: Int32

  public init(path: String) throws(CairnError) {
    self.path = path
    do {
      descriptor = try SystemCalls.open(path, flags: [.writeOnly, .create, .append], mode: 0o640)
    } catch {
      throw .system("open", error, "could not open log file '\(path)'")
    }
  }

  deinit { SystemCalls.close(descriptor) }

  /// Appends one line (a newline is added); failures are ignored: logging
  /// must never be the reason a backup fails.
  func append(_ line: String) {
    var bytes = Array(line.utf8)
    bytes.removeAll { $0 == 0x0A || $0 == 0x0D }
    bytes.append(0x0A)
    try? SystemCalls.write(descriptor, bytes)
  }
}

/// A swift-log handler writing strict logfmt lines to a `RunLogFile`:
/// `time=… level=info msg="…" run=… key=value…`, the other keys sorted.
/// The time is ISO 8601 UTC with milliseconds; the message is always quoted;
/// other values are quoted when they hold spaces, quotes, `=`, `\` or
/// control characters.
public struct RunLogHandler: LogHandler {
  private let file: RunLogFile
  private let clock: @Sendable () -> Date
  public var metadata: Logger.Metadata = [:]
  public var logLevel: Logger.Level = .info

  public init(file: RunLogFile, clock: @escaping @Sendable () -> Date = { Date() }) {
    self.file = file
    self.clock = clock
  }

  public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
    get { metadata[key] }
    set { metadata[key] = newValue }
  }

  public func log(event: LogEvent) {
    var merged = metadata
    if let extra = event.metadata { merged.merge(extra) { _, new in new } }
    var line =
      "time=\(Timestamps.format(clock())) level=\(event.level.rawValue) msg=\(Self.quoted("\(event.message)", always: true))"
    if let run = merged.removeValue(forKey: "run") { line += " run=\(Self.quoted("\(run)"))" }
    for key in merged.keys.sorted() {
      line += " \(key)=\(Self.quoted("\(merged[key]!)"))"
    }
    file.append(line)
  }

  /// Values with spaces, quotes or control characters are quoted and escaped.
  static func quoted(_ value: String, always: Bool = false) -> String {
    let needsQuotes =
      always || value.isEmpty
      || value.contains { $0 == " " || $0 == "\"" || $0 == "=" || $0 == "\\" || $0.isNewline || $0 == "\t" }
    guard needsQuotes else { return value }
    var result = "\""
    for character in value {
      switch character {
      case "\"": result += "\\\""
      case "\\": result += "\\\\"
      case "\n": result += "\\n"
      case "\r": result += "\\r"
      case "\t": result += "\\t"
      default: result.append(character)
      }
    }
    return result + "\""
  }
}
