import Foundation

/// The keep rules of `forget` and of the scheduled job, as restic has them:
/// every rule counts within a group of snapshots (by default, one host's
/// snapshots of one set of sources), and a snapshot is kept when any rule
/// keeps it.
public struct RetentionPolicy: Sendable, Equatable {
  /// The newest N snapshots.
  public var last = 0
  /// The newest snapshot in each of the last N hours (days, …) that have snapshots.
  public var hourly = 0
  public var daily = 0
  public var weekly = 0
  public var monthly = 0
  public var yearly = 0
  /// Every snapshot at most this long before the group's newest.
  public var within: RetentionDuration?
  /// Every snapshot carrying any of these tags.
  public var tags: [String] = []

  public init() {}

  /// A policy of one rule: keep the newest `count`.
  public init(last count: Int) { last = count }

  /// True when no rule is set: such a policy would remove everything.
  public var isEmpty: Bool {
    last == 0 && hourly == 0 && daily == 0 && weekly == 0 && monthly == 0 && yearly == 0 && within == nil
      && tags.isEmpty
  }

  /// The rules, as `--keep-…` options would spell them (for logs and summaries).
  public var description: String {
    var parts: [String] = []
    for (name, count) in [
      ("last", last), ("hourly", hourly), ("daily", daily), ("weekly", weekly), ("monthly", monthly),
      ("yearly", yearly),
    ] where count > 0 {
      parts.append("\(name)=\(count)")
    }
    if let within { parts.append("within=\(within)") }
    for tag in tags { parts.append("tag=\(tag)") }
    return parts.joined(separator: " ")
  }

  /// Parses a rule's count: a whole number, at least 1. `option` names the
  /// rule in the error (`--keep-daily`, `keep_daily`).
  public static func count(_ text: String, option: String) throws(CairnError) -> Int {
    guard let value = Int(text.trimmingCharacters(in: .whitespaces)) else {
      throw CairnError(.invalidArgument, "\(option) needs a whole number of snapshots, not '\(text)'")
    }
    guard value >= 1 else {
      throw CairnError(.invalidArgument, "\(option) must be at least 1, not \(value)")
    }
    return value
  }
}

/// A span of calendar time for `--keep-within`: years, months, days and
/// hours, written like `30d`, `2w`, `1y2m`, `12h` (w is 7 days).
public struct RetentionDuration: Sendable, Equatable, CustomStringConvertible {
  public var years = 0
  public var months = 0
  public var days = 0
  public var hours = 0

  public init(years: Int = 0, months: Int = 0, days: Int = 0, hours: Int = 0) {
    self.years = years
    self.months = months
    self.days = days
    self.hours = hours
  }

  /// Parses `1y2m3w4d5h` (any of the parts, in any order, at least one).
  public init(parsing text: String) throws(CairnError) {
    func failure() -> CairnError {
      CairnError(
        .invalidArgument,
        "'\(text)' is not a duration; write a number and a unit (y years, m months, w weeks, d days, h hours),"
          + " for example 30d, 2w, 1y2m or 12h")
    }
    var digits = ""
    var sawPart = false
    for character in text {
      if character.isASCII, character.isNumber {
        digits.append(character)
        continue
      }
      guard let number = Int(digits), number >= 0 else { throw failure() }
      switch character {
      case "y": years += number
      case "m": months += number
      case "w": days += 7 * number
      case "d": days += number
      case "h": hours += number
      default: throw failure()
      }
      digits = ""
      sawPart = true
    }
    guard sawPart, digits.isEmpty else { throw failure() }
  }

  public var description: String {
    var text = ""
    if years > 0 { text += "\(years)y" }
    if months > 0 { text += "\(months)m" }
    if days > 0 { text += "\(days)d" }
    if hours > 0 { text += "\(hours)h" }
    return text.isEmpty ? "0h" : text
  }

  /// `date` moved back by this duration, in `calendar`.
  func subtracted(from date: Date, in calendar: Calendar) -> Date {
    var components = DateComponents()
    components.year = -years
    components.month = -months
    components.day = -days
    components.hour = -hours
    return calendar.date(byAdding: components, to: date) ?? date
  }
}
