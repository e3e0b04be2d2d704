/// "did you mean 'backup'?" for a first argument that is no subcommand.
enum SubcommandSuggestion {
  /// The error for `word` when it is not one of `names` (nil when it is, or
  /// when it is an option); suggests the closest name when one is close.
  static func unknown(_ word: String, among names: [String]) -> String? {
    guard !word.hasPrefix("-"), !names.contains(word) else { return nil }
    let lowered = word.lowercased()
    let prefixed = names.filter { $0.hasPrefix(lowered) }
    let scored = names.map { (name: $0, distance: distance(lowered, $0)) }
    let closest = scored.min { $0.distance < $1.distance }.flatMap { best in
      best.distance <= max(2, best.name.count / 3) ? best.name : nil
    }
    var message = "unknown command '\(word)'"
    if let suggestion = prefixed.count == 1 ? prefixed[0] : closest {
      message += "; did you mean '\(suggestion)'?"
    } else {
      message += "; the commands are \(names.filter { $0 != "help" }.map { "'\($0)'" }.joined(separator: ", "))"
    }
    return message
  }

  /// Damerau-Levenshtein distance (optimal string alignment): a swap of two
  /// neighbouring letters, as in 'backpu', counts as one edit.
  static func distance(_ a: String, _ b: String) -> Int {
    let a = Array(a)
    let b = Array(b)
    if a.isEmpty || b.isEmpty { return max(a.count, b.count) }
    var table = Array(repeating: Array(repeating: 0, count: b.count + 1), count: a.count + 1)
    for i in 0...a.count { table[i][0] = i }
    for j in 0...b.count { table[0][j] = j }
    for i in 1...a.count {
      for j in 1...b.count {
        let cost = a[i - 1] == b[j - 1] ? 0 : 1
        table[i][j] = min(table[i - 1][j] + 1, table[i][j - 1] + 1, table[i - 1][j - 1] + cost)
        if i > 1, j > 1, a[i - 1] == b[j - 2], a[i - 2] == b[j - 1] {
          table[i][j] = min(table[i][j], table[i - 2][j - 2] + 1)
        }
      }
    }
    return table[a.count][b.count]
  }
}
