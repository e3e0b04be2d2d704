extension BackupJob {
  /// What the job does: the flags of `backup`, or a job file.
  public struct Settings: Sendable {
    public var sources: [EntryPath]
    public var exclude: [String] = []
    public var excludeRules = SourceExcludes()
    public var tags: [String] = []
    /// The keep rules applied after the backup (then gc); nil for none.
    public var retention: RetentionPolicy?
    public var grouping = SnapshotGrouping.hostAndPaths
    public var fullEveryDays: Double = 14
    /// With `ifDue`: the age the newest snapshot must reach before the next run backs up.
    public var backupIntervalHours: Double?
    public var lockWait: Duration = .seconds(300)
    public var createRepository = false
    /// The block size of a repository the job creates; nil for the default
    /// of where it lives (`RepositoryConfig.defaultBlockSize(remote:)`).
    public var blockSize: Int?
    /// Whether a repository the job creates is encrypted (AES-256-GCM, its
    /// first key from the job's password). The CLI sets it for S3, where
    /// `cairn init` encrypts by default too.
    public var encryptsNewRepository = false
    /// Overrides the repository's compression for this run.
    public var compression: ObjectCodec.Compression?
    /// The log file; nil for the repository's own log.
    public var logFile: String?
    /// The job file, for the log and the hooks' CAIRN_CONFIG.
    public var configPath: String?
    public var hooks = JobHooks()

    public init(sources: [EntryPath]) { self.sources = sources }

    /// The settings a job file describes.
    public init(config: JobConfig, path: String) {
      sources = config.sources.map(EntryPath.init)
      exclude = config.exclude
      excludeRules = config.excludeRules
      tags = config.tags
      retention = config.retention
      grouping = config.groupBy
      fullEveryDays = config.fullEveryDays
      backupIntervalHours = config.backupIntervalHours
      lockWait = .seconds(config.lockWaitSeconds)
      createRepository = config.createRepository
      blockSize = config.blockSize
      logFile = config.resolvedLogFile
      configPath = path
      hooks = config.hooks
    }
  }
}
