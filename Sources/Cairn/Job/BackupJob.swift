public import Foundation
import Logging
import Synchronization

/// One run of the backup job, as `cairn backup` and a scheduler's
/// `cairn backup --config FILE` run it: create the repository when allowed,
/// skip when not due, back up, apply retention to this backup's group and
/// collect garbage, each step in the log, between the hooks.
///
/// Everything it depends on is given: the settings, the repository, the
/// password and the clock. It prints nothing: what happens while it runs
/// arrives as `Event`s, and what it did is the returned `Outcome`, which the
/// CLI turns into output and an exit status.
public struct BackupJob: Sendable {
  public let settings: Settings
  public let repository: any RepositoryOpener
  public var password: Repository.PasswordProvider = Repository.noPassword
  /// The time the job runs at: it dates the snapshot and decides whether a
  /// run is due, whether a full is due, and which snapshots are ahead of it.
  public var clock: @Sendable () -> Date = { Date() }
  public var progress: BackupProgress?
  public var onEvent: @Sendable (Event) -> Void = { _ in }
  /// When a failure is an interruption: the signal, for the log and the hooks' exit status.
  public var stopSignal: @Sendable () -> Stop? = { nil }

  public init(settings: Settings, repository: any RepositoryOpener) {
    self.settings = settings
    self.repository = repository
  }

  /// Runs the job between its hooks: `before` (its failure is the run's,
  /// exit 1), then `after` on success or `on_failure` on any other status
  /// (3 included). A failure is thrown once logged and hooked.
  public func run(kind requested: BackupRequest.Kind? = nil, ifDue: Bool = false) async throws -> Outcome {
    let hooks = settings.hooks
    let saved = SavedSnapshotID()
    var environment = [
      "CAIRN_REPOSITORY": repository.name, "CAIRN_RUN_ID": OperationLog.runID,
      "CAIRN_LOG_FILE": settings.logFile ?? "", "CAIRN_CONFIG": settings.configPath ?? "",
      "CAIRN_SNAPSHOT_ID": "", "CAIRN_EXIT_STATUS": "",
    ]
    func runFailureHook(status: Int32) {
      guard !hooks.onFailure.isEmpty else { return }
      environment["CAIRN_EXIT_STATUS"] = "\(status)"
      environment["CAIRN_SNAPSHOT_ID"] = saved.id ?? ""
      if let failure = hooks.run(.onFailure, environment: environment) {
        onEvent(.hookFailed(failure))
        logHookFailure(failure)
      }
    }
    if let failure = hooks.run(.before, environment: environment) {
      logHookFailure(failure)
      hookLog().failedBeforeStart("backup", ["config": "\(settings.configPath ?? "")"], error: failure)
      runFailureHook(status: 1)
      throw failure
    }
    let outcome: Outcome
    do {
      outcome = try await runLogged(kind: requested, ifDue: ifDue, saved: saved)
    } catch {
      runFailureHook(status: stopSignal()?.exitStatus ?? 1)
      throw error
    }
    guard outcome.exitStatus == 0 else {
      runFailureHook(status: outcome.exitStatus)
      return outcome
    }
    guard !hooks.after.isEmpty else { return outcome }
    environment["CAIRN_EXIT_STATUS"] = "0"
    environment["CAIRN_SNAPSHOT_ID"] = saved.id ?? ""
    if let failure = hooks.run(.after, environment: environment) {
      logHookFailure(failure)
      runFailureHook(status: 1)
      throw failure
    }
    return outcome
  }

  private func logHookFailure(_ failure: JobHooks.Failure) {
    hookLog().error(
      "hook failed",
      ["hook": "\(failure.stage.rawValue)", "command": "\(failure.command)", "status": "\(failure.status)"])
  }

  /// The log file when the repository's own log is not the one used.
  private var separateLogFile: String? {
    let inRepository = repository.localPath.map(OperationLog.defaultFile(inRepository:))
    return settings.logFile == inRepository ? nil : settings.logFile
  }

  /// The job's log, but never a new backup.log in a directory that is not a
  /// repository (an unmounted drive's mount point).
  private func hookLog() -> OperationLog {
    separateLogFile.map { OperationLog(path: $0) } ?? .inRepository(repository.localPath)
  }

