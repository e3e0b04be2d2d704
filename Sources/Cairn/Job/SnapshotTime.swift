public import Foundation

/// The time given to `backup --time`, in the forms restic's `backup --time`
/// takes: `2026-01-02 15:04:05` in the local time zone, or ISO 8601 with a
/// zone (`2026-01-02T15:04:05Z`, `2026-01-02T15:04:05+01:00`, fractions of
/// a second allowed).
public enum SnapshotTime {
  /// What the forms look like, for messages.
  public static let accepted = "'2026-01-02 15:04:05' (local time) or ISO 8601 with a zone ('2026-01-02T15:04:05Z')"

  /// The date `text` names, or nil when it is in neither form.
  public static func parse(_ text: String, timeZone: TimeZone = .current) -> Date? {
    if let date = localTime(text, timeZone: timeZone) { return date }
    // ISO 8601 must carry its zone: a bare `T` time would be read as UTC, silently.
    guard text.hasSuffix("Z") || text.hasSuffix("z") || hasOffset(text) else { return nil }
    return Timestamps.parse(text.uppercased())
  }

  private static func localTime(_ text: String, timeZone: TimeZone) -> Date? {
    let formatter = DateFormatter()
    formatter.locale = Locale(identifier: "en_US_POSIX")
    formatter.calendar = Calendar(identifier: .gregorian)
    formatter.timeZone = timeZone
    formatter.isLenient = false
    formatter.dateFormat = "yyyy-MM-dd HH:mm:ss"
    guard text.utf8.count == 19, let date = formatter.date(from: text) else { return nil }
    // DateFormatter accepts some out-of-range fields; the round trip refuses them.
    return formatter.string(from: date) == text ? date : nil
  }

  /// Whether `text` ends in `+HH:MM` or `-HH:MM` after its time.
  private static func hasOffset(_ text: String) -> Bool {
    let suffix = Array(text.utf8.suffix(6))
    guard suffix.count == 6, suffix[0] == UInt8(ascii: "+") || suffix[0] == UInt8(ascii: "-"),
      suffix[3] == UInt8(ascii: ":"), text.contains("T")
    else { return false }
    return [1, 2, 4, 5].allSatisfy { (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(suffix[$0]) }
  }
}
