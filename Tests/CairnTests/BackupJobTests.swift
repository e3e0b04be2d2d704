import Cairn
import Foundation
import Synchronization
import Testing

/// The scheduled job in-process: a repository in memory, real source files,
/// and a clock the test sets, so days pass without sleeping.
@Suite struct BackupJobTests {
  /// A source tree and a memory repository the job backs it up into.
  struct Setup {
    let dir = TemporaryDirectory("cairn-job-unit")
    let storage = MemoryStorage()
    var source: String { dir.sub("src") }

    init() throws {
      try shell("mkdir -p '\(source)/docs' && echo one > '\(source)/docs/a' && echo two > '\(source)/b'")
    }

    func settings(_ change: (inout BackupJob.Settings) -> Void = { _ in }) -> BackupJob.Settings {
      var settings = BackupJob.Settings(sources: [EntryPath(source)])
      settings.createRepository = true
      settings.blockSize = 65536
      settings.fullEveryDays = 7
      change(&settings)
      return settings
    }

    /// A job running at `day` of March 2026, `hour` UTC.
    func job(day: Int, hour: Int = 2, _ settings: BackupJob.Settings) -> BackupJob {
      var job = BackupJob(settings: settings, repository: StorageRepository(storage: storage))
      let now = Self.date(day: day, hour: hour)
      job.clock = { now }
      return job
    }

    static func date(day: Int, hour: Int = 2) -> Date {
      Timestamps.parse(String(format: "2026-03-%02dT%02d:00:00Z", day, hour))!
    }

    func records() async throws -> [SnapshotRecord] {
      try await Repository.open(storage: storage).snapshots()
    }

    func logLines() async -> [String] {
      await storage.log.map { String(decoding: $0, as: UTF8.self) }
    }
  }

  private func saved(_ outcome: BackupJob.Outcome) -> BackupJob.SavedRun? {
    if case .saved(let run) = outcome { return run }
    return nil
  }

  @Test func aMissingRepositoryIsCreatedOnlyWhenAllowed() async throws {
    let setup = try Setup()
    let refused = setup.job(day: 1, setup.settings { $0.createRepository = false })
    await #expect(throws: CairnError.self) { try await refused.run() }
    #expect(try await StorageRepository(storage: setup.storage).exists() == false)

    let outcome = try await setup.job(day: 1, setup.settings()).run()
    let record = try #require(saved(outcome)).backup.record
    #expect(record.kind == .full)
    #expect(record.date == Setup.date(day: 1), "the snapshot is dated by the job's clock")
    #expect(try await setup.records().map(\.id) == [record.id])
    let log = await setup.logLines()
    #expect(log.contains { $0.contains("msg=\"backup started\"") })
    #expect(log.contains { $0.contains("msg=\"snapshot saved\"") && $0.contains("id=\(record.id)") })
    #expect(log.last?.contains("msg=\"backup finished\"") == true && log.last?.contains("status=0") == true)
  }