  /// The run between its `backup started` and `backup finished` lines.
  private func runLogged(
    kind requested: BackupRequest.Kind?, ifDue: Bool, saved: SavedSnapshotID
  ) async throws -> Outcome {
    var metadata: Logger.Metadata = [
      "repository": "\(repository.name)", "sources": "\(settings.sources.map(\.description).joined(separator: ","))",
    ]
    if let configPath = settings.configPath { metadata["config"] = "\(configPath)" }
    do {
      try await createRepositoryIfAllowed()
    } catch {
      // Only a log file outside the repository: never create one on a mount point that is not mounted.
      OperationLog(path: separateLogFile).failedBeforeStart("backup", metadata, error: error)
      throw error
    }
    let log = settings.logFile.map { OperationLog(path: $0) } ?? .inRepository(repository.localPath)
    log.info("backup started", metadata)
    do {
      let outcome = try await runSteps(kind: requested, ifDue: ifDue, log: log, saved: saved)
      log.info("backup finished", ["status": "\(outcome.exitStatus)"])
      await log.flush()
      return outcome
    } catch {
      if let stop = stopSignal() {
        // No flush: the storage may be what the signal interrupted.
        log.error("backup interrupted", ["signal": "\(stop.signalName)"])
        log.info("backup finished", ["status": "\(stop.exitStatus)"])
      } else {
        log.error("backup failed", ["error": "\(error)"])
        log.info("backup finished", ["status": "1"])
        await log.flush()
      }
      throw error
    }
  }

  /// Creates the repository when the settings allow it and it does not exist
  /// yet; otherwise a missing repository is an error that suggests the
  /// usual cause: a drive that is not mounted. A job never creates a
  /// repository on the mount point's empty directory unless told to.
  private func createRepositoryIfAllowed() async throws {
    guard try await !repository.exists() else { return }
    guard settings.createRepository else {
      throw CairnError(.notARepository, "repository not found at '\(repository.name)' (is the drive mounted?)")
    }
    let blockSize = settings.blockSize ?? RepositoryConfig.defaultBlockSize(remote: repository.localPath == nil)
    var options = Repository.Options(blockSize: blockSize)
    if settings.encryptsNewRepository { options.password = try password() }
    _ = try await repository.initialize(options: options)
    OperationLog(path: settings.logFile).info(
      "repository created", ["repository": "\(repository.name)", "blockSize": "\(blockSize)"])
  }

  private func runSteps(
    kind requested: BackupRequest.Kind?, ifDue: Bool, log: OperationLog, saved: SavedSnapshotID
  ) async throws -> Outcome {
    let kind = requested ?? .automatic(fullEvery: settings.fullEveryDays)
    // The walk of the sources starts before the repository opens (an
    // encrypted one's key takes about 0.4 s to derive), unless the run may
    // turn out not to be due: then it starts once it is.
    var begun = ifDue ? nil : try begin(kind)
    defer { begun?.headStart.abandon() }
    var opened = try await repository.open(password: password)
    if let compression = settings.compression { opened = opened.compressing(compression) }
    log.attach(opened)
    // Before `backup finished`, whatever the outcome: what the run cost.
    defer { log.requests(of: opened) }
    if ifDue, let interval = settings.backupIntervalHours, let newest = try await newestSnapshot(in: opened) {
      let now = clock()
      // A newest snapshot dated ahead of the clock says nothing about when
      // the last backup ran: the run is due.
      let age = now.timeIntervalSince(newest.date)
      if !newest.isDatedAhead(of: now), age < interval * 3600 {
        log.info(
          "backup not due",
          [
            "newest": "\(newest.id)", "ageHours": "\(String(format: "%.1f", age / 3600))",
            "intervalHours": "\(interval)",
          ])
        return .notDue(newest: newest, intervalHours: interval)
      }
    }
    let start = try begun ?? begin(kind)
    begun = start  // abandoned by the defer if the backup never takes it (the lock is not had)
    return .saved(try await backUp(opened, start, log: log, saved: saved))
  }

  private func begin(_ kind: BackupRequest.Kind) throws -> Backup.BackupStart {
    var request = BackupRequest(
      sourcePaths: settings.sources, kind: kind, now: clock(), exclude: settings.exclude, tags: settings.tags)
    request.excludeRules = settings.excludeRules
    return try Backup.begin(request, repositoryPath: repository.localPath, files: .linux)
  }

  /// The newest snapshot of this job's sources, as the backup would resolve them.
  private func newestSnapshot(in repository: Repository) async throws -> SnapshotRecord? {
    let sources = settings.sources
    let resolved =
      (try? Backup.resolveSources(sources, allowingMissing: true)).map { ($0.present + $0.missing).sorted() }
      ?? sources
    let names = resolved.map(\.description)
    return try await repository.snapshots().last { $0.sources == names }
  }

