import Foundation
import Yams

/// The settings of a job file by their canonical names (aliases resolved),
/// with typed readers whose errors name the file, the line and the key.
struct JobConfigFields {
  let path: String
  /// The document, for errors about a key that is missing.
  let root: Node
  private let values: [String: (key: Node, value: Node)]

  /// Parses `text` as a mapping of known keys, each given once.
  init(text: String, path: String) throws(CairnError) {
    self.path = path
    let document: Node?
    do {
      document = try Yams.compose(yaml: text)
    } catch let error as YamlError {
      throw CairnError(.invalidArgument, "config '\(path)' is not valid YAML: \(Self.describe(error))")
    } catch {
      throw CairnError(.invalidArgument, "config '\(path)' is not valid YAML")
    }
    guard let document, let mapping = document.mapping else {
      throw Self.failure(path, document, "expected a mapping of settings such as 'repository:' and 'sources:'")
    }
    root = document
    var values: [String: (key: Node, value: Node)] = [:]
    for (key, value) in mapping {
      guard let given = key.string else { throw Self.failure(path, key, "a setting name must be text") }
      let name = JobConfig.aliases[given] ?? given
      guard JobConfig.keys.contains(name) else {
        throw Self.failure(
          path, key, "unknown key '\(given)'; known keys are \(JobConfig.keys.joined(separator: ", "))")
      }
      guard values[name] == nil else {
        let other = given == name ? JobConfig.aliases.first { $0.value == name }?.key ?? name : name
        throw Self.failure(
          path, key,
          other == given
            ? "key '\(given)' is given twice" : "keys '\(other)' and '\(given)' are the same setting; give one")
      }
      values[name] = (key, value)
    }
    self.values = values
  }

  /// An error at `node` (its line, when known).
  func failure(_ node: Node?, _ message: String) -> CairnError {
    Self.failure(path, node, message)
  }

  private static func failure(_ path: String, _ node: Node?, _ message: String) -> CairnError {
    let line = node?.mark.map { "line \($0.line): " } ?? ""
    return CairnError(.invalidArgument, "config '\(path)': \(line)\(message)")
  }

  /// The key and value given for `name`, if any.
  func field(_ name: String) -> (key: Node, value: Node)? { values[name] }

  func string(_ name: String) throws(CairnError) -> String? {
    guard let (key, value) = values[name] else { return nil }
    guard case .scalar = value, let text = value.string, !text.isEmpty else {
      throw failure(key, "key '\(name)' must be a non-empty string")
    }
    return text
  }

  /// A path, relative to the config file's directory unless absolute.
  func path(_ name: String) throws(CairnError) -> String? {
    try string(name).map { JobConfig.resolve($0, relativeTo: path) }
  }

  func integer(_ name: String, range: ClosedRange<Int>) throws(CairnError) -> Int? {
    guard let (key, value) = values[name] else { return nil }
    guard case .scalar(let scalar) = value, scalar.style == .plain, let number = Int(scalar.string) else {
      throw failure(key, "key '\(name)' must be a whole number")
    }
    guard range.contains(number) else {
      throw failure(key, "key '\(name)' must be between \(range.lowerBound) and \(range.upperBound)")
    }
    return number
  }

  func number(_ name: String) throws(CairnError) -> Double? {
    guard let (key, value) = values[name] else { return nil }
    guard case .scalar(let scalar) = value, scalar.style == .plain, let number = Double(scalar.string),
      number > 0, number.isFinite
    else { throw failure(key, "key '\(name)' must be a positive number") }
    return number
  }

  func strings(_ name: String) throws(CairnError) -> [String]? {
    guard let (key, value) = values[name] else { return nil }
    guard let sequence = value.sequence else { throw failure(key, "key '\(name)' must be a list") }
    var result: [String] = []
    for item in sequence {
      guard case .scalar = item, let text = item.string, !text.isEmpty else {
        throw failure(item, "every item of '\(name)' must be a non-empty string")
      }
      result.append(text)
    }
    return result
  }

  func bool(_ name: String) throws(CairnError) -> Bool? {
    guard let (key, value) = values[name] else { return nil }
    guard case .scalar(let scalar) = value, scalar.style == .plain, let flag = value.bool else {
      throw failure(key, "key '\(name)' must be true or false")
    }
    return flag
  }

  /// A shell command, or a list of them.
  func commands(_ name: String) throws(CairnError) -> [String]? {
    guard let (key, value) = values[name] else { return nil }
    if case .scalar = value, let text = value.string, !text.isEmpty { return [text] }
    guard value.sequence != nil else {
      throw failure(key, "key '\(name)' must be a shell command or a list of them")
    }
    return try strings(name)
  }

  private static func describe(_ error: YamlError) -> String {
    switch error {
    case .scanner(_, let problem, let mark, _), .parser(_, let problem, let mark, _),
      .composer(_, let problem, let mark, _):
      return "line \(mark.line): \(problem)"
    default:
      return "\(error)".split(separator: "\n").first.map(String.init) ?? "unreadable"
    }
  }
}
