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
  /// nil: the default of where the repository lives.
  public var blockSize: Int?
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

  /// Parses a job file's text; `path` is where it is (relative paths in it
  /// are resolved against its directory) and is named in every error.
  public static func parse(_ text: String, path: String) throws(CairnError) -> JobConfig {
    let fields = try JobConfigFields(text: text, path: path)
    var config = try JobConfig(required: fields)
    try config.readExcludePatterns(fields)
    try config.readRetention(fields)
    try config.readSchedule(fields)
    try config.readHooks(fields)
    try config.readExcludeRules(fields)
    try config.readLogFile(fields)
    try config.readRepositorySettings(fields)
    try config.readS3(fields)
    return config
  }
}

extension JobConfig {
  /// `repository` and `sources`, the two keys every job file needs, and
  /// `create_repository`. A missing source is not a config error: the run
  /// warns, backs up the others and exits 3.
  fileprivate init(required fields: JobConfigFields) throws(CairnError) {
    guard let repository = try fields.path("repository") else {
      throw fields.failure(fields.root, "missing key 'repository' (the directory backups go to)")
    }
    guard let sources = try fields.strings("sources")?.map({ Self.resolve($0, relativeTo: fields.path) }),
      !sources.isEmpty
    else {
      throw fields.failure(
        fields.field("sources")?.key ?? fields.root, "key 'sources' must list at least one directory")
    }
    self.init(repository: repository, sources: sources)
    createRepository = try fields.bool("create_repository") ?? false
  }

  fileprivate mutating func readExcludePatterns(_ fields: JobConfigFields) throws(CairnError) {
    exclude = try fields.strings("exclude") ?? []
    for (index, pattern) in exclude.enumerated() where !ExcludeMatcher.isValid(pattern) {
      throw fields.failure(fields.field("exclude")?.value.sequence?[index], "exclude pattern '\(pattern)' is malformed")
    }
  }

  /// The keep rules: `keep` (alias `keep_last`, `retention_count`), the
  /// calendar rules, `keep_within`, `keep_tags`; with none, keep the newest 7.
  /// Then `group_by` and the `tags` given to each snapshot.
  fileprivate mutating func readRetention(_ fields: JobConfigFields) throws(CairnError) {
    if fields.field("keep") != nil, let (key, _) = fields.field("keep_last") {
      throw fields.failure(key, "'keep' and 'keep_last' are the same rule; give one")
    }
    let counts = 1...1_000_000
    var policy = RetentionPolicy()
    let keepLast = try fields.integer("keep_last", range: counts)
    policy.last = try fields.integer("keep", range: counts) ?? keepLast ?? 0
    policy.hourly = try fields.integer("keep_hourly", range: counts) ?? 0
    policy.daily = try fields.integer("keep_daily", range: counts) ?? 0
    policy.weekly = try fields.integer("keep_weekly", range: counts) ?? 0
    policy.monthly = try fields.integer("keep_monthly", range: counts) ?? 0
    policy.yearly = try fields.integer("keep_yearly", range: counts) ?? 0
    if let within = try fields.string("keep_within") {
      do {
        policy.within = try RetentionDuration(parsing: within)
      } catch {
        throw fields.failure(fields.field("keep_within")?.key, "key 'keep_within': \(error.message)")
      }
    }
    policy.tags = try fields.strings("keep_tags") ?? []
    retention = policy.isEmpty ? RetentionPolicy(last: 7) : policy
    if let groupBy = fields.field("group_by") {
      guard case .scalar = groupBy.value, let text = groupBy.value.string else {
        throw fields.failure(groupBy.key, "key 'group_by' must be text such as 'host,paths'")
      }
      do {
        self.groupBy = try SnapshotGrouping(parsing: text)
      } catch {
        throw fields.failure(groupBy.key, "key 'group_by': \(error.message)")
      }
    }
    tags = try fields.strings("tags") ?? []
  }