  @Test func theClockDecidesWhenAFullIsDue() async throws {
    let setup = try Setup()
    var kinds: [SnapshotKind] = []
    for day in [1, 3, 7, 8, 9] {
      try shell("echo day \(day) >> '\(setup.source)/docs/a'")
      let outcome = try await setup.job(day: day, setup.settings()).run()
      kinds.append(try #require(saved(outcome)).backup.record.kind)
    }
    // fullEveryDays 7: the full of day 1 is 7 days old on day 8.
    #expect(kinds == [.full, .differential, .differential, .full, .differential])
  }

  @Test func ifDueSkipsUntilTheIntervalHasPassed() async throws {
    let setup = try Setup()
    let settings = setup.settings { $0.backupIntervalHours = 20 }
    let first = try #require(saved(try await setup.job(day: 1, hour: 2, settings).run(ifDue: true)))
    let early = try await setup.job(day: 1, hour: 21, settings).run(ifDue: true)
    guard case .notDue(let newest, let interval) = early else {
      Issue.record("a run 19 hours later was not skipped: \(early)")
      return
    }
    #expect(newest.id == first.backup.record.id && interval == 20)
    #expect(early.exitStatus == 0)
    #expect(await setup.logLines().contains { $0.contains("backup not due") })
    #expect(saved(try await setup.job(day: 1, hour: 22, settings).run(ifDue: true)) != nil)
    #expect(try await setup.records().count == 2)
  }

  @Test func retentionKeepsTheRulesAndTheNewSnapshotThenCollectsGarbage() async throws {
    let setup = try Setup()
    let settings = setup.settings { $0.retention = RetentionPolicy(last: 2) }
    var made: [String] = []
    for day in 1...4 {
      try shell("head -c 20000 /dev/urandom > '\(setup.source)/day-\(day)' && rm -f '\(setup.source)/day-\(day - 1)'")
      let run = try #require(saved(try await setup.job(day: day, settings).run(kind: .full)))
      made.append(run.backup.record.id)
      let retention = try #require(run.retention)
      #expect(retention.plan.removed.map(\.id) == (day > 2 ? [made[day - 3]] : []))
      if day > 2 { #expect(retention.collected.objectsDeleted > 0, "day \(day): gc deleted nothing") }
      #expect(retention.clockWarnings.isEmpty)
    }
    #expect(try await setup.records().map(\.id) == Array(made.suffix(2)))
    let log = await setup.logLines()
    #expect(log.contains { $0.contains("retention applied") })
    #expect(log.contains { $0.contains("gc finished") })
  }

  @Test func aRunAtAnEarlierTimeWarnsOfSnapshotsAheadOfIt() async throws {
    let setup = try Setup()
    let settings = setup.settings { $0.retention = RetentionPolicy(last: 5) }
    let later = try #require(saved(try await setup.job(day: 10, settings).run()))
    let earlier = try #require(saved(try await setup.job(day: 5, settings).run()))
    #expect(earlier.backup.record.kind == .full, "a full dated ahead of the clock is no base")
    let warnings = try #require(earlier.retention).clockWarnings
    #expect(warnings.count == 1 && warnings.first?.contains(later.backup.record.id) == true, "\(warnings)")
  }

  @Test func eventsReportTheSavedSnapshot() async throws {
    let setup = try Setup()
    let events = EventLog()
    var job = setup.job(day: 1, setup.settings())
    job.onEvent = { events.append($0) }
    let run = try #require(saved(try await job.run()))
    let savedIDs = events.all.compactMap { event -> String? in
      if case .snapshotSaved(let result) = event { return result.record.id }
      return nil
    }
    #expect(savedIDs == [run.backup.record.id])
  }

  @Test func aFailingBeforeHookStopsTheRun() async throws {
    let setup = try Setup()
    let marker = setup.dir.sub("on-failure-ran")
    let settings = setup.settings {
      $0.hooks.before = ["exit 4"]
      $0.hooks.onFailure = ["echo \"$CAIRN_HOOK $CAIRN_EXIT_STATUS\" > '\(marker)'"]
    }
    await #expect(throws: JobHooks.Failure.self) { try await setup.job(day: 1, settings).run() }
    #expect(try String(contentsOfFile: marker, encoding: .utf8) == "on_failure 1\n")
    #expect(try await StorageRepository(storage: setup.storage).exists() == false, "the run went on after its hook")
  }

  @Test func theAfterHookSeesTheSnapshot() async throws {
    let setup = try Setup()
    let marker = setup.dir.sub("after-ran")
    let settings = setup.settings { $0.hooks.after = ["echo \"$CAIRN_EXIT_STATUS $CAIRN_SNAPSHOT_ID\" > '\(marker)'"] }
    let run = try #require(saved(try await setup.job(day: 1, settings).run()))
    #expect(try String(contentsOfFile: marker, encoding: .utf8) == "0 \(run.backup.record.id)\n")
  }
}

/// Events collected from the job's callback.
private final class EventLog: Sendable {
  private let events = Mutex<[BackupJob.Event]>([])

  func append(_ event: BackupJob.Event) { events.withLock { $0.append(event) } }

  var all: [BackupJob.Event] { events.withLock { $0 } }
}
