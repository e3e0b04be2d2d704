import Cairn
import Foundation

#if canImport(Glibc)
  import Glibc
#endif

/// Writing to the terminal, and knowing whether there is one.
enum Terminal {
  static var isInteractive: Bool { isatty(STDERR_FILENO) == 1 }

  /// Summaries go to stdout on a terminal, or anywhere with --verbose; under
  /// cron (no terminal) or with --quiet only errors are printed.
  static func showsSummary(quiet: Bool, verbose: Bool) -> Bool {
    !quiet && (verbose || isatty(STDOUT_FILENO) == 1)
  }

  /// Rewrites the current stderr line (for progress): carriage return, clear to end of line.
  static func status(_ line: String) {
    FileHandle.standardError.write(Data(("\r\u{1B}[K" + line).utf8))
  }

  static func error(_ line: String) {
    FileHandle.standardError.write(Data((line + "\n").utf8))
  }

  /// A time for tables: local time to the second, with the zone's offset
  /// (`2026-03-01 03:00:00 +01:00`), so that no reader has to guess the zone.
  static func localTime(_ date: Date) -> String {
    let formatter = DateFormatter()
    formatter.locale = Locale(identifier: "en_US_POSIX")
    formatter.timeZone = TimeZone.current
    formatter.dateFormat = "yyyy-MM-dd HH:mm:ss xxx"
    return formatter.string(from: date)
  }

  static func json<T: Encodable>(_ value: T) throws -> String {
    String(decoding: try JSONEncoder.cairn.encode(value), as: UTF8.self)
  }

  static func bytes(_ count: UInt64) -> String {
    let units = ["B", "KiB", "MiB", "GiB", "TiB"]
    var value = Double(count)
    var unit = 0
    while value >= 1024 && unit < units.count - 1 {
      value /= 1024
      unit += 1
    }
    return unit == 0 ? "\(count) B" : String(format: "%.1f %@", value, units[unit])
  }
}