  /// How often a full, and how often a run backs up with `--if-due`.
  fileprivate mutating func readSchedule(_ fields: JobConfigFields) throws(CairnError) {
    fullEveryDays = try fields.number("full_every_days") ?? 14
    backupIntervalHours = try fields.number("backup_interval_hours") ?? 24
  }

  fileprivate mutating func readHooks(_ fields: JobConfigFields) throws(CairnError) {
    hooks.before = try fields.commands(JobHooks.Stage.before.rawValue) ?? []
    hooks.after = try fields.commands(JobHooks.Stage.after.rawValue) ?? []
    hooks.onFailure = try fields.commands(JobHooks.Stage.onFailure.rawValue) ?? []
  }

  /// The standard excludes, and the patterns of `exclude_file` (read now, so
  /// that a missing file is an error of the config).
  fileprivate mutating func readExcludeRules(_ fields: JobConfigFields) throws(CairnError) {
    excludeRules.excludeCaches = try fields.bool("exclude_caches") ?? false
    excludeRules.ifPresent = try fields.strings("exclude_if_present") ?? []
    excludeRules.oneFileSystem = try fields.bool("one_file_system") ?? false
    if let (key, value) = fields.field("exclude_larger_than") {
      guard case .scalar(let scalar) = value else {
        throw fields.failure(key, "key 'exclude_larger_than' must be a size")
      }
      do {
        excludeRules.largerThan = try SourceExcludes.size(scalar.string)
      } catch {
        throw fields.failure(key, "key 'exclude_larger_than': \(error.message)")
      }
    }
    if let file = try fields.string("exclude_file") {
      do {
        exclude += try SourceExcludes.patterns(fromFile: file)
      } catch {
        throw fields.failure(fields.field("exclude_file")?.key, error.message)
      }
    }
  }

  /// `log_file`, whose directory must exist: a log that cannot be written
  /// would hide every later failure.
  fileprivate mutating func readLogFile(_ fields: JobConfigFields) throws(CairnError) {
    logFile = try fields.path("log_file")
    guard let logFile else { return }
    let directory = URL(fileURLWithPath: logFile).deletingLastPathComponent().path
    var isDirectory: ObjCBool = false
    guard FileManager.default.fileExists(atPath: directory, isDirectory: &isDirectory), isDirectory.boolValue else {
      throw fields.failure(
        fields.field("log_file")?.key, "the directory of log_file '\(logFile)', '\(directory)', does not exist")
    }
  }

  /// The block size of a repository the job creates, the lock wait, the password.
  fileprivate mutating func readRepositorySettings(_ fields: JobConfigFields) throws(CairnError) {
    blockSize = try fields.integer("block_size", range: RepositoryConfig.blockSizeRange)
    lockWaitSeconds = try fields.integer("lock_wait_seconds", range: 0...86400) ?? 300
    passwordFile = try fields.path("password_file")
    passwordCommand = try fields.string("password_command")
  }

  /// The S3 settings; the keys' files come in pairs or not at all.
  fileprivate mutating func readS3(_ fields: JobConfigFields) throws(CairnError) {
    s3AccessKeyIDFile = try fields.path("s3_access_key_id_file")
    s3SecretAccessKeyFile = try fields.path("s3_secret_access_key_file")
    s3SessionTokenFile = try fields.path("s3_session_token_file")
    s3Region = try fields.string("s3_region")
    s3PathStyle = try fields.bool("s3_path_style") ?? false
    s3Connections = try fields.integer("s3_connections", range: 1...256) ?? 32
    if (s3AccessKeyIDFile == nil) != (s3SecretAccessKeyFile == nil) {
      throw fields.failure(
        fields.field("s3_access_key_id_file")?.key ?? fields.field("s3_secret_access_key_file")?.key,
        "give both s3_access_key_id_file and s3_secret_access_key_file, or neither (then AWS_* from the environment)")
    }
  }

  init(repository: String, sources: [String]) {
    self.repository = repository
    self.sources = sources
  }
}
