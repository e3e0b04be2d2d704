import ArgumentParser
import Cairn
import CairnS3
import Foundation
import Logging

struct BackupCommand: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "backup",
    abstract: "Back up directories as a new snapshot, or run the scheduled job from a config file.",
    discussion: """
      Takes a full snapshot when told to (--full), when the repository has none of these sources, \
      or when the newest full is older than --full-every days; otherwise a differential snapshot \
      holding the changes since that full. Files unchanged since the newest snapshot of the same \
      sources are not read again.

      With --keep-… rules, retention is applied to this backup's group only (host and sources, \
      see --group-by), never to the snapshot just made, and garbage is collected.

      With --config FILE, everything comes from the file: repository, sources, excludes, keep \
      rules, tags, hooks, the full interval and the log file. The run backs up, applies \
      retention, collects garbage and logs each step; this is the command for cron or a systemd \
      timer. It never creates a repository unless the file says create_repository: true.

      Every run appends to backup.log in the repository (or the config's log_file). Exit status: \
      0 success, 1 failure, 3 the snapshot was saved but some files (or a missing source) could \
      not be read, 64 usage error.
      """)

  @OptionGroup var repository: RepositoryOptions

  @Option(help: "Run the scheduled job described by this YAML file.")
  var config: String?

  @Flag(help: "With --config: do nothing (but log it) when the newest snapshot is younger than backup_interval_hours.")
  var ifDue = false

  @Flag(help: "Take a full snapshot: read and hash every file.")
  var full = false

  @Flag(help: "Take a differential snapshot against the newest full.")
  var differential = false

  @Option(help: "Days after which the next backup is full.")
  var fullEvery: Double = 14

  @OptionGroup(title: "Retention after the backup (within this backup's group; then gc)")
  var retention: RetentionOptions

  @Option(help: ArgumentHelp("Label the snapshot with this tag (repeatable).", valueName: "tag"))
  var tag: [String] = []

  @Option(help: "Do not back up paths matching this glob (repeatable): '*.tmp', '/home/*/.cache', '/srv/**/cache'.")
  var exclude: [String] = []

  @Option(help: "Compress new objects of this run with 'none', 'zstd' or 'zstd:LEVEL' (default: the repository's).")
  var compression: String?

  @Flag(help: "Leave out directories holding a CACHEDIR.TAG file with the standard signature.")
  var excludeCaches = false

  @Option(help: ArgumentHelp("Leave out directories holding a file of this name (repeatable).", valueName: "name"))
  var excludeIfPresent: [String] = []

  @Option(help: ArgumentHelp("Leave out files larger than this: bytes, or 500k, 20M, 2G.", valueName: "size"))
  var excludeLargerThan: String?

  @Option(
    help: ArgumentHelp(
      "Read exclude patterns from this file, one a line; '#' starts a comment (repeatable).", valueName: "file"))
  var excludeFile: [String] = []

  @Flag(help: "Do not descend into other file systems mounted below a source.")
  var oneFileSystem = false

  @OptionGroup var output: OutputOptions

  @Argument(help: "Directories (or files) to back up.")
  var sources: [String] = []

  func validate() throws {
    if full && differential { throw ValidationError("--full and --differential exclude each other") }
    if config != nil {
      if !sources.isEmpty { throw ValidationError("--config takes the sources from the file; give no SOURCE") }
      if repository.repo != nil { throw ValidationError("--config takes the repository from the file; drop --repo") }
      if retention.hasRules || !exclude.isEmpty || !tag.isEmpty || excludeCaches || !excludeIfPresent.isEmpty
        || excludeLargerThan != nil || !excludeFile.isEmpty || oneFileSystem
      {
        throw ValidationError(
          "--config takes the keep rules, excludes and tags from the file; drop --keep…, --exclude… and --tag")
      }
    } else {
      if sources.isEmpty { throw ValidationError("name at least one source directory, or give --config FILE") }
      if ifDue { throw ValidationError("--if-due needs --config FILE (it reads backup_interval_hours)") }
    }
    if !(fullEvery > 0) { throw ValidationError("--full-every must be a positive number of days") }
    if let compression, RepositoryConfig.compression(named: compression) == nil {
      throw ValidationError(
        "--compression must be 'none', 'zstd' or 'zstd:LEVEL' with LEVEL 1 to 19, not '\(compression)'")
    }
    _ = try retention.policy()
    _ = try retention.grouping()
    _ = try excludeRules()
    for name in excludeIfPresent where name.isEmpty || name.contains("/") {
      throw ValidationError("--exclude-if-present takes a file name, not '\(name)'")
    }
    for name in tag where name.isEmpty { throw ValidationError("--tag needs a name") }
    for pattern in exclude where !ExcludeMatcher.isValid(pattern) {
      throw ValidationError("exclude pattern '\(pattern)' is malformed")
    }
  }

  /// The standard excludes given on the command line.
  func excludeRules() throws(CairnError) -> SourceExcludes {
    var rules = SourceExcludes()
    rules.excludeCaches = excludeCaches
    rules.ifPresent = excludeIfPresent
    rules.oneFileSystem = oneFileSystem
    if let excludeLargerThan {
      do {
        rules.largerThan = try SourceExcludes.size(excludeLargerThan)
      } catch {
        throw CairnError(.invalidArgument, "--exclude-larger-than: \(error.message)")
      }
    }
    return rules
  }

  func run() async throws {
    var job: BackupJob
    if let config {
      let configuration: JobConfig
      do {
        configuration = try JobConfig.load(path: config)
      } catch {
        // Leave a line saying why, wherever the broken config says the log is.
        OperationLog(path: JobConfig.salvageLogFile(path: config))
          .failedBeforeStart("backup", ["config": "\(config)"], error: error)
        throw error
      }
      job = try BackupJob(configuration: configuration, configPath: config)
      if repository.passwordFile != nil || repository.passwordCommand != nil {
        job.passwordSource = repository.passwordSource
      }
    } else {
      let path = try repository.repositoryPath()
      job = BackupJob(
        repositoryPath: path, sources: sources, exclude: exclude, retention: try retention.policy(),
        fullEveryDays: fullEvery, lockWaitSeconds: repository.lockWait)
      job.grouping = try retention.grouping()
      job.tags = tag
      job.excludeRules = try excludeRules()
      for file in excludeFile { job.exclude += try SourceExcludes.patterns(fromFile: file) }
      job.passwordSource = repository.passwordSource
      job.location = try repository.location()
    }
    job.compression = compression.flatMap(RepositoryConfig.compression(named:))
    let kind: BackupRequest.Kind? = full ? .full : differential ? .differential : nil
    let ifDue = ifDue
    let output = output
    let configured = job
    try await Interruption.run { try await configured.run(kind: kind, ifDue: ifDue, output: output) }
  }
}

