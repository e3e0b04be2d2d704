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
  ///
  /// Through the C library's `localtime_r`, not a `DateFormatter`: `ls` prints
  /// one per entry, and a formatter made per line cost about 50 µs (58 s for
  /// a million entries).
  static func localTime(_ date: Date) -> String {
    _ = zoneLoaded
    var seconds = time_t(date.timeIntervalSince1970.rounded(.down))
    var parts = tm()
    guard localtime_r(&seconds, &parts) != nil else { return String(Int64(seconds)) }
    let offset = Int(parts.tm_gmtoff)
    func padded(_ value: Int32, _ width: Int = 2) -> String {
      let digits = String(value)
      return String(repeating: "0", count: max(0, width - digits.count)) + digits
    }
    let date = "\(padded(parts.tm_year + 1900, 4))-\(padded(parts.tm_mon + 1))-\(padded(parts.tm_mday))"
    let time = "\(padded(parts.tm_hour)):\(padded(parts.tm_min)):\(padded(parts.tm_sec))"
    let zone = "\(offset < 0 ? "-" : "+")\(padded(Int32(abs(offset) / 3600))):\(padded(Int32(abs(offset) % 3600 / 60)))"
    return "\(date) \(time) \(zone)"
  }

  /// `localtime_r` needs the zone read once (`tzset`); `localtime` would do it on every call.
  private static let zoneLoaded: Void = tzset()

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
