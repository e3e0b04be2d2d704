/// Just enough XML for S3's answers (ListObjectsV2, DeleteObjects, errors):
/// the text of simple elements, in document order. S3's answers are flat and
/// generated, so a scanner over tags is enough; entities are decoded.
enum S3XML {
  /// The decoded text of every `<tag>…</tag>` in `xml`, in order.
  static func values(_ tag: String, in xml: Substring) -> [String] {
    let open = "<\(tag)>"
    let close = "</\(tag)>"
    var out: [String] = []
    var rest = xml[...]
    while let start = rest.firstRange(of: open) {
      let after = rest[start.upperBound...]
      guard let end = after.firstRange(of: close) else { break }
      out.append(decode(after[..<end.lowerBound]))
      rest = after[end.upperBound...]
    }
    return out
  }

  /// The decoded text of the first `<tag>…</tag>`, if any.
  static func value(_ tag: String, in xml: Substring) -> String? {
    values(tag, in: xml).first
  }

  /// The raw contents of every `<tag>…</tag>` block (not decoded), for nested elements.
  static func blocks(_ tag: String, in xml: Substring) -> [Substring] {
    let open = "<\(tag)>"
    let close = "</\(tag)>"
    var out: [Substring] = []
    var rest = xml[...]
    while let start = rest.firstRange(of: open) {
      let after = rest[start.upperBound...]
      guard let end = after.firstRange(of: close) else { break }
      out.append(after[..<end.lowerBound])
      rest = after[end.upperBound...]
    }
    return out
  }

  /// Decodes `&amp;`, `&lt;`, `&gt;`, `&quot;`, `&apos;` and numeric references.
  static func decode(_ text: Substring) -> String {
    guard text.contains("&") else { return String(text) }
    var out = ""
    var rest = text[...]
    while let amp = rest.firstIndex(of: "&") {
      out += rest[..<amp]
      let tail = rest[amp...]
      guard let semi = tail.firstIndex(of: ";"), tail.distance(from: amp, to: semi) <= 10 else {
        out += "&"
        rest = rest[rest.index(after: amp)...]
        continue
      }
      let entity = tail[tail.index(after: amp)..<semi]
      var replacement: String?
      switch entity {
      case "amp": replacement = "&"
      case "lt": replacement = "<"
      case "gt": replacement = ">"
      case "quot": replacement = "\""
      case "apos": replacement = "'"
      default:
        if entity.hasPrefix("#x") || entity.hasPrefix("#X"), let code = UInt32(entity.dropFirst(2), radix: 16) {
          replacement = Unicode.Scalar(code).map { String(Character($0)) }
        } else if entity.hasPrefix("#"), let code = UInt32(entity.dropFirst()) {
          replacement = Unicode.Scalar(code).map { String(Character($0)) }
        }
      }
      if let replacement {
        out += replacement
        rest = tail[tail.index(after: semi)...]
      } else {
        out += "&"
        rest = rest[rest.index(after: amp)...]
      }
    }
    out += rest
    return out
  }

  /// Escapes text for an element's content.
  static func escape(_ text: String) -> String {
    var out = ""
    out.reserveCapacity(text.utf8.count)
    for character in text {
      switch character {
      case "&": out += "&amp;"
      case "<": out += "&lt;"
      case ">": out += "&gt;"
      case "\"": out += "&quot;"
      case "'": out += "&apos;"
      default: out.append(character)
      }
    }
    return out
  }
}