/// One run of the backup job: back up, then (with a keep count) retention and gc,
/// each step logged.
struct BackupJob {
  var repositoryPath: String
  /// The repository as the job reaches it (a folder, or S3 with its settings).
  var location: RepositoryLocation
  var sources: [String]
  /// The sources as bytes, as they were given.
  var sourcePaths: [EntryPath]
  var exclude: [String]
  /// The keep rules applied after the backup (then gc); nil for none.
  var retention: RetentionPolicy?
  var grouping = SnapshotGrouping.hostAndPaths
  var tags: [String] = []
  var fullEveryDays: Double
  var lockWaitSeconds: Int
  var createRepository = false
  var blockSize = RepositoryConfig.defaultBlockSize
  var backupIntervalHours: Double?
  var logFile: String?
  var configPath: String?
  var passwordSource = PasswordSource()
  /// Overrides the repository's compression for this run.
  var compression: ObjectCodec.Compression?
  var hooks = JobHooks()
  var excludeRules = SourceExcludes()

  init(
    repositoryPath: String, sources: [String], exclude: [String], retention: RetentionPolicy?,
    fullEveryDays: Double, lockWaitSeconds: Int
  ) {
    self.repositoryPath = repositoryPath
    self.location = RepositoryLocation(repositoryPath)
    self.sources = sources
    self.sourcePaths = sources.map(RawArguments.path)
    self.exclude = exclude
    self.retention = retention
    self.fullEveryDays = fullEveryDays
    self.lockWaitSeconds = lockWaitSeconds
  }

  init(configuration: JobConfig, configPath: String) throws {
    self.init(
      repositoryPath: configuration.repository, sources: configuration.sources, exclude: configuration.exclude,
      retention: configuration.retention, fullEveryDays: configuration.fullEveryDays,
      lockWaitSeconds: configuration.lockWaitSeconds)
    grouping = configuration.groupBy
    tags = configuration.tags
    hooks = configuration.hooks
    excludeRules = configuration.excludeRules
    createRepository = configuration.createRepository
    blockSize = configuration.blockSize
    backupIntervalHours = configuration.backupIntervalHours
    logFile = configuration.resolvedLogFile
    self.configPath = configPath
    passwordSource = PasswordSource(
      passwordFile: configuration.passwordFile, passwordCommand: configuration.passwordCommand)
    location.s3.forcePathStyle = configuration.s3PathStyle
    location.s3.connections = configuration.s3Connections
    location.s3.credentials = try Self.s3Credentials(configuration)
  }

