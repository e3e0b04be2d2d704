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

      With --time, the run behaves as if it ran at that time: the snapshot is dated with it, and \
      --if-due, the choice of full or differential (--full-every) and the ahead-of-the-clock \
      warnings of retention are decided by it. Use it to import old backups with their dates, \
      oldest first.

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

  @Option(
    help: ArgumentHelp(
      "Date the snapshot at this time and run as if it were now: '2026-01-02 15:04:05' (local time) or ISO 8601 with a zone.",
      valueName: "time"))
  var time: String?

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
    _ = try snapshotTime()
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
    let progress = !output.quiet && !output.json && Terminal.isInteractive ? BackupProgress() : nil
    var job = try makeJob()
    job.progress = progress
    let printer = JobPrinter(output: output, display: progress.map { ProgressDisplay(progress: $0) })
    job.onEvent = { printer.show($0) }
    let configured = job
    let kind: BackupRequest.Kind? = full ? .full : differential ? .differential : nil
    let ifDue = ifDue
    try await Interruption.run {
      let outcome: BackupJob.Outcome
      do {
        outcome = try await configured.run(kind: kind, ifDue: ifDue)
      } catch {
        printer.display?.stop()
        guard let signal = Interruption.signal, !(error is JobHooks.Failure) else { throw error }
        Terminal.error("cairn: backup interrupted by \(Interruption.name(of: signal))")
        throw Interruption.exitCode(for: signal)
      }
      try printer.finish(outcome)
    }
  }

  /// The job these flags (or the config file) describe, wired to the terminal.
  private func makeJob() throws -> BackupJob {
    var settings: BackupJob.Settings
    let location: RepositoryLocation
    var passwordSource = repository.passwordSource
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
      settings = BackupJob.Settings(config: configuration, path: config)
      location = try RepositoryLocation(configuration: configuration)
      if repository.passwordFile == nil && repository.passwordCommand == nil {
        passwordSource = PasswordSource(
          passwordFile: configuration.passwordFile, passwordCommand: configuration.passwordCommand)
      }
    } else {
      settings = BackupJob.Settings(sources: sources.map(RawArguments.path))
      settings.retention = try retention.policy()
      settings.grouping = try retention.grouping()
      settings.tags = tag
      settings.excludeRules = try excludeRules()
      settings.exclude = exclude
      for file in excludeFile { settings.exclude += try SourceExcludes.patterns(fromFile: file) }
      settings.fullEveryDays = fullEvery
      settings.lockWait = .seconds(repository.lockWait)
      location = try repository.location()
    }
    settings.compression = compression.flatMap(RepositoryConfig.compression(named:))
    // As `cairn init` does: an off-site repository the job creates is private.
    settings.encryptsNewRepository = location.isS3
    var job = BackupJob(settings: settings, repository: location)
    let source = passwordSource
    job.password = { try source.password() }
    if let time = try snapshotTime() { job.clock = { time } }
    job.stopSignal = {
      Interruption.signal.map {
        BackupJob.Stop(signalName: Interruption.name(of: $0), exitStatus: Interruption.exitCode(for: $0).rawValue)
      }
    }
    return job
  }

  /// The time given with --time.
  private func snapshotTime() throws(ValidationError) -> Date? {
    guard let time else { return nil }
    guard let date = SnapshotTime.parse(time) else {
      throw ValidationError("--time takes \(SnapshotTime.accepted), not '\(time)'")
    }
    return date
  }
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