  private func lock(_ repository: Repository, _ mode: StorageLockMode, log: OperationLog) async throws
    -> any StorageLock
  {
    let onEvent = onEvent
    return try await repository.lock(mode, wait: settings.lockWait) { message in
      log.info("waiting for the repository lock", ["reason": "\(message)"])
      onEvent(.waitingForLock(message))
    }
  }

  /// Releases `lock` even when the task is cancelled (an S3 lock is an object to delete).
  private func release(_ lock: any StorageLock) async {
    await Task { await lock.release() }.value
  }

  private func backUp(
    _ repository: Repository, _ start: Backup.BackupStart, log: OperationLog, saved: SavedSnapshotID
  ) async throws -> SavedRun {
    let shared = try await lock(repository, .shared, log: log)
    var run: SavedRun
    do {
      let onEvent = onEvent
      let backup = Backup(
        repository: repository, logger: log.logger ?? Logger(label: "cairn.backup"), progress: progress
      ) {
        problem in
        onEvent(.fileSkipped(problem))
        log.warning("file skipped", ["path": "\(problem.path)", "reason": "\(problem.message)"])
      }
      let result = try await backup.run(start)
      saved.id = result.record.id
      logSaved(result, log: log)
      onEvent(.snapshotSaved(result))
      run = SavedRun(backup: result, repository: repository)
      // Interrupted once the snapshot is saved: it stays, retention waits for the next run.
      try Task.checkCancellation()
    } catch {
      await release(shared)
      throw error
    }
    // Retention needs the exclusive lock: let go of the shared one first.
    await release(shared)
    if let retention = settings.retention {
      run.retention = try await applyRetention(retention, after: run.backup.record, in: repository, log: log)
    }
    return run
  }

  private func logSaved(_ result: BackupResult, log: OperationLog) {
    let record = result.record
    let stats = record.statistics
    log.info(
      "snapshot saved",
      [
        "id": "\(record.id)", "kind": "\(record.kind.rawValue)", "base": "\(record.base ?? "none")",
        "files": "\(stats.files)", "bytes": "\(stats.bytes)", "filesRead": "\(stats.filesRead)",
        "newObjects": "\(stats.newObjects)", "newBytes": "\(stats.newBytes)",
        "duration": "\(String(format: "%.3f", stats.durationSeconds))", "skipped": "\(result.problems.count)",
      ])
    for warning in result.warnings { log.warning("base manifest damaged", ["warning": "\(warning)"]) }
    for note in result.notes { log.info("note", ["note": "\(note)"]) }
  }

  /// Retention within the group of `record` (never `record` itself), then gc.
  private func applyRetention(
    _ policy: RetentionPolicy, after record: SnapshotRecord, in repository: Repository, log: OperationLog
  ) async throws -> RetentionRun {
    let exclusive = try await lock(repository, .exclusive, log: log)
    do {
      let grouping = settings.grouping
      let plan = RetentionPlan(
        snapshots: try await repository.snapshots(), policy: policy, grouping: grouping,
        only: grouping.key(of: record), protecting: [record.id])
      let now = clock()
      var clockWarnings: [String] = []
      for ahead in plan.keptByCount + plan.keptAsBase + plan.removed where ahead.isDatedAhead(of: now) {
        let warning = ahead.aheadOfClockWarning(now: now)
        clockWarnings.append(warning)
        log.warning("snapshot dated ahead of the clock", ["warning": "\(warning)"])
      }
      try await Forget(repository: repository).run(plan)
      log.info(
        "retention applied",
        [
          "rules": "\(policy.description)", "kept": "\(plan.keptByCount.count)",
          "keptAsBase": "\(plan.keptAsBase.count)", "removed": "\(plan.removed.map(\.id).joined(separator: ","))",
        ])
      let collected = try await GarbageCollector(
        repository: repository, logger: log.logger ?? Logger(label: "cairn.gc")
      ).run(
        dryRun: false)
      log.info(
        "gc finished",
        [
          "objectsDeleted": "\(collected.objectsDeleted)", "bytesFreed": "\(collected.bytesFreed)",
          "objectsReferenced": "\(collected.objectsReferenced)",
        ])
      await release(exclusive)
      return RetentionRun(plan: plan, collected: collected, clockWarnings: clockWarnings)
    } catch {
      await release(exclusive)
      throw error
    }
  }
}

/// The id of the snapshot a run saved, for the hooks that run after a failure.
final class SavedSnapshotID: Sendable {
  private let value = Mutex<String?>(nil)

  var id: String? {
    get { value.withLock { $0 } }
    set { value.withLock { $0 = newValue } }
  }
}
