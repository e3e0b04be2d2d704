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
  /// The keep rules applied after each backup, to the job's own group:
  /// `keep` (or `keep_last`) and the `keep_*` calendar rules. Default: keep the newest 7.
  public var retention = RetentionPolicy(last: 7)
  public var groupBy = SnapshotGrouping.hostAndPaths
  /// Tags given to every snapshot the job makes.
  public var tags: [String] = []
  /// Shell commands run before and after each run, and when it fails.
  public var hooks = JobHooks()
  /// exclude_caches, exclude_if_present, exclude_larger_than, one_file_system.
  public var excludeRules = SourceExcludes()
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
  public var resolvedLogFile: String? {
    logFile ?? (Self.isRemote(repository) ? nil : "\(repository)/backup.log")
  }

  /// S3 settings for an `s3:` repository; secrets come from files, never inline.
  public var s3AccessKeyIDFile: String?
  public var s3SecretAccessKeyFile: String?
  public var s3SessionTokenFile: String?
  public var s3Region: String?
  public var s3PathStyle = false
  public var s3Connections = 32

  /// `s3:…` repositories are URLs, not paths.
  public static func isRemote(_ repository: String) -> Bool { repository.hasPrefix("s3:") }

  static let keys = [
    "repository", "create_repository", "sources", "exclude", "keep", "keep_last", "keep_hourly", "keep_daily",
    "keep_weekly", "keep_monthly", "keep_yearly", "keep_within", "keep_tags", "group_by", "tags", "before", "after",
    "on_failure", "exclude_caches", "exclude_if_present", "exclude_larger_than", "exclude_file", "one_file_system",
    "full_every_days",
    "backup_interval_hours", "log_file", "block_size", "lock_wait_seconds", "password_file", "password_command",
    "s3_access_key_id_file", "s3_secret_access_key_file",
    "s3_session_token_file", "s3_region", "s3_path_style", "s3_connections",
  ]

  /// The names the backup script Cairn replaces used, accepted as aliases.
  static let aliases = [
    "source_directories": "sources", "destination": "repository", "retention_count": "keep",
    "full_backup_interval_days": "full_every_days",
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
      if key.string == "repository" || key.string == "destination" { repository = value.string }
    }
    return repository.flatMap { isRemote($0) ? nil : "\(resolve($0, relativeTo: path))/backup.log" }
  }

  /// A path from the config file: absolute as it is, relative to the
  /// directory the config file is in (not the current directory, which a
  /// scheduler chooses).
  static func resolve(_ value: String, relativeTo configPath: String) -> String {
    guard !value.hasPrefix("/"), !isRemote(value) else { return value }
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
      guard let given = key.string else { throw failure(key, "a setting name must be text") }
      let name = aliases[given] ?? given
      guard keys.contains(name) else {
        throw failure(key, "unknown key '\(given)'; known keys are \(keys.joined(separator: ", "))")
      }
      guard values[name] == nil else {
        let other = given == name ? aliases.first { $0.value == name }?.key ?? name : name
        throw failure(
          key,
          other == given
            ? "key '\(given)' is given twice" : "keys '\(other)' and '\(given)' are the same setting; give one")
      }
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
    // A missing source is not a config error: the run warns, backs up the others and exits 3.
    config.createRepository = try bool("create_repository") ?? false
    config.exclude = try strings("exclude") ?? []
    for (index, pattern) in config.exclude.enumerated() where !ExcludeMatcher.isValid(pattern) {
      throw failure(values["exclude"]?.value.sequence?[index], "exclude pattern '\(pattern)' is malformed")
    }
    try config.readRetention(values: values, integer: integer, string: string, strings: strings, failure: failure)
    config.fullEveryDays = try number("full_every_days") ?? 14
    config.backupIntervalHours = try number("backup_interval_hours") ?? 24
    for stage in [JobHooks.Stage.before, .after, .onFailure] {
      guard let (key, value) = values[stage.rawValue] else { continue }
      let commands: [String]
      if case .scalar = value, let text = value.string, !text.isEmpty {
        commands = [text]
      } else if let list = try strings(stage.rawValue) {
        commands = list
      } else {
        throw failure(key, "key '\(stage.rawValue)' must be a shell command or a list of them")
      }
      switch stage {
      case .before: config.hooks.before = commands
      case .after: config.hooks.after = commands
      case .onFailure: config.hooks.onFailure = commands
      }
    }
    config.excludeRules.excludeCaches = try bool("exclude_caches") ?? false
    config.excludeRules.ifPresent = try strings("exclude_if_present") ?? []
    config.excludeRules.oneFileSystem = try bool("one_file_system") ?? false
    if let (key, value) = values["exclude_larger_than"] {
      guard case .scalar(let scalar) = value else { throw failure(key, "key 'exclude_larger_than' must be a size") }
      do {
        config.excludeRules.largerThan = try SourceExcludes.size(scalar.string)
      } catch {
        throw failure(key, "key 'exclude_larger_than': \(error.message)")
      }
    }
    if let file = try string("exclude_file") {
      do {
        config.exclude += try SourceExcludes.patterns(fromFile: file)
      } catch {
        throw failure(values["exclude_file"]?.key, error.message)
      }
    }
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
    config.passwordFile = try string("password_file").map { resolve($0, relativeTo: path) }
    config.s3AccessKeyIDFile = try string("s3_access_key_id_file").map { resolve($0, relativeTo: path) }
    config.s3SecretAccessKeyFile = try string("s3_secret_access_key_file").map { resolve($0, relativeTo: path) }
    config.s3SessionTokenFile = try string("s3_session_token_file").map { resolve($0, relativeTo: path) }
    config.s3Region = try string("s3_region")
    config.s3PathStyle = try bool("s3_path_style") ?? false
    config.s3Connections = try integer("s3_connections", range: 1...256) ?? 32
    if (config.s3AccessKeyIDFile == nil) != (config.s3SecretAccessKeyFile == nil) {
      throw failure(
        values["s3_access_key_id_file"]?.key ?? values["s3_secret_access_key_file"]?.key,
        "give both s3_access_key_id_file and s3_secret_access_key_file, or neither (then AWS_* from the environment)")
    }
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
  /// The keep rules: `keep` (alias `keep_last`, `retention_count`), the
  /// calendar rules, `keep_within`, `keep_tags`; with none, keep the newest 7.
  fileprivate mutating func readRetention(
    values: [String: (key: Node, value: Node)],
    integer: (String, ClosedRange<Int>) throws(CairnError) -> Int?,
    string: (String) throws(CairnError) -> String?,
    strings: (String) throws(CairnError) -> [String]?,
    failure: (Node?, String) -> CairnError
  ) throws(CairnError) {
    if values["keep"] != nil, let (key, _) = values["keep_last"] {
      throw failure(key, "'keep' and 'keep_last' are the same rule; give one")
    }
    var policy = RetentionPolicy()
    let keepLast = try integer("keep_last", 1...1_000_000)
    policy.last = try integer("keep", 1...1_000_000) ?? keepLast ?? 0
    policy.hourly = try integer("keep_hourly", 1...1_000_000) ?? 0
    policy.daily = try integer("keep_daily", 1...1_000_000) ?? 0
    policy.weekly = try integer("keep_weekly", 1...1_000_000) ?? 0
    policy.monthly = try integer("keep_monthly", 1...1_000_000) ?? 0
    policy.yearly = try integer("keep_yearly", 1...1_000_000) ?? 0
    if let within = try string("keep_within") {
      do {
        policy.within = try RetentionDuration(parsing: within)
      } catch {
        throw failure(values["keep_within"]?.key, "key 'keep_within': \(error.message)")
      }
    }
    policy.tags = try strings("keep_tags") ?? []
    retention = policy.isEmpty ? RetentionPolicy(last: 7) : policy
    if let groupBy = values["group_by"] {
      guard case .scalar = groupBy.value, let text = groupBy.value.string else {
        throw failure(groupBy.key, "key 'group_by' must be text such as 'host,paths'")
      }
      do {
        self.groupBy = try SnapshotGrouping(parsing: text)
      } catch {
        throw failure(groupBy.key, "key 'group_by': \(error.message)")
      }
    }
    tags = try strings("tags") ?? []
  }

  init(repository: String, sources: [String]) {
    self.repository = repository
    self.sources = sources
  }
}