  /// Credentials named by the job's `s3_*_file` keys, or nil to take AWS_* from the environment.
  private static func s3Credentials(_ configuration: JobConfig) throws -> S3Credentials? {
    func read(_ path: String) throws -> String {
      guard let data = FileManager.default.contents(atPath: path) else {
        throw CairnError(.notFound, "S3 credentials file '\(path)' cannot be read")
      }
      return String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
    }
    guard let idFile = configuration.s3AccessKeyIDFile, let secretFile = configuration.s3SecretAccessKeyFile else {
      // Keys from AWS_*; the job's region and session token still apply.
      guard JobConfig.isRemote(configuration.repository),
        configuration.s3Region != nil || configuration.s3SessionTokenFile != nil
      else { return nil }
      let base = try S3Credentials.fromEnvironment()
      return S3Credentials(
        accessKeyID: base.accessKeyID, secretAccessKey: base.secretAccessKey,
        sessionToken: try configuration.s3SessionTokenFile.map(read) ?? base.sessionToken,
        region: configuration.s3Region ?? base.region)
    }
    let environment = ProcessInfo.processInfo.environment
    return S3Credentials(
      accessKeyID: try read(idFile), secretAccessKey: try read(secretFile),
      sessionToken: try configuration.s3SessionTokenFile.map(read),
      region: configuration.s3Region ?? environment["AWS_REGION"] ?? environment["AWS_DEFAULT_REGION"] ?? "us-east-1")
  }

  /// Creates the repository when the config allows it and it does not exist
  /// yet; otherwise a missing repository is an error that suggests the
  /// usual cause: a drive that is not mounted. A job never creates a
  /// repository on the mount point's empty directory unless told to.
  private func createRepositoryIfAllowed() async throws {
    guard try await !location.exists() else { return }
    var isDirectory: ObjCBool = false
    if let local = location.localPath, FileManager.default.fileExists(atPath: local, isDirectory: &isDirectory),
      !isDirectory.boolValue
    {
      throw CairnError(.notARepository, "repository '\(local)' is not a directory")
    }
    guard createRepository else {
      throw CairnError(.notARepository, "repository not found at '\(repositoryPath)' (is the drive mounted?)")
    }
    _ = try await location.initialize(options: Repository.Options(blockSize: blockSize))
    OperationLog(path: logFile).info(
      "repository created", ["repository": "\(repositoryPath)", "blockSize": "\(blockSize)"])
  }

  private func lock(_ repository: Repository, _ mode: StorageLockMode, log: OperationLog) async throws
    -> any StorageLock
  {
    HeldLocks.hold(
      try await repository.lock(mode, wait: .seconds(lockWaitSeconds)) { message in
        log.info("waiting for the repository lock", ["reason": "\(message)"])
        if Terminal.isInteractive { Terminal.error(message) }
      })
  }

  /// Runs the job between its hooks: `before` (its failure is the run's,
  /// exit 1), then `after` on success or `on_failure` on any other status.
  func run(kind requested: BackupRequest.Kind?, ifDue: Bool, output: OutputOptions) async throws {
    guard !hooks.isEmpty else {
      try await runBackup(kind: requested, ifDue: ifDue, output: output, outcome: RunOutcome())
      return
    }
    let outcome = RunOutcome()
    var environment = [
      "CAIRN_REPOSITORY": repositoryPath, "CAIRN_RUN_ID": OperationLog.runID, "CAIRN_LOG_FILE": logFile ?? "",
      "CAIRN_CONFIG": configPath ?? "", "CAIRN_SNAPSHOT_ID": "", "CAIRN_EXIT_STATUS": "",
    ]
    func runFailureHook(status: Int32) {
      environment["CAIRN_EXIT_STATUS"] = "\(status)"
      environment["CAIRN_SNAPSHOT_ID"] = outcome.snapshotID ?? ""
      if let failure = hooks.run(.onFailure, environment: environment) { report(failure, onStderr: true) }
    }
    if let failure = hooks.run(.before, environment: environment) {
      report(failure)
      safeLog().failedBeforeStart("backup", ["config": "\(configPath ?? "")"], error: failure)
      runFailureHook(status: 1)
      throw failure
    }
    do {
      try await runBackup(kind: requested, ifDue: ifDue, output: output, outcome: outcome)
    } catch {
      runFailureHook(status: (error as? ExitCode)?.rawValue ?? 1)
      throw error
    }
    environment["CAIRN_EXIT_STATUS"] = "0"
    environment["CAIRN_SNAPSHOT_ID"] = outcome.snapshotID ?? ""
    if let failure = hooks.run(.after, environment: environment) {
      report(failure)
      runFailureHook(status: 1)
      throw failure
    }
  }

