import Foundation
import Yams

/// The scheduled job, as a YAML file: what the original backup script held
/// in variables (sources, destination, how many to keep, how often a full),
/// plus excludes, the log file and the block size used at init.
///
/// YAML because the people this is for know it from borgmatic and from
/// every scheduler's own config; Yams wraps libyaml and gives the line of
/// every key, so errors can point at it.
public struct JobConfig: Sendable, Equatable {
  public var repository: String
  public var createRepository = false
  public var sources: [String]
  public var exclude: [String] = []
  public var keep: Int = 7
  public var fullEveryDays: Double = 14
  public var backupIntervalHours: Double = 24
  /// Default: `backup.log` in the repository.
  public var logFile: String?
  public var blockSize: Int = RepositoryConfig.defaultBlockSize
  public var lockWaitSeconds: Int = 300
  /// Where the password of an encrypted repository comes from (no secrets inline).
  public var passwordFile: String?
  public var passwordCommand: String?

  /// The log file this job writes to.
  public var resolvedLogFile: String { logFile ?? "\(repository)/backup.log" }

  static let keys = [
    "repository", "create_repository", "sources", "exclude", "keep", "full_every_days", "backup_interval_hours",
    "log_file", "block_size", "lock_wait_seconds", "password_file", "password_command",
  ]

  /// Reads and validates a config file; errors name the file, the line and the key.
  public static func load(path: String) throws(CairnError) -> JobConfig {
    guard let data = FileManager.default.contents(atPath: path) else {
      throw CairnError(.notFound, "config file '\(path)' cannot be read")
    }
    return try parse(String(decoding: data, as: UTF8.self), path: path)
  }

  /// Best effort, for logging a failure before the config is valid: the log
  /// file (or repository) named in a config that may be broken elsewhere.
  public static func salvageLogFile(path: String) -> String? {
    guard let data = FileManager.default.contents(atPath: path),
      let root = try? Yams.compose(yaml: String(decoding: data, as: UTF8.self)), let mapping = root.mapping
    else { return nil }
    var repository: String?
    for (key, value) in mapping {
      if key.string == "log_file", let file = value.string { return resolve(file, relativeTo: path) }
      if key.string == "repository" { repository = value.string }
    }
    return repository.map { "\(resolve($0, relativeTo: path))/backup.log" }
  }

  /// A path from the config file: absolute as it is, relative to the
  /// directory the config file is in (not the current directory, which a
  /// scheduler chooses).
  static func resolve(_ value: String, relativeTo configPath: String) -> String {
    guard !value.hasPrefix("/") else { return value }
    let config = URL(fileURLWithPath: configPath)
    return URL(fileURLWithPath: value, relativeTo: config.deletingLastPathComponent()).standardizedFileURL.path
  }

  public static func parse(_ text: String, path: String) throws(CairnError) -> JobConfig {
    func failure(_ node: Node?, _ message: String) -> CairnError {
      let line = node?.mark.map { "line \($0.line): " } ?? ""
      return CairnError(.invalidArgument, "config '\(path)': \(line)\(message)")
    }
    let root: Node?
    do {
      root = try Yams.compose(yaml: text)
    } catch let error as YamlError {
      throw CairnError(.invalidArgument, "config '\(path)' is not valid YAML: \(Self.describe(error))")
    } catch {
      throw CairnError(.invalidArgument, "config '\(path)' is not valid YAML")
    }
    guard let root, let mapping = root.mapping else {
      throw failure(root, "expected a mapping of settings such as 'repository:' and 'sources:'")
    }
    var values: [String: (key: Node, value: Node)] = [:]
    for (key, value) in mapping {
      guard let name = key.string else { throw failure(key, "a setting name must be text") }
      guard keys.contains(name) else {
        throw failure(key, "unknown key '\(name)'; known keys are \(keys.joined(separator: ", "))")
      }
      guard values[name] == nil else { throw failure(key, "key '\(name)' is given twice") }
      values[name] = (key, value)
    }

    func string(_ name: String) throws(CairnError) -> String? {
      guard let (key, value) = values[name] else { return nil }
      guard case .scalar = value, let text = value.string, !text.isEmpty else {
        throw failure(key, "key '\(name)' must be a non-empty string")
      }
      return text
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

    guard let repository = try string("repository").map({ resolve($0, relativeTo: path) }) else {
      throw failure(root, "missing key 'repository' (the directory backups go to)")
    }
    guard let sources = try strings("sources")?.map({ resolve($0, relativeTo: path) }), !sources.isEmpty else {
      throw failure(values["sources"]?.key ?? root, "key 'sources' must list at least one directory")
    }
    var config = JobConfig(repository: repository, sources: sources)
    for (index, source) in sources.enumerated() {
      var isDirectory: ObjCBool = false
      guard FileManager.default.fileExists(atPath: source, isDirectory: &isDirectory) else {
        throw failure(values["sources"]?.value.sequence?[index], "source '\(source)' does not exist")
      }
    }
    config.createRepository = try bool("create_repository") ?? false
    config.exclude = try strings("exclude") ?? []
    for (index, pattern) in config.exclude.enumerated() where !ExcludeMatcher.isValid(pattern) {
      throw failure(values["exclude"]?.value.sequence?[index], "exclude pattern '\(pattern)' is malformed")
    }
    config.keep = try integer("keep", range: 1...1_000_000) ?? 7
    config.fullEveryDays = try number("full_every_days") ?? 14
    config.backupIntervalHours = try number("backup_interval_hours") ?? 24
    config.logFile = try string("log_file").map { resolve($0, relativeTo: path) }
    if let logFile = config.logFile {
      let directory = URL(fileURLWithPath: logFile).deletingLastPathComponent().path
      var isDirectory: ObjCBool = false
      guard FileManager.default.fileExists(atPath: directory, isDirectory: &isDirectory), isDirectory.boolValue else {
        throw failure(
          values["log_file"]?.key, "the directory of log_file '\(logFile)', '\(directory)', does not exist")
      }
    }
    config.blockSize = try integer("block_size", range: RepositoryConfig.blockSizeRange) ?? config.blockSize
    config.lockWaitSeconds = try integer("lock_wait_seconds", range: 0...86400) ?? 300
    config.passwordFile = try string("password_file")
    config.passwordCommand = try string("password_command")
    return config
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

extension JobConfig {
  init(repository: String, sources: [String]) {
    self.repository = repository
    self.sources = sources
  }
}