  /// A hook that failed: in the log, and on stderr unless it is thrown (and so printed anyway).
  private func report(_ failure: JobHooks.Failure, onStderr: Bool = false) {
    if onStderr { Terminal.error("error: \(failure)") }
    safeLog().error(
      "hook failed",
      ["hook": "\(failure.stage.rawValue)", "command": "\(failure.command)", "status": "\(failure.status)"])
  }

  /// The job's log, but never a new backup.log in a directory that is not a
  /// repository (an unmounted drive's mount point).
  private func safeLog() -> OperationLog {
    let isDefault = logFile == nil || logFile == "\(repositoryPath)/backup.log"
    return isDefault ? OperationLog.inRepository(repositoryPath) : OperationLog(path: logFile)
  }

  private func runBackup(kind requested: BackupRequest.Kind?, ifDue: Bool, output: OutputOptions, outcome: RunOutcome)
    async throws
  {
    var metadata: Logger.Metadata = ["repository": "\(repositoryPath)", "sources": "\(sources.joined(separator: ","))"]
    if let configPath { metadata["config"] = "\(configPath)" }
    do {
      try await createRepositoryIfAllowed()
    } catch {
      // Only a log file outside the repository: never create one on a mount point that is not mounted.
      let outside = logFile.flatMap { $0 == "\(repositoryPath)/backup.log" ? nil : $0 }
      OperationLog(path: outside).failedBeforeStart("backup", metadata, error: error)
      throw error
    }
    let log = logFile != nil ? OperationLog(path: logFile) : OperationLog.inRepository(repositoryPath)
    try await log.operation("backup", metadata) {
      let source = passwordSource
      var repository = try await location.open { try source.password() }
      if let compression { repository = repository.compressing(compression) }
      log.attach(repository)
      // A newest snapshot dated ahead of the clock says nothing about when
      // the last backup ran: the run is due.
      if ifDue, let interval = backupIntervalHours, let newest = try await newestSnapshot(in: repository),
        !newest.isDatedAhead(of: Terminal.now)
      {
        let age = Terminal.now.timeIntervalSince(newest.date)
        if age < interval * 3600 {
          log.info(
            "backup not due",
            [
              "newest": "\(newest.id)", "ageHours": "\(String(format: "%.1f", age / 3600))",
              "intervalHours": "\(interval)",
            ])
          if output.showsSummary { print("backup not due: newest snapshot \(newest.id) is younger than \(interval) h") }
          if output.json { print(try Terminal.json(NotDueOutput(due: false, newest: newest.id))) }
          return
        }
      }
      try await backUp(
        repository, kind: requested ?? .automatic(fullEvery: fullEveryDays), log: log, output: output, outcome: outcome)
    }
  }

  private func newestSnapshot(in repository: Repository) async throws -> SnapshotRecord? {
    let resolved =
      (try? Backup.resolveSources(sourcePaths, allowingMissing: true)).map { ($0.present + $0.missing).sorted() }?
      .map(\.description) ?? sources
    return try await repository.snapshots().last { $0.sources == resolved }
  }

  private func backUp(
    _ repository: Repository, kind: BackupRequest.Kind, log: OperationLog, output: OutputOptions, outcome: RunOutcome
  ) async throws {
    var lock: (any StorageLock)? = try await self.lock(repository, .shared, log: log)
    let progress = !output.quiet && !output.json && Terminal.isInteractive ? BackupProgress() : nil
    let display = progress.map { ProgressDisplay(progress: $0) }
    let backup = Backup(repository: repository, logger: Logger(label: "cairn.backup"), progress: progress) {
      problem in
      display?.clear()
      Terminal.error("warning: \(problem)")
      log.warning("file skipped", ["path": "\(problem.path)", "reason": "\(problem.message)"])
    }
    let result: BackupResult
    do {
      result = try await backup.run(
        {
          var request = BackupRequest(
            sourcePaths: sourcePaths, kind: kind, now: Terminal.now, exclude: exclude, tags: tags)
          request.excludeRules = excludeRules
          return request
        }())
      display?.stop()
    } catch {
      display?.stop()
      throw error
    }
    let record = result.record
    outcome.snapshotID = record.id
    let stats = record.statistics
    log.info(
      "snapshot saved",
      [
        "id": "\(record.id)", "kind": "\(record.kind.rawValue)", "base": "\(record.base ?? "none")",
        "files": "\(stats.files)", "bytes": "\(stats.bytes)", "filesRead": "\(stats.filesRead)",
        "newObjects": "\(stats.newObjects)", "newBytes": "\(stats.newBytes)",
        "duration": "\(String(format: "%.3f", stats.durationSeconds))", "skipped": "\(result.problems.count)",
      ])
    for warning in result.warnings {
      Terminal.error("warning: \(warning)")
      log.warning("base manifest damaged", ["warning": "\(warning)"])
    }
    for note in result.notes {
      if output.showsSummary { Terminal.error("note: \(note)") }
      log.info("note", ["note": "\(note)"])
    }
    var json = BackupOutput(snapshot: record, problems: result.problems.map(\.description))
    if output.showsSummary { print(Summary.backup(record)) }
    // Interrupted once the snapshot is saved: it stays, retention waits for the next run.
    try Task.checkCancellation()
    if let retention {
      // Retention needs the exclusive lock: let go of the shared one first.
      await lock?.release()
      lock = nil
      lock = try await self.lock(repository, .exclusive, log: log)
      // Only this backup's group, and never the snapshot just made.
      let plan = RetentionPlan(
        snapshots: try await repository.snapshots(), policy: retention, grouping: grouping,
        only: grouping.key(of: record), protecting: [record.id])
      for ahead in plan.keptByCount + plan.keptAsBase + plan.removed where ahead.isDatedAhead(of: Terminal.now) {
        let warning = ahead.aheadOfClockWarning(now: Terminal.now)
        Terminal.error("warning: \(warning)")
        log.warning("snapshot dated ahead of the clock", ["warning": "\(warning)"])
      }
      try await Forget(repository: repository).apply(plan)
      log.info(
        "retention applied",
        [
          "rules": "\(retention.description)", "kept": "\(plan.keptByCount.count)",
          "keptAsBase": "\(plan.keptAsBase.count)",
          "removed": "\(plan.removed.map(\.id).joined(separator: ","))",
        ])
      let collected = try await GarbageCollector(repository: repository, logger: Logger(label: "cairn.gc")).run(
        dryRun: false)
      log.info(
        "gc finished",
        [
          "objectsDeleted": "\(collected.objectsDeleted)", "bytesFreed": "\(collected.bytesFreed)",
          "objectsReferenced": "\(collected.objectsReferenced)",
        ])
      json.forget = ForgetOutput(plan: plan, dryRun: false)
      json.gc = collected
      if output.showsSummary {
        print(Summary.retention(plan, dryRun: false))
        print(Summary.garbageCollection(collected))
      }
    }
    withExtendedLifetime(lock) {}
    json.requests = RequestCounts.of(repository)
    RequestCounts.report(json.requests, log: log, output: output)
    if output.json { print(try Terminal.json(json)) }
    if !result.problems.isEmpty {
      Terminal.error("warning: \(result.problems.count) file(s) could not be backed up; see the warnings above")
      throw ExitCode(3)
    }
  }
}

/// What a run made, for the hooks that follow it.
final class RunOutcome {
  var snapshotID: String?
}

/// The JSON shape of a backup result.
struct BackupOutput: Encodable {
  let snapshot: SnapshotRecord
  let problems: [String]
  var forget: ForgetOutput?
  var gc: GarbageCollectionReport?
  /// Requests sent to an S3 repository (absent for a local one).
  var requests: S3RequestCounts?
}

/// The JSON shape of a run that found the backup not due.
struct NotDueOutput: Encodable {
  let due: Bool
  let newest: String
}

/// Human-readable summaries of results.
enum Summary {
  static func backup(_ record: SnapshotRecord) -> String {
    let stats = record.statistics
    var lines = ["snapshot \(record.id) saved (\(record.kind)\(record.base.map { ", base \($0)" } ?? ""))"]
    lines.append(
      "  \(stats.files) files, \(stats.directories) directories, \(stats.others) other entries, "
        + Terminal.bytes(stats.bytes))
    lines.append(
      "  read \(stats.filesRead) files (\(Terminal.bytes(stats.bytesRead))), added \(stats.newObjects) objects "
        + "(\(Terminal.bytes(stats.newBytes))) in \(String(format: "%.2f", stats.durationSeconds)) s")
    return lines.joined(separator: "\n")
  }
}
